"""The page that shows a secret once, at a phone's width and a desktop's: the whole token, its
header and the curl command are on screen without scrolling inside their boxes, the page does not
scroll sideways, Copy still copies exactly the value, and axe-core finds nothing serious."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import CPANEL_ROOTS, DEMO_ROOT

pytestmark = pytest.mark.django_db(transaction=True)

# How much of each field's value would need scrolling to be seen, in pixels (0: none): its
# scroll box against its client box both ways, and the text as the field's font draws it
# against the room inside its padding (an <input> that clips its text may still report no
# overflow while its caret sits at the start).
HIDDEN = """(field) => {
  const style = getComputedStyle(field);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const box = field.getBoundingClientRect();
  return {
    sideways: field.scrollWidth - field.clientWidth,
    downwards: field.scrollHeight - field.clientHeight,
    text: field.tagName === "INPUT" ? Math.ceil(canvas.measureText(field.value).width - room) : 0,
    offScreen: Math.ceil(box.right - document.documentElement.clientWidth),
  };
}"""
FIELDS = ("#secret", "#auth-header", "#curl-example")


def generate_whm_token(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_label("Name", exact=True).fill("phone-check")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()


def create_cpanel_token(page: Page, app_url: str) -> None:
    """As root, on a cPanel account's Manage API Tokens (through WHM): the same page, cPanel's
    header and curl."""
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/cpanel/accounts/{CPANEL_ROOTS[0][0]}/tokens/")
    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_label("API Token Name").fill("phone-check")
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="API Token Created")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(
    "make_token", [generate_whm_token, create_cpanel_token], ids=["whm", "cpanel"]
)
def test_the_secret_page_shows_the_whole_token_header_and_curl_without_scrolling(
    page: Page, app_url: str, width: int, make_token: Callable[[Page, str], None]
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    make_token(page, app_url)

    secret = page.get_by_label("Token", exact=True).input_value()
    assert re.fullmatch(r"[A-Z0-9]{32}", secret)
    for selector in FIELDS:
        measured = page.locator(selector).evaluate(HIDDEN)
        hidden = {how: pixels for how, pixels in measured.items() if pixels > 0}
        assert hidden == {}, f"{selector} at {width} px hides part of its value"
    assert sideways_overflow(page) == 0
    assert axe_violations(page) == []

    # Wrapped on screen only: Copy copies the command exactly, one line, as the server wrote it.
    curl = page.locator("#curl-example").input_value()
    assert curl.startswith("curl ")
    assert "\n" not in curl
    assert secret in curl
    page.locator("[data-copy='#curl-example']").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == curl
    page.locator("[data-copy='#secret']").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
