"""TokenUI's own service token is marked wherever a token table lists it: for the WHM user who
signed in directly (root, here) and for staff in the service user's table. It is found by the
connected server's stored creation time, user and URL, never by its name alone; every revoke
question that includes it says that staff access to the server stops."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from tests.helpers import CPANEL_ROOTS, DEMO_ROOT, Whm, signed_in, text
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

BADGE = '<span class="badge badge-service">TokenUI\'s service token</span>'
WARNING = "is TokenUI's service token for the connected server main."


@pytest.fixture(params=["whm-user", "staff"])
def tables(request, connected: ConnectedServer, whm: Simulator, client: Client, staff_client):
    """(client, the tokens table's URL): root signed in to WHM directly, or a staff operator on
    the connected server "main" (the same WHM, the same user)."""
    if request.param == "whm-user":
        return signed_in(client, *DEMO_ROOT), "/tokens/"
    return staff_client(Role.OPERATOR, connected), "/staff/servers/main/tokens/"


def row(page: str, name: str) -> str:
    return page.split(f'id="token-{name}"', 1)[1].split("</tr>", 1)[0]


def marked(page: str) -> list[str]:
    """The names of the rows that carry the badge."""
    rows = page.split('<tr id="token-')[1:]
    return [r.split('"', 1)[0] for r in rows if BADGE in r.split("</tr>", 1)[0]]


def test_the_service_token_carries_the_badge_on_its_row_alone(tables) -> None:
    client, url = tables
    assert marked(client.get(url).text) == ["tokenui-main"]


def test_renamed_in_whm_it_is_still_found_by_its_creation_time(tables, simulator) -> None:
    client, url = tables
    with httpx.Client(base_url=simulator.url, auth=DEMO_ROOT, timeout=5) as http:
        Whm(http).ok("api_token_update", {"token_name": "tokenui-main", "new_name": "renamed"})
    assert marked(client.get(url).text) == ["renamed"]


@pytest.mark.parametrize(
    "change",
    [
        {"token_created": F("token_created") - timedelta(minutes=1)},  # another token
        {"username": "reseller"},  # another WHM user's
        {"url": "http://127.0.0.1:9"},  # another WHM's
    ],
)
def test_a_token_is_not_marked_by_its_name_alone(
    connected: ConnectedServer, root_client: Client, change: dict
) -> None:
    ConnectedServer.objects.update(**change)
    page = root_client.get("/tokens/").text
    assert 'id="token-tokenui-main"' in page
    assert marked(page) == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "tokenui-main/revoke/", {}),
        ("get", "revoke-selected/", {"name": ["reporting", "tokenui-main"]}),
        ("get", "revoke-all/", {}),
    ],
)
def test_every_revoke_question_that_includes_it_warns_staff_access_stops(
    tables, method: str, path: str, data: dict
) -> None:
    client, url = tables
    page = text(getattr(client, method)(url + path, data).text)
    assert WARNING in page
    assert "Revoking it stops staff access to main through TokenUI" in page


def test_rotations_last_step_warns_before_revoking_it(tables) -> None:
    """Rotating TokenUI's service token, then **Revoke the old token now**: its question warns
    too (rotation knows the old token by its creation time, and so does the badge)."""
    client, url = tables
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    form = {"name": "tokenui-main-2", "expiry": "date", "expires_on": expires}
    assert client.post(url + "tokenui-main/rotate/", form).status_code == 200

    page = text(client.get(url + "tokenui-main/rotate/revoke/?successor=tokenui-main-2").text)

    assert "Are you certain that you want to revoke the API token, “tokenui-main”?" in page
    assert WARNING in page
    assert "Revoking it stops staff access to main through TokenUI" in page


def test_a_revoke_question_without_it_has_no_such_warning(tables) -> None:
    client, url = tables
    page = text(client.get(url + "reporting/revoke/").text)
    assert "Are you certain that you want to revoke the API token, “reporting”?" in page
    assert "service token" not in page


def test_a_cpanel_accounts_table_marks_nothing(staff_client, connected, cpanel) -> None:
    client = staff_client(Role.OPERATOR, connected)
    page = client.get(f"/staff/servers/main/accounts/{CPANEL_ROOTS[0][0]}/tokens/").text
    assert BADGE not in page
