"""Keeps a worker's log to what happened: the quiet jobs of the schedule (housekeeping that looks
every few seconds or minutes and mostly finds nothing to do) are not logged as started and
finished at INFO. Their failures still are, and what they do is logged by the jobs themselves
(a read resumed, a notice retried or sent). Turn the "tokenui.background" logger to DEBUG to see
every run."""

from __future__ import annotations

import logging
from functools import cache


@cache
def _quiet_paths() -> frozenset[str]:
    from tokenui.background.schedule import quiet_paths  # the apps are loaded by the first record

    return quiet_paths()


class QuietHousekeeping(logging.Filter):
    """On the django.tasks (and django_tasks) loggers: drops the INFO records of a quiet job's
    task ("Task id=… path=… state=…"), keeping warnings and failures."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        if logging.getLogger("tokenui.background").isEnabledFor(logging.DEBUG):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(arg, str) and arg in _quiet_paths() for arg in args)
