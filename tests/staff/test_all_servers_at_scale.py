"""All servers with many servers: the page sums their reads up and names the failed ones
(every server's read on a page of its own), and the Server filter is a name typed, so the page
does not grow with the fleet (bench/all-servers-report.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import offline_server
from tokenui.fleet.staff import SERVER_LINES, SERVER_OPTIONS
from tokenui.inventory.models import InventoryRun, InventoryToken, OwnerKind
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db
PAGE = "/staff/fleet/"


def fleet(count: int, failed: int = 0) -> list[str]:
    """`count` servers read (the first `failed` of them failed), one token each; their names."""
    now = timezone.now()
    names = []
    for i in range(count):
        server = offline_server(f"s{i:04d}")
        error = "WHM could not be reached." if i < failed else ""
        read = now - timedelta(minutes=i + 1)
        InventoryRun.objects.create(server=server, read=read, finished=read, error=error)
        InventoryToken.objects.create(
            server=server,
            server_name=server.name,
            owner_kind=OwnerKind.WHM,
            owner="root",
            name=f"token-{i}",
            created=now - timedelta(days=1),
            first_seen=read,
            last_seen=read,
        )
        names.append(server.name)
    return names


def test_up_to_a_few_servers_each_has_its_line(staff_client) -> None:
    names = fleet(SERVER_LINES)
    page = staff_client(Role.VIEWER).get(PAGE).text
    assert all(f"<strong>{name}</strong>:" in page for name in names)
    assert "Every server\u2019s read" not in page


def test_past_a_few_servers_the_page_sums_up_and_names_only_the_failed(staff_client) -> None:
    names = fleet(SERVER_LINES + 8, failed=2)
    client = staff_client(Role.VIEWER)
    page = client.get(PAGE).text
    assert f"{len(names)} servers, read between" in page
    assert "The last read of 2 failed." in page
    assert page.count("The last read failed: WHM could not be reached.") == 2
    assert "<strong>s0000</strong>:" in page
    assert "<strong>s0005</strong>:" not in page  # read well: summed up
    every = client.get("/staff/fleet/servers/")
    assert every.status_code == 200
    assert all(f"<strong>{name}</strong>:" in every.text for name in names)


def test_many_failed_servers_name_the_first_few_and_point_to_all(staff_client) -> None:
    fleet(SERVER_LINES + 5, failed=SERVER_LINES + 3)
    page = staff_client(Role.VIEWER).get(PAGE).text
    assert f"The last read of {SERVER_LINES + 3} failed (the first {SERVER_LINES} below)." in page
    assert page.count("The last read failed:") == SERVER_LINES


def test_with_many_servers_the_server_filter_is_a_name_typed(staff_client) -> None:
    fleet(SERVER_OPTIONS + 1)
    client = staff_client(Role.VIEWER)
    page = client.get(PAGE).text
    assert '<input type="text" id="filter-server" name="server"' in page
    assert '<option value="s0003"' not in page
    one = client.get(PAGE, {"server": "s0003"}).text
    assert "1 API token on" in one
    assert "token-3" in one
    unknown = client.get(PAGE, {"server": "nope"}).text
    assert "You hold no role on a server named “nope”: 0 API tokens" in unknown


def test_a_member_with_a_role_on_one_server_cannot_reach_another_by_typing_it(
    staff_client,
) -> None:
    fleet(SERVER_OPTIONS + 1)
    mine = offline_server("mine")
    client = staff_client(Role.VIEWER, mine)
    page = client.get(PAGE, {"server": "s0003"}).text
    assert "You hold no role on a server named “s0003”: 0 API tokens" in page
    assert "token-3" not in page
