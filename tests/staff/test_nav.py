"""The staff header links only to what the member may open: Charts, Notices, All servers and
Audit trail for a member holding a role (on one server or all); none of them for a member with
no role, on any page they reach, so no link leads to a 403."""

from __future__ import annotations

import re

import pytest

from tests.helpers import offline_server
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

LINKS = {
    "/staff/charts/": "Charts",
    "/staff/notices/": "Notices",
    "/staff/fleet/": "All servers",
    "/staff/audit/": "Audit trail",
}


def header_links(page: str) -> dict[str, str]:
    """The staff header's links, href to words."""
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    return dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', header))


@pytest.mark.parametrize("on_all_servers", [True, False])
def test_a_member_with_a_role_sees_each_link_and_each_opens(staff_client, on_all_servers) -> None:
    server = offline_server("eu")
    client = staff_client(Role.VIEWER, None if on_all_servers else server)

    links = header_links(client.get("/staff/").text)

    assert LINKS.items() <= links.items()
    for href in LINKS:
        assert client.get(href).status_code == 200, href


def test_a_member_with_no_role_sees_none_of_them(staff_client) -> None:
    offline_server("eu")
    client = staff_client(None)

    home = header_links(client.get("/staff/").text)
    refused = client.get("/staff/charts/")

    assert refused.status_code == 403
    for links in (home, header_links(refused.text)):
        assert not set(LINKS) & set(links)
        assert "/staff/" in links  # the staff home, which any member may open
