"""Several WHM simulators over real HTTP for the All servers page: the suite's own ("alpha"),
a second ("beta") and a third ("gamma") that a test may stop, each in its demo state (all three
from tests/conftest.py, started once per run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.helpers import DEMO_ROOT, signed_in
from tokenui.simulator import Simulator


@pytest.fixture
def servers(whm: Simulator, beta: Simulator, gamma: Simulator, settings) -> dict[str, Simulator]:
    settings.WHM_SERVERS = {"alpha": whm.url, "beta": beta.url, "gamma": gamma.url}
    return {"alpha": whm, "beta": beta, "gamma": gamma}


def sign_in_to(client: Client, *names: str) -> Client:
    """Signed in to the first server, then to each of the others as Add server does (the last
    one active), all as root."""
    return signed_in(client, *DEMO_ROOT, servers=names)


@pytest.fixture
def fleet_client(client: Client, servers: dict[str, Simulator], db: None) -> Client:
    """Signed in to alpha, beta and gamma as root."""
    return sign_in_to(client, "alpha", "beta", "gamma")


@pytest.fixture(scope="session")
def big_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """A simulator whose root holds 6,000 tokens."""
    with Simulator(tmp_path_factory.mktemp("whm-big"), tokens=6000) as simulator:
        yield simulator
