"""The Charts page in chromium: both pictures load under the page's policy (their own inline
style stays inside the SVG), axe-core finds nothing at desktop and phone width, nothing scrolls
sideways, the phone gets the narrow drawing, and the timeline's grouping changes from the
keyboard, with JavaScript on and off."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow, small_targets
from tests.browser.test_staff import signed_in_as_staff
from tests.helpers import offline_server
from tests.staff.test_charts import NOW, make_tokens
from tokenui.staff.models import Role, RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
# Each <img> as drawn: the URL it chose (wide or narrow) and its decoded width (0: broken).
PICTURES = "() => Array.from(document.images, (img) => [img.currentSrc, img.naturalWidth])"


def charts_page(page: Page, app_url: str) -> None:
    user = User.objects.create_user("viewer")
    for seed, name in enumerate(("eu", "us")):
        server = offline_server(name)
        make_tokens(server, 60, seed)
    RoleGrant.objects.create(role=Role.VIEWER, user=user, server=None)
    signed_in_as_staff(page, app_url, user)
    page.goto(f"{app_url}/staff/charts/?at={NOW.timestamp()}")


def pictures_drawn(page: Page) -> list[tuple[str, int]]:
    page.wait_for_function("Array.from(document.images).every((img) => img.complete)")
    return [tuple(picture) for picture in page.evaluate(PICTURES)]


def test_the_charts_pass_axe_at_desktop_and_phone_width(page: Page, app_url: str) -> None:
    page.set_viewport_size(DESKTOP)
    charts_page(page, app_url)
    expect(page.get_by_role("heading", name="Charts", exact=True)).to_be_visible()
    drawn = pictures_drawn(page)
    assert [width > 0 for _, width in drawn] == [True, True]
    assert not any("narrow=1" in url for url, _ in drawn)
    assert axe_violations(page) == []
    assert small_targets(page) == []
    page.set_viewport_size(PHONE)
    page.reload()
    drawn = pictures_drawn(page)
    assert [width > 0 and "narrow=1" in url for url, width in drawn] == [True, True]
    assert sideways_overflow(page) == 0
    assert axe_violations(page) == []
    assert small_targets(page) == []


def test_the_grouping_changes_from_the_keyboard(page: Page, app_url: str) -> None:
    charts_page(page, app_url)
    table = page.get_by_role("table", name="Tokens expiring per week")
    expect(table.get_by_role("columnheader", name="eu")).to_be_visible()
    page.get_by_label("By server").focus()
    page.keyboard.press("ArrowRight")  # to By risk, in the radio group
    expect(page.get_by_label("By risk")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(table.get_by_role("columnheader", name="No risk flag")).to_be_visible()
    assert "by=risk" in page.url


@pytest.mark.parametrize("page_js", ["js-off"], indirect=True)
def test_the_charts_work_without_javascript(page_js: Page, app_url: str) -> None:
    page = page_js
    charts_page(page, app_url)
    for name in ("Tokens expiring per week", "Risky tokens listed, week by week"):
        expect(page.get_by_role("table", name=name).locator("tbody tr")).to_have_count(13)
    expect(page.locator("img[alt^='Stacked bars']")).to_have_count(1)
    page.get_by_label("By risk").check()
    page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table", name="Tokens expiring per week")
    expect(table.get_by_role("columnheader", name="Full access")).to_be_visible()
