"""cPanel and WHM failures on the cPanel token pages: named on the page with the status that
says what happened, nothing typed lost, a write never retried."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    calls,
    form_post,
    input_value,
    non_field_errors,
    text,
)
from tokenui.audit.models import AuditEvent
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

OWN = "/cpanel/tokens/"
VIA = f"/cpanel/accounts/{CPANEL_RESELLERS[0][0]}/tokens/"
NEVER = {"expiry": "never", "expires_on": ""}


def test_a_create_cpanel_fails_keeps_the_form_and_is_not_retried(
    cp_client: Client, cpanel: Simulator
) -> None:
    cpanel.set_fault("http-500", functions=["Tokens::create_full_access"])
    response = form_post(cp_client, f"{OWN}create/", {"name": "kept", **NEVER})
    page = response.content.decode()
    assert response.status_code == 502
    assert input_value(page, "name") == "kept"
    assert len(calls(cpanel, "Tokens::create_full_access")) == 1
    event = AuditEvent.objects.get(action="create")
    assert event.outcome in {"failed", "unknown"}
    assert event.account == cp_client.session["whm"]["user"]


def test_cpanels_own_refusal_is_shown_in_its_words(cp_client: Client, cpanel: Simulator) -> None:
    cpanel.set_fault("storage-error", functions=["Tokens::create_full_access"], count=1)
    response = form_post(cp_client, f"{OWN}create/", {"name": "kept", **NEVER})
    assert response.status_code == 422
    page = response.content.decode()
    assert input_value(page, "name") == "kept"
    assert any("Disk quota exceeded" in e for e in non_field_errors(page)), non_field_errors(page)


def test_cpanels_refusal_of_a_rename_is_shown_keeping_the_new_name(
    cp_client: Client, cpanel: Simulator
) -> None:
    cpanel.set_fault("storage-error", functions=["Tokens::rename"], count=1)
    response = form_post(cp_client, f"{OWN}deploy-script/manage/", {"new_name": "kept"})
    assert response.status_code == 422
    page = response.content.decode()
    assert input_value(page, "new_name") == "kept"
    assert non_field_errors(page) == ["Disk quota exceeded"]


def test_a_revoked_cpanel_credential_ends_the_session(cp_client: Client, cpanel: Simulator) -> None:
    user = cp_client.session["whm"]["user"]
    cpanel.store.set_cpanel_password(user, "changed-elsewhere")
    response = cp_client.get(OWN)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert AuditEvent.objects.filter(action="sign-out", account=user).exists()


def test_the_accounts_page_names_a_listaccts_failure(
    operator_client: Client, cpanel: Simulator
) -> None:
    cpanel.set_fault("garbage", functions=["listaccts"])
    response = operator_client.get("/cpanel/accounts/")
    assert response.status_code == 502
    assert "The accounts could not be loaded." in text(response.content.decode())
