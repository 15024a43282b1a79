"""Staff sign-in: the Staff choice of the sign-in page, the break-glass admin's local password
(throttled as WHM's), idle expiry and sign-out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.helpers import DEMO_ROOT, expire_sessions, sign_in_data
from tokenui.audit.models import Action, AuditEvent, Outcome, Service

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
STAFF = "/staff/"


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("admin", password="break-glass-pass-1")


def staff_form(username: str, password: str) -> dict[str, str]:
    return {"service": "staff", "username": username, "password": password}


def test_the_sign_in_page_offers_staff_beside_whm_and_cpanel(client: Client, whm) -> None:
    page = client.get(SIGN_IN).text
    assert 'value="staff"' in page
    assert "Continue with single sign-on" not in page  # not configured


def test_a_staff_page_sends_to_sign_in_with_staff_chosen(client: Client, whm) -> None:
    response = client.get(STAFF)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?service=staff&next=%2Fstaff%2F"
    page = client.get(response["Location"]).text
    assert 'value="staff" id="id_service_2" checked' in page


def test_the_break_glass_admin_signs_in_with_a_local_password(
    client: Client, whm, admin: User
) -> None:
    response = client.post(SIGN_IN, staff_form("admin", "break-glass-pass-1"))
    assert response.status_code == 302
    assert response["Location"] == STAFF
    page = client.get(STAFF).text
    assert "Signed in as staff <strong>admin</strong>" in page
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert (event.service, event.staff, event.outcome) == (Service.STAFF, "admin", "succeeded")


def test_a_wrong_staff_password_is_refused_and_keeps_the_username(
    client: Client, whm, admin: User
) -> None:
    response = client.post(SIGN_IN, staff_form("admin", "not-it"))
    assert response.status_code == 422
    assert "TokenUI does not know this staff username and password." in response.text
    assert 'value="admin"' in response.text
    assert "not-it" not in response.text
    assert client.get(STAFF).status_code == 302
    assert AuditEvent.objects.get().action == Action.SIGN_IN_FAILED


def test_staff_sign_in_is_throttled_after_five_failures(client: Client, whm, admin: User) -> None:
    for _ in range(5):
        assert client.post(SIGN_IN, staff_form("admin", "guess")).status_code == 422
    response = client.post(SIGN_IN, staff_form("admin", "break-glass-pass-1"))
    assert response.status_code == 429
    assert "Too many failed sign-in attempts." in response.text
    assert client.get(STAFF).status_code == 302


def test_a_staff_session_ends_after_the_idle_minutes(
    client: Client, whm, admin: User, settings
) -> None:
    client.post(SIGN_IN, staff_form("admin", "break-glass-pass-1"))
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    expire_sessions(client.session.session_key)
    assert client.get(STAFF)["Location"].startswith("/sign-in/?service=staff")


def test_staff_sign_out_ends_the_session_and_is_audited(client: Client, whm, admin: User) -> None:
    client.force_login(admin)
    response = client.post("/sign-out/")
    assert response["Location"] == SIGN_IN
    assert client.get(STAFF).status_code == 302
    event = AuditEvent.objects.get(action=Action.SIGN_OUT)
    assert (event.staff, event.outcome) == ("admin", Outcome.SUCCEEDED)


def test_whm_sign_in_ends_a_staff_session(client: Client, whm, admin: User) -> None:
    client.force_login(admin)
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert client.get(STAFF).status_code == 302
