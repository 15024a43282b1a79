"""`manage.py rotate_service_keys`: seal every service token again under the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.sealing import RESEALERS
from tokenui.servers.lifecycle import keyring, reseal_all
from tokenui.servers.remote import ServerError


class Command(BaseCommand):
    help = (
        "Re-encrypt every connected server's service token (and every other value sealed with "
        "the service keys, such as notice rules' webhook secrets) under the newest service key "
        "(the first in SERVICE_KEYS, or the last-named file in SERVICE_KEYS_DIR). Afterwards the "
        "older keys open nothing and can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            keys = keyring()
            moved = reseal_all(keys)
        except ServerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Re-encrypted {moved} service token{'' if moved == 1 else 's'} under key "
            f"{keys.newest_id}; every service token is now under it."
        )
        for what, reseal in RESEALERS.items():
            self.stdout.write(f"Re-encrypted {reseal(keys)} {what} under key {keys.newest_id}.")
