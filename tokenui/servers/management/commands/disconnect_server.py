"""`manage.py disconnect_server NAME`: revoke TokenUI's service token in WHM, forget the server."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.servers.models import named
from tokenui.servers.remote import ServerError


class Command(BaseCommand):
    help = (
        "Revoke TokenUI's service token on the server in WHM and forget the server. If WHM "
        "cannot revoke it, nothing changes, unless --force: then the server is forgotten and "
        "the token is left for you to revoke in WHM."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the connected server's name (manage.py servers)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="forget the server even when WHM cannot revoke its token",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            server = named(options["name"])
        except ServerError as exc:
            raise CommandError(exc.message) from None
        try:
            left = server.disconnect(force=options["force"])
        except ServerError as exc:
            raise CommandError(f"{exc.message} (--force forgets the server anyway.)") from None
        if left:
            self.stderr.write(left)
            self.stdout.write(f"Disconnected {server.name}; its token was NOT revoked.")
        else:
            revoked = server.token_name
            self.stdout.write(f"Disconnected {server.name}: its token {revoked} is revoked.")
