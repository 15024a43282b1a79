"""Fixtures of the staff tests: the suite's simulator connected as a server (through the same
lifecycle as `manage.py connect_server`), and clients signed in as staff holding a role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.helpers import DEMO_ROOT
from tokenui.servers.lifecycle import Connection, connect_server
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role, RoleGrant
from tokenui.whm.servers import close_http_clients


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
