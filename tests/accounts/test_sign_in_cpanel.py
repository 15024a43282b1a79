"""Sign-in's second choice, cPanel: a cPanel account's password or API token, checked with the
server's cPanel (at CPANEL_PORT) before the session starts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.helpers import CPANEL_NO_FEATURE, CPANEL_ROOTS, non_field_errors, sign_in_data, text
from tokenui.audit.models import AuditEvent
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

USER, PASSWORD = CPANEL_ROOTS[0]


def test_the_sign_in_page_offers_whm_or_cpanel(client: Client, cpanel: Simulator) -> None:
    page = text(client.get("/sign-in/").content.decode())
    assert re.search(r'<input type="radio" name="service" value="whm"[^>]*checked', page)
    assert re.search(
        r'<label[^>]*>\s*<input type="radio" name="service" value="cpanel"[^>]*>\s*cPanel', page
    )
    assert "<legend>Sign in to</legend>" in page


def test_a_cpanel_user_signs_in_with_a_password(client: Client, cpanel: Simulator) -> None:
    response = client.post("/sign-in/", sign_in_data(USER, PASSWORD, cpanel=True))
    assert response.status_code == 302
    assert response["Location"] == "/cpanel/tokens/"
    event = AuditEvent.objects.get(action="sign-in")
    assert (event.service, event.whm_user, event.account) == ("cpanel", USER, USER)
    # The account's password went to cPanel, not to WHM.
    assert not [r for r in cpanel.requests() if r.function == "myprivs"]


def test_a_cpanel_user_signs_in_with_a_cpanel_token(client: Client, cpanel: Simulator) -> None:
    assert client.post("/sign-in/", sign_in_data(USER, PASSWORD, cpanel=True)).status_code == 302
    created = client.post(
        "/cpanel/tokens/create/", {"name": "for-sign-in", "expiry": "never", "expires_on": ""}
    )
    secret = re.search(r'id="secret"[^>]* value="([A-Z0-9]{32})"', created.content.decode())[1]
    client.post("/sign-out/")
    response = client.post("/sign-in/", sign_in_data(USER, secret, token=True, cpanel=True))
    assert response.status_code == 302
    assert client.get("/cpanel/tokens/").status_code == 200


def test_a_wrong_cpanel_password_is_refused_keeping_the_input(
    client: Client, cpanel: Simulator
) -> None:
    response = client.post("/sign-in/", sign_in_data(USER, "wrong", cpanel=True))
    page = response.content.decode()
    assert response.status_code == 422
    assert non_field_errors(page) == ["cPanel refused these credentials."]
    assert re.search(r'name="service" value="cpanel"[^>]*checked', page)
    assert f'value="{USER}"' in page


def test_a_cpanel_account_without_api_tokens_is_told_so(client: Client, cpanel: Simulator) -> None:
    response = client.post("/sign-in/", sign_in_data(*CPANEL_NO_FEATURE, cpanel=True))
    assert response.status_code == 422
    # cPanel's own words, as it gave them.
    assert non_field_errors(response.content.decode()) == [
        "You do not have the feature “apitokens”."
    ]


def test_a_whm_password_is_not_a_cpanel_password(client: Client, cpanel: Simulator) -> None:
    response = client.post("/sign-in/", sign_in_data("root", "demo-root-pass", cpanel=True))
    assert response.status_code == 422


def test_a_forged_service_is_refused_on_its_field(client: Client, cpanel: Simulator) -> None:
    data = sign_in_data(USER, PASSWORD) | {"service": "plesk"}
    response = client.post("/sign-in/", data)
    assert response.status_code == 422
    assert "Choose WHM, cPanel or Staff." in text(response.content.decode())
