"""A connected server's service token after connect: tested, rotated by TokenUI itself, revoked
on disconnect, sealed again under a new service key, listed without the token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError
from django.utils import timezone

from tests.helpers import Whm, held, listed, secret_of, stored_server
from tests.servers.conftest import ALLOWLIST, Ran
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError


@pytest.fixture
def connected(connect: Callable[..., Ran]) -> ConnectedServer:
    connect("main")
    return stored_server()


def test_test_connection_signs_in_with_the_service_token(connected: ConnectedServer) -> None:
    privileges = connected.test_connection()

    assert privileges.acls == {
        "list-accts",
        "manage-api-tokens",
        "cpanel-api",
        "create-user-session",
    }


def test_test_connection_names_a_revoked_token(connected: ConnectedServer, root_whm: Whm) -> None:
    root_whm.ok("api_token_revoke", {"token_name-0": connected.token_name})

    with pytest.raises(ServerError, match="refused TokenUI's service token 'tokenui-main'"):
        connected.test_connection()


def test_rotation_makes_a_twin_and_revokes_the_old_token_by_creation_time(
    connected: ConnectedServer, root_whm: Whm, run: Callable[..., Ran]
) -> None:
    old_secret, old_created = secret_of(connected), connected.token_created
    # Renamed in WHM since: the rotation still finds it by when it was made.
    root_whm.ok("api_token_update", {"token_name": "tokenui-main", "new_name": "renamed"})

    ran = run("rotate_service_token", "main")

    server = stored_server()
    tokens = listed(root_whm)
    assert "renamed" not in tokens
    # tokenui-NAME is free again: the twin takes it.
    assert server.token_name == "tokenui-main"
    twin = tokens[server.token_name]
    assert held(twin) == set(connected.acls)
    assert twin["whitelist_ips"] == ALLOWLIST
    assert secret_of(server) != old_secret
    rotate = AuditEvent.objects.get(action=Action.ROTATE)
    assert rotate.token_names == ["tokenui-main", server.token_name]
    assert rotate.token_created == old_created
    assert rotate.reason == "TokenUI rotated its own service token before it expires."
    assert AuditEvent.objects.get(action=Action.REVOKE).token_names == ["renamed"]
    assert "tokenui-main → tokenui-main" in ran.stdout
    server.test_connection()


def test_rotation_while_the_old_token_holds_the_name_takes_rotates_dated_name(
    connected: ConnectedServer, root_whm: Whm, run: Callable[..., Ran]
) -> None:
    run("rotate_service_token", "main")

    server = stored_server()
    assert server.token_name == f"tokenui-main-{timezone.now():%Y%m%d}"
    assert set(listed(root_whm)) & {"tokenui-main", server.token_name} == {server.token_name}


def test_disconnect_revokes_the_token_and_forgets_the_server(
    connected: ConnectedServer, root_whm: Whm, run: Callable[..., Ran]
) -> None:
    ran = run("disconnect_server", "main")

    assert "tokenui-main" not in listed(root_whm)
    assert not ConnectedServer.objects.exists()
    assert "Disconnected main: its token tokenui-main is revoked." in ran.stdout
    event = AuditEvent.objects.get(action=Action.DISCONNECT_SERVER)
    assert (event.outcome, event.token_names) == (Outcome.SUCCEEDED, ["tokenui-main"])


def test_disconnect_keeps_the_server_when_whm_cannot_revoke_unless_forced(
    connected: ConnectedServer, root_whm: Whm, run: Callable[..., Ran]
) -> None:
    root_whm.ok("api_token_revoke", {"token_name-0": "tokenui-main"})

    with pytest.raises(CommandError, match="Nothing changed"):
        run("disconnect_server", "main")
    assert ConnectedServer.objects.exists()

    ran = run("disconnect_server", "main", "--force")

    assert not ConnectedServer.objects.exists()
    assert "NOT revoked" in ran.stdout
    assert "Revoke 'tokenui-main' in WHM yourself." in ran.stderr


def test_rotate_service_keys_moves_every_token_to_the_newest_key_so_the_old_can_go(
    connected: ConnectedServer, run: Callable[..., Ran], settings
) -> None:
    old = list(settings.SERVICE_KEYS)
    new = ("test-2", Fernet.generate_key().decode())
    settings.SERVICE_KEYS = [new, *old]
    secret = secret_of(connected)

    ran = run("rotate_service_keys")

    server = stored_server()
    assert server.key_id == "test-2"
    assert server.sealed_token.startswith("enc:fernet:test-2:")
    assert "Re-encrypted 1 service token under key test-2" in ran.stdout
    settings.SERVICE_KEYS = [new]
    assert secret_of(server) == secret
    server.test_connection()
    event = AuditEvent.objects.get(action=Action.RESEAL_SERVICE_TOKEN)
    assert event.reason == "Re-encrypted under service key test-2 (was test-1)."


def test_a_token_sealed_under_a_removed_key_says_so(connected: ConnectedServer, settings) -> None:
    settings.SERVICE_KEYS = [("test-2", Fernet.generate_key().decode())]

    with pytest.raises(ServerError, match="'test-1' that sealed this value is not configured"):
        connected.test_connection()


def test_servers_lists_what_the_token_is_never_the_token(
    connected: ConnectedServer, run: Callable[..., Ran]
) -> None:
    ran = run("servers")

    header, line = ran.stdout.splitlines()
    assert header.split("\t") == [
        "NAME", "URL", "USER", "TOKEN", "PRIVILEGES", "IPS", "EXPIRES", "FLAGS"
    ]  # fmt: skip
    name, url, user, token, privileges, ips, expires, flags = line.split("\t")
    assert (name, url, user, token) == ("main", connected.url, "root", "tokenui-main")
    assert set(privileges.split(",")) == set(connected.acls)
    assert (ips, flags) == ("127.0.0.1,192.0.2.0/24", "-")
    assert expires.startswith(f"{connected.token_expires:%Y-%m-%d}")
    assert secret_of(connected) not in ran.stdout
