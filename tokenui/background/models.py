"""A scheduled job's slot, claimed by the one worker that enqueues it."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """Job `job`'s run for time slot `slot` (Unix seconds // its interval). The unique pair is
    what keeps several workers from running one slot twice: the first insert wins."""

    job = models.CharField(max_length=64)
    slot = models.BigIntegerField()
    worker = models.CharField(max_length=64, help_text="The worker that claimed the slot.")
    claimed = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot"),)

    def __str__(self) -> str:
        return f"{self.job} slot {self.slot} ({self.worker})"
