"""How the API Tokens table presents WHM's tokens: times, expiry states in words, its columns."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from tokenui.risk import Flag, flags
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RowTimes:
    """A row's times as every table shows them, and its expiry state in words (`row_times`)."""

    created: str
    created_iso: str
    expires: str
    expires_iso: str
    expiry: Expiry
    expiry_words: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRow(RowTimes):
    """One row of a token system's table, everything pre-formatted for the template."""

    token: Any  # a system's token: WHM's summary, or a cPanel token
    ips_shown: tuple[str, ...]
    ips_folded: tuple[str, ...]
    is_session_token: bool
    edit_url: str
    revoke_url: str
    flags: tuple[Flag, ...] = ()
    access: str = ""  # cPanel's Access column: Full access, Read-only, Limited

    @property
    def name(self) -> str:
        return self.token.name


def make_row(
    token: Any,
    *,
    now: datetime,
    zone: ZoneInfo,
    warning_days: int,
    session_token: str | None = None,
    urls: RowUrls,
    access: str = "",
) -> TokenRow:
    """A row of any system's table: its times in WHM's format and server time, the expiry in
    words, the IPs where the system has them."""
    quoted = quote(token.name, safe="")
    ips = getattr(token, "whitelist_ips", ())
    # WHM's times are Unix seconds until here: only the page's rows become datetimes.
    times = row_times(token.created, token.expires, now=now, zone=zone, warning_days=warning_days)
    return TokenRow(
        token=token,
        **times,
        ips_shown=tuple(map(compressed_ip, ips[:IPS_SHOWN])),
        ips_folded=tuple(map(compressed_ip, ips[IPS_SHOWN:])),
        is_session_token=token.name == session_token,
        edit_url=quoted.join(urls.edit),
        revoke_url=quoted.join(urls.revoke),
        flags=flags(token, now=now),
        access=access,
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
        return cls(split_around(edit_url), split_around(revoke_url))


def split_around(url: str) -> tuple[str, str]:
    """A URL reversed for RowUrls.PLACEHOLDER, as the parts before and after the name."""
    before, _, after = url.rpartition(RowUrls.PLACEHOLDER)
    return before, after


def row_times(
    created: datetime,
    expires: datetime | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    warning_days: int,
) -> dict[str, Any]:
    """A row's times as every table shows them (WHM's format, server time, ISO for <time>) and
    its expiry state in words: the fields `created`, `created_iso`, `expires`, `expires_iso`,
    `expiry` and `expiry_words` of a row."""
    state, words = expiry_state(expires, now=now, warning_days=warning_days)
    return {
        "created": server_time(created, zone).strftime(WHM_TIME_FORMAT),
        "created_iso": created.isoformat(),
        "expires": server_time(expires, zone).strftime(WHM_TIME_FORMAT) if expires else "",
        "expires_iso": expires.isoformat() if expires else "",
        "expiry": state,
        "expiry_words": words,
    }


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


def never_last(token: TokenSummary) -> tuple[int, str]:
    """A WHM summary's sort key by expiry: tokens that never expire after every date."""
    return (_NEVER if token.expires_at is None else token.expires_at, token.name)


def rows(
    tokens: Iterable[Any],
    *,
    urls: RowUrls,
    session_token: str | None,
    access: Callable[[Any], str] | None = None,
) -> list[TokenRow]:
    """The table's rows for `tokens` (the page shown), in WHM's time zone and words."""
    now = timezone.now()
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    warning_days = settings.EXPIRY_WARNING_DAYS
    return [
        make_row(
            token,
            now=now,
            zone=zone,
            warning_days=warning_days,
            session_token=session_token,
            urls=urls,
            access=access(token) if access else "",
        )
        for token in tokens
    ]
