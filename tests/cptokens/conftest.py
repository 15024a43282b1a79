"""Fixtures for the cPanel token pages: test clients signed in as a cPanel user or as a WHM
operator, the dashboard pointed at the test simulator's cPanel (`cpanel`, tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import CPANEL_ROOTS, DEMO_RESELLER, DEMO_ROOT, signed_in
from tokenui.sessions.credentials import CPANEL
from tokenui.simulator import Simulator


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
