"""Risk flags, the exports and Revoke Expired in a real browser (issue 11, items 4-6): axe-core
on each new screen, 390 px without sideways scrolling, and the same with JavaScript off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, sign_in
from tests.helpers import DEMO_ROOT
from tokenui import risk
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

DAY = 86400


@pytest.fixture
def risky(whm: Simulator) -> Simulator:
    now = int(time.time())
    whm.store.add_token("root", "wide-open", acls=["all"], create_time=now - 5, expires_at=None)
    whm.store.add_token(
        "root",
        "-lapsed",
        acls=["list-accts"],
        create_time=now - 30 * DAY,
        expires_at=now - DAY,
        whitelist_ips=("192.0.2.10",),
    )
    return whm


def flags_of(page: Page, name: str):
    return page.locator(f"#token-{name} .flag")


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_flags_are_words_explained_on_hover_and_while_their_row_has_focus(
    browser: Browser, app_url: str, risky: Simulator, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)

    flags = flags_of(page, "wide-open")
    expect(flags).to_have_text(["Full access", "No expiry", "Any IP"], use_inner_text=True)
    # Not a tab stop each (issue 17 item 14): the words are read in their cell.
    for flag in flags.all():
        assert flag.evaluate("el => el.tabIndex") == -1
    # One shared tooltip: every flag of the row while focus is on one of its controls...
    tip = page.locator("#flag-tip")
    expect(tip).to_be_hidden()
    page.locator("#token-wide-open").get_by_role("checkbox").focus()
    page.keyboard.press("Tab")  # to its Edit link, by keyboard
    edit = page.locator("#token-wide-open").get_by_role("link", name="Edit wide-open")
    expect(edit).to_be_focused()
    expect(tip).to_be_visible()
    tip_box, edit_box = tip.bounding_box(), edit.bounding_box()
    assert tip_box
    assert edit_box
    assert tip_box["y"] >= edit_box["y"] + edit_box["height"]  # under it, never over it
    expect(tip.locator("p")).to_have_text(
        [
            f"{f.words}: {f.explanation}"
            for f in (risk.FULL_ACCESS_FLAG, risk.NO_EXPIRY_FLAG, risk.ANY_IP_FLAG)
        ]
    )
    page.keyboard.press("Escape")  # dismissible (WCAG 1.4.13)
    expect(tip).to_be_hidden()
    # ...and a hovered flag's own explanation, just below it, on the screen.
    last = flags.last
    last.hover()
    expect(tip).to_have_text(f"{risk.ANY_IP_FLAG.words}: {risk.ANY_IP_FLAG.explanation}")
    expect(tip).to_be_visible()
    tip_box, flag_box = tip.bounding_box(), last.bounding_box()
    assert tip_box
    assert flag_box
    assert 0 <= tip_box["y"] - flag_box["y"] - flag_box["height"] < 12  # just below the flag
    assert 0 <= tip_box["x"] <= tip_box["x"] + tip_box["width"] <= width  # on the screen
    check_screen(page)
    page.get_by_text("Risk flags").click()
    expect(page.locator("#risk-expired")).to_be_visible()
    check_screen(page)
    assert sideways_overflow(page) == 0
    context.close()


def test_form_flags_follow_the_ticks_live(page: Page, app_url: str, whm: Simulator) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    live = page.locator("#form-flags")
    expect(live.locator(".flag")).to_have_text(
        use_inner_text=True, expected=["Can bypass limits", "Any IP"]
    )
    check_screen(page)

    page.get_by_label("The API Token will not expire.").check()
    expect(live.locator(".flag")).to_have_text(
        use_inner_text=True, expected=["Can bypass limits", "No expiry", "Any IP"]
    )
    page.get_by_label("IPs").fill("10.0.0.0/8")
    expect(live.locator(".flag")).to_have_text(
        use_inner_text=True, expected=["Can bypass limits", "No expiry", "Wide range"]
    )
    page.get_by_role("checkbox", name="All Features").check()
    expect(live.locator(".flag")).to_have_text(
        use_inner_text=True, expected=["Full access", "No expiry", "Wide range"]
    )
    page.get_by_role("checkbox", name="All Features").uncheck()
    page.get_by_role("button", name="Select none of Basic Privileges").click()
    expect(live.locator(".flag")).to_have_text(
        use_inner_text=True, expected=["No expiry", "Wide range"]
    )
    check_screen(page)


def test_revoke_expired_from_the_gear_menu(page: Page, app_url: str, risky: Simulator) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("link", name="Revoke Expired").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text("Are you certain that you want to revoke 2 expired API tokens?")
    expect(dialog.get_by_role("listitem")).to_have_text(["-lapsed", "old-migration"])
    # A destructive dialog opens on Cancel, never on the button that destroys.
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    check_screen(page)
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#token-old-migration")).to_have_count(0)
    expect(page.locator("#token--lapsed")).to_have_count(0)
    expect(page.locator("#token-wide-open")).to_be_visible()
    expect(page.get_by_text("2 API tokens have been revoked.")).to_be_visible()


def test_export_csv_downloads_the_table_named_for_server_and_day(
    page: Page, app_url: str, risky: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_label("Search").fill("open")
    expect(page.locator("#token-table tbody tr[id^=token-]")).to_have_count(1)
    page.get_by_role("button", name="Table actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("api-tokens_simulator_")
    assert download.suggested_filename.endswith(".csv")
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "server,user,name,created,expires,state,ips,privileges,flags"
    assert len(lines) == 2
    assert lines[1].startswith("simulator,root,wide-open,")


def test_flags_and_revoke_expired_work_with_javascript_off(
    browser: Browser, app_url: str, risky: Simulator
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    expect(flags_of(page, "-lapsed")).to_have_text(["Expired"], use_inner_text=True)
    page.goto(f"{app_url}/tokens/new/")
    expect(page.locator("#form-flags .flag")).to_have_count(2)  # drawn by the server
    page.goto(f"{app_url}/tokens/")
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("link", name="Revoke Expired").click()
    expect(page.get_by_text("revoke 2 expired API tokens?")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{app_url}/tokens/")
    expect(page.locator("#token--lapsed")).to_have_count(0)
    context.close()
