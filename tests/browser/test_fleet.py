"""Issue 11's fleet journey in Chromium: three configured servers, signed in to all three from
the header (Add server), one then stopped; All servers lists the others' tokens with their risk
flags, names the stopped server's failure, filters as you type; axe-core on each screen, and 390 px
without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow
from tests.helpers import DEMO_ROOT
from tokenui import risk
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fleet_url(app_url: str, whm: Simulator, tmp_path_factory, settings) -> Iterator[str]:
    """The live dashboard with three servers: the suite's simulator and two of the test's own."""
    with (
        Simulator(tmp_path_factory.mktemp("whm-beta")) as beta,
        Simulator(tmp_path_factory.mktemp("whm-gamma")) as gamma,
    ):
        settings.WHM_SERVERS = {"alpha": whm.url, "beta": beta.url, "gamma": gamma.url}
        settings.WHM_TIMEOUT = 2.0
        yield app_url, gamma


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) == 0
    page.set_viewport_size(size)


def add_server(page: Page, name: str) -> None:
    page.get_by_role("link", name="Add server").click()
    expect(page.get_by_role("heading", name="Add server")).to_be_visible()
    form = page.locator("#sign-in-form")
    if form.get_by_label("Server").count():  # the last server left is named, not offered
        form.get_by_label("Server").select_option(name)
    else:
        expect(form).to_contain_text(f"Server: {name}")
    page.get_by_label("Username").fill(DEMO_ROOT[0])
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Add server").click()
    expect(page.get_by_text(f"Signed in to {name}.")).to_be_visible()


def sign_in_to_three(page: Page, url: str) -> None:
    page.goto(f"{url}/sign-in/")
    page.get_by_label("Server").select_option("alpha")
    page.get_by_label("Username").fill(DEMO_ROOT[0])
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="All servers")).to_have_count(0)
    add_server(page, "beta")
    check_screen(page)
    add_server(page, "gamma")


def test_the_fleet_journey_with_one_server_stopped(page: Page, fleet_url) -> None:
    url, gamma = fleet_url
    sign_in_to_three(page, url)
    gamma.stop()

    page.get_by_role("link", name="All servers").click()

    expect(page.get_by_role("heading", name="All servers", level=1)).to_be_visible()
    status = page.locator("#server-status li").filter(has_text="gamma")
    expect(status).to_contain_text("Could not be read: TokenUI could not connect to WHM")
    table = page.locator("#fleet-table tbody")
    expect(table.locator("tr").filter(has_text="alpha").first).to_be_visible()
    expect(table.locator("tr").filter(has_text="beta").first).to_be_visible()
    expect(table.locator("tr").filter(has_text="gamma")).to_have_count(0)
    expect(table.get_by_text("Full access").first).to_be_visible()
    # The same flags as the single-server table: described by the legend, shown on focus.
    flag = table.locator(".flag").filter(has_text="Full access").first
    expect(flag).to_have_accessible_description(risk.FULL_ACCESS_FLAG.explanation)
    flag.focus()
    expect(page.locator("#flag-tip")).to_have_text(risk.FULL_ACCESS_FLAG.explanation)
    check_screen(page)

    page.get_by_label("State").select_option("expired")
    expect(page.locator("#search-status")).to_contain_text("2 of 12 API tokens")
    expect(table.locator("tr")).to_have_count(2)
    page.get_by_label("Search").fill("bet")
    expect(table.locator("tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/fleet/\?q=bet&.*state=expired"))
    check_screen(page)
