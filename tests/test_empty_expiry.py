"""A token whose `expires_at` is "" (made by another tool with `expires_at=`, which WHM and cPanel
keep as it came) reads as never expiring, and the table it sits in still renders."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from django.test import Client

from tests.helpers import CPANEL_ROOTS, DEMO_ROOT, sign_in_data, text
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class System:
    """One token system: how its owner signs in, makes the token on the wire, and sees it."""

    name: str
    credentials: tuple[str, str]
    page: str

    def create_blank_expiry_token(self, simulator: Simulator) -> None:
        user, password = self.credentials
        if self.name == "whm":
            url = f"{simulator.url}/json-api/api_token_create?api.version=1"
            data = {"token_name": "blank-expiry", "acl-0": "list-accts", "expires_at": ""}
            reply = httpx.post(url, data=data, auth=(user, password)).json()
            assert reply["metadata"]["result"] == 1, reply
        else:
            url = f"{simulator.cpanel_url}/execute/Tokens/create_full_access"
            data = {"name": "blank-expiry", "expires_at": ""}
            reply = httpx.post(url, data=data, auth=(user, password)).json()
            assert reply["status"] == 1, reply


SYSTEMS = [
    System("whm", DEMO_ROOT, "/tokens/"),
    System("cpanel", CPANEL_ROOTS[0], "/cpanel/tokens/"),
]


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda system: system.name)
def test_a_token_with_an_empty_expiry_does_not_make_the_table_unreadable(
    client: Client, cpanel: Simulator, system: System
) -> None:
    system.create_blank_expiry_token(cpanel)
    data = sign_in_data(*system.credentials, cpanel=system.name == "cpanel")
    assert client.post("/sign-in/", data).status_code == 302

    response = client.get(system.page, {"q": "blank-expiry"})

    page = text(response.content.decode())
    assert response.status_code == 200, page[:2000]
    assert "blank-expiry" in page
