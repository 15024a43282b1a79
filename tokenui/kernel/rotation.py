"""Guided rotation's rules, shared by every token system: the twin's default name and expiry.
Which tokens are rotated and not yet revoked is the audit trail's to say (audit/rotations.py)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Container
from zoneinfo import ZoneInfo

from tokenui.kernel.links import MAX_EXPIRY_YEARS, years_after
from tokenui.kernel.validators import NAME_MAX_LENGTH

# A name already carrying a rotation's date suffix gets the new date in its place, so that
# rotating "billing-20250101" gives "billing-20261206", not "billing-20250101-20261206".
_DATED = re.compile(r"-\d{8}(?:-\d+)?\Z")


def default_name(old: str, today: datetime.date, taken: Container[str]) -> str:
    """The old name with today's date as a suffix (`billing-20261206`), cut to WHM's 50
    characters, and numbered (`-2`, `-3`, …) when that name is taken."""
    base = _DATED.sub("", old)
    suffix = today.strftime("-%Y%m%d")
    number = 1
    while True:
        tail = suffix if number == 1 else f"{suffix}-{number}"
        name = base[: NAME_MAX_LENGTH - len(tail)] + tail
        if name != old and name not in taken:
            return name
        number += 1


def default_expiry(
    created: datetime.datetime,
    expires: datetime.datetime | None,
    now: datetime.datetime,
    zone: ZoneInfo,
) -> datetime.date:
    """The twin's expiry date: as long from now as the old token's lifetime (created to
    expires), or one year when the old one never expires; within the form's limits."""
    today = now.astimezone(zone).date()
    latest = years_after(today, MAX_EXPIRY_YEARS)
    if expires is None:
        return years_after(today, 1)
    lifetime = max(expires - created, datetime.timedelta(days=1))
    try:
        day = (now + lifetime).astimezone(zone).date()
    except OverflowError:  # an expiry near year 9999
        return latest
    return min(max(day, today), latest)
