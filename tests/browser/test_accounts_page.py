"""The Accounts page on a phone in Chromium (issue 17 item 22): its search field shows its whole
placeholder, and each row reads "Suspended: Yes" or "Suspended: No"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import DEMO_ROOT
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# How much of the placeholder the field hides: its text's width (as the field draws it) beyond
# the field's content box, in px (0: it is read whole).
PLACEHOLDER_CUT = """(field) => {
    const style = getComputedStyle(field);
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return Math.max(0, context.measureText(field.placeholder).width - room);
}"""


def test_on_a_phone_the_accounts_search_shows_its_whole_placeholder(
    page: Page, app_url: str, cpanel: Simulator
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/cpanel/accounts/")

    field = page.get_by_label("Search")
    expect(field).to_be_visible()
    assert field.evaluate(PLACEHOLDER_CUT) == 0
    suspended = page.locator("td[data-label=Suspended]")
    expect(suspended.first).to_be_visible()
    # The cell names itself on a phone: "Suspended: " before its Yes or No.
    words = suspended.evaluate_all(
        "(cells) => cells.map((c) => getComputedStyle(c, '::before').content + c.textContent)"
    )
    assert set(words) == {'"Suspended: "Yes', '"Suspended: "No'}
    assert sideways_overflow(page) == 0
    assert axe_violations(page) == []
