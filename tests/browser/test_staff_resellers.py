"""Staff reach a reseller's tokens in a real browser, inside sessions WHM makes for the reseller:
an operator signed in through single sign-on (the role from a group claim) revokes a reseller's
own WHM token and a token of a customer the reseller owns; a viewer sees no Revoke and is
refused posting one. Every new screen is checked by axe-core at 1280 and 390 px."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from tests.browser.test_staff import checker, signed_in_as_staff
from tests.helpers import CPANEL_RESELLERS, OidcProvider
from tokenui.audit.models import Action, AuditEvent
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role, RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = CPANEL_RESELLERS[0][0]  # an account the demo reseller owns
RESELLER = "/staff/servers/main/resellers/reseller/"


def post_status(page: Page, url: str) -> int:
    """The status of a POST to `url` from the page, with its CSRF header, as a form would."""
    return page.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute("hx-headers"));
            return (await fetch(url, {method: "POST", headers})).status;
        }""",
        url,
    )


def test_an_operator_from_single_sign_on_revokes_a_resellers_token_and_a_customers(
    page: Page, app_url: str, connected: ConnectedServer, oidc: OidcProvider, whm: Simulator
) -> None:
    check = checker(page)
    RoleGrant.objects.create(
        role=Role.OPERATOR, group=Group.objects.create(name="support"), server=connected
    )
    oidc.set_user("sub-otto", preferred_username="otto", groups=["support"])
    page.goto(f"{app_url}/sign-in/?service=staff")
    page.get_by_role("link", name="Continue with single sign-on").click()
    page.locator("#subject-input").fill("sub-otto")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_text("Signed in as staff otto")).to_be_visible()
    page.goto(f"{app_url}/staff/servers/main/accounts/")
    expect(page.get_by_role("heading", name="Resellers")).to_be_visible()
    check("staff Accounts, with resellers")

    page.get_by_role("link", name="WHM API Tokens of reseller").click()
    head = "The reseller reseller\N{RIGHT SINGLE QUOTATION MARK}s own WHM API tokens"
    expect(page.get_by_text(head)).to_be_visible()
    check("a reseller's WHM API tokens")
    page.get_by_role("link", name="Revoke reporting").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    check("a reseller's token, Revoke dialog")
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#token-reporting")).to_have_count(0)
    assert "reporting" not in {token.name for token in whm.store.tokens("reseller")}

    page.get_by_role("link", name="← Accounts").click()
    page.get_by_role("link", name=f"API Tokens of {CUSTOMER}").click()
    expect(page.get_by_text(f"cPanel account {CUSTOMER} on main")).to_be_visible()
    check("a reseller's customer's API tokens")
    page.get_by_role("link", name="Manage deploy-script").click()
    page.get_by_role("link", name="Revoke The Token").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    check("a reseller's customer's token, Revoke dialog")
    dialog.get_by_role("button", name="Yes, Revoke The Token").click()
    expect(page.get_by_text("The API token “deploy-script” has been revoked.")).to_be_visible()
    assert "deploy-script" not in {t.name for t in whm.store.cpanel_tokens(CUSTOMER)}

    whom = [
        (e.staff, e.staff_subject, e.who) for e in AuditEvent.objects.filter(action=Action.REVOKE)
    ]
    assert sorted(whom) == [
        ("otto", "sub-otto", "Staff otto (subject sub-otto) as reseller reseller"),
        (
            "otto",
            "sub-otto",
            f"Staff otto (subject sub-otto) as reseller reseller on cPanel account {CUSTOMER}",
        ),
    ]


def test_a_viewer_sees_no_revoke_of_a_resellers_tokens_and_is_refused_posting_one(
    page: Page, app_url: str, connected: ConnectedServer, whm: Simulator
) -> None:
    viewer = User.objects.create_user("vera")
    RoleGrant.objects.create(role=Role.VIEWER, user=viewer, server=connected)
    signed_in_as_staff(page, app_url, viewer)
    page.goto(f"{app_url}/staff/servers/main/accounts/")
    page.get_by_role("link", name="WHM API Tokens of reseller").click()
    expect(page.locator("#token-reporting")).to_be_visible()
    expect(page.get_by_role("link", name="Revoke reporting")).to_have_count(0)
    expect(page.get_by_role("link", name="Generate Token")).to_have_count(0)
    check = checker(page)
    check("staff viewer, a reseller's WHM API tokens")
    assert post_status(page, f"{app_url}{RESELLER}tokens/reporting/revoke/") == 403

    page.goto(f"{app_url}{RESELLER}accounts/{CUSTOMER}/tokens/")
    expect(page.locator("#token-deploy-script")).to_be_visible()
    expect(page.get_by_role("link", name="Manage deploy-script")).to_have_count(0)
    check("staff viewer, a reseller's customer's API tokens")
    url = f"{app_url}{RESELLER}accounts/{CUSTOMER}/tokens/deploy-script/revoke/"
    assert post_status(page, url) == 403
    assert "reporting" in {token.name for token in whm.store.tokens("reseller")}
    assert "deploy-script" in {t.name for t in whm.store.cpanel_tokens(CUSTOMER)}
