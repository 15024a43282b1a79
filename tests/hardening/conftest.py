"""Fixtures of the hardening tests: a client signed in with a token it can lose, and WHMs that
are not the simulator (a closed port, a full backlog, a stub). Their helpers: tests/helpers.py."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.helpers import LOGIN_TOKEN, signed_in
from tokenui.simulator import Simulator
from tokenui.simulator.seed import RESELLER_ACLS

# --- signed-in clients -----------------------------------------------------------------------


@pytest.fixture
def token_client(client: Client, whm: Simulator, db: None) -> Client:
    """Signed in as the demo reseller with an API token named LOGIN_TOKEN, which a test can
    revoke mid-session. (The reseller's form, with half of root's checkboxes, renders faster.)"""
    secret = whm.store.add_token(
        "reseller",
        LOGIN_TOKEN,
        acls=RESELLER_ACLS,
        create_time=int(time.time()) - 60,
        expires_at=None,
    )
    client.login_token = secret  # type: ignore[attr-defined]
    signed_in(client, "reseller", secret, kind="token", token_name=LOGIN_TOKEN)
    whm.clear_requests()
    return client


# --- WHMs that are not the simulator ---------------------------------------------------------


@pytest.fixture
def closed_port() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A URL whose listener never accepts and whose queue is full: connecting just waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"
        for filler in fillers:
            filler.close()
