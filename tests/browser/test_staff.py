"""Staff in a real browser: signing in with the Staff choice, an admin connecting a server from
the page, and every staff screen checked by axe-core at desktop and phone width."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sideways_overflow
from tests.helpers import DEMO_ROOT
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_as_staff(page: Page, app_url: str, user: User) -> None:
    """The browser signed in as `user` by writing the session (Django's force_login)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": app_url}]
    )


def checker(page: Page) -> Callable[[str], None]:
    def check(screen: str) -> None:
        assert axe_violations(page) == [], screen
        page.set_viewport_size({"width": 390, "height": 800})
        assert sideways_overflow(page) == 0, f"{screen} at 390 px"
        assert axe_violations(page) == [], f"{screen} at 390 px"
        page.set_viewport_size({"width": 1280, "height": 800})

    return check


def test_staff_sign_in_shows_only_the_staff_fields(page: Page, app_url: str) -> None:
    User.objects.create_superuser("admin", password="break-glass-pass-1")
    page.goto(f"{app_url}/sign-in/")
    page.get_by_label("Staff").check()
    expect(page.get_by_label("Use an API token")).to_be_hidden()
    checker(page)("sign-in, Staff chosen")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password", exact=True).fill("break-glass-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as staff admin")).to_be_visible()


def test_an_admin_connects_a_server_from_the_page(page: Page, app_url: str, whm: Simulator) -> None:
    check = checker(page)
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/")
    check("staff home, no servers")
    page.get_by_role("link", name="Servers").click()
    check("servers, none")
    page.get_by_role("link", name="Connect a server").click()
    page.get_by_label("Name", exact=True).fill("main")
    page.get_by_label("WHM URL").fill(whm.url)
    page.get_by_label("WHM username").fill(DEMO_ROOT[0])
    page.get_by_label("Password", exact=True).fill("wrong-password")
    check("connect a server")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("refused the password")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_label("WHM URL")).to_have_value(whm.url)
    check("connect a server, refused")
    page.get_by_label("Password", exact=True).fill(DEMO_ROOT[1])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="main")).to_be_visible()
    expect(page.get_by_text("Connected main.")).to_be_visible()
    assert ConnectedServer.objects.get().name == "main"
    check("server page")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("WHM accepted TokenUI's token for main.")).to_be_visible()
    page.get_by_role("link", name="Disconnect").click()
    expect(page.get_by_role("link", name="Cancel")).to_be_focused()
    check("disconnect, confirmation")
    page.goto(f"{app_url}/staff/roles/")
    check("roles")


def test_the_403_page_is_plain_and_accessible(page: Page, app_url: str) -> None:
    signed_in_as_staff(page, app_url, User.objects.create_user("nobody"))
    response = page.goto(f"{app_url}/staff/roles/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("Your staff role does not allow this.")).to_be_visible()
    checker(page)("403")
