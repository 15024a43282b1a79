"""Fixtures of the simulator's tests: callers making raw WHM API 1 calls (httpx and plain dicts,
nothing from the client). Their helpers (Whm, get, post, …): tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import httpx
import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, SYSTEM_TRUST, Params, Whm, numbered_params
from tokenui.simulator import Simulator


@pytest.fixture
def connect(simulator: Simulator) -> Iterator[Callable[..., Whm]]:
    """Open callers: connect(password=(user, pw)), connect(token=(user, secret)), or neither."""
    clients: list[httpx.Client] = []

    def open_caller(
        *, password: tuple[str, str] | None = None, token: tuple[str, str] | None = None
    ) -> Whm:
        headers = {"Authorization": f"whm {token[0]}:{token[1]}"} if token else {}
        client = httpx.Client(
            base_url=simulator.url, auth=password, headers=headers, verify=SYSTEM_TRUST, timeout=5
        )
        clients.append(client)
        return Whm(client)

    yield open_caller
    for client in clients:
        client.close()


@pytest.fixture
def root(connect: Callable[..., Whm]) -> Whm:
    return connect(password=DEMO_ROOT)


@pytest.fixture
def reseller(connect: Callable[..., Whm]) -> Whm:
    return connect(password=DEMO_RESELLER)


@pytest.fixture
def root_token(root: Whm, connect: Callable[..., Whm]) -> Callable[..., Whm]:
    """Create one of root's tokens through the API (acls None: full access) and call with it."""

    def create(*acls: str, whitelist: Sequence[str] = (), name: str = "test-token") -> Whm:
        params: Params = {"token_name": name, **numbered_params("acl", acls)}
        params.update(numbered_params("whitelist_ip", whitelist))
        secret = root.ok("api_token_create", params)["token"]
        return connect(token=(DEMO_ROOT[0], secret))

    return create
