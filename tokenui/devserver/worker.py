"""The one background worker `make run` starts beside the dashboard (`manage.py worker`: the
schedule, the inventory), stopped with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

STOP_SECONDS = 10


def start_worker() -> subprocess.Popen[bytes]:
    """`manage.py worker` in a process of its own, with the dashboard's environment and output."""
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    return subprocess.Popen([sys.executable, manage, "worker"])  # noqa: S603 - our own command


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """Ask the worker to stop (it finishes the task at hand), and make sure it has."""
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)
