"""`manage.py prune_audit`: delete audit rows older than AUDIT_RETENTION_DAYS (run it daily)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tokenui.audit.models import AuditEvent


def days(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 36500:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days from 1 to 36500.")
    return number


class Command(BaseCommand):
    help = (
        "Delete audit events older than AUDIT_RETENTION_DAYS days (or --days), on every server "
        "and for every user. --dry-run only counts them."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--days", type=days, help="keep this many days instead of AUDIT_RETENTION_DAYS"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep = options["days"] or settings.AUDIT_RETENTION_DAYS
        cutoff = timezone.now() - timedelta(days=keep)
        old = AuditEvent.objects.filter(at__lt=cutoff)
        when = (
            f"older than {keep} day{'s' if keep != 1 else ''} (before {cutoff:%Y-%m-%d %H:%M} UTC)"
        )
        if options["dry_run"]:
            count = old.count()
            self.stdout.write(f"Would delete {count} audit event{_s(count)} {when}.")
            return
        # One DELETE statement: the model has no signals or relations for Django to walk.
        count, _ = old.delete()
        self.stdout.write(f"Deleted {count} audit event{_s(count)} {when}.")


def _s(count: int) -> str:
    return "" if count == 1 else "s"
