"""The staff header in Chromium: with every link (an admin on every server, on a server's page,
where API Tokens and Accounts show too) it fits a 390 px phone with no sideways scroll, every
target at least 24 x 24 px and nothing overlapping; a member with no role sees only Staff and
Sign out. axe-core at 1280 and 390 px, JavaScript on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser.conftest import small_targets
from tests.browser.test_staff import checker, signed_in_as_staff
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)

ALL_LINKS = ["Staff", "All servers", "Charts", "Notices", "API Tokens", "Accounts", "Audit trail"]

# Pairs of the header's controls whose boxes cross (a link drawn over another, or over Sign out).
_OVERLAPS = """() => {
  const boxes = Array.from(document.querySelectorAll("header a[href], header button"),
                           (el) => [el.textContent.trim(), el.getBoundingClientRect()]);
  const crossed = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom)
      crossed.push(`${a} / ${b}`);
  }));
  return crossed;
}"""


def header_links(page: Page) -> list[str]:
    return page.locator("header nav a").all_inner_texts()


def test_the_full_staff_header_fits_a_phone(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    # A long username, as single sign-on gives them, to push the header as far as it goes.
    admin = User.objects.create_user("margarita.fernandez-oyelaran")
    RoleGrant.objects.create(role=Role.ADMIN, user=admin, server=None)
    signed_in_as_staff(page, app_url, admin)

    page.goto(f"{app_url}/staff/servers/main/tokens/")
    expect(page.get_by_text("Signed in as staff margarita.fernandez-oyelaran")).to_be_visible()

    assert header_links(page) == ALL_LINKS
    checker(page)("the staff header with every link")
    page.set_viewport_size({"width": 390, "height": 800})
    assert [t for t in small_targets(page) if t.split(" ")[0] in {"a", "button"}] == []
    assert page.evaluate(_OVERLAPS) == []
    for name in ALL_LINKS:
        expect(
            page.locator("header nav").get_by_role("link", name=name, exact=True)
        ).to_be_in_viewport()


def test_a_member_with_no_role_is_shown_only_staff_and_sign_out(
    page: Page, app_url: str, connected: ConnectedServer
) -> None:
    signed_in_as_staff(page, app_url, User.objects.create_user("nobody-yet"))

    page.goto(f"{app_url}/staff/")
    expect(page.get_by_text("Signed in as staff nobody-yet")).to_be_visible()

    assert header_links(page) == ["Staff"]
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    checker(page)("the staff header of a member with no role")
