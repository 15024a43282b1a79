"""The schedule: every job that runs by itself, and how often. The one place it is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.tasks import Task

from tokenui.inventory import tasks as inventory
from tokenui.inventory.storing import lease_seconds
from tokenui.notices import tasks as notices
from tokenui.servers import tasks as servers


@dataclass(frozen=True, slots=True)
class Scheduled:
    """`task` (taking no arguments), enqueued once every `seconds()`, by one worker.

    A `quiet` job is housekeeping that looks often and mostly finds nothing to do: its runs are
    not logged at INFO (tokenui.background.quiet), only what it does and how it fails."""

    job: str
    task: Task
    seconds: Callable[[], int]
    quiet: bool = False


PRUNE_SECONDS = 3600


def _inventory_seconds() -> int:
    return settings.INVENTORY_MINUTES * 60


def _hourly() -> int:
    return 60 * 60


def _notice_retry_seconds() -> int:
    return settings.NOTICE_RETRY_SECONDS


# How often a worker looks whether the day's digest is due (it goes once a day, at NOTICE_HOUR).
NOTICE_LOOK_SECONDS = 300


SCHEDULE: tuple[Scheduled, ...] = (
    # Every connected server's tokens (INVENTORY_MINUTES).
    Scheduled("inventory", inventory.inventory_all, _inventory_seconds),
    # A read whose worker died under way is asked for again once its lease has run out.
    Scheduled("inventory-resume", inventory.resume_abandoned, lease_seconds, quiet=True),
    # Each service token within SERVICE_ROTATE_DAYS of its expiry, rotated by TokenUI itself.
    Scheduled("service-token-rotation", servers.rotate_due, _hourly),
    # Tokens gone, and History, older than INVENTORY_KEEP_DAYS, once an hour.
    Scheduled("inventory-prune", inventory.prune, lambda: PRUNE_SECONDS),
    # The daily digest of expiry notices, once NOTICE_HOUR has come (tokenui.notices.tasks).
    Scheduled("notices", notices.send_daily, lambda: NOTICE_LOOK_SECONDS, quiet=True),
    # Failed notices tried again when their wait is over.
    Scheduled("notices-retry", notices.retry_due, _notice_retry_seconds, quiet=True),
)


def quiet_paths() -> frozenset[str]:
    """The dotted paths of the quiet jobs' tasks, as django.tasks names them in its log."""
    return frozenset(entry.task.module_path for entry in SCHEDULE if entry.quiet)
