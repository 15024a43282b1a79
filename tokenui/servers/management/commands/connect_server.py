"""`manage.py connect_server NAME URL --username USER`: connect a WHM server with TokenUI's own
least-privilege API token (the password, or with --token the API token, read from stdin)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tokenui.servers.lifecycle import Connection, connect_server, keyring
from tokenui.servers.listing import described
from tokenui.servers.remote import ServerError


class Command(BaseCommand):
    help = (
        "Sign in to WHM once with USER's password (or, with --token, an API token), read from "
        "standard input; make TokenUI's own API token tokenui-NAME there, holding only what "
        "TokenUI uses and bound to SERVICE_IP_ALLOWLIST; store only that token, encrypted. "
        "Connecting a server again replaces its token and revokes the old one."
    )
    # call_command(..., stdin=...) in tests, as Django's createsuperuser takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the server's name in TokenUI (1-42 of A-Z a-z 0-9 _ -)")
        parser.add_argument("url", help="WHM's base URL, e.g. https://whm.example.com:2087")
        parser.add_argument("--username", required=True, help="the WHM user to sign in as")
        parser.add_argument(
            "--token", action="store_true", help="read an API token from stdin, not a password"
        )
        parser.add_argument("--ca-bundle", default="", help="PEM file of WHM's certificate's CA")
        parser.add_argument(
            "--insecure",
            action="store_true",
            help="do not verify WHM's TLS certificate (recorded, and shown as a flag)",
        )
        parser.add_argument(
            "--full-access",
            action="store_true",
            help="make the token with `all` (every privilege) instead of the least TokenUI needs",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = "token" if options["token"] else "password"
        try:
            keyring()  # before the admin types a password that could not be kept
        except ServerError as exc:
            raise CommandError(exc.message) from None
        connection = Connection(
            name=options["name"],
            url=options["url"],
            username=options["username"],
            secret=_read_secret(options.get("stdin") or sys.stdin, kind),
            kind=kind,
            ca_bundle=options["ca_bundle"],
            insecure=options["insecure"],
            full_access=options["full_access"],
        )
        try:
            done = connect_server(connection)
        except ServerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Connected {done.server.name}.")
        self.stdout.write(described(done.server))
        for note in done.notes:
            self.stderr.write(note)
        self.stdout.write(
            f"Its API tokens appear on All servers after its first read: the schedule's, within "
            f"{settings.INVENTORY_MINUTES} minutes, or at once with `manage.py inventory --server "
            f"{done.server.name}` (or Refresh now)."
        )


def _read_secret(stdin: TextIO, kind: str) -> str:
    """One line from stdin (no echo at a terminal); the line break is not part of it."""
    what = "API token" if kind == "token" else "password"
    if stdin.isatty():
        secret = getpass.getpass(f"WHM {what}: ", stream=sys.stderr)
    else:
        secret = stdin.readline().rstrip("\r\n")
    if not secret:
        raise CommandError(f"No {what} on standard input.")
    return secret
