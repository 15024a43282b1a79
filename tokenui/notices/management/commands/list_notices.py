"""`manage.py list_notices`: the expiry notice rules (never a webhook's secret)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tokenui.notices.models import NoticeRule
from tokenui.notices.rules import days_words


class Command(BaseCommand):
    help = "List the expiry notice rules: id, recipient, scope, thresholds, risky alerts."

    def handle(self, *args: Any, **options: Any) -> None:
        rules = NoticeRule.objects.select_related("user", "group").prefetch_related("servers")
        for rule in rules:
            servers = ", ".join(server.name for server in rule.servers.all()) or "all servers"
            owners = ", ".join(rule.owners) or "all owners"
            risky = "; risky new tokens" if rule.risky else ""
            self.stdout.write(
                f"{rule.pk}\t{rule.to}\t{servers}; {owners}\tdays {days_words(rule.days)}{risky}"
            )
        if not rules:
            self.stdout.write("No notice rules yet: add one with manage.py add_notice.")
