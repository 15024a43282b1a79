"""Fixtures for the whole suite: WHM simulators (plain HTTP and TLS, each also serving cPanel on a
second port, and two more WHMs, "beta" and "gamma", for sessions that hold several servers)
seeded with the demo users and cPanel accounts, and clients signed in to them.

Each simulator runs once per session (per xdist worker) on a temporary state dir; the
function-scoped fixtures reset it to the demo state before every test (tokens, accounts, request
log, faults, latency).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.helpers import (
    CPANEL_ROOTS,
    DEMO_RESELLER,
    DEMO_ROOT,
    OidcProvider,
    StubWhm,
    clear_cache,
    signed_in,
)
from tokenui.servers.lifecycle import Connection, connect_server
from tokenui.servers.models import ConnectedServer
from tokenui.sessions.credentials import CPANEL
from tokenui.simulator import Simulator
from tokenui.staff.models import Role, RoleGrant
from tokenui.whm.servers import close_http_clients

BROWSER_TESTS = Path(__file__).parent / "browser"

# Bytecode caches are written even where the shell sets PYTHONDONTWRITEBYTECODE (this machine's
# does): without them every process the suite starts (about 40 Django processes: make run,
# workers, gunicorn, migrate) and every xdist worker compiled Django, httpx and the project from
# source again, 0.9 s of CPU per process, a quarter of the whole suite's. Before the workers and
# those processes start, so both inherit it; __pycache__ is ignored by git.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last, in every process (make test's xdist workers take the tests in
    this order): once Playwright has started, its event loop stays marked as running in the
    test thread, and Django then refuses the database to any test that follows in that process.
    (pytest already moves them there, as users of a session-scoped parameter; this says so.)"""
    items.sort(key=lambda item: item.path.is_relative_to(BROWSER_TESTS))


@pytest.fixture(scope="session")
def _simulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(tmp_path_factory.mktemp("whm-simulator"), cpanel_port=0) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def _tls_simulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(
        tmp_path_factory.mktemp("whm-simulator-tls"), tls=True, cpanel_port=0
    ) as simulator:
        yield simulator


@pytest.fixture
def simulator(_simulator_server: Simulator) -> Simulator:
    """A plain-HTTP WHM simulator in its demo state: `.url`, `.requests()`, `.set_fault()`…"""
    _simulator_server.reset()
    return _simulator_server


@pytest.fixture
def tls_simulator(_tls_simulator_server: Simulator) -> Simulator:
    """An HTTPS WHM simulator in its demo state; verify it against `.ca_path`."""
    _tls_simulator_server.reset()
    return _tls_simulator_server


@pytest.fixture
def whm(simulator: Simulator, settings) -> Simulator:
    """The dashboard pointed at the plain-HTTP test simulator (in its demo state)."""
    settings.WHM_SERVERS = {"simulator": simulator.url}
    settings.WHM_CA_BUNDLE = ""
    settings.WHM_VERIFY_TLS = True
    settings.WHM_TIMEOUT = 5.0
    return simulator


@pytest.fixture
def cpanel(whm: Simulator, settings) -> Simulator:
    """`whm`, with the dashboard's CPANEL_PORT set to the test simulator's cPanel port."""
    settings.CPANEL_PORT = whm.cpanel_port
    return whm


@pytest.fixture(scope="session")
def _beta_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(tmp_path_factory.mktemp("whm-beta")) as simulator:
        yield simulator


@pytest.fixture
def beta(_beta_server: Simulator) -> Simulator:
    """A second WHM simulator, in its demo state (the tests name it as a server beside `whm`)."""
    _beta_server.reset()
    return _beta_server


@pytest.fixture(scope="session")
def _gamma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Simulator]]:
    """The third simulator, in a one-item list: `gamma` replaces one that a test stopped."""
    running = [Simulator(tmp_path_factory.mktemp("whm-gamma"))]
    running[0].start()
    yield running
    running[0].stop()


@pytest.fixture
def gamma(_gamma_server: list[Simulator]) -> Iterator[Simulator]:
    """A third WHM simulator, in its demo state, which the test may stop: afterwards it is
    started again on the same state (on another port: the tests read `.url` each time)."""
    simulator = _gamma_server[0]
    simulator.reset()
    yield simulator
    if not _serving(simulator):
        _gamma_server[0] = Simulator(simulator.state_dir)
        _gamma_server[0].start()


def _serving(simulator: Simulator) -> bool:
    try:
        simulator.url  # noqa: B018 - raises once the simulator has stopped
    except RuntimeError:
        return False
    return True


@pytest.fixture
def root_client(client: Client, whm: Simulator, db: None) -> Client:
    """A Django test client signed in to the simulator as root, by password."""
    return signed_in(client, *DEMO_ROOT)


@pytest.fixture
def reseller_client(client: Client, whm: Simulator, db: None) -> Client:
    """A Django test client signed in to the simulator as the demo reseller, by password."""
    return signed_in(client, *DEMO_RESELLER)


@pytest.fixture
def cp_client(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to cPanel as a demo account of root's, by password."""
    return signed_in(client, *CPANEL_ROOTS[0], service=CPANEL)


@pytest.fixture
def operator_client(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to WHM as the demo reseller, by password."""
    return signed_in(client, *DEMO_RESELLER)


@pytest.fixture
def root_operator(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to WHM as root, by password."""
    return signed_in(client, *DEMO_ROOT)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (sign-in throttle counters live there)."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def stub_whm() -> Iterator[StubWhm]:
    """A stub WHM (tests/helpers.py): set `.replies` by function name; others get a 404."""
    with StubWhm() as stub:
        yield stub


@pytest.fixture(scope="session")
def _oidc_provider() -> Iterator[OidcProvider]:
    with OidcProvider() as provider:
        yield provider


@pytest.fixture
def oidc(_oidc_provider: OidcProvider, settings) -> OidcProvider:
    """Staff single sign-on configured against a real OpenID provider on loopback."""
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = _oidc_provider.issuer
    settings.OIDC_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = "tokenui-tests"
    settings.OIDC_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = "tokenui-tests-secret"
    _oidc_provider.verifiers.clear()
    return _oidc_provider


@pytest.fixture
def connected(simulator: Simulator, settings, db: None) -> Iterator[ConnectedServer]:
    """The suite's simulator, connected as "main" with root's password (the token: least
    privilege, bound to no IP)."""
    settings.SERVICE_IP_ALLOWLIST = []
    settings.WHM_TIMEOUT = 5.0
    user, password = DEMO_ROOT
    yield connect_server(Connection("main", simulator.url, user, password)).server
    close_http_clients()


@pytest.fixture
def staff_client(client: Client, db: None) -> Callable[..., Client]:
    """staff_client(role, server=None, name=…): `client` signed in (the session written, not the
    form) as a staff user holding `role` on `server` (None: every server); no role: none."""

    def signed_in_as(
        role: Role | None, server: ConnectedServer | None = None, name: str = ""
    ) -> Client:
        user = User.objects.create_user(name or f"staff-{role or 'none'}")
        if role is not None:
            RoleGrant.objects.create(role=role, user=user, server=server)
        client.force_login(user)
        return client

    return signed_in_as
