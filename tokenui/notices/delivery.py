"""Sending a delivery, and trying again: each failure waits twice as long as the one before
(NOTICE_RETRY_SECONDS, then 2x, 4x... at most four hours), until a day after the delivery was
made; then it is failed for good. A try claims its delivery first (a conditional update), so
two workers never send one delivery at once, and a sent one is never sent again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from tokenui.notices import mail, webhooks
from tokenui.notices.models import Delivery, Recipient, Status
from tokenui.notices.rules import open_secret
from tokenui.notices.webhooks import DeliveryError

logger = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)
LONGEST_WAIT = timedelta(hours=4)
# A try under way holds its delivery this long; a worker that dies in it leaves it to a retry.
LEASE = timedelta(minutes=5)


def wait_after(failures: int) -> timedelta:
    """How long the retry after the `failures`-th failed try waits."""
    base = timedelta(seconds=settings.NOTICE_RETRY_SECONDS)
    return min(base * 2 ** min(failures - 1, 20), LONGEST_WAIT)


def due(now: datetime) -> list[int]:
    """The pending deliveries whose next try is due."""
    pending = Delivery.objects.filter(status=Status.PENDING, next_attempt__lte=now)
    return list(pending.order_by("next_attempt").values_list("pk", flat=True))


def attempt(delivery_id: int, now: datetime | None = None) -> str | None:
    """Try one delivery if it is due and no one else is trying it; its status after, or None
    when it was not ours to try."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt__lte=now
    ).update(next_attempt=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("rule").get(pk=delivery_id)
    try:
        send(delivery)
    except DeliveryError as exc:
        return failed(delivery, exc.message, now)
    Delivery.objects.filter(pk=delivery_id).update(
        status=Status.SENT, finished=timezone.now(), next_attempt=None, error=""
    )
    return Status.SENT


def send(delivery: Delivery) -> None:
    """Send one delivery's fixed content; DeliveryError saying why it did not arrive."""
    if delivery.channel == "mail":
        mail.send(delivery.to, delivery.subject, delivery.body, delivery.html)
        return
    rule = delivery.rule
    if rule is None or rule.recipient != Recipient.WEBHOOK:
        raise DeliveryError("Its rule was removed, and with it the webhook's URL and secret.")
    call = webhooks.Post(
        rule.webhook_url,
        delivery.body.encode(),
        {"X-TokenUI-Delivery": str(delivery.pk), "X-TokenUI-Event": delivery.event},
    )
    webhooks.post(call, open_secret(rule), allow_private=settings.WEBHOOK_ALLOW_PRIVATE)


def failed(delivery: Delivery, reason: str, now: datetime) -> str:
    """Record a failed try: due again after its wait, or failed for good a day on."""
    deadline = delivery.created + GIVE_UP_AFTER
    logger.warning(
        "notices: delivery %s failed (try %s): %s", delivery.pk, delivery.attempts, reason
    )
    if now >= deadline:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Status.FAILED, finished=now, next_attempt=None, error=reason
        )
        return Status.FAILED
    retry = min(now + wait_after(delivery.attempts), deadline)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt=retry, error=reason)
    return Status.PENDING
