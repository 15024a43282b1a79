"""The notices' background tasks (django.tasks): the daily digest, and the retries of failed
deliveries. Both may run twice without harm: a notice is made once, ever, and a delivery is
claimed before it is tried."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from tokenui.notices import delivery, digest
from tokenui.notices.models import NoticeDay

logger = logging.getLogger(__name__)


def send_now(now: datetime | None = None) -> dict[str, int]:
    """One run: make the deliveries due at `now`, then try every delivery due (these and
    earlier ones waiting for a retry); how many ended each way."""
    now = now or timezone.now()
    digest.run(now)
    return retry(now)


def retry(now: datetime | None = None) -> dict[str, int]:
    """Try every delivery whose next try is due; how many ended each way."""
    now = now or timezone.now()
    ended: dict[str, int] = {}
    for delivery_id in delivery.due(now):
        status = delivery.attempt(delivery_id, now)
        if status is not None:
            ended[status] = ended.get(status, 0) + 1
    return ended


def notice_day(now: datetime) -> date:
    """The day whose digest is due at `now`: today from NOTICE_HOUR (WHM_TIME_ZONE), else
    yesterday."""
    local = now.astimezone(zoneinfo.ZoneInfo(settings.WHM_TIME_ZONE))
    return (local - timedelta(hours=settings.NOTICE_HOUR)).date()


def claim_day(now: datetime) -> bool:
    """Claim the digest due at `now`; False when a run has it already."""
    try:
        with transaction.atomic():
            NoticeDay.objects.create(day=notice_day(now), started=now)
    except IntegrityError:
        return False
    return True


@task(queue_name=settings.TASK_QUEUE)
def send_daily() -> dict[str, int]:
    """The schedule's look (every few minutes): send the day's digest once NOTICE_HOUR has come,
    unless it went already (a worker started later in the day sends it then)."""
    now = timezone.now()
    if not claim_day(now):
        return {}
    ended = send_now(now)
    logger.info(
        "notices: the digest of %s, deliveries by how they ended: %s", notice_day(now), ended
    )
    return ended


@task(queue_name=settings.TASK_QUEUE)
def retry_due() -> dict[str, int]:
    """The schedule's retry of failed deliveries (every NOTICE_RETRY_SECONDS)."""
    ended = retry()
    if ended:  # the schedule runs this quietly: say what it did
        logger.info("notices: retried deliveries, by how they ended: %s", ended)
    return ended
