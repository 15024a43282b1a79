"""A second WHM simulator, for the sessions that hold several servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenui.simulator import Simulator


@pytest.fixture(scope="session")
def _second_simulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(tmp_path_factory.mktemp("whm-simulator-beta")) as simulator:
        yield simulator


@pytest.fixture
def beta(_second_simulator_server: Simulator) -> Simulator:
    """A second simulator, in its demo state, configured as the server "beta" beside `whm`."""
    _second_simulator_server.reset()
    return _second_simulator_server


@pytest.fixture
def two_servers(whm: Simulator, beta: Simulator, settings) -> tuple[Simulator, Simulator]:
    settings.WHM_SERVERS = {"simulator": whm.url, "beta": beta.url}
    return whm, beta
