"""Guided rotation's rules, shared by WHM's and cPanel's token pages: the twin's default name and
expiry, and which listed tokens are rotated but not yet revoked (read from the audit trail)."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Collection, Container, Mapping
from zoneinfo import ZoneInfo

from django.db import DatabaseError, transaction

from tokenui.audit.models import Action, AuditEvent, Outcome, Service
from tokenui.tokens.forms import MAX_EXPIRY_YEARS, years_after
from tokenui.tokens.validators import NAME_MAX_LENGTH

logger = logging.getLogger(__name__)

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


def successors(
    *,
    server: str,
    listed: Collection[str],
    shown: Mapping[str, datetime.datetime],
    user: str = "",
    account: str = "",
) -> dict[str, str]:
    """{old name: successor's name} for the `shown` tokens rotated and not yet revoked.

    `listed` names every token the server lists now; `shown` gives the creation time of each
    token on the page (only those: a search redraws the page at every keystroke). A rotation
    counts while both tokens are listed and it happened after the old one was made (a later
    token that reuses a revoked one's name is not its heir). WHM's own tokens are one user's
    (`user`); a cPanel account's are the account's, whoever rotated them (`account`). One
    indexed query, bounded by the oldest token shown.
    """
    times = list(shown.values())
    if not times:
        return {}
    events = AuditEvent.objects.filter(
        action=Action.ROTATE, server=server, account=account, outcome=Outcome.SUCCEEDED
    )
    if not account:
        events = events.filter(whm_user=user, service=Service.WHM)
    found: dict[str, str] = {}
    events = events.filter(at__gte=min(times)).order_by("at")
    try:
        # A savepoint: on PostgreSQL a failed query must not poison an enclosing transaction.
        with transaction.atomic():
            rotations = list(events.values_list("at", "token_names"))
    except DatabaseError as exc:
        # The marks are a reminder; the table works without them.
        logger.warning("rotation marks not read: %s", type(exc).__name__)
        return {}
    for at, names in rotations:
        if not (isinstance(names, list) and len(names) == 2):
            continue
        old, new = names
        if old in shown and new in listed and shown[old] <= at:
            found[old] = new
    return found
