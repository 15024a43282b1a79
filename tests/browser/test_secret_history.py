"""A token secret never reaches htmx's history: not in sessionStorage or localStorage while the
user moves on through htmx swaps, dialogs and Back, and Back never shows it again."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import sign_in_with_form
from tests.helpers import DEMO_ROOT

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "history-check"
# Every key and value in both of the origin's storages, as "key=value".
STORED = """() => [sessionStorage, localStorage].flatMap((store) =>
  Array.from({length: store.length}, (_, i) => store.key(i))
    .map((key) => `${key}=${store.getItem(key)}`))"""
# What the user could read: the markup, and what the fields hold now (a restored form may hold
# more than its markup says).
SHOWN = """() => document.documentElement.outerHTML + Array.from(
  document.querySelectorAll("input, textarea"), (field) => field.value).join("\\n")"""


def generate(page: Page, app_url: str) -> str:
    """Sign in as root (through the form: Back goes as far as the sign-in page), generate a
    token through the form; the secret the page shows."""
    sign_in_with_form(page, app_url, *DEMO_ROOT)
    page.get_by_role("link", name="Generate Token").click()
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="API Token Generated")).to_be_visible()
    secret = page.locator("#secret").input_value()
    assert re.fullmatch(r"[A-Z0-9]{32}", secret)
    return secret


def assert_not_stored(page: Page, secret: str) -> None:
    stored = page.evaluate(STORED)
    assert [entry for entry in stored if secret in entry] == [], "the secret is in web storage"


def assert_not_shown(page: Page, secret: str) -> None:
    assert secret not in page.evaluate(SHOWN), f"Back showed the secret again at {page.url}"
    expect(page.get_by_role("heading", name="API Token Generated")).to_have_count(0)


def go_back(page: Page) -> None:
    """Back, then wait for the page it shows: always a new document, whether the browser loaded
    it or htmx reloaded it after finding nothing in its history cache. (Waiting for a load state
    instead raced htmx's reload, which starts only after the same-document Back.)"""
    page.evaluate("window.leftByBack = true")
    # A no-store page that is not kept refuses to come back (net::ERR_CACHE_MISS): that is fine.
    with contextlib.suppress(PlaywrightError):
        page.go_back()
    try:
        page.wait_for_function(
            "() => !window.leftByBack && document.readyState === 'complete'", timeout=10_000
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"Back kept the document: htmx restored {page.url} from its history cache")


def test_a_secret_never_reaches_htmx_history_and_back_never_shows_it_again(
    page: Page, app_url: str
) -> None:
    """The user's path. Nothing on the secret page itself is htmx today, so this path never asks
    htmx to snapshot it: the test below does, to try each of the two defences."""
    secret = generate(page, app_url)
    assert page.evaluate("htmx.config.historyCacheSize") == 0  # base.html's config reached htmx
    assert_not_stored(page, secret)

    page.get_by_role("link", name="Yes, I saved my token").click()
    expect(page.locator(f"#token-{NAME}")).to_be_visible()
    assert_not_stored(page, secret)

    # Search: an htmx swap that changes the URL.
    page.get_by_label("Search").press_sequentially("history")
    expect(page).to_have_url(re.compile(r"\?q=history"))
    expect(page.locator("#token-table tbody tr[id^=token-]")).to_have_count(1)
    assert_not_stored(page, secret)

    # Sorting: an htmx swap that pushes a history entry (htmx snapshots the page it leaves).
    page.get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    assert_not_stored(page, secret)

    # A Revoke confirmation, loaded into the dialog, then cancelled.
    page.locator(f"#token-{NAME}").get_by_role("link", name="Revoke").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text(NAME)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert_not_stored(page, secret)

    # Back through every page since signing in.
    for _ in range(6):
        go_back(page)
        assert_not_shown(page, secret)
        assert_not_stored(page, secret)
        if page.url.startswith(f"{app_url}/sign-in/"):
            break
    else:
        pytest.fail(f"Back never reached the sign-in page (stopped at {page.url})")


# An htmx link that pushes a URL, as the secret page might one day gain: leaving through it
# makes htmx snapshot the page it leaves, unless the page or the config forbids it.
ADD_PUSHING_LINK = """() => {
  const link = document.createElement("a");
  link.id = "pushing-link";
  link.href = "/tokens/";
  link.textContent = "API Tokens";
  for (const [name, value] of Object.entries(
      {"hx-get": "/tokens/", "hx-push-url": "true", "hx-target": "#main"})) {
    link.setAttribute(name, value);
  }
  document.querySelector("main").append(link);
  htmx.process(link);
}"""
# Each defence on its own: the live page with the other one switched off.
ALONE = {
    "hx-history=false alone": "() => { htmx.config.historyCacheSize = 10; }",  # htmx's default
    "historyCacheSize=0 alone": """() => document.querySelectorAll("[hx-history]")
        .forEach((element) => element.removeAttribute("hx-history"))""",
}


@pytest.mark.parametrize("alone", sorted(ALONE))
def test_either_defence_alone_keeps_the_secret_page_out_of_htmx_history(
    page: Page, app_url: str, alone: str
) -> None:
    """hx-history="false" on the panel and historyCacheSize 0 each stop htmx copying the page
    into sessionStorage; with both, losing one changes nothing the user path can see. So one is
    switched off in the live page (a fault injected, nothing of ours replaced) and htmx is made
    to leave the page through a URL-pushing link, which is when it takes a snapshot."""
    secret = generate(page, app_url)
    page.evaluate(ALONE[alone])
    page.evaluate(ADD_PUSHING_LINK)

    page.locator("#pushing-link").click()

    expect(page).to_have_url(f"{app_url}/tokens/")
    expect(page.locator(f"#token-{NAME}")).to_be_visible()
    assert_not_stored(page, secret)
    go_back(page)  # htmx's own Back: a snapshot of the secret page would be swapped in here
    expect(page).to_have_url(f"{app_url}/tokens/new/")
    assert_not_shown(page, secret)
    assert_not_stored(page, secret)
