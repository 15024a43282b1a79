"""`manage.py send_notices`: send the expiry notices due now, at once (not waiting for
NOTICE_HOUR), and try again the deliveries waiting for a retry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tokenui.notices.digest import not_told
from tokenui.notices.tasks import send_now


class Command(BaseCommand):
    help = (
        "Send the expiry notices and risky-token alerts due now, and retry failed deliveries "
        "whose wait is over. Each token is told of once at each threshold: running it again "
        "sends nothing new."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        ended = send_now(now)
        sent, pending, failed = (ended.get(s, 0) for s in ("sent", "pending", "failed"))
        self.stdout.write(f"Notices: {sent} sent, {pending} to retry, {failed} failed for good.")
        if pending or failed:
            self.stdout.write("The delivery log (Notices, Delivery log) says why.")
        skipped = not_told(now)
        if skipped:
            self.stdout.write(f"Not told, no e-mail address: {', '.join(skipped)}.")
