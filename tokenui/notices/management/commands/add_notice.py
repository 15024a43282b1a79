"""`manage.py add_notice (--email ADDRESS | --webhook URL --secret SECRET | --user NAME |
--group NAME) [--days 60,30,7,1,expired] [--server NAME] [--owner NAME] [--risky]`."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from tokenui.notices.models import DEFAULT_DAYS, Recipient
from tokenui.notices.rules import RuleError, RuleSpec, add_rule, days_words, parse_days
from tokenui.staff.roles import shell_staff


class Command(BaseCommand):
    help = (
        "Add an expiry notice rule: who is told (an address, a webhook, a staff user or a "
        "group), of which servers' and owners' tokens, at which thresholds."
    )
    # call_command(..., stdin=...) in tests, as connect_server takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        to = parser.add_mutually_exclusive_group(required=True)
        to.add_argument("--email", help="an e-mail address")
        to.add_argument("--webhook", metavar="URL", help="an https:// URL to POST to")
        to.add_argument("--user", help="a staff user (their e-mail address)")
        to.add_argument("--group", help="a group (its members' e-mail addresses)")
        parser.add_argument(
            "--secret", help="the webhook's signing secret (16+ characters); - reads it from stdin"
        )
        parser.add_argument(
            "--days",
            default=days_words(DEFAULT_DAYS),
            help="thresholds: days before expiry, and 'expired' (default 60,30,7,1,expired)",
        )
        parser.add_argument("--server", action="append", default=[], help="repeat for several")
        parser.add_argument("--owner", action="append", default=[], help="repeat for several")
        parser.add_argument("--risky", action="store_true", help="also alert on risky new tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            stdin = options.get("stdin") or sys.stdin
            spec = RuleSpec(**_recipient(options, stdin), **_scope(options))
            rule = add_rule(spec, shell_staff())
        except (RuleError, ValueError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from None
        self.stdout.write(f"Added notice rule {rule.pk}: {rule.to}.")


def _recipient(options: dict[str, Any], stdin: TextIO) -> dict[str, Any]:
    for kind in (Recipient.EMAIL, Recipient.USER, Recipient.GROUP):
        if options[kind.value]:
            if options["secret"]:
                raise ValueError("--secret goes with --webhook only.")
            return {"recipient": kind, "to": options[kind.value]}
    given = options["secret"] or ""
    if not given:
        raise ValueError("A webhook needs --secret SECRET (or --secret - to read it from stdin).")
    from_stdin = given == "-"
    return {
        "recipient": Recipient.WEBHOOK,
        "to": options["webhook"],
        "secret": stdin.readline().rstrip("\r\n") if from_stdin else given,
    }


def _scope(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "days": parse_days(options["days"]),
        "servers": tuple(options["server"]),
        "owners": tuple(options["owner"]),
        "risky": options["risky"],
    }
