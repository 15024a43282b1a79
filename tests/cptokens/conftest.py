"""Fixtures for the cPanel token pages: the dashboard pointed at the test simulator's cPanel, and
test clients signed in as a cPanel user or as a WHM operator."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import CPANEL_ROOTS, DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.simulator import Simulator


@pytest.fixture
def cpanel(whm: Simulator, settings) -> Simulator:
    """The test simulator, with the dashboard's CPANEL_PORT set to its cPanel port."""
    settings.CPANEL_PORT = whm.cpanel_port
    return whm


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
