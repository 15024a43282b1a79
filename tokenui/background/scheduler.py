"""The scheduler each worker runs beside its tasks: every few seconds it claims the current slot
of each scheduled job and enqueues the job, so the schedule keeps running while any worker does,
and no slot is ever enqueued by two of them."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from tokenui.background.models import ScheduledRun
from tokenui.background.schedule import SCHEDULE, Scheduled

logger = logging.getLogger(__name__)

TICK_SECONDS = 5.0
# Claimed slots are kept this long (a record of what ran), then deleted.
KEEP_CLAIMS = timedelta(days=2)


def claim_due(worker: str, now: float | None = None) -> list[str]:
    """Enqueue every scheduled job whose current slot no worker has claimed yet; the jobs this
    worker enqueued."""
    moment = time.time() if now is None else now
    return [
        entry.job for entry in SCHEDULE if _claim(entry, int(moment) // entry.seconds(), worker)
    ]


def _claim(entry: Scheduled, slot: int, worker: str) -> bool:
    """Claim `slot` of `entry` and enqueue it: in one transaction with the database backend; with
    RQ only once the claim is committed, so a worker that dies in between skips a slot rather
    than lets another worker run it again."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=entry.job, slot=slot, worker=worker)
            if settings.TASK_BACKEND == "database":
                entry.task.enqueue()
            else:
                transaction.on_commit(entry.task.enqueue)
    except IntegrityError:
        return False  # another worker has it
    except DatabaseError as exc:  # SQLite busy, PostgreSQL restarting: the next tick tries again
        logger.warning("scheduler: could not claim %s (%s)", entry.job, exc)
        return False
    level = logging.DEBUG if entry.quiet else logging.INFO
    logger.log(level, "scheduler: %s enqueued for slot %s by %s", entry.job, slot, worker)
    return True


def forget_old_claims() -> None:
    ScheduledRun.objects.filter(claimed__lt=timezone.now() - KEEP_CLAIMS).delete()


class Scheduler(threading.Thread):
    """A daemon thread: `claim_due` now, then every TICK_SECONDS until `stop()`."""

    def __init__(self, worker: str, tick: float = TICK_SECONDS) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.worker = worker
        self.tick = tick
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            self._tick()
            if self._stopped.wait(self.tick):
                return

    def _tick(self) -> None:
        try:
            close_old_connections()
            claim_due(self.worker)
            forget_old_claims()
        except Exception:  # the schedule must outlive one bad tick
            logger.exception("scheduler: tick failed")
        finally:
            close_old_connections()

    def stop(self) -> None:
        self._stopped.set()
