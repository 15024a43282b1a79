"""`manage.py worker`: run background tasks on the configured backend, with the schedule."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string

from tokenui.background.scheduler import TICK_SECONDS, Scheduler

# RQ runs each job in the worker's own process (no fork per job): the scheduler thread and the
# database connections stay in one process, and killing the worker kills the job it runs.
RQ_WORKER_CLASS = "rq.worker.SimpleWorker"
# django-tasks-rq's job class: it runs a django.tasks Task and records its result.
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


class Command(BaseCommand):
    help = (
        "Run background tasks (TASK_BACKEND: database or rq) from TASK_QUEUE, and the schedule "
        "(inventory every INVENTORY_MINUTES). Any number may run: each scheduled slot runs once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tick",
            type=float,
            default=TICK_SECONDS,
            help="Seconds between the scheduler's looks at the schedule.",
        )

    def handle(self, *args: Any, tick: float, **options: Any) -> None:
        name = f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64]
        scheduler = Scheduler(name, tick)
        scheduler.start()
        self.stdout.write(
            f"TokenUI worker {name}: {settings.TASK_BACKEND} backend, queue {settings.TASK_QUEUE}"
        )
        self.stdout.flush()
        try:
            if settings.TASK_BACKEND == "rq":
                call_command(
                    "rqworker",
                    settings.TASK_QUEUE,
                    worker_class=RQ_WORKER_CLASS,
                    job_class=RQ_JOB_CLASS,
                    name=name,
                    verbosity=options["verbosity"],
                )
            else:
                call_command(
                    "db_worker",
                    queue_name=settings.TASK_QUEUE,
                    worker_id=name,
                    # One process: killing the worker's PID stops its tasks (no reloader child).
                    reload=False,
                    verbosity=options["verbosity"],
                )
        finally:
            scheduler.stop()
