"""The fleet table: its filters (search, server, state, risky only), sort and rows."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from tokenui import risk
from tokenui.fleet.inventory import FleetToken
from tokenui.kernel.display import RowTimes, compressed_ip, row_times
from tokenui.tables import Column, TableSpec
from tokenui.whm.types import LATEST_EPOCH, moment

PAGE_SIZE = 50
# The state filter's choices: WHM's own words for a token's expiry.
STATES = {
    "expired": "Expired",
    "expiring": "Expiring soon",
    "valid": "Valid",
}
_NEVER = LATEST_EPOCH + 2
FLAGS_BY_KEY = {flag.key: flag for flag in risk.ALL_FLAGS}

FLEET_TABLE = TableSpec(
    columns=(
        Column("server", lambda t: (t.server.casefold(), t.name.casefold())),
        Column("user", lambda t: (t.user.casefold(), t.server, t.name)),
        Column("name", lambda t: (t.name.casefold(), t.server)),
        Column("created", lambda t: (t.create_time, t.name), descending_first=True),
        Column(
            "expires",
            lambda t: (_NEVER if t.expires_at is None else t.expires_at, t.name),
            descending_first=True,
        ),
    ),
    default_sort="server",
    name=lambda t: t.name,
    page_size=PAGE_SIZE,
)


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user narrowed the table to, besides the search."""

    server: str
    state: str
    risky: bool

    @classmethod
    def from_request(cls, request: HttpRequest, servers: Sequence[str]) -> Filters:
        server = request.GET.get("server", "")
        state = request.GET.get("state", "")
        return cls(
            server=server if server in servers else "",
            state=state if state in STATES else "",
            risky=request.GET.get("risky") == "1",
        )


def matching(tokens: Iterable[FleetToken], query: str, filters: Filters) -> list[FleetToken]:
    """The tokens that hold the search in their name or server's name and pass the filters."""
    needle = query.strip().casefold()
    now = int(time.time())
    soon = now + settings.EXPIRY_WARNING_DAYS * 86400
    found = []
    for token in tokens:
        if filters.server and token.server != filters.server:
            continue
        if needle and needle not in token.name.casefold() and needle not in token.server.casefold():
            continue
        if filters.risky and not token.flags:
            continue
        if filters.state and _state(token, now, soon) != filters.state:
            continue
        found.append(token)
    return found


def _state(token: FleetToken, now: int, soon: int) -> str:
    if token.expires_at is None or token.expires_at > soon:
        return "valid"
    return "expired" if token.expires_at <= now else "expiring"


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRow(RowTimes):
    token: FleetToken
    ips: tuple[str, ...]
    privileges: str
    flags: tuple[risk.Flag, ...]


def rows(tokens: Iterable[FleetToken]) -> list[FleetRow]:
    """The page's rows, in WHM's time zone and words (as the single-server table shows them)."""
    now = timezone.now()
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    warning_days = settings.EXPIRY_WARNING_DAYS
    made = []
    for token in tokens:
        created = moment(token.create_time)
        expires = None if token.expires_at is None else moment(token.expires_at)
        times = row_times(created, expires, now=now, zone=zone, warning_days=warning_days)
        made.append(
            FleetRow(
                token=token,
                **times,
                ips=tuple(map(compressed_ip, token.whitelist_ips)),
                privileges=token.privileges,
                flags=tuple(FLAGS_BY_KEY[key] for key in token.flags if key in FLAGS_BY_KEY),
            )
        )
    return made
