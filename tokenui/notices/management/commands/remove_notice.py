"""`manage.py remove_notice ID`: remove an expiry notice rule."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokenui.notices.rules import RuleError, remove_rule
from tokenui.staff.roles import shell_staff


class Command(BaseCommand):
    help = "Remove an expiry notice rule (its id, as list_notices shows it)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("rule", type=int)

    def handle(self, *args: Any, rule: int, **options: Any) -> None:
        try:
            removed = remove_rule(rule, shell_staff())
        except RuleError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Removed notice rule {rule}: {removed.to}.")
