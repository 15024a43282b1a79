"""Every dashboard flow in a real browser: Playwright driving Debian's chromium."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
import time

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import sign_in, sign_in_with_form
from tests.helpers import DEMO_RESELLER, DEMO_ROOT, expire_sessions
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)


def rows(page: Page):
    return page.locator("#token-table tbody tr[id^=token-]")


def row(page: Page, name: str):
    return page.locator(f"#token-{name}")


def listaccts(sim: Simulator, user: str, secret: str) -> httpx.Response:
    """The seed document's curl example, made from Python."""
    return httpx.get(
        f"{sim.url}/json-api/listaccts?api.version=1",
        headers={"Authorization": f"whm {user}:{secret}"},
    )


def run_shown(command: str) -> str:
    """Run a curl command exactly as the page shows it; its output."""
    argv = shlex.split(command)
    assert argv[0] == "curl"
    result = subprocess.run(
        [*argv, "--silent", "--max-time", "10"], capture_output=True, text=True, timeout=15
    )
    return result.stdout


def test_sign_in_with_password_then_sign_out(page: Page, app_url: str) -> None:
    sign_in_with_form(page, app_url, *DEMO_ROOT)
    expect(page).to_have_url(f"{app_url}/tokens/")
    expect(page.get_by_role("heading", name="API Tokens")).to_be_visible()
    expect(page.get_by_text("Signed in as root on simulator")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{app_url}/sign-in/")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{app_url}/tokens/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next="))


def test_wrong_password_is_refused_plainly(page: Page, app_url: str) -> None:
    sign_in_with_form(page, app_url, "root", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("WHM refused these credentials.")
    expect(page.get_by_label("Username")).to_have_value("root")


def test_sign_in_with_a_token_marks_it_in_the_table(page: Page, app_url: str, whm) -> None:
    secret = whm.store.add_token(
        "root", "dashboard-login", acls=("all",), create_time=int(time.time()), expires_at=None
    )
    sign_in_with_form(page, app_url, "root", secret, token=True)
    expect(row(page, "dashboard-login").get_by_text("this session's token")).to_be_visible()


def test_table_flags_expired_and_expiring_rows_with_icon_and_words(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    expired = row(page, "old-migration")
    expect(expired).to_have_class(re.compile("row-expired"))
    expect(expired.locator(".notice")).to_have_text(re.compile(r"Expired 5 days ago"))
    # The notice's icon is drawn by CSS (one rule, not a <svg> in every row).
    icon = expired.locator(".notice").evaluate("el => getComputedStyle(el, '::before').maskImage")
    assert "notice.svg" in icon
    soon = row(page, "monitoring")
    expect(soon).to_have_class(re.compile("row-soon"))
    expect(soon.locator(".notice")).to_have_text(re.compile(r"Expires in \d+ (days|hours)"))
    expect(row(page, "backup-script").locator("td").nth(2)).to_have_text("Never")
    expect(row(page, "backup-script").locator("td.ips")).to_have_text("Any")
    expect(row(page, "reporting").locator("time").first).to_have_text(
        re.compile(r"^\d\d \d\d \d{4} \d\d:\d\d:\d\d$")
    )


def test_search_filters_as_you_type_and_keeps_the_filter_in_the_url(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    expect(rows(page)).to_have_count(6)
    page.get_by_label("Search").press_sequentially("BO")
    expect(rows(page)).to_have_count(1)
    expect(row(page, "billing-bot")).to_be_visible()
    expect(page.locator("#search-status")).to_have_text("1 of 6 API tokens match “BO”.")
    expect(page).to_have_url(re.compile(r"\?q=BO"))
    page.reload()
    expect(rows(page)).to_have_count(1)
    expect(page.get_by_label("Search")).to_have_value("BO")
    page.get_by_label("Search").fill("")
    expect(rows(page)).to_have_count(6)


def test_search_works_with_javascript_off(browser: Browser, app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_label("Search").fill("port")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"\?q=port"))
    expect(rows(page)).to_have_count(1)
    expect(row(page, "reporting")).to_be_visible()
    context.close()


def test_generate_shows_field_errors_then_the_secret_once(
    page: Page, app_url: str, whm: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_RESELLER)
    page.get_by_role("link", name="Generate Token").click()
    name = page.get_by_label("Name", exact=True)
    name.fill("bad name!")
    expect(page.locator("#name-check")).to_contain_text("contains a space")
    name.fill("reporting")
    expect(page.locator("#name-check")).to_contain_text("already exists")
    name.fill("ci-deploy")
    expect(page.locator("#name-check")).to_have_text("“ci-deploy” is available.")
    page.get_by_label("IPs").fill("10.0.0.5/24")
    page.get_by_label("API Token Expiration Date").fill("2020-01-01")
    # Unticking every privilege disables Generate, as in WHM.
    for group in page.locator("[data-acl-group]").all():
        group.get_by_role("button", name=re.compile("Select none")).click()
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()
    expect(page.get_by_text("You must specify at least one ACL for this token.")).to_be_visible()
    page.get_by_label("List Accounts").check()
    page.get_by_role("button", name="Generate").click()
    # The server's answer: the IP list is wrong, everything typed is still there.
    expect(page.get_by_text("Did you mean 10.0.0.0/24?")).to_be_visible()
    expect(page.get_by_text(re.compile(r"The expiration date must be today"))).to_be_visible()
    expect(page.get_by_label("API Token Expiration Date")).to_have_value("2020-01-01")
    page.get_by_label("The API Token will not expire.").check()
    expect(page.get_by_label("Name", exact=True)).to_have_value("ci-deploy")
    expect(page.get_by_label("List Accounts")).to_be_checked()
    page.get_by_label("IPs").fill("127.0.0.1")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    secret = page.locator("#secret").input_value()
    assert re.fullmatch(r"[A-Z0-9]{32}", secret)
    expect(page.locator("#auth-header")).to_have_value(f"Authorization: whm reseller:{secret}")
    # Copy puts the secret on the clipboard and says so.
    page.locator("[data-copy='#secret']").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.get_by_role("link", name="Yes, I saved my token").click()
    expect(row(page, "ci-deploy")).to_have_class(re.compile("row-highlight"))
    # Back never returns to the secret: the POST pages behind it are no-store, so chromium
    # refuses them (net::ERR_CACHE_MISS) rather than show one again.
    with contextlib.suppress(PlaywrightError):
        page.go_back()
    page.wait_for_url(lambda url: "highlight=" not in url)
    page.wait_for_load_state()
    assert secret not in page.content()
    assert listaccts(whm, "reseller", secret).status_code == 200


def test_generate_expiry_date_defaults_to_a_year_and_can_be_switched_off(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    date_box = page.get_by_label("API Token Expiration Date")
    expect(date_box).to_be_visible()
    assert date_box.input_value().startswith(str(timezone.now().year + 1))
    page.get_by_label("The API Token will not expire.").check()
    expect(date_box).to_be_hidden()


def test_all_privileges_box_behaves_as_in_whm(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    everything = page.locator("input[name=acls][value=all]")
    expect(everything).not_to_be_checked()
    everything.check()
    expect(page.locator("input[name=acls]:not(:checked)")).to_have_count(0)
    page.locator("input[name=acls][value=passwd]").uncheck()
    expect(everything).not_to_be_checked()
    expect(
        page.get_by_text("This allows an API token user access to the entire system.")
    ).to_be_visible()


def test_edit_renames_and_shows_a_success_message(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    row(page, "reporting").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit API Token")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("quarterly-reporting")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text(
        "The API token “quarterly-reporting” has been updated."
    )
    expect(row(page, "quarterly-reporting")).to_have_class(re.compile("row-highlight"))
    expect(row(page, "reporting")).to_have_count(0)


def test_revoke_one_in_a_dialog_without_a_page_reload(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.evaluate("window.__sameDocument = true")
    row(page, "reporting").get_by_role("link", name="Revoke").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "Are you certain that you want to revoke the API token, “reporting”?"
    )
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "reporting")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("The API token “reporting” has been revoked.")
    assert page.evaluate("window.__sameDocument") is True


def test_revoke_dialog_cancels_with_escape_and_returns_focus(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    revoke = row(page, "reporting").get_by_role("link", name="Revoke")
    revoke.click()
    expect(page.locator("dialog#dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#dialog")).to_be_hidden()
    expect(revoke).to_be_focused()
    expect(row(page, "reporting")).to_have_count(1)


def test_revoke_selected_from_the_gear_menu(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    row(page, "reporting").get_by_role("checkbox").check()
    row(page, "automation").get_by_role("checkbox").check()
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("button", name="Revoke Selected").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text("Are you certain that you want to revoke 2 API tokens?")
    dialog.get_by_role("button", name="Continue").click()
    expect(rows(page)).to_have_count(4)
    expect(page.locator("#messages")).to_contain_text("2 API tokens have been revoked.")


def test_select_all_visible_and_clear_selection(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_label("Search").press_sequentially("r")
    expect(rows(page)).to_have_count(4)
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("button", name="Select All Visible").click()
    expect(page.locator("#table-form tbody input:checked")).to_have_count(4)
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("button", name="Clear Selection").click()
    expect(page.locator("#table-form tbody input:checked")).to_have_count(0)


def test_revoke_all_from_the_gear_menu(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("button", name="Table actions").click()
    page.get_by_role("link", name="Revoke All").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text(
        "Are you certain that you want to revoke all of your API tokens?"
    )
    dialog.get_by_role("button", name="Continue").click()
    expect(rows(page)).to_have_count(0)
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()


def test_revoke_works_with_javascript_off(browser: Browser, app_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, app_url, *DEMO_ROOT)
    row(page, "reporting").get_by_role("link", name="Revoke").click()
    expect(
        page.get_by_text("Are you certain that you want to revoke the API token, “reporting”?")
    ).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{app_url}/tokens/")
    expect(row(page, "reporting")).to_have_count(0)
    context.close()


def test_idle_session_expires_and_asks_to_sign_in_again(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    expect(rows(page)).to_have_count(6)
    expire_sessions()
    page.get_by_label("Search").press_sequentially("bot")
    expect(page).to_have_url(f"{app_url}/sign-in/")
    expect(page.get_by_role("heading", name="Sign in to WHM")).to_be_visible()


def test_new_user_path_generate_use_edit_search_revoke(
    page: Page, app_url: str, whm: Simulator
) -> None:
    """The issue's acceptance path: a token restricted to one IP with two privileges."""
    sign_in_with_form(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_label("Name", exact=True).fill("acceptance")
    page.get_by_label("IPs").fill("127.0.0.1")
    page.locator("input[name=acls]").evaluate_all("boxes => boxes.forEach(b => b.checked = false)")
    page.get_by_label("List Accounts").check()
    page.get_by_label("Create Accounts").check()
    page.get_by_role("button", name="Generate").click()
    secret = page.locator("#secret").input_value()
    curl = page.locator("#curl-example").input_value()
    assert f"Authorization: whm root:{secret}" in curl
    assert "/json-api/applist?api.version=1" in curl
    used = run_shown(curl)
    assert json.loads(used)["metadata"]["result"] == 1
    assert listaccts(whm, "root", secret).status_code == 200  # one of its two privileges
    page.get_by_role("link", name="Yes, I saved my token").click()
    row(page, "acceptance").get_by_role("link", name="Edit").click()
    page.get_by_label("Name", exact=True).fill("acceptance-2")
    page.get_by_role("button", name="Save").click()
    expect(row(page, "acceptance-2")).to_be_visible()
    page.get_by_label("Search").press_sequentially("accept")
    expect(rows(page)).to_have_count(1)
    row(page, "acceptance-2").get_by_role("link", name="Revoke").click()
    page.locator("dialog").get_by_role("button", name="Continue").click()
    expect(rows(page)).to_have_count(0)
    assert "Access denied" in run_shown(curl)  # the same command, now refused
    refused = listaccts(whm, "root", secret)
    assert refused.status_code == 403


def test_a_second_click_on_generate_sends_whm_one_request(
    page: Page, app_url: str, whm: Simulator
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate Token").click()
    page.wait_for_load_state()  # tokenui.js, which guards the form, runs once the page is parsed
    page.get_by_label("Name", exact=True).fill("clicked-twice")
    whm.latency_ms = 600  # the first request is still on its way when the second click comes
    whm.clear_requests()

    # Two clicks as a hurried person makes them, the second while the first is on its way.
    busy = page.evaluate(
        """() => {
            const generate = document.querySelector("#token-form button[type=submit]");
            generate.click();
            const busy = document.querySelector("#busy").className;
            generate.click();
            return busy;
        }"""
    )

    assert "htmx-request" in busy  # "Waiting for WHM…" shows while the form is sent

    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    assert [r.function for r in whm.requests()].count("api_token_create") == 1


def test_a_form_that_comes_back_with_errors_puts_focus_on_the_first(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_label("Name", exact=True).fill("reporting")  # taken
    page.get_by_role("button", name="Generate").click()

    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    expect(page.get_by_label("Name", exact=True)).to_have_value("reporting")


def test_typing_a_search_leaves_one_history_entry(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    entries = page.evaluate("history.length")

    page.get_by_label("Search").press_sequentially("bot")

    expect(page).to_have_url(re.compile(r"\?q=bot$"))
    assert page.evaluate("history.length") == entries


def test_edit_returns_to_the_sorted_table_with_the_row_in_focus(page: Page, app_url: str) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Name").click()  # sort by name
    expect(page).to_have_url(re.compile(r"sort=name"))
    row(page, "monitoring").get_by_role("link", name="Edit").click()
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"sort=name&highlight=monitoring"))
    expect(page.locator("#token-monitoring th")).to_be_focused()
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Name"))
    expect(page.locator("#messages")).to_contain_text("has been updated")


def test_the_expiry_date_is_typed_as_yyyy_mm_dd_or_picked_from_a_calendar(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/new/")
    page.get_by_label("Name", exact=True).fill("typed-date")
    date_box = page.get_by_label("API Token Expiration Date")
    expect(page.get_by_role("button", name="Choose a date", exact=True)).to_be_visible()

    # What the browser's calendar does when a day is picked: the page writes it back as typed.
    page.locator(".date-picker-input").evaluate(
        "calendar => { calendar.value = '2029-03-04'; "
        "calendar.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    expect(date_box).to_have_value("2029-03-04")
    date_box.fill("")
    date_box.press_sequentially("2028-06-15")  # key by key, whatever the browser's locale
    page.get_by_role("button", name="Generate").click()

    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    expect(page.locator("main")).to_contain_text("It expires on 06 15 2028 23:59:59.")
