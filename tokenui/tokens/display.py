"""How the API Tokens table presents WHM's tokens: times, expiry states in words, its columns."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tokenui.risk import Flag, flags
from tokenui.tables import Column, TableSpec
from tokenui.whm.types import LATEST_EPOCH, TokenSummary

# WHM's table format, "MM DD YYYY hh:mm:ss", in WHM's server time zone.
WHM_TIME_FORMAT = "%m %d %Y %H:%M:%S"
IPS_SHOWN = 3  # longer allow-lists fold behind a "N more" disclosure
PAGE_SIZE = 50


class Expiry(StrEnum):
    NEVER = "never"
    OK = "ok"
    SOON = "soon"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One row of the table, everything pre-formatted for the template."""

    token: TokenSummary
    created: str
    created_iso: str
    expires: str
    expires_iso: str
    expiry: Expiry
    expiry_words: str
    ips_shown: tuple[str, ...]
    ips_folded: tuple[str, ...]
    is_session_token: bool
    edit_url: str
    revoke_url: str
    flags: tuple[Flag, ...] = ()

    @property
    def name(self) -> str:
        return self.token.name


def make_row(
    token: TokenSummary,
    *,
    now: datetime,
    zone: ZoneInfo,
    warning_days: int,
    session_token: str | None = None,
    urls: RowUrls,
) -> TokenRow:
    # The times are Unix seconds until here: only the page's rows become datetimes.
    created, expires = token.created, token.expires
    state, words = expiry_state(expires, now=now, warning_days=warning_days)
    quoted = quote(token.name, safe="")
    return TokenRow(
        token=token,
        created=server_time(created, zone).strftime(WHM_TIME_FORMAT),
        created_iso=created.isoformat(),
        expires=server_time(expires, zone).strftime(WHM_TIME_FORMAT) if expires else "",
        expires_iso=expires.isoformat() if expires else "",
        expiry=state,
        expiry_words=words,
        ips_shown=tuple(map(compressed_ip, token.whitelist_ips[:IPS_SHOWN])),
        ips_folded=tuple(map(compressed_ip, token.whitelist_ips[IPS_SHOWN:])),
        is_session_token=token.name == session_token,
        edit_url=quoted.join(urls.edit),
        revoke_url=quoted.join(urls.revoke),
        flags=flags(token, now=now),
    )


@dataclass(frozen=True, slots=True)
class RowUrls:
    """A row's Edit and Revoke URLs, each split around the token's name: reverse() once per
    table rather than twice per row (it was a third of the table's render time)."""

    PLACEHOLDER = "tokenui-row-name"  # matches the URL pattern, so reverse() accepts it

    edit: tuple[str, str]
    revoke: tuple[str, str]

    @classmethod
    def around(cls, edit_url: str, revoke_url: str) -> RowUrls:
        """From the two URLs reversed for PLACEHOLDER."""
        edit, _, edit_end = edit_url.rpartition(cls.PLACEHOLDER)
        revoke, _, revoke_end = revoke_url.rpartition(cls.PLACEHOLDER)
        return cls((edit, edit_end), (revoke, revoke_end))


def server_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` in WHM's time zone. WHM accepts any future expiry, so a token may expire at the
    very end of what datetime holds, where a zone east of UTC would overflow: shown in UTC."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def expiry_state(
    expires: datetime | None, *, now: datetime, warning_days: int
) -> tuple[Expiry, str]:
    """The row's state and the words that say it, so colour is never the only signal."""
    if expires is None:
        return Expiry.NEVER, ""
    left = expires - now
    if left <= timedelta(0):
        return Expiry.EXPIRED, f"Expired {_span(-left)} ago"
    if left <= timedelta(days=warning_days):
        return Expiry.SOON, f"Expires in {_span(left)}"
    return Expiry.OK, ""


def _span(delta: timedelta) -> str:
    """A duration in the largest whole unit: '3 days', '5 hours', '1 minute'."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def compressed_ip(entry: str) -> str:
    """An allow-list entry as people type it: WHM stores IPv6 fully expanded
    (`2001:0db8:0000:…/48`), the table shows it compressed (`2001:db8::/48`)."""
    if ":" not in entry:
        return entry
    address, slash, prefix = entry.partition("/")
    try:
        return ipaddress.IPv6Address(address).compressed + slash + prefix
    except ValueError:  # not an address after all: show what WHM sent
        return entry


_NEVER = LATEST_EPOCH + 2  # after every time, even one past year 9999


def _never_last(token: TokenSummary) -> tuple[int, str]:
    return (_NEVER if token.expires_at is None else token.expires_at, token.name)


# The WHM tokens table: WHM's own page lists the newest first; tokens that never expire sort
# after every date. Sorting reads the Unix seconds, not datetimes: thousands of keys a request.
TOKEN_TABLE = TableSpec(
    columns=(
        Column("name", lambda t: (t.name.casefold(), t.name)),
        Column("created", lambda t: (t.create_time, t.name), descending_first=True),
        Column("expires", _never_last, descending_first=True),
    ),
    default_sort="-created",
    name=lambda t: t.name,
    page_size=PAGE_SIZE,
)


def rows(tokens: Iterable[TokenSummary], *, session_token: str | None) -> list[TokenRow]:
    """The table's rows for `tokens` (the page shown), in WHM's time zone and words."""
    now = timezone.now()
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    placeholder = [RowUrls.PLACEHOLDER]
    urls = RowUrls.around(
        reverse("tokens:edit", args=placeholder), reverse("tokens:revoke", args=placeholder)
    )
    warning_days = settings.EXPIRY_WARNING_DAYS
    return [
        make_row(
            token,
            now=now,
            zone=zone,
            warning_days=warning_days,
            session_token=session_token,
            urls=urls,
        )
        for token in tokens
    ]
