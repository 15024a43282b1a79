"""`manage.py export_audit`: the audit trail as JSON lines (or CSV), oldest first, in constant
memory."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tokenui.audit.models import AuditEvent, narrowed
from tokenui.kernel.export import neutralised

FIELDS = (
    "id",
    "at",
    "server",
    "service",
    "whm_user",
    "account",
    # The staff member who acted through the WHM user above (username, single sign-on subject).
    "staff",
    "staff_subject",
    "auth_kind",
    "session_token_name",
    "client_address",
    "action",
    "token_names",
    "outcome",
    "reason",
)
CHUNK = 500  # rows held at a time (read through a server-side cursor on PostgreSQL)


def iso_moment(value: str) -> datetime:
    """An ISO date or date-time; without an offset it is read in WHM_TIME_ZONE, as the audit
    page shows times."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date such as 2026-03-01 or 2026-03-01T09:30:00+00:00."
        ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.WHM_TIME_ZONE))
    return moment


class Command(BaseCommand):
    help = (
        "Export audit events as JSON lines (one object per event, oldest first, ISO 8601 "
        "times in UTC), or with --format csv as CSV, to stdout or --output FILE."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--server", help="only events on this WHM server (its name)")
        parser.add_argument("--user", help="only events of this WHM user")
        parser.add_argument("--staff", help="only events of this staff member (their username)")
        parser.add_argument(
            "--account", help="only events on this cPanel account (its own user's, and WHM's)"
        )
        parser.add_argument(
            "--since",
            type=iso_moment,
            help="only events at or after this ISO date or date-time (default zone: WHM_TIME_ZONE)",
        )
        parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
        parser.add_argument(
            "--format", choices=("json", "csv"), default="json", help="JSON lines (default) or CSV"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        events = narrowed(
            AuditEvent.objects.order_by("at", "id"),
            server=options["server"],
            whm_user=options["user"],
            staff=options["staff"],
            account=options["account"],
            at__gte=options["since"],
        )
        rows = events.values(*FIELDS).iterator(chunk_size=CHUNK)
        lines = csv_lines(rows) if options["format"] == "csv" else json_lines(rows)
        output: Path | None = options["output"]
        if output is None:
            _write(lines, self.stdout.write)  # OutputWrapper ends each line
            return
        with output.open("w", encoding="utf-8", newline="") as file:
            count = _write(lines, lambda line: file.write(line + "\n"))
        count -= options["format"] == "csv"  # the header is not an event
        self.stdout.write(f"Wrote {count} audit event{'s' if count != 1 else ''} to {output}.")


def json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        row["at"] = row["at"].isoformat()
        yield json.dumps(row)


def csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A header, then a line per event; several token names in one cell, space-separated. A
    cell a spreadsheet would run as a formula (a name may start with "-") is made plain text."""
    yield _csv_line(FIELDS)
    for row in rows:
        row["at"] = row["at"].isoformat()
        row["token_names"] = " ".join(row["token_names"])
        yield _csv_line(neutralised(str(row[name] or "")) for name in FIELDS)


def _csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _write(lines: Iterator[str], write: Callable[[str], object]) -> int:
    """Write each line; how many."""
    count = 0
    for line in lines:
        write(line)
        count += 1
    return count
