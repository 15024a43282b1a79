"""The Generate form with every privilege WHM has (root's): compact at 1280 px, and its primary
action in reach without scrolling past the whole list (issue 17, item 14). At 1280 px the
actions stay in view in a side column of their own, covering nothing; at 390 px a link at the
top of the privileges skips to them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in, small_targets
from tests.helpers import DEMO_ROOT

pytestmark = pytest.mark.django_db(transaction=True)

# Before issue 17: 4,006 px at 1280 (6,439 at 390), Generate at the very end.
MOST_AT_1280 = 3_300


def in_view(page: Page, name: str) -> bool:
    """Whether the button `name` is wholly inside the window as it is scrolled now."""
    return page.get_by_role("button", name=name, exact=True).evaluate(
        "(b) => { const r = b.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }"
    )


def open_generate(page: Page, app_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    assert page.locator("input[name=acls]").count() == 64  # every privilege WHM has


def test_generate_is_compact_at_1280_px(page: Page, app_url: str) -> None:
    open_generate(page, app_url, 1280)
    assert page.evaluate("document.documentElement.scrollHeight") <= MOST_AT_1280
    # Side by side: a group's privileges in columns, the name beside the IPs.
    columns = page.locator("#privileges input[name=acls]").evaluate_all(
        "(all) => new Set(all.map((b) => Math.round(b.getBoundingClientRect().left))).size"
    )
    assert columns >= 3
    name, ips = (page.get_by_label(label, exact=True).bounding_box() for label in ("Name", "IPs"))
    assert ips["x"] > name["x"] + name["width"]


def test_generate_stays_in_view_beside_the_form_at_1280_px(page: Page, app_url: str) -> None:
    open_generate(page, app_url, 1280)
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in (0, height // 3, 2 * height // 3, height):
        page.evaluate(f"window.scrollTo(0, {y})")
        assert in_view(page, "Generate"), f"Generate out of view scrolled to {y} of {height} px"
        assert axe_violations(page) == []
    # In a column of its own: nothing of the form is under it.
    main, side = (page.locator(box).bounding_box() for box in (".form-main", ".form-side"))
    assert side["x"] >= main["x"] + main["width"]
    expect(page.get_by_role("link", name="Skip to Generate")).to_be_hidden()  # not needed here
    page.get_by_label("Account Summary").uncheck()  # the risk flags beside it follow the boxes
    expect(page.locator(".form-side #form-flags")).to_be_in_viewport()


def test_a_phone_skips_the_privileges_to_generate(page: Page, app_url: str) -> None:
    """A plain link to #form-actions: the same with JavaScript off."""
    open_generate(page, app_url, 390)
    skip = page.get_by_role("link", name="Skip to Generate")
    first = page.get_by_label("Account Summary").bounding_box()
    assert skip.bounding_box()["y"] < first["y"]  # before the list
    skip.click()
    assert in_view(page, "Generate")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Generate", exact=True)).to_be_focused()
    assert sideways_overflow(page) == 0
    assert small_targets(page) == []
    assert axe_violations(page) == []
