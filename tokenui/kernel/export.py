"""Export CSV and Export JSON of a token table as it is filtered, written as a stream.

One writer for the single-server table and the fleet view: each gives `ExportRow`s (a generator
is fine) and gets back a response that writes them a row at a time, so 10,000 rows never sit in
memory as one file. A row holds what the table shows and the privileges, never a secret.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.http import StreamingHttpResponse

from tokenui.kernel.display import Expiry, compressed_ip, expiry_state
from tokenui.risk import Flag, flags
from tokenui.whm.types import FULL_ACCESS, ApiToken, CpanelToken, TokenSummary

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
COLUMNS = (
    "server",
    "user",
    "name",
    "created",
    "expires",
    "state",
    "ips",
    "privileges",
    "flags",
)
# The export's words for the table's expiry states; any other is "valid".
_STATES = {Expiry.EXPIRED: "expired", Expiry.SOON: "expiring"}
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's list): a token
# name may begin with "-". Such a cell is written with a leading apostrophe, read as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Spreadsheets read these too: leading white space before a formula, and the fullwidth signs.
_FORMULA_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass(frozen=True, slots=True)
class ExportRow:
    server: str
    user: str
    name: str
    created: datetime
    expires: datetime | None  # None = never
    state: str  # "expired", "expiring" (within EXPIRY_WARNING_DAYS) or "valid"
    ips: tuple[str, ...]  # () = any IP address (and for cPanel's tokens, which have no list)
    privileges: tuple[str, ...]  # ("all",) for full access; () where the list was not read
    flags: tuple[Flag, ...]


def export_row(
    token: ApiToken | TokenSummary | CpanelToken,
    *,
    server: str,
    user: str,
    now: datetime,
    warning_days: int,
    held_acls: Iterable[str] | None = None,
) -> ExportRow:
    """A token as a row of the export, its state and flags as of `now`."""
    privileges, ips = _privileges_and_ips(token)
    expiry, _ = expiry_state(token.expires, now=now, warning_days=warning_days)
    return ExportRow(
        server=server,
        user=user,
        name=token.name,
        created=token.created,
        expires=token.expires,
        state=state_word(expiry),
        ips=ips,
        privileges=privileges,
        flags=flags(token, held_acls=held_acls, now=now),
    )


def state_word(expiry: Expiry) -> str:
    """The export's word for a table's expiry state: "expired", "expiring" or "valid"."""
    return _STATES.get(expiry, "valid")


def _privileges_and_ips(
    token: ApiToken | TokenSummary | CpanelToken,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The row's privileges and IPs: a summary's list was not read, cPanel's tokens have none."""
    if isinstance(token, ApiToken):
        privileges = (FULL_ACCESS,) if token.has_full_access else tuple(sorted(token.acls))
        return privileges, _compressed(token.whitelist_ips)
    if isinstance(token, CpanelToken):
        return ((FULL_ACCESS,) if token.full_access else token.features), ()
    return ((FULL_ACCESS,) if token.full_access else ()), _compressed(token.whitelist_ips)


def _compressed(ips: tuple[str, ...]) -> tuple[str, ...]:
    """IPv6 entries as the table shows them (`2001:db8::/32`), not as WHM stores them."""
    return tuple(map(compressed_ip, ips))


def response(rows: Iterable[ExportRow], *, kind: str, servers: Sequence[str], today: date):
    """A streamed download of `rows`, named for the server(s) and the day."""
    lines = csv_lines(rows) if kind == "csv" else json_lines(rows)
    reply = StreamingHttpResponse(lines, content_type=FORMATS[kind])
    reply["Content-Disposition"] = f'attachment; filename="{file_name(servers, today, kind)}"'
    # A list of tokens and privileges: not for any cache between here and the user.
    reply["Cache-Control"] = "private, no-store"
    return reply


def file_name(servers: Sequence[str], today: date, kind: str) -> str:
    """`api-tokens_<server>[_<server>…]_<YYYY-MM-DD>.<kind>`, in characters safe in a header."""
    names = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", server) for server in servers) or "none"
    return f"api-tokens_{names[:150]}_{today.isoformat()}.{kind}"


def csv_lines(rows: Iterable[ExportRow]) -> Iterator[str]:
    """The header, then one CSV line per row (several values in a cell joined by spaces)."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow(COLUMNS)
    yield line.take()
    for row in rows:
        writer.writerow(
            [
                neutralised(row.server),
                neutralised(row.user),
                neutralised(row.name),
                iso(row.created),
                iso(row.expires) if row.expires else "",
                row.state,
                neutralised(" ".join(row.ips)),
                neutralised(" ".join(row.privileges)),
                neutralised("; ".join(flag.words for flag in row.flags)),
            ]
        )
        yield line.take()


def json_lines(rows: Iterable[ExportRow]) -> Iterator[str]:
    """A JSON array of objects, written one object at a time."""
    yield "["
    separator = "\n"
    for row in rows:
        record = {
            "server": row.server,
            "user": row.user,
            "name": row.name,
            "created": iso(row.created),
            "expires": iso(row.expires) if row.expires else None,
            "state": row.state,
            "ips": list(row.ips),
            "privileges": list(row.privileges),
            "flags": [flag.key for flag in row.flags],
        }
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def neutralised(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text."""
    risky = cell.startswith(_FORMULA_START) or cell.lstrip().startswith(_FORMULA_SIGNS)
    return "'" + cell if risky else cell


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC, to the second: `2026-12-01T22:50:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Line:
    """What csv.writer writes, taken a line at a time."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text
