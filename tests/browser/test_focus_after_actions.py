"""Where focus is after each action, with JavaScript on (htmx swaps) and off (whole pages), for
every token system (issue 17 item 12): never on <body>, but where the user's next step is (the
link just used, the reason a sign-in was refused, the heading of a secret, the message that says
what happened)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import OWNERS, has_focus, js_on, open_table, press, settled_on_cancel
from tests.helpers import CPANEL_ROOTS, DEMO_ROOT, start_session
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEMS = ["whm", "cpanel", "cpanel-via-whm"]
CREATE = {"whm": ("Generate Token", "Name"), "cpanel": ("Create", "API Token Name")}


def add_tokens(sim: Simulator, system: str, count: int) -> None:
    now = int(time.time())
    for i in range(count):
        name = f"bulk-{i:03d}"
        if system == "whm":
            sim.store.add_token(
                "root", name, acls=("list-accts",), create_time=now - i, expires_at=None
            )
        else:
            sim.store.add_cpanel_token(OWNERS[system], name, create_time=now - i, expires_at=None)


def message(page: Page) -> Locator:
    return page.locator("#messages")


# ----- the token tables ------------------------------------------------------------------------


@pytest.mark.parametrize("system", SYSTEMS)
def test_sorting_and_paging_keep_focus_on_the_link_used(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    add_tokens(cpanel, system, 60)  # two pages
    open_table(page, app_url, system)
    press(page, page.get_by_role("link", name=re.compile("^Name")))
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Name"))
    has_focus(page, page.get_by_role("link", name=re.compile("^Name")))

    press(page, page.get_by_role("link", name="Next"))
    expect(page).to_have_url(re.compile(r"page=2"))
    # The last page has no Next: focus goes to the pager's other link, not <body> or the gear.
    has_focus(page, page.get_by_role("link", name="Previous"))


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_revoke_from_the_table_leaves_focus_on_its_message(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    open_table(page, app_url, system)
    first = page.locator("#token-table tbody tr[id^=token-]").first
    name = first.get_attribute("id").removeprefix("token-")
    script = js_on(page)

    # Revoke Selected with nothing ticked: the message says what to do.
    if script:
        press(page, page.get_by_role("button", name="Table actions"))
        press(page, page.get_by_role("button", name="Revoke Selected"))
    else:
        # The menu's item needs JavaScript; the form's own button is there without it.
        press(page, page.get_by_role("button", name="Revoke Selected"))
    expect(message(page)).to_contain_text("Select at least one API token to revoke.")
    has_focus(page, message(page))

    # One Revoke, confirmed.
    press(page, first.get_by_role("link", name=f"Revoke {name}"))
    confirm = page.locator("#dialog") if script else page.locator("main")
    settled_on_cancel(page, confirm, script)
    press(page, confirm.get_by_role("button", name=re.compile("^(Continue|Yes, Revoke)")))
    expect(message(page)).to_contain_text(f"The API token “{name}” has been revoked.")
    has_focus(page, message(page))

    # Revoke All, confirmed.
    press(page, page.get_by_role("button", name="Table actions"))
    press(page, page.get_by_role("link", name="Revoke All"))
    confirm = page.locator("#dialog") if script else page.locator("main")
    settled_on_cancel(page, confirm, script)
    press(page, confirm.get_by_role("button", name=re.compile("^(Continue|Yes, Revoke)")))
    expect(message(page)).to_contain_text("API tokens have been revoked.")
    has_focus(page, message(page))


def test_a_question_open_again_before_the_last_close_event_keeps_its_content_and_focus(
    page: Page, app_url: str
) -> None:
    """The dialog's close event is a task of its own, after the dialog has closed. On a busy
    machine the next question's swap can land first (CI: Cancel, then Revoke the old token now
    again): its handler must leave the open question alone, not empty it and drop focus."""
    open_table(page, app_url, "whm")
    first = page.locator("#token-table tbody tr[id^=token-]").first
    name = first.get_attribute("id").removeprefix("token-")
    press(page, first.get_by_role("link", name=f"Revoke {name}"))
    dialog = page.locator("#dialog")
    settled_on_cancel(page, dialog, True)

    # Closed and open again within one task: the close event comes only after.
    page.evaluate(
        """() => {
            const dialog = document.getElementById("dialog");
            const question = dialog.innerHTML;
            dialog.close();
            dialog.innerHTML = question;
            dialog.showModal();
        }"""
    )
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")  # the close event ran

    expect(dialog).to_have_attribute("open", "")
    expect(dialog.get_by_role("heading", name="Revoke API Token")).to_be_visible()
    has_focus(page, dialog.get_by_role("button", name="Cancel"))


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_question_answered_before_htmx_settles_still_answers_as_a_swap(
    page: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    """htmx binds swapped-in content as the swap settles, 20 ms on, later on a busy machine. The
    question is bound as it opens: Tab and Enter at once revoke through htmx (the table
    redrawn, focus on the message), not as a plain post of the page."""
    open_table(page, app_url, system)
    page.evaluate("htmx.config.defaultSettleDelay = 3000")  # a machine too busy to settle
    first = page.locator("#token-table tbody tr[id^=token-]").first
    name = first.get_attribute("id").removeprefix("token-")
    press(page, first.get_by_role("link", name=f"Revoke {name}"))
    dialog = page.locator("#dialog")
    has_focus(page, dialog.get_by_role("button", name="Cancel"))
    expect(dialog).to_have_class(re.compile(r"\bhtmx-settling\b"))  # answered before it settles

    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")

    assert posted.value.headers.get("hx-request") == "true"
    expect(message(page)).to_contain_text(f"The API token “{name}” has been revoked.")
    has_focus(page, message(page))


@pytest.mark.parametrize("system", ["cpanel", "cpanel-via-whm"])
def test_yes_revoke_the_token_from_manage_leaves_focus_on_its_message(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    open_table(page, app_url, system)
    script = js_on(page)
    press(page, page.get_by_role("link", name="Manage deploy-script"))
    press(page, page.get_by_role("link", name="Revoke The Token"))
    confirm = page.locator("#dialog") if script else page.locator("main")
    settled_on_cancel(page, confirm, script)
    press(page, confirm.get_by_role("button", name="Yes, Revoke The Token"))
    expect(message(page)).to_contain_text("The API token “deploy-script” has been revoked.")
    has_focus(page, message(page))


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_secret_page_opens_on_its_heading(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    open_table(page, app_url, system)
    words = CREATE["whm" if system == "whm" else "cpanel"]
    press(page, page.get_by_role("link", name=words[0], exact=True))
    page.get_by_label(words[1], exact=True).fill("focus-test")
    page.get_by_label("The API Token will not expire.").check()
    press(page, page.get_by_role("button", name=words[0].split()[0], exact=True))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^API Token (Generated|Created)$"))
    has_focus(page, heading)


# ----- sign-in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["WHM", "cPanel"])
def test_a_refused_sign_in_puts_focus_on_the_reason(
    page_js: Page, app_url: str, cpanel: Simulator, service: str
) -> None:
    page = page_js
    page.goto(f"{app_url}/sign-in/")
    page.get_by_label(service, exact=True).check()
    page.get_by_label("Username").fill(DEMO_ROOT[0] if service == "WHM" else CPANEL_ROOTS[0][0])
    page.get_by_label("Password", exact=True).fill("not-the-password")
    press(page, page.get_by_role("button", name="Sign in"))
    reason = page.get_by_role("alert").filter(has_text="refused")
    expect(reason).to_be_visible()
    has_focus(page, reason)


# ----- All servers -----------------------------------------------------------------------------


@pytest.fixture
def two_servers(app_url: str, whm: Simulator, beta: Simulator, settings) -> str:
    settings.WHM_SERVERS = {"alpha": whm.url, "beta": beta.url}
    return app_url


def test_sorting_and_paging_all_servers_keep_focus_on_the_link_used(
    page_js: Page, two_servers: str, whm: Simulator
) -> None:
    page = page_js
    add_tokens(whm, "whm", 50)  # with both servers' demo tokens: two pages
    cookies = start_session(*DEMO_ROOT, servers=("alpha", "beta"))
    page.context.add_cookies(
        [{"name": k, "value": v, "url": two_servers, "httpOnly": True} for k, v in cookies.items()]
    )
    page.goto(f"{two_servers}/fleet/")
    sort = page.locator("#fleet-table").get_by_role("link", name=re.compile("^Name"))
    press(page, sort)
    expect(page).to_have_url(re.compile(r"sort=name"))
    has_focus(page, sort)

    press(page, page.get_by_role("link", name="Next"))
    expect(page).to_have_url(re.compile(r"page=2"))
    has_focus(page, page.get_by_role("link", name="Previous"))
