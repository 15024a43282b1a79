"""Rotations as the audit trail tells them: which tokens were rotated and not yet revoked (the
mark the token tables show), and which token a rotation replaced, to finish it.

A token is known by its creation time, which WHM and cPanel keep through renames; its name is
only what it is called now. A Rotate entry records the replaced token's creation time
(`token_created`) with the two names at the time; entries from before that was recorded fall
back to the name, and only for a token made before the rotation."""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import Col

from tokenui.audit.models import Action, AuditEvent, Outcome, Service

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rotation:
    """One rotation: when, the replaced token's creation time (None on old entries), and the
    names of the replaced token and its successor when it was made."""

    at: datetime.datetime
    created: datetime.datetime | None
    old: str
    new: str

    def replaced(self, name: str, created: datetime.datetime) -> bool:
        """Whether the token called `name` now, made at `created`, is the one this replaced."""
        if self.created is not None:
            return _second(self.created) == _second(created)
        return name == self.old and created <= self.at


def successors(
    *,
    server: str,
    listed: Collection[str],
    shown: Mapping[str, datetime.datetime],
    user: str = "",
    account: str = "",
) -> dict[str, str]:
    """{name: its successor's name} for the `shown` tokens rotated and not yet revoked.

    `listed` names every token the server lists now; `shown` gives the creation time of each
    token on the page (only those: a search redraws the page at every keystroke). A successor
    that is gone since, itself rotated, hands the mark on to its own successor (a chain of
    rotations left at **Later**). One indexed query, bounded by the oldest token shown.
    """
    if not shown:
        return {}
    rotations = _rotations(server, user, account, since=min(shown.values()))
    chain = {r.old: r.new for r in rotations}
    found: dict[str, str] = {}
    for rotation in rotations:
        for name, created in shown.items():
            if rotation.replaced(name, created):
                heir = _living_heir(rotation.new, chain, listed)
                if heir and heir != name:
                    found[name] = heir
    return found


def _living_heir(name: str, chain: Mapping[str, str], listed: Collection[str]) -> str:
    """`name`, or the first listed token down its chain of successors ("" when none is)."""
    seen = set()
    while name not in listed and name in chain and name not in seen:
        seen.add(name)
        name = chain[name]
    return name if name in listed else ""


def latest(
    *, server: str, old: str, new: str, user: str = "", account: str = ""
) -> Rotation | None:
    """The newest recorded rotation of the token then called `old` into `new`: what **Revoke
    the old token now** finishes. None: there is no such rotation (nothing to finish)."""
    found = [
        r for r in _rotations(server, user, account, since=None) if (r.old, r.new) == (old, new)
    ]
    return found[-1] if found else None


def marked(
    *,
    server: str,
    name: str,
    successor: str,
    listed: Mapping[str, datetime.datetime],
    user: str = "",
    account: str = "",
) -> Rotation | None:
    """The newest rotation that replaced the token called `name` now, whose successor (or the
    first listed token down its chain) is `successor`: the one the *rotated, not yet revoked*
    mark on `name`'s row names (`successors`), whatever the two were called then. `listed`
    gives the creation time of every token the server lists now."""
    if name not in listed:
        return None
    found = _rotations(server, user, account, since=None)
    chain = {r.old: r.new for r in found}
    replaced = [
        r
        for r in found
        if r.replaced(name, listed[name]) and _living_heir(r.new, chain, listed) == successor
    ]
    return replaced[-1] if replaced else None


def predecessors(
    rotations_of: Collection[Rotation], replaced: str, listed: Mapping[str, datetime.datetime]
) -> list[str]:
    """The listed tokens rotated into `replaced` and still there: they still work."""
    return [
        name
        for rotation in rotations_of
        if rotation.new == replaced
        for name, created in listed.items()
        if rotation.replaced(name, created)
    ]


def all_rotations(*, server: str, user: str = "", account: str = "") -> list[Rotation]:
    return _rotations(server, user, account, since=None)


def _rotations(
    server: str, user: str, account: str, *, since: datetime.datetime | None
) -> list[Rotation]:
    """The rotations on `server` (since `since`), oldest first; none when the trail cannot be
    read. WHM's own tokens are one user's (`user`); a cPanel account's are the account's,
    whoever rotated them (`account`)."""
    try:
        rows = _rotation_rows(server, user, account, since)
    except DatabaseError as exc:
        # The marks are a reminder; the table works without them.
        logger.warning("rotations not read: %s", type(exc).__name__)
        return []
    return [
        Rotation(at, created, *names)
        for at, created, names in rows
        if isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) for n in names)
    ]


def _rotation_rows(
    server: str, user: str, account: str, since: datetime.datetime | None
) -> list[tuple[object, ...]]:
    """(at, token_created, token_names) of the succeeded rotations, oldest first.

    Written as SQL, not built by the ORM: this runs on every table request (each search
    keystroke), and building the same filtered queryset cost about twenty times running it
    (bench/report.md). The values go through the backend's own adapters and converters."""
    sql, columns = _rotation_sql(by_account=bool(account), bounded=since is not None)
    params: list[object] = [Action.ROTATE, server, account, Outcome.SUCCEEDED]
    params += [] if account else [user, Service.WHM]
    params += [] if since is None else [connection.ops.adapt_datetimefield_value(since)]
    # A savepoint only inside a transaction: on PostgreSQL a failed query must not poison it.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [tuple(map(_converted, row, columns)) for row in rows]


def _rotation_sql(*, by_account: bool, bounded: bool) -> tuple[str, tuple[Col, ...]]:
    """The query, from the model's own table and column names (the values are parameters)."""
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    fields = ("at", "token_created", "token_names")
    columns = tuple(meta.get_field(name).get_col(meta.db_table) for name in fields)
    keys = ["action", "server", "account", "outcome"]
    keys += [] if by_account else ["whm_user", "service"]
    where = " AND ".join(f"{quote(meta.get_field(key).column)} = %s" for key in keys)
    when = quote(columns[0].target.column)
    where += f" AND {when} >= %s" if bounded else ""
    selected = ", ".join(quote(column.target.column) for column in columns)
    select = f"SELECT {selected} FROM {quote(meta.db_table)}"  # noqa: S608 - names, not values
    return f"{select} WHERE {where} ORDER BY {when}", columns


def _converted(value: object, column: Col) -> object:
    """A value as the ORM would return it (SQLite's text to an aware datetime, JSON to a list)."""
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    for convert in converters:
        value = convert(value, column, connection)
    return value


def _second(moment: datetime.datetime) -> int:
    return int(moment.timestamp())
