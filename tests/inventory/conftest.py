"""Fixtures of the inventory tests: a server connected to the test simulator (as
tests/servers connects one), and WHM read as root and as the reseller over raw HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers import stored_server
from tests.servers.conftest import (  # noqa: F401 - fixtures, used by name
    Ran,
    connect,
    reseller_whm,
    root_whm,
    run,
    server,
)
from tokenui.servers.models import ConnectedServer


@pytest.fixture
def connected(connect: Callable[..., Ran]) -> ConnectedServer:  # noqa: F811
    """The simulator connected as `main`, with root's least-privilege service token."""
    connect("main")
    return stored_server()


@pytest.fixture
def immediate_tasks(settings, transactional_db: None) -> None:
    """Tasks run at once, in this process (Django's own ImmediateBackend), as soon as what asked
    for them commits (so, a transactional database): for the command's tests in-process;
    tests/inventory/test_workers.py runs the real backends' workers."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": [settings.TASK_QUEUE],
        }
    }
