"""`manage.py grant ROLE (--user NAME | --group NAME) [--server NAME]`: give a staff role."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.staff.models import Role
from tokenui.staff.roles import Holder, RoleError, grant, server_named, shell_staff


def add_role_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("role", choices=[role.value for role in Role])
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="a staff user's username")
    who.add_argument("--group", help="a group's name (as the single sign-on groups claim has it)")
    parser.add_argument("--server", help="a connected server's name; without it, every server")


class Command(BaseCommand):
    help = "Give a staff user or group a role (viewer, operator, admin) on a server or all."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_role_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        holder = Holder(user=options["user"] or "", group=options["group"] or "")
        try:
            server = server_named(options["server"])
            done = grant(Role(options["role"]), holder, server, shell_staff())
        except RoleError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Granted {done}")
