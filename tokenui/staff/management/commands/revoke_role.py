"""`manage.py revoke_role ROLE (--user NAME | --group NAME) [--server NAME]`: take a role away."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.staff.management.commands.grant import add_role_arguments
from tokenui.staff.models import Role
from tokenui.staff.roles import Holder, RoleError, revoke_role, server_named, shell_staff


class Command(BaseCommand):
    help = "Take a staff role away from a user or group, on a server or (without --server) all."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_role_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        holder = Holder(user=options["user"] or "", group=options["group"] or "")
        try:
            server = server_named(options["server"])
            done = revoke_role(Role(options["role"]), holder, server, shell_staff())
        except RoleError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Revoked: {done}")
