"""Fixtures of the staff tests: clients signed in as staff holding a role (the connected
server, `connected`, is in tests/conftest.py: the browser tests use it too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant


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
