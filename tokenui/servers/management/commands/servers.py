"""`manage.py servers`: the connected servers and their service tokens (never the token)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tokenui.servers.listing import COLUMNS, row
from tokenui.servers.models import ConnectedServer


class Command(BaseCommand):
    help = (
        "List the connected servers: name, URL, WHM user, the service token's name, privileges, "
        "IPs and expiry, and flags (Full access, Any IP, TLS not verified). Tab-separated."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        servers = ConnectedServer.objects.all()
        if not servers:
            self.stderr.write("No server is connected; see manage.py connect_server --help.")
            return
        self.stdout.write("\t".join(COLUMNS))
        for server in servers:
            self.stdout.write("\t".join(row(server)))
