"""The token table at 50 rows by keyboard, and its numbered pager (issue 17, items 14 and 15):
Tab visits the row controls only, the pager keeps the search and sort, with htmx and without
JavaScript, and fits a phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import DEMO_ROOT
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

# Every control a row offers: its box, Edit, Rotate, Generate a token like this, Revoke.
ROW_CONTROLS = 5


@pytest.fixture
def many(whm: Simulator) -> Simulator:
    """Enough tokens for 8 pages, every one with risk flags (no expiry, any IP)."""
    now = int(time.time())
    for n in range(400):
        whm.store.add_token(
            "root", f"bulk-{n:03d}", acls=("all",), create_time=now - n, expires_at=None
        )
    return whm


def test_tab_from_search_to_the_pager_visits_the_row_controls_only(
    page: Page, app_url: str, many: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_label("Search").fill("bulk")
    # The first page already holds 50 rows: wait for the search's own swap (its URL), or Tab
    # would run while that swap replaces the rows under it.
    expect(page).to_have_url(re.compile(r"[?&]q=bulk"))
    expect(page.locator("#token-table tbody tr[id^=token-]")).to_have_count(50)
    assert page.locator("#token-table tbody .flag").count() >= 100  # 2 or more a row

    page.locator("#search-q").focus()
    stops = []
    for _ in range(400):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "() => { const el = document.activeElement;"
            " return el.closest('.pager') ? 'pager' : el.closest('tbody') ? 'row' :"
            " el.closest('thead') ? 'head' : el.className || el.tagName; }"
        )
        if where == "pager":
            break
        stops.append(where)
    # The header's box, three sort links and the gear; then each row's controls, no flag.
    assert stops == ["head"] * 5 + ["row"] * (50 * ROW_CONTROLS)


def test_the_pager_numbers_pages_swaps_the_table_and_keeps_the_search_and_sort(
    page: Page, app_url: str, many: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/?q=bulk&sort=name")
    pager = page.get_by_role("navigation", name="Pages of API tokens")
    expect(pager.get_by_role("link")).to_have_text(
        ["Page 1", "Page 2", "Page 3", "Page 8", "Next"], use_inner_text=False
    )
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 1")
    assert axe_violations(page) == []

    pager.get_by_role("link", name="Page 3", exact=True).click()
    expect(page).to_have_url(f"{app_url}/tokens/?q=bulk&sort=name&page=3")
    expect(page.locator("#token-table tbody tr").first).to_have_id("token-bulk-100")
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 3")
    expect(page.get_by_label("Search")).to_have_value("bulk")  # the page was swapped, not loaded
    assert axe_violations(page) == []


@pytest.mark.parametrize("javascript", [True, False])
def test_the_pager_fits_a_phone_and_works_without_javascript(
    browser: Browser, app_url: str, many: Simulator, javascript: bool
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/?sort=name&page=4")
    pager = page.get_by_role("navigation", name="Pages of API tokens")
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 4")
    assert sideways_overflow(page) == 0
    box = pager.bounding_box()
    assert box
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390

    pager.get_by_role("link", name="Page 6", exact=True).click()  # the current page + 2
    expect(page).to_have_url(f"{app_url}/tokens/?sort=name&page=6")
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 6")
    context.close()
