"""Every screen at desktop and phone width: axe-core finds nothing serious or critical, and
nothing scrolls sideways (issue 9, items 8 and 12)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    axe_violations,
    sideways_overflow,
    sign_in,
    sign_in_with_form,
    small_targets,
)
from tests.conftest import DEMO_ROOT
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)


def walk_every_screen(page: Page, app_url: str, whm: Simulator, check: Callable[[str], None]):
    """Open each screen the dashboard has, in its usual states, and `check` it by name."""
    page.goto(f"{app_url}/sign-in/")
    check("sign-in")
    sign_in_with_form(page, app_url, "root", "wrong-password")
    expect(page.get_by_role("alert")).to_be_visible()
    check("sign-in, refused")

    sign_in(page, app_url, *DEMO_ROOT)
    expect(page.locator("#token-reporting")).to_be_visible()
    check("table")
    page.get_by_role("button", name="Table actions").click()
    expect(page.get_by_role("link", name="Revoke All")).to_be_visible()
    check("table, gear menu open")
    page.keyboard.press("Escape")
    page.locator("#token-reporting").get_by_role("link", name="Revoke").click()
    expect(page.locator("dialog#dialog")).to_be_visible()
    check("table, Revoke dialog open")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#dialog")).to_be_hidden()

    page.goto(f"{app_url}/tokens/new/")
    check("Generate")
    page.get_by_label("Name", exact=True).fill("bad name!")
    page.get_by_label("IPs").fill("10.0.0.5/24")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("Did you mean 10.0.0.0/24?")).to_be_visible()
    check("Generate, with errors")
    page.get_by_label("Name", exact=True).fill("screens")
    page.get_by_label("IPs").fill("")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    check("secret page")
    page.get_by_role("link", name="Yes, I saved my token").click()

    page.locator("#token-billing-bot").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit API Token")).to_be_visible()
    check("Edit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("has been updated")
    check("table, with a message")

    page.goto(f"{app_url}/audit/")
    check("audit trail")

    whm.set_fault("http-503")
    page.goto(f"{app_url}/tokens/")
    expect(page.get_by_text("The API tokens could not be loaded.")).to_be_visible()
    check("table, WHM failing")
    page.goto(f"{app_url}/tokens/new/")
    expect(page.get_by_role("link", name="Try again")).to_be_visible()
    check("Generate, WHM failing")
    whm.clear_faults()


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_nothing_serious_on_any_screen(
    browser: Browser, app_url: str, whm: Simulator, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(screen: str) -> None:
        if violations := axe_violations(page):
            found[screen] = violations

    walk_every_screen(page, app_url, whm, check)
    context.close()
    assert found == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_every_target_on_every_screen_is_at_least_24_px_square(
    browser: Browser, app_url: str, whm: Simulator, width: int
) -> None:
    """WCAG 2.2's 2.5.8 without axe's spacing exception (issue 17, item 13): a row's Edit or
    Revoke, a sort link, a box with its label, a Dismiss button."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(screen: str) -> None:
        if small := small_targets(page):
            found[screen] = small

    walk_every_screen(page, app_url, whm, check)
    context.close()
    assert found == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_screen_scrolls_sideways(
    browser: Browser, app_url: str, whm: Simulator, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    overflow: dict[str, int] = {}

    def check(screen: str) -> None:
        if wider := sideways_overflow(page):
            overflow[screen] = wider

    walk_every_screen(page, app_url, whm, check)
    context.close()
    assert overflow == {}, "pixels of sideways scrolling, by screen"


def test_save_can_be_tapped_on_a_phone(browser: Browser, app_url: str) -> None:
    """Mobile emulation: a touch screen, a 390 px viewport, the page zoomed as a phone does."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/reporting/edit/")
    expect(page.get_by_role("heading", name="Edit API Token")).to_be_visible()
    # A phone widens its layout to fit a wide page and zooms it out: the page must fit 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Save").tap(timeout=5_000)
    expect(page.locator("#messages")).to_contain_text("has been updated")
    context.close()
