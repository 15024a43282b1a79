"""Role presets, Copy link to this form and Generate a token like this in Chromium: a preset
ticks its boxes live, a copied link opens the exact same form in a new page, every screen of
it passes axe-core and fits 390 px, it works from the keyboard, and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import CPANEL_ROOTS, DEMO_RESELLER, DEMO_ROOT, writes
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

# The reseller's part of "DNS only", sorted.
DNS_HELD = ["create-dns", "edit-dns", "manage-dns-records"]


def form_state(page: Page) -> dict[str, object]:
    """Everything a user can set on the Generate form, as the browser holds it (read through
    locators, which work with JavaScript off too)."""
    form = page.locator("#token-form")
    return {
        "name": form.locator("input[name=name]").input_value(),
        "expiry": form.locator("input[name=expiry]:checked").get_attribute("value"),
        "expires_on": form.locator("input[name=expires_on]").input_value(),
        "ips": form.locator("textarea[name=whitelist_ips]").input_value(),
        "acls": [
            box.get_attribute("value") for box in form.locator("input[name=acls]:checked").all()
        ],
        "preset": form.locator("input[name=preset]").input_value(),
    }


def ticked(page: Page) -> list[str]:
    """The ticked privileges, sorted (the page lists them in WHM's order)."""
    return sorted(form_state(page)["acls"])  # type: ignore[arg-type]


def test_preset_untick_copy_link_and_open_it_gives_the_exact_same_form(
    page: Page, context: BrowserContext, app_url: str, whm: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_RESELLER)
    page.goto(f"{app_url}/tokens/new/")
    page.get_by_role("button", name="DNS only").click()
    assert ticked(page) == DNS_HELD
    expect(page.locator("#preset-note")).to_have_text(
        "“DNS only” needs privileges that you do not hold: Remove DNS Zones and Park DNS "
        "Zones. Its other privileges are ticked."
    )
    expect(page.get_by_role("button", name="DNS only")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Edit DNS Zones").uncheck()
    page.get_by_label("Name", exact=True).fill("dns-bot")
    page.get_by_label("IPs").fill("192.0.2.7\n2001:db8::/32")
    page.get_by_label("API Token Expiration Date").fill("2031-02-03")
    before = form_state(page)
    assert sorted(before["acls"]) == ["create-dns", "manage-dns-records"]
    assert axe_violations(page) == []

    page.get_by_role("button", name="Copy link to this form").click()
    expect(page.locator("#copy-link-status")).to_have_text(
        "Link copied to the clipboard. It opens this form filled in as it is now."
    )
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.locator("#copied-link-url").input_value()
    assert "csrf" not in link

    other = context.new_page()
    other.goto(link)
    assert form_state(other) == before
    expect(other.get_by_label("Link to this form", exact=True)).to_have_value(link)
    assert axe_violations(other) == []
    assert writes(whm) == []


def pressed(page: Page) -> list[str]:
    """The titles of the presets shown pressed."""
    return page.locator("#presets button[aria-pressed=true]").all_inner_texts()


def test_a_preset_shows_pressed_only_while_the_boxes_are_exactly_its_own(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/?preset=dns&acl=edit-dns")
    assert pressed(page) == []  # issue 17: one of its five boxes
    for label in ("Add DNS Zones", "Remove DNS Zones", "Park DNS Zones", "Manage DNS Records"):
        page.get_by_label(label, exact=True).check()
    expect(page.get_by_role("button", name="DNS only")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Edit DNS Zones", exact=True).uncheck()
    expect(page.get_by_role("button", name="DNS only")).to_have_attribute("aria-pressed", "false")

    monitoring = page.get_by_role("button", name="Read-only monitoring")
    monitoring.click()
    assert pressed(page) == ["Read-only monitoring"]
    page.get_by_label("Add DNS Zones", exact=True).check()
    expect(monitoring).to_have_attribute("aria-pressed", "false")
    assert pressed(page) == []


def test_a_pressed_preset_looks_pressed_not_focused(page: Page, app_url: str) -> None:
    """Filled, bold and ticked: apart from the focus ring (an outline), which it never draws."""
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/?preset=backup")
    style = """(b) => { const s = getComputedStyle(b); return [s.backgroundColor, s.fontWeight,
        s.outlineStyle, s.boxShadow, getComputedStyle(b, "::before").content]; }"""
    on = page.get_by_role("button", name="Backup agent").evaluate(style)
    off = page.get_by_role("button", name="DNS only").evaluate(style)
    assert on == ["rgb(227, 236, 250)", "700", "none", "none", '"✓ " / ""']
    assert off[:2] == ["rgb(255, 255, 255)", "400"]
    assert off[4] == "none"
    assert axe_violations(page) == []


def test_presets_and_copy_link_from_the_keyboard(page: Page, app_url: str, whm: Simulator) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    page.get_by_role("button", name="Read-only monitoring").focus()
    page.keyboard.press("Enter")
    assert ticked(page) == [
        "acct-summary",
        "basic-system-info",
        "list-accts",
        "show-bandwidth",
        "stats",
        "status",
    ]
    page.keyboard.press("Tab")  # the preset's Source link
    expect(page.get_by_role("link", name="Source of “Read-only monitoring”")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Backup agent")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#preset-note")).to_have_text("“Backup agent”: its privileges are ticked.")
    # Enter in the name box generates (the form's default button), never applies a preset.
    page.get_by_label("Name", exact=True).fill("backup-agent")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    (create,) = [r for r in writes(whm) if r.function == "api_token_create"]
    assert sorted(v for k, v in create.params.items() if k.startswith("acl-")) == [
        "acct-summary",
        "cpanel-api",
        "file-restore",
        "list-accts",
    ]


def test_generate_a_token_like_this_from_a_row(page: Page, app_url: str, whm: Simulator) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate a token like this: billing-bot").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("billing-bot-2")
    expect(page.get_by_label("IPs")).to_have_value(
        "192.0.2.10\n198.51.100.0/24\n2001:db8::/32"  # IPv6 as the table shows it
    )
    assert ticked(page)
    assert axe_violations(page) == []
    assert writes(whm) == []


def test_the_form_and_the_table_fit_390_px(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/?preset=billing&name=x&ip=192.0.2.1&expires=never")
    assert sideways_overflow(page) == 0
    assert axe_violations(page) == []
    page.goto(f"{app_url}/tokens/")
    assert sideways_overflow(page) == 0
    context.close()


def test_without_javascript_presets_and_copy_link_round_trip(
    browser: Browser, app_url: str, whm: Simulator
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_RESELLER)
    page.goto(f"{app_url}/tokens/new/")
    page.get_by_label("Name", exact=True).fill("billing")
    page.get_by_label("IPs").fill("192.0.2.9")
    page.get_by_role("button", name="Billing system provisioning accounts (WHMCS-like)").click()
    expect(page.locator("#preset-note")).to_contain_text("Terminate Accounts")
    expect(page.get_by_label("Name", exact=True)).to_have_value("billing")
    expect(page.get_by_label("IPs")).to_have_value("192.0.2.9")
    assert "kill-acct" not in ticked(page)
    assert "create-acct" in ticked(page)
    page.get_by_label("Change Passwords").uncheck()
    before = form_state(page)

    page.get_by_role("button", name="Copy link to this form").click()
    assert "/tokens/new/?preset=billing&name=billing" in page.url
    expect(page.get_by_label("Link to this form", exact=True)).to_have_value(page.url.split("#")[0])
    assert form_state(page) == before
    assert writes(whm) == []
    context.close()


def test_cpanel_copy_link_opens_the_same_create_form(
    page: Page, context: BrowserContext, app_url: str, cpanel: Simulator
) -> None:
    user, password = CPANEL_ROOTS[0]
    page.goto(f"{app_url}/sign-in/")
    page.get_by_label("cPanel", exact=True).check()
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.set_viewport_size({"width": 390, "height": 844})
    # Measure each page only once it has arrived: evaluating during the navigation finds no
    # document (CI, once).
    generate_like = page.get_by_role("link", name="Generate a token like this: deploy-script")
    expect(generate_like).to_be_visible()
    assert sideways_overflow(page) == 0  # the table, with Generate a token like this in rows
    generate_like.click()
    expect(page.get_by_label("API Token Name")).to_have_value("deploy-script-2")
    assert sideways_overflow(page) == 0
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Copy link to this form").click()
    expect(page.locator("#copy-link-status")).to_contain_text("Link copied")
    link = page.locator("#copied-link-url").input_value()
    assert axe_violations(page) == []

    other = context.new_page()
    other.goto(link)
    expect(other.get_by_label("API Token Name")).to_have_value("deploy-script-2")
    expect(other.get_by_label("The API Token will not expire.")).to_be_checked()
    assert axe_violations(other) == []
