"""Fixtures for the cPanel token pages: test clients signed in as a cPanel user or as a WHM
operator, the dashboard pointed at the test simulator's cPanel (`cpanel`, tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import CPANEL_ROOTS, DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.simulator import Simulator


def _signed_in(client: Client, data: dict[str, str]) -> Client:
    response = client.post("/sign-in/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def cp_client(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to cPanel as a demo account of root's, by password."""
    return _signed_in(client, sign_in_data(*CPANEL_ROOTS[0], cpanel=True))


@pytest.fixture
def operator_client(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to WHM as the demo reseller, by password."""
    return _signed_in(client, sign_in_data(*DEMO_RESELLER))


@pytest.fixture
def root_operator(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to WHM as root, by password."""
    return _signed_in(client, sign_in_data(*DEMO_ROOT))
