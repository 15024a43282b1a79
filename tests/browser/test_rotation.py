"""Issue 12's rotation in Chromium: a reseller rotates a token; the OLD token answers seed 000's
call (`listaccts` with `Authorization: whm USER:TOKEN`) until **Revoke the old token now**, the
new one after. axe-core and 390 px on every screen, by keyboard, and with JavaScript off."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations, settled_on_cancel, sideways_overflow, sign_in
from tests.helpers import CPANEL_RESELLERS, DEMO_RESELLER
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def check_screen(page: Page) -> None:
    """No serious axe-core violation, and no sideways scroll, at this width and a phone's."""
    assert axe_violations(page) == []
    assert sideways_overflow(page) == 0
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) == 0
    assert axe_violations(page) == []
    page.set_viewport_size(size)


def answers_seed_000(whm: Simulator, secret: str) -> bool:
    """Seed 000's curl: `listaccts` over WHM API 1 with the token, as an httpx GET."""
    reply = httpx.get(
        f"{whm.url}/json-api/listaccts?api.version=1",
        headers={"Authorization": f"whm {DEMO_RESELLER[0]}:{secret}"},
    )
    return reply.status_code == 200 and reply.json()["metadata"]["result"] == 1


def generate(page: Page, name: str) -> str:
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    secret = page.locator("#secret").input_value()
    page.get_by_role("link", name="Yes, I saved my token").click()
    expect(page.locator(f"#token-{name}")).to_be_visible()
    return secret


def test_a_reseller_rotates_a_token_by_keyboard_and_the_old_one_works_until_revoked(
    page: Page, app_url: str, whm: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_RESELLER)
    old_secret = generate(page, "integration")
    assert answers_seed_000(whm, old_secret)

    rotate_link = page.get_by_role("link", name="Rotate integration")
    rotate_link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Rotate API Token")).to_be_visible()
    name = page.get_by_label("Name", exact=True)
    assert re.fullmatch(r"integration-\d{8}", name.input_value())
    check_screen(page)
    name.fill("integration-v2")
    name.focus()
    page.keyboard.press("Enter")  # submits the form

    expect(page.get_by_role("heading", name="API Token Rotated")).to_be_visible()
    check_screen(page)
    new_secret = page.locator("#secret").input_value()
    assert new_secret != old_secret
    assert page.get_by_label("HTTP header").input_value().endswith(new_secret)
    # Until the old one is revoked, both work: nothing has stopped.
    assert answers_seed_000(whm, old_secret)
    assert answers_seed_000(whm, new_secret)

    revoke = page.get_by_role("button", name="Revoke the old token now")
    revoke.focus()
    page.keyboard.press("Enter")
    # It asks first, as every revoke does: focus on Cancel, Tab to the button that revokes.
    dialog = page.locator("#dialog")
    settled_on_cancel(page, dialog, True)  # else htmx's settle can pull focus back from Continue
    expect(dialog).to_contain_text("revoke the API token, “integration”?")
    check_screen(page)
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Continue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Rotation complete")).to_be_visible()
    # Only the panel was swapped: the secret is still on screen, and focus is on the news.
    assert page.locator("#secret").input_value() == new_secret
    # htmx focuses [autofocus] when the swap settles, a moment after the heading shows: wait.
    expect(page.get_by_role("heading", name="Rotation complete")).to_be_focused()
    check_screen(page)
    assert not answers_seed_000(whm, old_secret)
    assert answers_seed_000(whm, new_secret)

    page.get_by_role("link", name="Yes, I saved my token").click()
    expect(page.locator("#token-integration-v2")).to_have_class(re.compile("row-highlight"))
    expect(page.locator("#token-integration")).to_have_count(0)
    page.goto(f"{app_url}/audit/?action=rotate")
    entry = page.locator("td.audit-names").first
    expect(entry).to_contain_text(re.compile(r"^\s*integration →.*integration-v2\s*$"))
    assert page.locator("td.audit-names").count() == 1  # one entry for the rotation
    check_screen(page)


def test_later_leaves_a_mark_that_leads_back_to_the_next_steps(
    page: Page, app_url: str, whm: Simulator
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, app_url, *DEMO_RESELLER)
    old_secret = generate(page, "nightly")
    page.get_by_role("link", name="Rotate nightly").click()
    page.get_by_label("Name", exact=True).fill("nightly-2")
    page.get_by_role("button", name="Rotate", exact=True).click()
    expect(page.get_by_role("heading", name="API Token Rotated")).to_be_visible()
    page.get_by_role("link", name="Later").click()

    mark = page.locator("#token-nightly").get_by_role("link", name=re.compile("rotated, not yet"))
    expect(mark).to_be_visible()
    check_screen(page)
    assert answers_seed_000(whm, old_secret)
    mark.click()
    expect(page.get_by_role("heading", name="Rotate API Token")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Then revoke the old token “nightly”.")
    check_screen(page)


def test_rotation_works_with_javascript_off(browser: Browser, app_url: str, whm: Simulator) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_RESELLER)
    page.goto(f"{app_url}/tokens/")
    page.get_by_role("link", name="Rotate billing-bot").click()
    page.get_by_label("Name", exact=True).fill("billing-bot-2")
    page.get_by_role("button", name="Rotate", exact=True).click()
    expect(page.get_by_role("heading", name="API Token Rotated")).to_be_visible()
    page.get_by_role("button", name="Revoke the old token now").click()
    expect(page.get_by_role("heading", name="Revoke API Token")).to_be_visible()  # a page
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("“billing-bot” has been revoked")).to_be_visible()
    expect(page.locator("#token-billing-bot-2")).to_have_class(re.compile("row-highlight"))
    assert whm.store.token(DEMO_RESELLER[0], "billing-bot") is None
    context.close()


def test_a_reseller_rotates_a_customers_cpanel_token(
    page: Page, app_url: str, cpanel: Simulator
) -> None:
    # `cpanel` points the live dashboard at the simulator's cPanel port.
    customer = CPANEL_RESELLERS[0][0]
    sign_in(page, app_url, *DEMO_RESELLER)
    page.goto(f"{app_url}/cpanel/accounts/{customer}/tokens/")
    check_screen(page)
    page.get_by_role("link", name="Rotate deploy-script").click()
    expect(page.get_by_role("heading", name="Rotate API Token")).to_be_visible()
    check_screen(page)
    page.get_by_role("button", name="Rotate", exact=True).click()
    expect(page.get_by_role("heading", name="API Token Rotated")).to_be_visible()
    check_screen(page)
    secret = page.locator("#secret").input_value()
    page.get_by_role("button", name="Revoke the old token now").click()
    page.locator("#dialog").get_by_role("button", name="Yes, Revoke The Token").click()
    expect(page.get_by_role("heading", name="Rotation complete")).to_be_visible()
    assert page.locator("#secret").input_value() == secret
    check_screen(page)
    assert cpanel.store.cpanel_token(customer, "deploy-script") is None
