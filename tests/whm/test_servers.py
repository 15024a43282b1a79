"""The configured WHM servers: read from settings, one pooled client each (and one for each
server's cPanel), a WhmClient or CpanelClient per user."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, StubReply, StubWhm, api_reply
from tokenui.whm.servers import (
    WhmServer,
    client_for,
    close_http_clients,
    configured_servers,
    cpanel_client_for,
    cpanel_client_via_whm,
    cpanel_server,
    http_client,
)
from tokenui.whm.types import Credential

ROOT_PASSWORD = Credential(DEMO_ROOT[0], DEMO_ROOT[1], "password")


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    close_http_clients()
    yield
    close_http_clients()


def test_configured_servers_come_from_settings_in_order(settings) -> None:
    settings.WHM_SERVERS = {
        "main": "https://whm1.example.com:2087",
        "eu": "https://whm2.example.com",
    }
    settings.WHM_VERIFY_TLS = True
    settings.WHM_CA_BUNDLE = "/etc/tokenui/whm-ca.pem"
    settings.WHM_TIMEOUT = 7.5

    servers = configured_servers()

    assert list(servers) == ["main", "eu"]
    assert servers["eu"] == WhmServer(
        name="eu",
        url="https://whm2.example.com",
        verify=True,
        ca_bundle="/etc/tokenui/whm-ca.pem",
        timeout=7.5,
    )


def test_an_empty_ca_bundle_setting_means_the_system_trust_store(settings) -> None:
    settings.WHM_SERVERS = {"main": "https://whm1.example.com:2087"}
    settings.WHM_CA_BUNDLE = ""
    settings.WHM_VERIFY_TLS = False

    server = configured_servers()["main"]

    assert server.ca_bundle is None
    assert server.verify is False


def test_http_client_is_made_once_per_server_and_shared() -> None:
    server = WhmServer("main", "https://whm1.example.com:2087", True, None, 15.0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = set(map(id, pool.map(lambda _: http_client(server), range(32))))

    assert len(clients) == 1
    client = http_client(server)
    assert str(client.base_url) == "https://whm1.example.com:2087"
    assert client.timeout.read == 15.0


def test_a_changed_configuration_gets_a_new_client() -> None:
    before = WhmServer("main", "https://whm1.example.com:2087", True, None, 15.0)
    after = WhmServer("main", "https://whm1.example.com:2087", True, None, 3.0)

    assert http_client(before) is not http_client(after)
    assert http_client(after).timeout.read == 3.0


def test_close_http_clients_closes_them_and_later_calls_open_new_ones() -> None:
    server = WhmServer("main", "https://whm1.example.com:2087", True, None, 15.0)
    first = http_client(server)

    close_http_clients()

    assert first.is_closed
    assert http_client(server) is not first


def test_client_for_an_unknown_server_is_a_lookup_error_naming_it(settings) -> None:
    settings.WHM_SERVERS = {"main": "https://whm1.example.com:2087"}

    with pytest.raises(LookupError, match="'nowhere'") as caught:
        client_for("nowhere", ROOT_PASSWORD)

    assert not isinstance(caught.value, KeyError)


def test_client_for_calls_the_configured_server_over_verified_tls(settings, tls_simulator) -> None:
    settings.WHM_SERVERS = {"sim": tls_simulator.url}
    settings.WHM_VERIFY_TLS = True
    settings.WHM_CA_BUNDLE = str(tls_simulator.ca_path)
    settings.WHM_TIMEOUT = 5.0

    privileges = client_for("sim", ROOT_PASSWORD).my_privileges()

    assert privileges.holds("all")
    assert [entry.function for entry in tls_simulator.requests()] == ["myprivs"]


def test_client_for_shares_one_connection_between_users(settings, simulator) -> None:
    settings.WHM_SERVERS = {"sim": simulator.url}
    before = simulator.connections_accepted

    client_for("sim", ROOT_PASSWORD).list_tokens()
    client_for("sim", Credential(*DEMO_RESELLER, "password")).my_privileges()

    assert simulator.connections_accepted - before == 1


# --- each server's cPanel --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("whm", "port", "cpanel"),
    [
        ("https://whm1.example.com:2087", 2083, "https://whm1.example.com:2083"),
        ("https://whm2.example.com", 2083, "https://whm2.example.com:2083"),
        ("https://[2001:db8::1]:2087", 12083, "https://[2001:db8::1]:12083"),
        ("http://127.0.0.1:2086", 2082, "http://127.0.0.1:2082"),
    ],
)
def test_a_servers_cpanel_is_its_host_at_cpanel_port(
    settings, whm: str, port: int, cpanel: str
) -> None:
    settings.CPANEL_PORT = port
    server = WhmServer("main", whm, True, "/etc/tokenui/whm-ca.pem", 7.5)

    assert cpanel_server(server) == WhmServer("main", cpanel, True, "/etc/tokenui/whm-ca.pem", 7.5)


def test_a_servers_cpanel_has_its_own_shared_client(settings) -> None:
    settings.CPANEL_PORT = 2083
    server = WhmServer("main", "https://whm1.example.com:2087", True, None, 15.0)

    cpanel = http_client(cpanel_server(server))

    assert cpanel is http_client(cpanel_server(server))
    assert cpanel is not http_client(server)
    assert str(cpanel.base_url) == "https://whm1.example.com:2083"


@pytest.mark.parametrize(
    "factory",
    [
        lambda name: cpanel_client_for(name, Credential("bob", "pw", "password")),
        lambda name: cpanel_client_via_whm(name, ROOT_PASSWORD, "bob"),
    ],
    ids=["direct", "through-whm"],
)
def test_cpanel_clients_for_an_unknown_server_are_a_lookup_error_naming_it(
    settings, factory
) -> None:
    settings.WHM_SERVERS = {"main": "https://whm1.example.com:2087"}

    with pytest.raises(LookupError, match="'nowhere'"):
        factory("nowhere")


@pytest.fixture
def cpanel_stub() -> Iterator[StubWhm]:
    with StubWhm() as stub:
        yield stub


def test_cpanel_client_for_calls_cpanel_port_on_the_servers_host(
    settings, stub_whm: StubWhm, cpanel_stub: StubWhm
) -> None:
    settings.WHM_SERVERS = {"main": stub_whm.url}
    settings.CPANEL_PORT = int(cpanel_stub.url.rsplit(":", 1)[1])
    body = b'{"status":1,"errors":null,"messages":null,"metadata":{},"data":[]}'
    cpanel_stub.replies["/execute/Tokens/list"] = StubReply(200, "application/json", body)

    cpanel = cpanel_client_for("main", Credential("bob", "pw", "password"))

    assert cpanel.account == "bob"
    assert cpanel.list_tokens() == []
    assert (cpanel_stub.log, stub_whm.log) == (["/execute/Tokens/list"], [])


def test_cpanel_client_via_whm_calls_uapi_cpanel_on_whms_port(
    settings, stub_whm: StubWhm, cpanel_stub: StubWhm
) -> None:
    settings.WHM_SERVERS = {"main": stub_whm.url}
    settings.CPANEL_PORT = int(cpanel_stub.url.rsplit(":", 1)[1])
    uapi = {"status": 1, "errors": None, "messages": None, "metadata": {}, "data": []}
    stub_whm.replies["uapi_cpanel"] = api_reply("uapi_cpanel", {"uapi": uapi})

    cpanel = cpanel_client_via_whm("main", ROOT_PASSWORD, "bob")

    assert cpanel.account == "bob"
    assert cpanel.list_tokens() == []
    assert (cpanel_stub.log, stub_whm.log) == ([], ["uapi_cpanel"])
