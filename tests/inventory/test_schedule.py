"""The scheduler's claims, in this process: each slot of each scheduled job is enqueued once,
whichever worker comes first. (tests/inventory/test_workers.py runs two real workers.)"""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from tokenui.background.models import ScheduledRun
from tokenui.background.schedule import SCHEDULE
from tokenui.background.scheduler import claim_due

NOW = 1_800_000_000.0  # any moment; the slots are counted from it


def test_each_scheduled_job_is_enqueued_once_per_slot_whichever_worker_asks(db: None) -> None:
    jobs = [entry.job for entry in SCHEDULE]

    assert claim_due("worker-a", NOW) == jobs
    assert claim_due("worker-b", NOW) == []
    assert claim_due("worker-a", NOW + 1) == []

    assert ScheduledRun.objects.filter(worker="worker-b").count() == 0
    assert DBTaskResult.objects.count() == len(jobs)


def test_the_next_slot_is_enqueued_again(db: None, settings) -> None:
    settings.INVENTORY_MINUTES = 15
    claim_due("worker-a", NOW)

    later = claim_due("worker-b", NOW + 15 * 60)

    assert "inventory" in later
    assert ScheduledRun.objects.filter(job="inventory").count() == 2
