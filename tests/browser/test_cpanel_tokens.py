"""Issue 10's journeys in Chromium: a cPanel user and a reseller (for an account they own) each
create a cPanel token, run seed 004's curl exactly as the page shows it (it answers, then is
refused after Revoke), rename it and revoke it; the audit trail shows each with the account.
axe-core runs on every new screen, and each one fits 390 px without sideways scrolling."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow
from tests.helpers import CPANEL_RESELLERS, CPANEL_ROOTS, DEMO_RESELLER, run_curl
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

USER, PASSWORD = CPANEL_ROOTS[0]
CUSTOMER = CPANEL_RESELLERS[0][0]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def cp_app_url(app_url: str, cpanel: Simulator) -> str:
    """The live dashboard, its CPANEL_PORT the test simulator's cPanel port."""
    return app_url


def check_screen(page: Page) -> None:
    """No serious axe-core violation, and no sideways scroll at phone width."""
    assert axe_violations(page) == []
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) == 0
    page.set_viewport_size(size)


def sign_in_to_cpanel(page: Page, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/sign-in/")
    page.get_by_label("cPanel", exact=True).check()
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def create_use_rename_revoke(page: Page, name: str) -> None:
    """From the account's Manage API Tokens table: the whole life of one token."""
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Create API Token")).to_be_visible()
    check_screen(page)
    page.get_by_label("API Token Name").fill(name)
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="API Token Created")).to_be_visible()
    check_screen(page)
    curl = page.get_by_label("Try it with curl").input_value()
    status, body = run_curl(curl)
    assert status == 200, body
    assert json.loads(body)["status"] == 1, body
    page.get_by_role("button", name="Yes, I Saved My Token").click()
    expect(page.get_by_role("heading", name="Manage API Tokens")).to_be_visible()
    check_screen(page)
    row = page.locator(f"#token-{name}")
    expect(row).to_have_class("row-highlight")

    row.get_by_role("link", name=f"Manage {name}").click()
    expect(page.get_by_role("heading", name="Manage API Token")).to_be_visible()
    expect(
        page.get_by_text("Looking for IP addresses, privileges or the expiration date?")
    ).to_be_visible()
    check_screen(page)
    page.get_by_label("New API Token Name").fill(f"{name}-2")
    page.get_by_role("button", name="Update").click()
    expect(page.locator(f"#token-{name}-2")).to_be_visible()
    expect(page.locator(f"#token-{name}")).to_have_count(0)

    page.locator(f"#token-{name}-2").get_by_role("link", name=f"Manage {name}-2").click()
    page.get_by_role("link", name="Revoke The Token").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_text(f"revoke the API token, “{name}-2”?")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    check_screen(page)
    dialog.get_by_role("button", name="Yes, Revoke The Token").click()
    expect(page.get_by_text(f"The API token “{name}-2” has been revoked.")).to_be_visible()
    expect(page.locator(f"#token-{name}-2")).to_have_count(0)
    status, _ = run_curl(curl)
    assert status in (401, 403)


def test_a_cpanel_user_and_a_reseller_each_manage_a_cpanel_token(
    page: Page, cp_app_url: str
) -> None:
    sign_in_to_cpanel(page, cp_app_url, USER, PASSWORD)
    expect(page.get_by_role("heading", name="Manage API Tokens")).to_be_visible()
    expect(page.get_by_text(f"Signed in to cPanel as {USER} on simulator")).to_be_visible()
    check_screen(page)
    create_use_rename_revoke(page, "mine")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator(".audit-who", has_text=f"cPanel user {USER}").first).to_be_visible()
    assert axe_violations(page) == []  # not a new screen: its phone layout is WHM's page's
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{cp_app_url}/sign-in/")
    page.get_by_label("Username").fill(DEMO_RESELLER[0])
    page.get_by_label("Password", exact=True).fill(DEMO_RESELLER[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    check_screen(page)
    page.get_by_role("link", name=f"API Tokens of {CUSTOMER}").click()
    expect(page.get_by_text(f"cPanel account {CUSTOMER} on simulator")).to_be_visible()
    create_use_rename_revoke(page, "support")

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("cPanel account").fill(CUSTOMER)
    page.get_by_role("button", name="Filter").click()
    who = page.locator(".audit-who")
    expect(who.filter(has_text=f"WHM user reseller on cPanel account {CUSTOMER}")).to_have_count(3)
    assert axe_violations(page) == []


def test_search_as_you_type_and_sign_in_choice_by_keyboard(page: Page, cp_app_url: str) -> None:
    page.goto(f"{cp_app_url}/sign-in/")
    page.get_by_label("WHM", exact=True).focus()
    page.keyboard.press("ArrowRight")  # radio group: the arrow moves the choice
    expect(page.get_by_label("cPanel", exact=True)).to_be_checked()
    check_screen(page)
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_label("Search").press_sequentially("sync")
    expect(page.locator("#token-table tbody tr[id^=token-]")).to_have_count(1)
    expect(page.locator("#search-status")).to_have_text("1 of 5 API tokens match “sync”.")


def test_works_without_javascript(browser, cp_app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_to_cpanel(page, cp_app_url, USER, PASSWORD)
        page.get_by_role("link", name="Create", exact=True).click()
        page.get_by_label("API Token Name").fill("no-js")
        page.get_by_label("The API Token will not expire.").check()
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.get_by_role("heading", name="API Token Created")).to_be_visible()
        page.get_by_role("button", name="Yes, I Saved My Token").click()
        page.locator("#token-no-js").get_by_role("link", name="Manage no-js").click()
        page.get_by_role("link", name="Revoke The Token").click()
        page.get_by_role("button", name="Yes, Revoke The Token").click()
        expect(page.get_by_text("The API token “no-js” has been revoked.")).to_be_visible()
    finally:
        context.close()


def test_copy_and_create_another_and_no_way_back_to_the_secret(page: Page, cp_app_url: str) -> None:
    sign_in_to_cpanel(page, cp_app_url, USER, PASSWORD)
    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_label("API Token Name").fill("first")
    page.get_by_role("button", name="Create", exact=True).click()
    secret = page.get_by_label("Token", exact=True).input_value()
    page.get_by_role("button", name="Copy the token").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.get_by_label("Create another token after I click Yes, I saved my token").check()
    page.get_by_role("button", name="Yes, I Saved My Token").click()
    expect(page.get_by_role("heading", name="Create API Token")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Create API Token")).to_be_visible()
    assert secret not in page.content()
