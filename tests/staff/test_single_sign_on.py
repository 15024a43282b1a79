"""Staff single sign-on against a real OpenID provider on loopback (tests.helpers.OidcProvider):
the authorization code flow with PKCE, the groups claim synced into Django groups, and every
way a sign-in can go wrong answered on the sign-in page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.helpers import OidcProvider
from tokenui.audit.models import Action, AuditEvent, AuthKind, Outcome, Service

pytestmark = pytest.mark.django_db

START = "/staff/sso/start/"
STAFF = "/staff/"


def to_provider(client: Client) -> str:
    """Continue with single sign-on: the provider's authorization URL TokenUI sends to."""
    response = client.get(START)
    assert response.status_code == 302
    return response["Location"]


def sign_in(client: Client, oidc: OidcProvider, sub: str):
    back = oidc.authorize(to_provider(client), sub)
    return client.get(back)


def test_the_sign_in_page_offers_single_sign_on_when_configured(client: Client, oidc, whm) -> None:
    page = client.get("/sign-in/").text
    assert f'href="{START}"' in page
    assert "Continue with single sign-on" in page


def test_single_sign_on_signs_in_with_pkce_and_the_providers_subject(
    client: Client, oidc: OidcProvider
) -> None:
    oidc.set_user("sub-alice", preferred_username="alice", email="alice@example.com")
    authorize = to_provider(client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{oidc.issuer}/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # a SHA-256, base64url without padding
    response = client.get(oidc.authorize(authorize, "sub-alice"))
    assert response.status_code == 302
    assert response["Location"] == STAFF
    assert len(oidc.verifiers[-1]) == 64  # the verifier went with the code, and matched
    user = User.objects.get(oidc_identity__subject="sub-alice")
    assert (user.username, user.email, user.has_usable_password()) == (
        "alice",
        "alice@example.com",
        False,
    )
    assert "Signed in as staff <strong>alice</strong>" in client.get(STAFF).text
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert (event.service, event.auth_kind) == (Service.STAFF, AuthKind.SSO)
    assert (event.staff, event.staff_subject) == ("alice", "sub-alice")


def test_groups_come_from_the_claim_and_are_synced_at_each_sign_in(
    client: Client, oidc: OidcProvider
) -> None:
    oidc.set_user("sub-bob", preferred_username="bob", groups=["ops", "dev"])
    sign_in(client, oidc, "sub-bob")
    bob = User.objects.get(username="bob")
    assert sorted(bob.groups.values_list("name", flat=True)) == ["dev", "ops"]
    oidc.set_user("sub-bob", preferred_username="bob", groups=["auditors"])
    sign_in(client, oidc, "sub-bob")
    assert list(bob.groups.values_list("name", flat=True)) == ["auditors"]
    assert User.objects.filter(username__startswith="bob").count() == 1  # the same person


def test_the_groups_claim_is_renamed_by_the_setting(
    client: Client, oidc: OidcProvider, settings
) -> None:
    settings.OIDC_GROUPS_CLAIM = "roles"
    oidc.set_user("sub-carol", preferred_username="carol", groups=["ignored"], roles=["ops"])
    sign_in(client, oidc, "sub-carol")
    assert list(Group.objects.filter(user__username="carol").values_list("name", flat=True)) == [
        "ops"
    ]


def test_a_provider_username_taken_by_a_local_user_gets_a_number(
    client: Client, oidc: OidcProvider
) -> None:
    User.objects.create_superuser("admin", password="break-glass-pass-1")
    oidc.set_user("sub-other-admin", preferred_username="admin")
    sign_in(client, oidc, "sub-other-admin")
    assert User.objects.get(oidc_identity__subject="sub-other-admin").username == "admin-2"
    assert not User.objects.get(username="admin").groups.exists()


def refused_on_sign_in_page(client: Client, response, words: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?service=staff"
    page = client.get(response["Location"]).text
    assert words in page
    assert client.get(STAFF).status_code == 302  # not signed in
    event = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert (event.service, event.outcome) == (Service.STAFF, Outcome.REFUSED)


def test_a_callback_whose_state_was_not_sent_here_is_refused(
    client: Client, oidc: OidcProvider
) -> None:
    back = oidc.authorize(to_provider(client), "sub-mallory")
    forged = back.replace("state=", "state=forged")
    response = client.get(forged)
    refused_on_sign_in_page(client, response, "the sign-in was not started here")
    assert not User.objects.exists()


def test_a_callback_used_twice_is_refused_the_second_time(
    client: Client, oidc: OidcProvider
) -> None:
    back = oidc.authorize(to_provider(client), "sub-dave")
    assert client.get(back)["Location"] == STAFF
    client.logout()
    refused_on_sign_in_page(client, client.get(back), "the sign-in was not started here")


def test_a_code_exchanged_without_its_pkce_verifier_is_refused(
    client: Client, oidc: OidcProvider
) -> None:
    back = oidc.authorize(to_provider(client), "sub-erin")
    session = client.session
    state = parse_qs(urlsplit(back).query)["state"][0]
    session["oidc_states"][state]["code_verifier"] = "x" * 64  # not the one challenged
    session.save()
    response = client.get(back)
    refused_on_sign_in_page(client, response, "answer could not be verified")
    assert not User.objects.exists()


def test_a_sign_in_denied_at_the_provider_is_refused(client: Client, oidc: OidcProvider) -> None:
    back = oidc.authorize(to_provider(client), "sub-frank", deny=True)
    refused_on_sign_in_page(client, client.get(back), "the provider refused it")


def test_an_unreachable_provider_is_named(client: Client, oidc: OidcProvider, settings) -> None:
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    response = client.get(START)
    refused_on_sign_in_page(client, response, "could not be reached")


def test_single_sign_on_is_absent_when_not_configured(client: Client) -> None:
    assert client.get(START).status_code == 404
