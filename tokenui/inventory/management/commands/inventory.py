"""`manage.py inventory [--server NAME] [--wait]`: ask the workers to read connected servers'
tokens now, and with --wait, say how each read ended."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.timesince import timesince

from tokenui.inventory.models import InventoryRun
from tokenui.inventory.tasks import request
from tokenui.servers.models import ConnectedServer, named
from tokenui.servers.remote import ServerError

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Read every connected server's tokens now (or --server NAME's), in the background; "
        "--wait waits for the workers (manage.py worker) and says how each read ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", metavar="NAME", help="Only this connected server.")
        parser.add_argument("--wait", action="store_true", help="Wait until each read ends.")
        parser.add_argument(
            "--timeout", type=float, default=600, help="With --wait: give up after SECONDS."
        )

    def handle(self, *args: Any, server: str | None, wait: bool, **options: Any) -> None:
        servers = self._servers(server)
        asked = {item.pk: request(item.pk) for item in servers}
        for item in servers:
            self.stdout.write(f"{item.name}: read asked for.")
        if wait:
            self._wait(servers, asked, options["timeout"])

    def _servers(self, name: str | None) -> list[ConnectedServer]:
        try:
            servers = [named(name)] if name else list(ConnectedServer.objects.all())
        except ServerError as exc:
            raise CommandError(exc.message) from exc
        if not servers:
            raise CommandError("No server is connected (manage.py connect_server).")
        return servers

    def _wait(
        self, servers: list[ConnectedServer], asked: dict[int, datetime], timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        waiting = {item.pk: item for item in servers}
        failed = []
        while waiting and time.monotonic() < deadline:
            for run in InventoryRun.objects.filter(server_id__in=list(waiting)):
                if run.done_since(asked[run.server_id]):
                    item = waiting.pop(run.server_id)
                    self.stdout.write(f"{item.name}: {ended(run)}")
                    failed += [item.name] if run.failed else []
            time.sleep(POLL_SECONDS if waiting else 0)
        if waiting:
            names = ", ".join(item.name for item in waiting.values())
            raise CommandError(
                f"No worker finished reading {names} within {timeout:g} seconds: is "
                "`manage.py worker` running?"
            )
        if failed:
            raise CommandError(f"Could not read {', '.join(failed)}; their last inventory stays.")


def ended(run: InventoryRun) -> str:
    """How a server's last read ended, in words: what it found, or WHM's words and the age of
    the inventory kept."""
    tokens = run.server.tokens.filter(gone__isnull=True).count()
    if not run.failed:
        unread = f"; could not read {'; '.join(run.problems)}" if run.problems else ""
        return f"{tokens} tokens{unread}."
    if run.read is None:
        return f"could not be read: {run.error} It has never been read."
    return (
        f"could not be read: {run.error} Keeping the {tokens} tokens read "
        f"{timesince(run.read)} ago."
    )
