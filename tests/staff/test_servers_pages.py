"""The Servers pages: admins connect a server from a form (the same lifecycle as
`manage.py connect_server`), see its token, test the connection and disconnect it; each change
audited under the staff member's name; everyone else gets a plain 403."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from tests.helpers import DEMO_ROOT, Whm, text
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role
from tokenui.whm.servers import close_http_clients

pytestmark = pytest.mark.django_db

CONNECT = "/staff/servers/connect/"


@pytest.fixture
def root_whm(simulator: Simulator, settings) -> Iterator[Whm]:
    settings.SERVICE_IP_ALLOWLIST = []
    with httpx.Client(base_url=simulator.url, auth=DEMO_ROOT, timeout=5) as http:
        yield Whm(http)


def root_token_names(whm: Whm) -> set[str]:
    return {token["name"] for token in whm.ok("api_token_list")["tokens"].values()}


def words(page: str) -> str:
    """The page's text as read: tags gone, white space as single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(page)).split()).replace(" :", ":")


def field_in_error(page: str, field: str) -> bool:
    """Whether the field is marked invalid and described by its error (Django's field group)."""
    tag = re.search(rf'<input[^>]*id="id_{field}"[^>]*>', page)
    return bool(tag) and 'aria-invalid="true"' in tag[0] and f"id_{field}_error" in tag[0]


def form(simulator: Simulator, **changes: str) -> dict[str, str]:
    data = {"name": "main", "url": simulator.url, "username": DEMO_ROOT[0]}
    return {**data, "method": "password", "password": DEMO_ROOT[1], **changes}


@pytest.mark.parametrize("role", [None, Role.VIEWER, Role.OPERATOR])
def test_only_admins_reach_the_servers_pages(staff_client, connected, role) -> None:
    client = staff_client(role)
    for url in ("/staff/servers/", CONNECT, "/staff/servers/main/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Your staff role does not allow this." in response.text
    assert client.post("/staff/servers/main/disconnect/do/").status_code == 403
    assert ConnectedServer.objects.filter(name="main").exists()


def test_an_admin_of_one_server_sees_it_but_cannot_connect_another(staff_client, connected) -> None:
    client = staff_client(Role.ADMIN, connected)
    assert "<strong>main</strong>" in client.get("/staff/servers/").text
    assert client.get("/staff/servers/main/").status_code == 200
    assert client.get(CONNECT).status_code == 403


def test_an_admin_connects_a_server_from_the_form(
    staff_client, simulator: Simulator, root_whm: Whm
) -> None:
    client = staff_client(Role.ADMIN, name="ada")
    response = client.post(CONNECT, form(simulator))
    assert response.status_code == 302
    assert response["Location"] == "/staff/servers/main/"
    server = ConnectedServer.objects.get(name="main")
    assert server.token_name in root_token_names(root_whm)
    page = client.get(response["Location"]).text
    assert "Connected main." in page
    assert "list-accts, manage-api-tokens" in page.replace("cpanel-api, ", "")
    assert "Any IP" in page
    event = AuditEvent.objects.get(action=Action.CONNECT_SERVER)
    assert (event.staff, event.whm_user, event.server) == ("ada", "root", "main")
    assert DEMO_ROOT[1] not in str(list(AuditEvent.objects.values()))


def test_a_server_just_connected_is_read_at_once_for_all_servers(
    staff_client, simulator: Simulator, root_whm: Whm, settings, django_capture_on_commit_callbacks
) -> None:
    """Connecting asks for the server's first read there and then: All servers says so until a
    worker has read it (not only at the schedule's next slot, up to INVENTORY_MINUTES on), then
    lists its tokens."""
    client = staff_client(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONNECT, form(simulator))
    assert "Its API tokens are being read" in text(client.get(response["Location"]).text)
    waiting = DBTaskResult.objects.get(task_path="tokenui.inventory.tasks.inventory_server")
    server = ConnectedServer.objects.get(name="main")
    assert waiting.args_kwargs["args"] == [server.pk]
    fleet = words(client.get("/staff/fleet/").text)
    assert "main: not read yet: its first read was asked for" in fleet

    waiting.task.call(*waiting.args_kwargs["args"])  # what a worker does with it

    fleet = words(client.get("/staff/fleet/").text)
    assert "not read yet" not in fleet
    assert "billing-bot" in fleet


def test_a_refused_password_is_said_on_its_field_and_the_rest_is_kept(
    staff_client, simulator: Simulator, root_whm: Whm
) -> None:
    client = staff_client(Role.ADMIN)
    response = client.post(CONNECT, form(simulator, password="not-the-password"))
    assert response.status_code == 422
    assert "refused the password for &#x27;root&#x27;" in response.text
    assert field_in_error(response.text, "password")
    assert f'value="{simulator.url}"' in response.text
    assert "not-the-password" not in response.text
    assert not ConnectedServer.objects.exists()


def test_an_unreachable_url_is_said_on_its_field_with_503(staff_client, simulator) -> None:
    client = staff_client(Role.ADMIN)
    response = client.post(CONNECT, form(simulator, url="http://127.0.0.1:9"))
    assert response.status_code == 503
    assert "could not be reached" in response.text
    assert field_in_error(response.text, "url")
    assert not ConnectedServer.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "has space"}, "name", "1-42 of A-Z a-z 0-9 _ -"),
        ({"url": "ftp://whm"}, "url", "is not a URL like"),
        ({"ca_bundle": "/nope.pem"}, "ca_bundle", "No readable file at this path"),
        ({"method": "token", "api_token": "short"}, "api_token", "32 letters and digits"),
        ({"password": ""}, "password", "Enter the password."),
    ],
)
def test_bad_input_is_named_on_its_field_before_whm_is_asked(
    staff_client, simulator: Simulator, changes, field, message
) -> None:
    client = staff_client(Role.ADMIN)
    simulator.clear_requests()
    response = client.post(CONNECT, form(simulator, **changes))
    assert response.status_code == 422
    assert message in response.text
    assert field_in_error(response.text, field)
    assert simulator.requests() == []


def test_a_name_already_connected_is_refused_on_its_field(
    staff_client, connected, simulator: Simulator
) -> None:
    client = staff_client(Role.ADMIN)
    response = client.post(CONNECT, form(simulator))
    assert response.status_code == 422
    assert "A server named main is connected already" in response.text
    assert field_in_error(response.text, "name")


def test_test_connection_says_whether_whm_accepts_the_token(
    staff_client, connected, root_whm: Whm
) -> None:
    client = staff_client(Role.ADMIN)
    response = client.post("/staff/servers/main/test/")
    assert response["Location"] == "/staff/servers/main/"
    assert "WHM accepted TokenUI&#x27;s token for main." in client.get(response["Location"]).text
    root_whm.ok("api_token_revoke", {"token_name": connected.token_name})
    client.post("/staff/servers/main/test/")
    assert "refused TokenUI&#x27;s service token" in client.get("/staff/servers/main/").text


def test_disconnect_asks_then_revokes_the_token_in_whm(
    staff_client, connected, root_whm: Whm
) -> None:
    client = staff_client(Role.ADMIN, name="ada")
    question = client.get("/staff/servers/main/disconnect/").text
    assert "Disconnect main?" in question
    assert connected.token_name in question
    response = client.post("/staff/servers/main/disconnect/do/")
    assert response["Location"] == "/staff/servers/"
    assert connected.token_name not in root_token_names(root_whm)
    assert not ConnectedServer.objects.exists()
    event = AuditEvent.objects.get(action=Action.DISCONNECT_SERVER)
    assert (event.staff, event.outcome) == ("ada", Outcome.SUCCEEDED)


def test_disconnect_changes_nothing_when_whm_cannot_revoke(staff_client, connected) -> None:
    client = staff_client(Role.ADMIN)
    connected.url = "http://127.0.0.1:9"  # WHM moved away: unreachable
    connected.save()
    response = client.post("/staff/servers/main/disconnect/do/")
    assert response["Location"] == "/staff/servers/main/"
    assert "Nothing changed." in client.get(response["Location"]).text
    assert ConnectedServer.objects.filter(name="main").exists()


@pytest.fixture
def tls_whm(tls_simulator: Simulator, settings) -> Iterator[Simulator]:
    """The HTTPS simulator, whose certificate its own CA signed (no system trusts it)."""
    settings.SERVICE_IP_ALLOWLIST = []
    yield tls_simulator
    close_http_clients()


def test_a_certificate_not_verified_names_the_pages_choices_not_the_shells(
    staff_client, tls_whm: Simulator
) -> None:
    response = staff_client(Role.ADMIN).post(CONNECT, form(tls_whm))

    assert response.status_code == 502
    assert field_in_error(response.text, "ca_bundle")
    page = text(response.text)
    assert "its TLS certificate could not be verified" in page
    assert "choose “Do not verify WHM's TLS certificate”" in page
    assert "--insecure" not in page
    assert "--ca-bundle" not in page
    assert not ConnectedServer.objects.exists()


def test_an_admin_may_choose_not_to_verify_tls_and_the_server_is_flagged(
    staff_client, tls_whm: Simulator
) -> None:
    client = staff_client(Role.ADMIN)
    offered = client.get(CONNECT).text
    assert "Do not verify WHM&#x27;s TLS certificate" in offered
    assert "could then read TokenUI's token" in text(offered)  # the warning, beside the choice

    response = client.post(CONNECT, form(tls_whm, insecure="on"))

    assert response.status_code == 302
    server = ConnectedServer.objects.get(name="main")
    assert (server.verify_tls, server.flags) == (False, ["Any IP", "TLS not verified"])
    assert "TLS not verified" in text(client.get(response["Location"]).text)
    server.test_connection()


def test_the_connect_checkboxes_sit_inside_their_labels_with_help_tied_to_them(
    staff_client,
) -> None:
    """The box and its words are one target (Django's field group put the label above the box,
    apart from it), and a screen reader hears the warning with the box."""
    offered = staff_client(Role.ADMIN).get(CONNECT).text
    for field in ("insecure", "full_access"):
        label = re.search(rf'<label class="inline" for="id_{field}">(.*?)</label>', offered, re.S)
        assert label, field
        box = re.search(r"<input [^>]*>", label.group(1))
        assert box, field
        assert 'type="checkbox"' in box.group(0), field
        assert f'aria-describedby="id_{field}_helptext"' in box.group(0)
        assert f'id="id_{field}_helptext"' in offered


def test_the_servers_own_ca_bundle_verifies_it_from_the_page(
    staff_client, tls_whm: Simulator
) -> None:
    response = staff_client(Role.ADMIN).post(CONNECT, form(tls_whm, ca_bundle=str(tls_whm.ca_path)))

    assert response.status_code == 302
    server = ConnectedServer.objects.get(name="main")
    assert (server.verify_tls, server.ca_bundle) == (True, str(tls_whm.ca_path))


def test_a_ca_bundle_and_not_verifying_are_not_both_taken(staff_client, tls_whm) -> None:
    tls_whm.clear_requests()
    response = staff_client(Role.ADMIN).post(
        CONNECT, form(tls_whm, ca_bundle=str(tls_whm.ca_path), insecure="on")
    )

    assert response.status_code == 422
    assert field_in_error(response.text, "insecure")
    assert "not both" in text(response.text)
    assert tls_whm.requests() == []
