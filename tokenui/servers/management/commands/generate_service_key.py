"""`manage.py generate_service_key`: print a new key for SERVICE_KEYS (stored nowhere)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tokenui.servers.keys import new_key


class Command(BaseCommand):
    help = (
        "Print a new Fernet key as ID:KEY for the front of SERVICE_KEYS (or KEY alone, for a file "
        "named ID in SERVICE_KEYS_DIR). It is printed once and kept nowhere."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--id", help="the key's id (default: today's date, YYYY-MM-DD)")
        parser.add_argument("--bare", action="store_true", help="print the key alone, no ID:")

    def handle(self, *args: Any, **options: Any) -> None:
        key = new_key()
        key_id = options["id"] or timezone.now().strftime("%Y-%m-%d")
        self.stdout.write(key if options["bare"] else f"{key_id}:{key}")
