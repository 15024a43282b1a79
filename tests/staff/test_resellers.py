"""Staff reach a reseller's own WHM tokens, and the accounts it owns, inside a session WHM makes
for the reseller at the service token's request (`create_user_session`, then `/cpsess…/`): the
Accounts page marks resellers and links them, a viewer only looks, an operator changes, the
trail names the reseller acted as, a lapsed session is made again for reads only, and WHM's
refusals are said in its words. (What these pages share with every token system's is in
tests/tokens/test_systems.py.)"""

from __future__ import annotations

import pytest

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    DEMO_CPANEL_TOKENS,
    DEMO_TOKEN_NAMES,
    calls,
    form_post,
    text,
)
from tokenui.audit.models import Action, AuditEvent, AuthKind, Outcome
from tokenui.simulator.store import Account
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

ACCOUNTS = "/staff/servers/main/accounts/"
RESELLER = "/staff/servers/main/resellers/reseller/"
TOKENS = f"{RESELLER}tokens/"
CUSTOMER = CPANEL_RESELLERS[0][0]  # an account the demo reseller owns
CUSTOMER_TOKENS = f"{RESELLER}accounts/{CUSTOMER}/tokens/"


def own_account(simulator, user: str) -> None:
    """An account that owns itself: a reseller WHM knows only by its own account."""
    domain = f"{user}.example"
    simulator.store.add_account(
        Account(user, domain, f"admin@{domain}", "default", user, "192.0.2.1", 1_700_000_000)
    )


def test_accounts_list_each_reseller_with_its_whm_api_tokens_link(staff_client, connected):
    page = staff_client(Role.VIEWER, connected).get(ACCOUNTS).text
    assert '<tr id="reseller-reseller">' in page
    assert f'<a href="{TOKENS}" aria-label="WHM API Tokens of reseller">WHM API Tokens</a>' in page
    assert '<tr id="reseller-root">' not in page  # the service user is no reseller here
    assert "not yet" not in page


def test_accounts_a_reseller_owns_link_inside_its_session(staff_client, connected) -> None:
    page = staff_client(Role.VIEWER, connected).get(ACCOUNTS).text
    for user, _ in CPANEL_RESELLERS:
        assert f'href="{RESELLER}accounts/{user}/tokens/"' in page
    assert f'href="{ACCOUNTS}{CPANEL_ROOTS[0][0]}/tokens/"' in page  # root's: the token itself


def test_a_resellers_own_account_is_marked_with_both_links(
    staff_client, connected, simulator
) -> None:
    own_account(simulator, "selfres")
    page = staff_client(Role.VIEWER, connected).get(ACCOUNTS).text
    row = page[page.index('<tr id="account-selfres">') :].split("</tr>", 1)[0]
    assert '<span class="badge">Reseller</span>' in row
    whm = "/staff/servers/main/resellers/selfres/tokens/"
    cpanel = "/staff/servers/main/resellers/selfres/accounts/selfres/tokens/"
    assert f'href="{cpanel}" aria-label="API Tokens of selfres">API Tokens</a>' in row
    assert f'href="{whm}" aria-label="WHM API Tokens of selfres">WHM API Tokens</a>' in row
    listed = page[page.index('<tr id="reseller-selfres">') :].split("</tr>", 1)[0]
    assert f'href="{cpanel}"' in listed
    assert f'href="{whm}"' in listed


def test_a_viewer_sees_the_resellers_tokens_and_exports_them_without_changes(
    staff_client, connected
) -> None:
    client = staff_client(Role.VIEWER, connected)
    page = client.get(TOKENS)
    assert page.status_code == 200
    assert all(f'id="token-{name}"' in page.text for name in DEMO_TOKEN_NAMES)
    assert f'id="token-{connected.token_name}"' not in page.text  # root's, not the reseller's
    assert "The reseller <strong>reseller</strong>\N{RIGHT SINGLE QUOTATION MARK}s own" in page.text
    assert "Revoke" not in page.text
    assert "Generate Token" not in page.text
    exported = client.get(f"{TOKENS}export.csv")
    assert "billing-bot" in b"".join(exported.streaming_content).decode()


@pytest.mark.parametrize(
    "url", [f"{TOKENS}reporting/revoke/", f"{CUSTOMER_TOKENS}deploy-script/revoke/"]
)
def test_a_viewer_is_refused_a_revoke_with_a_plain_403_before_any_session(
    staff_client, connected, simulator, url: str
) -> None:
    response = staff_client(Role.VIEWER, connected).post(url)
    assert response.status_code == 403
    assert "Your staff role does not allow this." in response.text
    assert calls(simulator, "create_user_session") == []
    assert "reporting" in {token.name for token in simulator.store.tokens("reseller")}


def test_an_operator_revokes_a_resellers_token_and_the_trail_names_the_reseller(
    staff_client, connected, simulator
) -> None:
    client = staff_client(Role.OPERATOR, connected, name="olga")
    assert client.post(f"{TOKENS}reporting/revoke/").status_code == 302
    assert "reporting" not in {token.name for token in simulator.store.tokens("reseller")}
    assert "reporting" in {token.name for token in simulator.store.tokens("root")}
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert (event.staff, event.server, event.whm_user) == ("olga", "main", "reseller")
    assert (event.auth_kind, event.session_token_name) == (AuthKind.SESSION, connected.token_name)
    assert event.who == "Staff olga as reseller reseller"


def test_an_operator_revokes_a_cpanel_token_of_an_account_a_reseller_owns(
    staff_client, connected, simulator
) -> None:
    client = staff_client(Role.OPERATOR, connected, name="olga")
    page = client.get(CUSTOMER_TOKENS).text
    assert all(f'id="token-{name}"' in page for name in DEMO_CPANEL_TOKENS)
    assert "reached through WHM as <strong>reseller reseller</strong>" in page
    client.post(f"{CUSTOMER_TOKENS}deploy-script/revoke/")
    assert "deploy-script" not in {t.name for t in simulator.store.cpanel_tokens(CUSTOMER)}
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert (event.account, event.whm_user, event.outcome) == (CUSTOMER, "reseller", "succeeded")
    assert event.who == f"Staff olga as reseller reseller on cPanel account {CUSTOMER}"


def test_a_token_generated_for_the_reseller_signs_in_as_the_reseller(
    staff_client, connected, simulator
) -> None:
    data = {"name": "made-by-staff", "expiry": "never", "expires_on": "", "acls": ["create-acct"]}
    page = form_post(staff_client(Role.OPERATOR, connected), f"{TOKENS}new/", data).text
    assert "Authorization: whm reseller:" in page
    made = simulator.store.token("reseller", "made-by-staff")
    assert made is not None
    assert made.acls == ("create-acct",)


@pytest.mark.parametrize(
    ("reseller", "words"),
    [
        (
            CPANEL_ROOTS[0][0],
            (
                "You cannot create a “whostmgrd” session for the user “{}” because they are not "
                "a reseller."
            ),
        ),
        ("selfres", "You do not have permission to create sessions for the user “{}”."),
        ("nobody", "You cannot create a session for the user “{}” because they do not exist."),
    ],
)
def test_whms_refusal_of_a_session_is_said_in_its_words(
    staff_client, connected, simulator, reseller: str, words: str
) -> None:
    own_account(simulator, "selfres")  # owned by itself, not root: not root's to enter
    response = staff_client(Role.VIEWER, connected).get(
        f"/staff/servers/main/resellers/{reseller}/tokens/"
    )
    said = text(response.text)
    assert response.status_code == 403
    assert f"WHM would not make a session as the reseller “{reseller}”" in said
    assert words.format(reseller) in said
    assert "These API tokens cannot be reached: see the message above." in said
    assert "Generate Token" not in said  # nothing that cannot work is offered


def test_the_service_user_has_no_reseller_pages(staff_client, connected, simulator) -> None:
    response = staff_client(Role.OPERATOR, connected).get(
        f"/staff/servers/main/resellers/{connected.username}/tokens/"
    )
    assert response.status_code == 404
    assert calls(simulator, "create_user_session") == []


def test_a_read_in_a_lapsed_session_is_made_again_in_a_new_one(
    staff_client, connected, simulator
) -> None:
    simulator.set_fault("session-ended", functions=["api_token_list"], count=1)
    page = staff_client(Role.VIEWER, connected).get(TOKENS)
    assert page.status_code == 200
    assert all(f'id="token-{name}"' in page.text for name in DEMO_TOKEN_NAMES)
    assert len(calls(simulator, "create_user_session")) == 2


def test_a_revoke_in_a_lapsed_session_is_not_sent_again_and_is_said_plainly(
    staff_client, connected, simulator
) -> None:
    simulator.set_fault("session-ended", functions=["api_token_revoke"], count=1)
    response = staff_client(Role.OPERATOR, connected).post(f"{TOKENS}reporting/revoke/")
    assert response.status_code == 403
    assert "WHM ended the session it made for the reseller reseller" in text(response.text)
    assert len(calls(simulator, "api_token_revoke")) == 1
    assert len(calls(simulator, "create_user_session")) == 1
    assert "reporting" in {token.name for token in simulator.store.tokens("reseller")}
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert event.outcome == Outcome.REFUSED
