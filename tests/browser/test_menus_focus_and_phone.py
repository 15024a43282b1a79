"""The gear menu, messages, focus and the phone layout, as a keyboard and a phone find them
(issue 9, items 6, 7, 10 and 11)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import sideways_overflow, sign_in
from tests.conftest import DEMO_ROOT
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

FOCUSED_TAG = "() => document.activeElement ? document.activeElement.tagName : null"


def row(page: Page, name: str) -> Locator:
    return page.locator(f"#token-{name}")


def reachable(locator: Locator) -> bool:
    """The element itself is what a pointer at its centre would hit (nothing clips or covers it)."""
    return locator.evaluate(
        """(el) => {
            const box = el.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return box.width > 0 && (hit === el || el.contains(hit));
        }"""
    )


def overlaps(a: Locator, b: Locator) -> bool:
    one, two = a.bounding_box(), b.bounding_box()
    assert one
    assert two
    return not (
        one["x"] + one["width"] <= two["x"]
        or two["x"] + two["width"] <= one["x"]
        or one["y"] + one["height"] <= two["y"]
        or two["y"] + two["height"] <= one["y"]
    )


def focused_is_not_body(page: Page) -> None:
    assert page.evaluate(FOCUSED_TAG) not in (None, "BODY"), "focus fell back to the page"


# ----- Item 6: the gear menu -------------------------------------------------------------------


@pytest.mark.parametrize("search", ["backup", "no-such-token"])
def test_gear_menu_is_not_clipped_by_a_short_table(page: Page, app_url: str, search: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_label("Search").fill(search)
    expect(page).to_have_url(re.compile(rf"q={search}"))
    page.get_by_role("button", name="Table actions").click()
    for item in (
        page.get_by_role("link", name="Refresh List"),
        page.get_by_role("button", name="Revoke Selected"),
        page.get_by_role("link", name="Revoke All"),
    ):
        expect(item).to_be_visible()
        assert reachable(item), "the table's scroll box clips the menu"


def test_gear_menu_closes_when_focus_leaves_it(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("button", name="Table actions").focus()
    page.keyboard.press("Enter")
    revoke_all = page.get_by_role("link", name="Revoke All")
    expect(revoke_all).to_be_visible()
    for _ in range(8):  # through the eight items: Revoke All is the last
        page.keyboard.press("Tab")
    expect(revoke_all).to_be_focused()
    page.keyboard.press("Tab")
    expect(revoke_all).to_be_hidden()


def test_gear_menu_closes_on_escape_and_works_with_javascript_off(
    browser: Browser, app_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("button", name="Table actions").click()
    expect(page.get_by_role("link", name="Revoke All")).to_be_visible()
    expect(page.get_by_role("button", name="Select All Visible")).to_be_hidden()  # needs JS
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Revoke All")).to_be_hidden()
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("link", name="Revoke All").click()
    expect(page.get_by_text("revoke all of your API tokens?")).to_be_visible()
    context.close()


# ----- Item 7: messages ------------------------------------------------------------------------


def edit_and_save(page: Page) -> None:
    row(page, "reporting").get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("has been updated")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_message_covers_nothing_and_can_be_dismissed(
    browser: Browser, app_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    edit_and_save(page)
    message = page.locator(".message").filter(has_text="has been updated")
    expect(message).to_be_visible()
    for control in (
        page.get_by_role("button", name="Sign out"),
        page.get_by_role("link", name="Audit trail"),
        page.get_by_role("link", name="Generate Token"),
        page.get_by_label("Search"),
    ):
        assert not overlaps(message, control)
        # elementFromPoint sees only the viewport: bring the control in first (the question is
        # whether the message covers it, not where the page happens to be scrolled).
        control.scroll_into_view_if_needed()
        assert reachable(control)
    message.get_by_role("button", name="Dismiss message").click()
    expect(message).to_be_hidden()
    context.close()


def test_a_message_can_be_dismissed_with_javascript_off(browser: Browser, app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    edit_and_save(page)
    message = page.locator(".message").filter(has_text="has been updated")
    message.get_by_role("button", name="Dismiss message").click()
    expect(message).to_be_hidden()
    expect(row(page, "reporting")).to_be_visible()  # closed in place: no request, no new page
    context.close()


# ----- Item 10: phone width --------------------------------------------------------------------

# As WHM stores it (fully expanded), and as the table shows it (compressed): a range that stays
# long when compressed, to test wrapping.
IPV6 = "2001:0db8:85a3:08d3:1319:8a2e:0370:0000/112"
IPV6_SHOWN = "2001:db8:85a3:8d3:1319:8a2e:370:0/112"


def add_ipv6_token(whm: Simulator) -> None:
    whm.store.add_token(
        "root",
        "ipv6-range",
        acls=("list-accts",),
        create_time=int(time.time()),
        expires_at=None,
        whitelist_ips=(IPV6,),
    )


def lines(locator: Locator) -> int:
    """How many lines of text the element takes."""
    return locator.evaluate(
        """(el) => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
        }"""
    )


def test_on_a_phone_each_token_reads_top_to_bottom_with_its_actions(
    browser: Browser, app_url: str, whm: Simulator
) -> None:
    add_ipv6_token(whm)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    expect(row(page, "ipv6-range")).to_be_visible()
    assert sideways_overflow(page) == 0
    for token in page.locator("#token-table tbody tr[id^=token-]").all():
        for action in ("Edit", "Revoke"):
            link = token.get_by_role("link", name=re.compile(f"^{action} "))
            link.scroll_into_view_if_needed()
            box = link.bounding_box()
            assert box
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
        name = token.locator("th")
        # Read top to bottom: the name, then each detail under it, the actions last.
        assert name.bounding_box()["y"] < token.locator(".col-actions").bounding_box()["y"]
    assert lines(row(page, "backup-script").locator("td.ips")) == 1  # "Any" stays whole
    ipv6 = row(page, "ipv6-range").locator("td.ips")
    expect(ipv6).to_have_text(IPV6_SHOWN)
    assert lines(ipv6) <= 2  # a long address may wrap once, never two characters a line
    context.close()


def test_at_desktop_width_an_ip_range_never_wraps(
    browser: Browser, app_url: str, whm: Simulator
) -> None:
    add_ipv6_token(whm)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    ipv6 = row(page, "ipv6-range").locator("td.ips")
    expect(ipv6).to_have_text(IPV6_SHOWN)
    assert lines(ipv6) == 1  # "/112" stays with its address
    assert sideways_overflow(page) == 0
    context.close()


# ----- Item 11: focus --------------------------------------------------------------------------


def test_sorting_by_keyboard_keeps_focus_on_the_sort_link(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name=re.compile(r"^Name")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Name"))
    expect(page.get_by_role("link", name=re.compile(r"^Name"))).to_be_focused()


def test_refresh_list_keeps_focus_and_announces_the_new_count(
    page: Page, app_url: str, whm: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    expect(page.locator("#search-status")).to_have_text("6 API tokens.")
    add_ipv6_token(whm)  # made elsewhere: only Refresh List shows it
    page.get_by_role("button", name="Table actions").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Refresh List").focus()
    page.keyboard.press("Enter")
    expect(row(page, "ipv6-range")).to_be_visible()
    expect(page.locator("#search-status")).to_have_text("Refreshed: 7 API tokens.")
    expect(page.get_by_role("button", name="Table actions")).to_be_focused()


@pytest.mark.parametrize("opened_by", ["Revoke All", "Revoke"])
def test_a_revoke_dialog_opens_on_cancel_and_gives_focus_back(
    page: Page, app_url: str, opened_by: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    if opened_by == "Revoke All":
        opener = page.get_by_role("button", name="Table actions")
        opener.focus()
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Revoke All").focus()
    else:
        opener = row(page, "reporting").get_by_role("link", name="Revoke")
        opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Continue")).not_to_be_focused()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")  # Cancel
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_after_revoking_focus_stays_in_the_table(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    row(page, "reporting").get_by_role("link", name="Revoke").click()
    page.locator("dialog#dialog").get_by_role("button", name="Continue").click()
    expect(row(page, "reporting")).to_have_count(0)
    expect(page.locator("dialog#dialog")).to_be_hidden()
    focused_is_not_body(page)


def contrast(one: tuple[float, ...], two: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        channels = [c / 255 for c in rgb[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"[\d.]+", css)[:3])


@pytest.mark.parametrize("name", ["reporting", "monitoring", "old-migration"])  # light, yellow, red
def test_the_focus_ring_stands_out_against_every_row(page: Page, app_url: str, name: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    for control in ("checkbox", "Edit"):
        target = (
            row(page, name).get_by_role("checkbox")
            if control == "checkbox"
            else row(page, name).get_by_role("link", name=f"Edit {name}")
        )
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # reached by keyboard: :focus-visible
        expect(target).to_be_focused()
        ring, width, background = target.evaluate(
            """(el) => [getComputedStyle(el).outlineColor, getComputedStyle(el).outlineWidth,
                        getComputedStyle(el.closest('tr')).backgroundColor]"""
        )
        row_background = rgb(background) if not background.endswith(", 0)") else (255, 255, 255)
        assert float(width.removesuffix("px")) >= 2
        assert contrast(rgb(ring), row_background) >= 3, f"{control} ring {ring} on {background}"


# ----- Item 1 (issue 8): fields that appear with a choice are CSS, so JavaScript off keeps them --


def test_fields_follow_their_choice_with_javascript_off(browser: Browser, app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{app_url}/sign-in/")
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_label("API token", exact=True)).to_be_hidden()
    page.get_by_label("Use an API token").check()
    expect(page.get_by_label("API token", exact=True)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_hidden()
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    date_box = page.get_by_label("API Token Expiration Date")
    expect(date_box).to_be_visible()
    expect(page.get_by_role("button", name="Choose a date")).to_be_hidden()  # needs JS
    page.get_by_label("The API Token will not expire.").check()
    expect(date_box).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("no-script")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    expect(page.locator("button[data-copy]")).to_have_count(3)
    expect(page.locator("button[data-copy]").first).to_be_hidden()  # needs JS
    context.close()
