"""Fixtures of the connected-server tests: the plain-HTTP simulator as the server to connect,
TokenUI's calls bound to this machine's address, and WHM read as root over raw HTTP."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, SYSTEM_TRUST, Whm
from tokenui.simulator import Simulator
from tokenui.whm.servers import close_http_clients

# TokenUI calls the simulator from 127.0.0.1; the network is there to show a list is kept whole.
ALLOWLIST = ["127.0.0.1", "192.0.2.0/24"]


@pytest.fixture
def server(simulator: Simulator, settings, db: None) -> Iterator[Simulator]:
    """The simulator, in its demo state, as the WHM to connect; service tokens bound to
    ALLOWLIST, and no pooled client left from another test."""
    settings.SERVICE_IP_ALLOWLIST = ALLOWLIST
    settings.WHM_TIMEOUT = 5.0
    yield simulator
    close_http_clients()


def raw_whm(sim: Simulator, user: str, password: str) -> Iterator[Whm]:
    with httpx.Client(
        base_url=sim.url, auth=(user, password), verify=SYSTEM_TRUST, timeout=5
    ) as http:
        yield Whm(http)


@pytest.fixture
def root_whm(server: Simulator) -> Iterator[Whm]:
    """WHM API 1 as root by password, straight over HTTP (nothing of TokenUI's)."""
    yield from raw_whm(server, *DEMO_ROOT)


@pytest.fixture
def reseller_whm(server: Simulator) -> Iterator[Whm]:
    yield from raw_whm(server, *DEMO_RESELLER)


@dataclass(frozen=True, slots=True)
class Ran:
    """What a command wrote."""

    stdout: str
    stderr: str


@pytest.fixture
def run() -> Callable[..., Ran]:
    """run(command, *args, stdin="…"): a manage.py command in this process; CommandError goes up."""

    def run_command(command: str, *args: str, stdin: str | None = None) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        options: dict[str, Any] = {"stdout": out, "stderr": err}
        if stdin is not None:
            options["stdin"] = io.StringIO(stdin)
        call_command(command, *args, **options)
        return Ran(out.getvalue(), err.getvalue())

    return run_command


@pytest.fixture
def connect(server: Simulator, run: Callable[..., Ran]) -> Callable[..., Ran]:
    """connect(NAME, *options, user=…, secret=…): connect_server to the test simulator, the
    password (or with "--token" the token) on stdin; root's password by default."""

    def connect_server(
        name: str = "main",
        *options: str,
        user: str = DEMO_ROOT[0],
        secret: str = DEMO_ROOT[1],
        url: str | None = None,
    ) -> Ran:
        args = (name, url or server.url, "--username", user, *options)
        return run("connect_server", *args, stdin=secret + "\n")

    return connect_server
