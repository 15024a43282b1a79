"""Sessions that hold several servers: the suite's simulator and "beta" (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tokenui.simulator import Simulator


@pytest.fixture
def two_servers(whm: Simulator, beta: Simulator, settings) -> tuple[Simulator, Simulator]:
    settings.WHM_SERVERS = {"simulator": whm.url, "beta": beta.url}
    return whm, beta
