"""Sign-in against WHM, the encrypted server-side credential, idle expiry and sign-out."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, expire_sessions, sign_in_data
from tokenui.sessions import credentials, idle
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
TOKENS = "/tokens/"


def test_sign_in_page_asks_for_username_and_password_or_token(client: Client, whm) -> None:
    page = client.get(SIGN_IN).content.decode()
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert 'name="api_token"' in page
    # One configured server: no choice to make, so no visible Server field.
    assert '<input type="hidden" name="server" value="simulator"' in page


def test_sign_in_page_shows_demo_users_only_when_given_them(
    client: Client, whm: Simulator, settings
) -> None:
    assert "Demo sign-in" not in client.get(SIGN_IN).text  # a real WHM: settings give none
    settings.DEMO_SIGN_IN = (("root", "demo-root-pass", "whm"), ("acme", "acme-pw", "cpanel"))
    page = client.get(SIGN_IN).text
    assert "WHM: <code>root</code> with password <code>demo-root-pass</code>" in page
    assert "cPanel: <code>acme</code> with password <code>acme-pw</code>" in page


def test_sign_in_with_password_opens_the_tokens_page(client: Client, whm: Simulator) -> None:
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert response.status_code == 302
    assert response["Location"] == TOKENS
    page = client.get(TOKENS)
    assert page.status_code == 200
    assert "Signed in as <strong>root</strong> on <strong>simulator</strong>" in page.text


def test_sign_in_cycles_the_session_key(client: Client, whm) -> None:
    client.get(SIGN_IN)
    client.session.save()
    before = client.session.session_key
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert client.session.session_key != before


def test_wrong_password_is_refused_plainly_and_keeps_the_username(
    client: Client, whm: Simulator
) -> None:
    response = client.post(SIGN_IN, sign_in_data("root", "not-the-password"))
    assert response.status_code == 422
    assert "WHM refused these credentials." in response.text
    assert 'value="root"' in response.text
    assert "not-the-password" not in response.text
    assert credentials.SESSION_KEY not in client.session


def test_malformed_token_is_refused_without_asking_whm(client: Client, whm: Simulator) -> None:
    whm.clear_requests()
    response = client.post(SIGN_IN, sign_in_data("root", "too-short", token=True))
    assert response.status_code == 422
    assert "A WHM API token is 32 letters and digits." in response.text
    assert whm.requests() == []


def test_missing_fields_are_named(client: Client, whm: Simulator) -> None:
    response = client.post(SIGN_IN, {"server": "simulator", "method": "password"})
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert "Enter the password." in response.text
    assert whm.requests() == []


def test_sign_in_with_a_token_learns_and_marks_the_tokens_name(
    client: Client, whm: Simulator
) -> None:
    secret = whm.store.add_token(
        "root",
        "dashboard-login",
        acls=("manage-api-tokens",),
        create_time=int(time.time()),
        expires_at=None,
    )
    response = client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    assert response.status_code == 302
    page = client.get(TOKENS).text
    assert "with the API token “dashboard-login”" in page
    assert "this session's token" in page


def test_token_without_manage_api_tokens_cannot_sign_in(client: Client, whm: Simulator) -> None:
    secret = whm.store.add_token(
        "root", "reader", acls=("list-accts",), create_time=int(time.time()), expires_at=None
    )
    response = client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    assert response.status_code == 422
    assert "holds neither the “Manage API Tokens” privilege" in response.text


def test_unreachable_whm_is_named_at_sign_in(client: Client, settings) -> None:
    settings.WHM_SERVERS = {"simulator": "http://127.0.0.1:9"}
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert response.status_code == 503
    assert "Traceback" not in response.text
    assert 'value="root"' in response.text


def test_credential_is_encrypted_at_rest_in_the_server_side_session(
    client: Client, whm: Simulator
) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER))
    password = DEMO_RESELLER[1]
    # Not in the cookie (only the session key is) ...
    assert all(password not in morsel.value for morsel in client.cookies.values())
    # ... and not in the stored session, which holds only ciphertext.
    stored = Session.objects.get(session_key=client.session.session_key)
    assert password not in stored.session_data
    assert password not in str(stored.get_decoded())
    assert credentials.load(client.session).credential.secret == password


def test_tampered_credential_is_treated_as_signed_out(client: Client, whm: Simulator) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    session = client.session
    entry = session[credentials.SESSION_KEY]
    entry["server"] = "elsewhere"  # the ciphertext is bound to the server it was made for
    session[credentials.SESSION_KEY] = entry
    session.save()
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_credential_survives_secret_key_rotation_through_fallbacks(
    client: Client, whm: Simulator, settings
) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-after-rotation-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    response = client.get(TOKENS)
    assert response.status_code == 200
    # Re-sealed under the new key: it opens with the fallback gone.
    settings.SECRET_KEY_FALLBACKS = []
    assert credentials.load(client.session) is not None


def test_idle_session_expires_and_asks_to_sign_in_again(client: Client, whm: Simulator) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    expire_sessions(client.session.session_key)
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next=%2Ftokens%2F"


def test_idle_timeout_is_the_configured_minutes(client: Client, whm: Simulator, settings) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60 == 30 * 60


def test_sign_out_wipes_the_session(client: Client, whm: Simulator) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    key = client.session.session_key
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(TOKENS).status_code == 302


def test_sign_out_needs_post(client: Client, whm: Simulator) -> None:
    assert client.get("/sign-out/").status_code == 405


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("/tokens/?q=bot", "/tokens/?q=bot"), ("https://evil.example/", TOKENS), ("//evil", TOKENS)],
)
def test_sign_in_returns_to_a_local_next_url_only(
    client: Client, whm: Simulator, next_url: str, landing: str
) -> None:
    response = client.post(f"{SIGN_IN}?next={next_url}", sign_in_data(*DEMO_ROOT))
    assert response["Location"] == landing


def test_pages_need_sign_in(client: Client, whm) -> None:
    for url in (TOKENS, reverse("tokens:create"), reverse("tokens:revoke-all")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)


def test_htmx_request_without_a_session_redirects_the_whole_page(client: Client, whm) -> None:
    response = client.get(TOKENS, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == SIGN_IN


def test_several_servers_offer_a_choice_and_the_session_uses_the_one_chosen(
    client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_SERVERS = {"primary": "http://127.0.0.1:9", "simulator": whm.url}
    page = client.get(SIGN_IN).text
    assert '<select name="server"' in page
    assert '<option value="primary"' in page
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))  # picks "simulator"
    assert response.status_code == 302
    assert "on <strong>simulator</strong>" in client.get(TOKENS).text


def test_a_server_removed_from_settings_ends_its_sessions(
    client: Client, whm: Simulator, settings
) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    settings.WHM_SERVERS = {"other": whm.url}
    assert client.get(TOKENS)["Location"].startswith(SIGN_IN)


def test_requests_push_the_idle_deadline_back_saving_at_most_once_a_minute(
    client: Client, whm: Simulator
) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    key = client.session.session_key
    deadline = Session.objects.get(session_key=key).expire_date
    # Within the minute: the session is not written again.
    client.get(TOKENS)
    assert Session.objects.get(session_key=key).expire_date == deadline

    # Over a minute since the deadline last moved: the next request moves it.
    session = client.session
    session[idle.TOUCHED] = int(time.time()) - idle.MAX_REFRESH_SECONDS - 1
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=deadline - timedelta(minutes=5))
    response = client.get(TOKENS)

    assert response.status_code == 200
    assert Session.objects.get(session_key=key).expire_date > deadline - timedelta(seconds=1)
    assert response.cookies["tokenui_session"]["max-age"] == 30 * 60


@pytest.mark.parametrize("minutes", [1, 2, 5, 30, 24 * 60])
def test_an_active_session_keeps_at_least_nine_tenths_of_its_idle_time_for_every_setting(
    client: Client, whm: Simulator, settings, minutes: int
) -> None:
    # SESSION_IDLE_MINUTES=1 once acted as a fixed 60 s lifetime: the deadline moved at most
    # once a minute, so a user clicking every 30 s was signed out after a minute.
    settings.SESSION_IDLE_MINUTES = minutes
    settings.SESSION_COOKIE_AGE = idle_seconds = minutes * 60
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    key = client.session.session_key
    # The deadline was last pushed back a tenth of the idle time ago (at most a minute).
    elapsed = min(60, idle_seconds // 10)
    session = client.session
    session[idle.TOUCHED] = int(time.time()) - elapsed
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=idle_seconds - elapsed)
    )

    assert client.get(TOKENS).status_code == 200

    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert left >= timedelta(seconds=idle_seconds - 2)


def test_with_one_idle_minute_a_user_active_every_half_minute_stays_signed_in(
    client: Client, whm: Simulator, settings
) -> None:
    settings.SESSION_IDLE_MINUTES = 1
    settings.SESSION_COOKIE_AGE = 60
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    key = client.session.session_key
    for _ in range(4):  # two minutes of use, a request every 30 s
        # 30 s pass: move the stored times back as the clock would move forward (saving the
        # session writes a fresh deadline, so the one it had is put back, 30 s nearer).
        deadline = Session.objects.get(session_key=key).expire_date
        session = client.session
        session[idle.TOUCHED] -= 30
        session.save()
        Session.objects.filter(session_key=key).update(expire_date=deadline - timedelta(seconds=30))
        assert client.get(TOKENS).status_code == 200


def test_credential_sealed_under_a_key_no_longer_listed_is_signed_out(
    client: Client, whm: Simulator, settings
) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    settings.SECRET_KEY = "a-brand-new-secret-key-after-rotation-0123456789"
    settings.SECRET_KEY_FALLBACKS = ["another-key-that-never-sealed-it-0123456789abcdef"]
    assert credentials.load(client.session) is None
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_an_operator_with_cpanel_api_alone_signs_in_and_reaches_accounts(
    client: Client, whm: Simulator, settings
) -> None:
    """WHM lets a user with cpanel-api but without manage-api-tokens manage the cPanel tokens of
    the accounts they own: TokenUI lets them in, to Accounts and those tables, and says plainly
    that their own WHM tokens are out of reach (issue 17 item 4)."""
    settings.CPANEL_PORT = whm.cpanel_port
    secret = whm.store.add_token(
        "root",
        "accounts-only",
        acls=("cpanel-api", "list-accts"),
        create_time=int(time.time()),
        expires_at=None,
    )
    assert client.post(SIGN_IN, sign_in_data("root", secret, token=True)).status_code == 302
    own = client.get(TOKENS)
    assert own.status_code == 403
    assert "Your own WHM API tokens are out of reach" in own.content.decode()
    assert client.get("/cpanel/accounts/").status_code == 200
    assert client.get("/cpanel/accounts/acme/tokens/").status_code == 200
