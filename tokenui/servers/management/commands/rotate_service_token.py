"""`manage.py rotate_service_token NAME`: replace a connected server's service token now."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.servers.lifecycle import rotate_service_token
from tokenui.servers.listing import described
from tokenui.servers.models import named
from tokenui.servers.remote import ServerError


class Command(BaseCommand):
    help = (
        "Rotate a connected server's service token as TokenUI's Rotate does: make its successor "
        "(same privileges and IPs, SERVICE_TOKEN_DAYS from now), store it, revoke the old one."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the connected server's name (manage.py servers)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            server = named(options["name"])
            old = server.token_name
            done = rotate_service_token(server)
        except ServerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Rotated {server.name}'s service token: {old} → {server.token_name}.")
        self.stdout.write(described(done.server))
        for note in done.notes:
            self.stderr.write(note)
        if done.notes:
            raise CommandError("The new token is stored and in use; the old one is not revoked.")
