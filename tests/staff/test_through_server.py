"""Staff reach tokens through a connected server: the same API Tokens pages as a WHM user's,
acting with the service token; the service user's own tokens, and each account's cPanel tokens
through `uapi_cpanel`. A viewer only looks; an operator changes; the audit trail names the staff
member, the server and the WHM user they acted as."""

from __future__ import annotations

import json

import pytest

from tests.helpers import CPANEL_ROOTS, DEMO_CPANEL_TOKENS, DEMO_TOKEN_NAMES
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.servers.keys import new_key, service_keyring
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

TOKENS = "/staff/servers/main/tokens/"
ACCOUNTS = "/staff/servers/main/accounts/"


def test_a_viewer_sees_the_service_users_tokens_without_changes(staff_client, connected) -> None:
    page = staff_client(Role.VIEWER, connected).get(TOKENS)
    assert page.status_code == 200
    assert all(f'id="token-{name}"' in page.text for name in DEMO_TOKEN_NAMES)
    assert f'id="token-{connected.token_name}"' in page.text  # TokenUI's own, listed too
    assert "Revoke" not in page.text
    assert 'aria-label="Rotate' not in page.text
    assert "Generate Token" not in page.text
    assert "Export CSV" in page.text


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", f"{TOKENS}reporting/revoke/"),
        ("get", f"{TOKENS}reporting/revoke/"),
        ("get", f"{TOKENS}new/"),
        ("post", f"{TOKENS}revoke-all/"),
        ("get", f"{TOKENS}reporting/rotate/"),
    ],
)
def test_a_viewer_is_refused_every_change_with_a_plain_403(
    staff_client, connected, simulator, method: str, url: str
) -> None:
    client = staff_client(Role.VIEWER, connected)
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert "Your staff role does not allow this." in response.text
    assert 'id="token-reporting"' in client.get(TOKENS).text


def test_no_role_on_the_server_is_a_403(staff_client, connected) -> None:
    assert staff_client(None).get(TOKENS).status_code == 403


def test_an_operator_revokes_a_token_as_the_service_user_and_is_named(
    staff_client, connected
) -> None:
    client = staff_client(Role.OPERATOR, connected, name="olga")
    response = client.post(f"{TOKENS}reporting/revoke/")
    assert response.status_code in (200, 302)
    assert 'id="token-reporting"' not in client.get(TOKENS).text
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert (event.staff, event.server, event.whm_user) == ("olga", "main", "root")
    assert (event.session_token_name, event.outcome) == (connected.token_name, Outcome.SUCCEEDED)
    assert event.token_names == ["reporting"]
    assert event.who == "Staff olga as WHM user root"


def test_accounts_link_to_each_account_the_service_token_reaches(staff_client, connected) -> None:
    page = staff_client(Role.VIEWER, connected).get(ACCOUNTS).text
    account = CPANEL_ROOTS[0][0]
    assert f'href="{ACCOUNTS}{account}/tokens/"' in page


def test_an_operator_revokes_a_cpanel_token_through_uapi_cpanel(staff_client, connected) -> None:
    account = CPANEL_ROOTS[0][0]
    client = staff_client(Role.OPERATOR, connected, name="olga")
    url = f"{ACCOUNTS}{account}/tokens/"
    page = client.get(url).text
    assert all(f'id="token-{name}"' in page for name in DEMO_CPANEL_TOKENS)
    name = sorted(DEMO_CPANEL_TOKENS)[0]
    client.post(f"{url}{name}/revoke/")
    assert f'id="token-{name}"' not in client.get(url).text
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert (event.staff, event.account, event.whm_user) == ("olga", account, "root")


def test_a_cpanel_viewer_gets_no_revoke_and_a_403_posting_one(staff_client, connected) -> None:
    account = CPANEL_ROOTS[0][0]
    client = staff_client(Role.VIEWER, connected)
    url = f"{ACCOUNTS}{account}/tokens/"
    assert "Revoke" not in client.get(url).text
    assert client.post(f"{url}{sorted(DEMO_CPANEL_TOKENS)[0]}/revoke/").status_code == 403


def test_a_revoked_service_token_is_said_plainly_and_the_staff_member_stays(
    staff_client, connected
) -> None:
    client = staff_client(Role.OPERATOR, connected)
    connected.client().revoke_tokens([connected.token_name])
    response = client.get(TOKENS)
    assert response.status_code == 403
    assert "refused TokenUI&#x27;s service token" in response.text
    assert client.get("/staff/").status_code == 200


def test_a_viewer_exports_the_tokens(staff_client, connected) -> None:
    response = staff_client(Role.VIEWER, connected).get(f"{TOKENS}export.csv")
    assert response.status_code == 200
    assert "reporting" in b"".join(response.streaming_content).decode()


def test_a_service_token_whose_key_is_gone_is_said_plainly_and_the_member_stays(
    staff_client, connected, settings
) -> None:
    client = staff_client(Role.OPERATOR, connected)
    settings.SERVICE_KEYS = [("test-2", new_key())]  # the key that sealed it, removed
    for url in (TOKENS, ACCOUNTS, f"{TOKENS}reporting/revoke/"):
        page = client.get(url)
        assert page.status_code == 503, url
        assert "TokenUI cannot use this server\u2019s service token" in page.text
        assert "The key &#x27;test-1&#x27; that sealed this value is not configured." in page.text
        assert connected.sealed_token.split(":")[-1] not in page.text
    assert client.get("/staff/").status_code == 200  # still signed in


def test_a_service_token_sealed_for_another_server_is_not_used(staff_client, connected) -> None:
    # Another server's token copied into this one's row (in the database, by hand): refused.
    payload = {"server": "other", "user": connected.username, "token": "X" * 32}
    sealed = service_keyring().seal(json.dumps(payload).encode())
    ConnectedServer.objects.filter(pk=connected.pk).update(sealed_token=sealed)
    page = staff_client(Role.OPERATOR, connected).get(TOKENS)
    assert page.status_code == 503
    assert "main: the stored service token belongs to another server." in page.text
    assert "X" * 32 not in page.text
