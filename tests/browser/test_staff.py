"""Staff in a real browser: signing in with the Staff choice, an admin connecting a server from
the page, and every staff screen checked by axe-core at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import DEMO_ROOT, OidcProvider, Whm, held, listed
from tokenui.audit.models import Action, AuditEvent
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role, RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)

# TokenUI's addresses (the simulator is called from 127.0.0.1), and what its token on a root
# WHM holds: exactly the privileges README.md documents (tokenui/servers/privileges.py).
ALLOWLIST = ["127.0.0.1", "192.0.2.0/24"]
ROOT_SERVICE_ACLS = {"list-accts", "manage-api-tokens", "cpanel-api", "create-user-session"}


def signed_in_as_staff(page: Page, app_url: str, user: User) -> None:
    """The browser signed in as `user` by writing the session (Django's force_login)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": app_url}]
    )


def checker(page: Page) -> Callable[[str], None]:
    def check(screen: str) -> None:
        assert axe_violations(page) == [], screen
        page.set_viewport_size({"width": 390, "height": 800})
        assert sideways_overflow(page) == 0, f"{screen} at 390 px"
        assert axe_violations(page) == [], f"{screen} at 390 px"
        page.set_viewport_size({"width": 1280, "height": 800})

    return check


def test_staff_sign_in_shows_only_the_staff_fields(page: Page, app_url: str) -> None:
    User.objects.create_superuser("admin", password="break-glass-pass-1")
    page.goto(f"{app_url}/sign-in/")
    page.get_by_label("Staff").check()
    expect(page.get_by_label("Use an API token")).to_be_hidden()
    checker(page)("sign-in, Staff chosen")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password", exact=True).fill("break-glass-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as staff admin")).to_be_visible()


def test_an_admin_connects_a_server_from_the_page(
    page: Page, app_url: str, whm: Simulator, settings
) -> None:
    settings.SERVICE_IP_ALLOWLIST = ALLOWLIST
    check = checker(page)
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/")
    check("staff home, no servers")
    page.get_by_role("link", name="Servers", exact=True).click()
    check("servers, none")
    page.get_by_role("link", name="Connect a server").click()
    page.get_by_label("Name", exact=True).fill("main")
    page.get_by_label("WHM URL").fill(whm.url)
    page.get_by_label("WHM username").fill(DEMO_ROOT[0])
    page.get_by_label("Password", exact=True).fill("wrong-password")
    check("connect a server")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("refused the password")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_label("WHM URL")).to_have_value(whm.url)
    check("connect a server, refused")
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="main")).to_be_visible()
    expect(page.get_by_text("Connected main.")).to_be_visible()
    assert ConnectedServer.objects.get().name == "main"
    # The token WHM lists for TokenUI, read from WHM itself: IP-bound, the documented privileges.
    listed = whm_tokens_of_root(whm)[ConnectedServer.objects.get().token_name]
    assert listed["whitelist_ips"] == ALLOWLIST
    assert held(listed) == ROOT_SERVICE_ACLS
    check("server page")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("WHM accepted TokenUI's token for main.")).to_be_visible()
    page.get_by_role("link", name="Disconnect").click()
    expect(page.get_by_role("link", name="Cancel")).to_be_focused()
    check("disconnect, confirmation")
    page.goto(f"{app_url}/staff/roles/")
    check("roles")


def whm_tokens_of_root(whm: Simulator) -> dict[str, dict]:
    """root's tokens as WHM API 1 lists them, straight over HTTP (nothing of TokenUI's)."""
    with httpx.Client(base_url=whm.url, auth=DEMO_ROOT, timeout=5) as http:
        return listed(Whm(http))


def test_an_admin_connects_a_tls_server_only_verifying_or_by_choosing_not_to(
    page: Page, app_url: str, tls_simulator: Simulator, settings
) -> None:
    settings.SERVICE_IP_ALLOWLIST = ["127.0.0.1"]
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/servers/connect/")
    page.get_by_label("Name", exact=True).fill("secure")
    page.get_by_label("WHM URL").fill(tls_simulator.url)
    page.get_by_label("WHM username").fill(DEMO_ROOT[0])
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("its TLS certificate could not be verified")).to_be_visible()
    expect(page.get_by_text("--insecure")).to_have_count(0)
    expect(page.get_by_label("CA bundle")).to_be_focused()
    checker(page)("connect a server, TLS not verified")
    choice = page.get_by_label("Do not verify WHM's TLS certificate")
    expect(choice).to_have_accessible_description(re.compile("could then read TokenUI's token"))
    choice.check()
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="secure")).to_be_visible()
    expect(page.locator(".staff-flag", has_text="TLS not verified")).to_be_visible()
    assert ConnectedServer.objects.get().verify_tls is False


def test_root_sees_tokenuis_service_token_marked_and_warned_of_before_revoking(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    service = page.locator(f"#token-{connected.token_name}")
    expect(service.locator(".badge-service")).to_have_text("TokenUI's service token")
    expect(page.locator(".badge-service")).to_have_count(1)
    checker(page)("root's API Tokens, with TokenUI's service token")
    service.get_by_role("link", name=f"Revoke {connected.token_name}").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Revoking it stops staff access to main")).to_be_visible()
    checker(page)("revoke TokenUI's service token, question")
    dialog.get_by_role("button", name="Cancel").click()
    expect(service).to_be_visible()


def test_an_admin_filters_the_audit_trail_by_staff_member(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    for name in ("otto", "vera"):
        AuditEvent.objects.create(
            server="main",
            whm_user="root",
            staff=name,
            staff_subject=f"sub-{name}",
            account="shop",
            auth_kind="token",
            action=Action.REVOKE,
            token_names=["ci-deploy"],
            outcome="succeeded",
        )
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit Trail")).to_be_visible()
    checker(page)("staff audit trail")
    page.get_by_label("Staff member").fill("otto")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-status")).to_have_text("1 entry matches these filters.")
    expect(
        page.get_by_role(
            "cell",
            name=re.compile(
                "^Staff otto \\(subject sub-otto\\) as WHM user root on cPanel account shop$"
            ),
        )
    ).to_be_visible()
    assert "staff=otto" in page.url
    checker(page)("staff audit trail, filtered")


def test_the_403_page_is_plain_and_accessible(page: Page, app_url: str) -> None:
    signed_in_as_staff(page, app_url, User.objects.create_user("nobody"))
    response = page.goto(f"{app_url}/staff/roles/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("Your staff role does not allow this.")).to_be_visible()
    checker(page)("403")


def test_a_viewer_sees_no_revoke_and_is_refused_posting_one(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    viewer = User.objects.create_user("vera")
    RoleGrant.objects.create(role=Role.VIEWER, user=viewer, server=connected)
    signed_in_as_staff(page, app_url, viewer)
    page.goto(f"{app_url}/staff/servers/main/tokens/")
    expect(page.locator("#token-reporting")).to_be_visible()
    expect(page.get_by_role("link", name="Revoke reporting")).to_have_count(0)
    expect(page.get_by_role("link", name="Generate Token")).to_have_count(0)
    checker(page)("staff viewer, API Tokens")
    status = page.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute("hx-headers"));
            return (await fetch(url, {method: "POST", headers})).status;
        }""",
        f"{app_url}/staff/servers/main/tokens/reporting/revoke/",
    )
    assert status == 403
    page.reload()
    expect(page.locator("#token-reporting")).to_be_visible()
    page.get_by_role("link", name="Accounts").first.click()
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    checker(page)("staff viewer, Accounts")


def test_an_operator_signed_in_through_single_sign_on_revokes_a_token(
    page: Page, app_url: str, connected: ConnectedServer, oidc: OidcProvider
) -> None:
    RoleGrant.objects.create(
        role=Role.OPERATOR, group=Group.objects.create(name="support"), server=connected
    )
    oidc.set_user("sub-otto", preferred_username="otto", groups=["support"])
    page.goto(f"{app_url}/sign-in/?service=staff")
    page.get_by_role("link", name="Continue with single sign-on").click()
    page.locator("#subject-input").fill("sub-otto")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_text("Signed in as staff otto")).to_be_visible()
    page.get_by_role("link", name="API Tokens on main").click()
    page.get_by_role("link", name="Revoke reporting").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    checker(page)("staff operator, Revoke dialog")
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#token-reporting")).to_have_count(0)
    event = AuditEvent.objects.get(action=Action.REVOKE)
    assert (event.staff, event.staff_subject, event.whm_user) == ("otto", "sub-otto", "root")
