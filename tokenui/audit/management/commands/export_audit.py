"""`manage.py export_audit`: the audit trail as JSON lines, oldest first, in constant memory."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tokenui.audit.models import AuditEvent, narrowed

FIELDS = (
    "id",
    "at",
    "server",
    "service",
    "whm_user",
    "account",
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
        "times in UTC) to stdout or --output FILE."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--server", help="only events on this WHM server (its name)")
        parser.add_argument("--user", help="only events of this WHM user")
        parser.add_argument(
            "--account", help="only events on this cPanel account (its own user's, and WHM's)"
        )
        parser.add_argument(
            "--since",
            type=iso_moment,
            help="only events at or after this ISO date or date-time (default zone: WHM_TIME_ZONE)",
        )
        parser.add_argument("--output", type=Path, help="write to this file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        events = narrowed(
            AuditEvent.objects.order_by("at", "id"),
            server=options["server"],
            whm_user=options["user"],
            account=options["account"],
            at__gte=options["since"],
        )
        rows = events.values(*FIELDS).iterator(chunk_size=CHUNK)
        output: Path | None = options["output"]
        if output is None:
            _write(rows, self.stdout.write)  # OutputWrapper ends each line
            return
        with output.open("w", encoding="utf-8") as file:
            count = _write(rows, lambda line: file.write(line + "\n"))
        self.stdout.write(f"Wrote {count} audit event{'s' if count != 1 else ''} to {output}.")


def _write(rows: Any, write: Callable[[str], object]) -> int:
    count = 0
    for row in rows:
        row["at"] = row["at"].isoformat()
        write(json.dumps(row))
        count += 1
    return count
