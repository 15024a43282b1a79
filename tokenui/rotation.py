"""Guided rotation's rules, shared by WHM's and cPanel's token pages: the twin's default name and
expiry, and which listed tokens are rotated but not yet revoked (read from the audit trail)."""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections.abc import Collection, Container, Mapping
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import Col

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
    try:
        rotations = _rotations(server, user, account, since=min(times))
    except DatabaseError as exc:
        # The marks are a reminder; the table works without them.
        logger.warning("rotation marks not read: %s", type(exc).__name__)
        return {}
    found: dict[str, str] = {}
    for at, names in rotations:
        if not (isinstance(names, list) and len(names) == 2):
            continue
        old, new = names
        if old in shown and new in listed and shown[old] <= at:
            found[old] = new
    return found


def _rotations(
    server: str, user: str, account: str, *, since: datetime.datetime
) -> list[tuple[object, ...]]:
    """(when, [old, new]) of the succeeded rotations since `since`, oldest first.

    Written as SQL, not built by the ORM: this runs on every table request (each search
    keystroke), and building the same filtered queryset cost about five times running it.
    The values go through the backend's own adapters and converters, as the ORM's would.
    """
    sql, columns = _rotation_sql(bool(account))
    params: list[object] = [Action.ROTATE, server, account, Outcome.SUCCEEDED]
    params += [] if account else [user, Service.WHM]
    params.append(connection.ops.adapt_datetimefield_value(since))
    # A savepoint only inside a transaction: on PostgreSQL a failed query must not poison it.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        tuple(_converted(value, column) for value, column in zip(row, columns, strict=True))
        for row in rows
    ]


def _rotation_sql(by_account: bool) -> tuple[str, tuple[Col, Col]]:
    """The query, from the model's own table and column names (the values are parameters)."""
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    at, names = (meta.get_field(name).get_col(meta.db_table) for name in ("at", "token_names"))
    keys = ["action", "server", "account", "outcome"]
    keys += [] if by_account else ["whm_user", "service"]
    where = " AND ".join(f"{quote(meta.get_field(key).column)} = %s" for key in keys)
    when, table = quote(at.target.column), quote(meta.db_table)
    select = f"SELECT {when}, {quote(names.target.column)} FROM {table}"  # noqa: S608
    return f"{select} WHERE {where} AND {when} >= %s ORDER BY {when}", (at, names)


def _converted(value: object, column: Col) -> object:
    """A value as the ORM would return it (SQLite's text to an aware datetime, JSON to a list)."""
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    for convert in converters:
        value = convert(value, column, connection)
    return value
