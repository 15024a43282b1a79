"""All servers for staff in Chromium, JavaScript on and off: the inventory table, a token's
History and Refresh now's progress (polled live, or a page that refreshes itself), each checked
by axe-core at 1280 and 390 px."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import focused, js_on
from tests.browser.test_staff import checker, pytestmark, signed_in_as_staff  # noqa: F401
from tokenui.inventory.models import InventoryToken
from tokenui.inventory.tasks import inventory_server
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant


def viewer_on(page: Page, app_url: str, connected: ConnectedServer) -> None:
    viewer = User.objects.create_user("vera")
    RoleGrant.objects.create(role=Role.VIEWER, user=viewer, server=connected)
    signed_in_as_staff(page, app_url, viewer)


def test_all_servers_search_and_history(
    page_js: Page, app_url: str, connected: ConnectedServer
) -> None:
    page, check = page_js, checker(page_js)
    inventory_server.call(connected.pk)
    viewer_on(page, app_url, connected)
    page.goto(f"{app_url}/staff/fleet/")
    expect(page.get_by_role("heading", name="All servers")).to_be_visible()
    script = js_on(page)
    if script:  # axe needs JavaScript (conftest.axe_violations); the same HTML without it
        check("staff All servers")
    search = page.get_by_label("Search")
    search.fill("reporting")
    if not script:
        search.press("Enter")
    found = InventoryToken.objects.filter(name__icontains="reporting").count()
    expect(page.locator("#search-status")).to_contain_text(f"{found} API tokens on 1 server")
    expect(page.locator("tbody tr")).to_have_count(found)
    page.get_by_role("link", name="History of reporting on main").first.click()
    expect(page.get_by_role("heading", name="History of “reporting”")).to_be_visible()
    expect(page.get_by_role("cell", name="made outside TokenUI")).to_have_count(1)
    if script:
        check("History")
        page.goto(f"{app_url}/staff/fleet/servers/")
        expect(page.get_by_role("heading", name="Every server\u2019s read")).to_be_visible()
        check("Every server's read")


def test_refresh_now_shows_its_progress_until_done(
    page_js: Page, app_url: str, connected: ConnectedServer
) -> None:
    page, check = page_js, checker(page_js)
    viewer_on(page, app_url, connected)
    since = timezone.now().timestamp()
    page.goto(f"{app_url}/staff/fleet/refresh/progress/?since={since}")
    status = page.locator("#progress-status")
    expect(status).to_have_text("0 of 1 server done; still working.")
    if js_on(page):  # without JavaScript the page reloads itself under axe's feet
        check("Refresh now, under way")
    before = focused(page)
    inventory_server.call(connected.pk)
    expect(page.locator("#progress-status")).to_have_text(
        "1 of 1 server done: finished.", timeout=15_000
    )
    if js_on(page):
        assert focused(page) == before  # polling never takes focus
    assert InventoryToken.objects.filter(server=connected).exists()
    expect(page.get_by_role("link", name="Back to All servers")).to_be_visible()
    if js_on(page):
        check("Refresh now, finished")


def test_on_a_phone_the_filters_stack_each_as_wide_as_the_screen(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    viewer_on(page, app_url, connected)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/staff/fleet/")
    for label in ("Search", "Server", "Owner", "State"):
        box = page.get_by_label(label, exact=True).bounding_box()
        assert box is not None, label
        assert box["width"] >= 250, f"{label}: {box}"  # was 62-75 px
    status = page.locator("#search-status").bounding_box()
    search = page.get_by_label("Search", exact=True).bounding_box()
    assert status is not None
    assert search is not None
    assert status["y"] > search["y"]
