"""manage.py connect_server against the simulator over HTTP: TokenUI's own token, made once with
what the admin typed, least privilege, IP-bound, and the only thing kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from django.core.management import CommandError
from django.db import connection
from django.utils import timezone

from tests.helpers import (
    DEMO_RESELLER,
    DEMO_ROOT,
    SYSTEM_TRUST,
    Whm,
    held,
    listed,
    numbered_params,
    secret_of,
    stored_server,
)
from tests.servers.conftest import ALLOWLIST, Ran
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator

LEAST = {"list-accts", "manage-api-tokens", "cpanel-api"}


def test_connect_as_root_makes_tokenui_name_with_documented_privileges_bound_to_allowlist(
    connect: Callable[..., Ran], root_whm: Whm
) -> None:
    ran = connect("main")

    token = listed(root_whm)["tokenui-main"]
    assert held(token) == LEAST | {"create-user-session"}
    # WHM stores 127.0.0.1/32 as the bare address.
    assert token["whitelist_ips"] == ALLOWLIST
    expires = timezone.now() + timedelta(days=90)
    assert abs(token["expires_at"] - expires.timestamp()) < 60
    server = stored_server()
    assert (server.token_name, server.username, server.flags) == ("tokenui-main", "root", [])
    assert sorted(server.acls) == sorted(LEAST | {"create-user-session"})
    assert "Connected main." in ran.stdout
    assert "tokenui-main" in ran.stdout
    assert "or at once with `manage.py inventory --server main`" in ran.stdout


def test_connect_as_reseller_grants_no_create_user_session(
    connect: Callable[..., Ran], reseller_whm: Whm
) -> None:
    connect("shop", user=DEMO_RESELLER[0], secret=DEMO_RESELLER[1])

    assert held(listed(reseller_whm)["tokenui-shop"]) == LEAST
    assert stored_server().username == "reseller"


def test_connect_with_an_api_token_from_stdin(connect: Callable[..., Ran], root_whm: Whm) -> None:
    admin = root_whm.ok("api_token_create", {"token_name": "admin-once"})["token"]

    connect("main", "--token", secret=admin)

    assert held(listed(root_whm)["tokenui-main"]) == LEAST | {"create-user-session"}
    assert secret_of(stored_server()) != admin


def test_without_an_allowlist_the_token_works_from_any_ip_and_is_flagged(
    connect: Callable[..., Ran], root_whm: Whm, settings
) -> None:
    settings.SERVICE_IP_ALLOWLIST = []

    ran = connect("main")

    assert not listed(root_whm)["tokenui-main"].get("whitelist_ips")
    assert stored_server().flags == ["Any IP"]
    assert "Flags: Any IP" in ran.stdout


def test_full_access_is_the_admins_choice_and_is_flagged(
    connect: Callable[..., Ran], root_whm: Whm
) -> None:
    connect("main", "--full-access")

    assert "all" in held(listed(root_whm)["tokenui-main"])
    server = stored_server()
    assert (server.acls, server.flags) == (["all"], ["Full access"])


def test_the_database_holds_no_token_nor_password_in_clear(
    connect: Callable[..., Ran], server: Simulator
) -> None:
    connect("main")
    secret = secret_of(stored_server())

    # The secret is real: WHM takes it.
    reply = httpx.post(
        f"{server.url}/json-api/myprivs",
        params={"api.version": "1"},
        headers={"Authorization": f"whm root:{secret}"},
        verify=SYSTEM_TRUST,
    )
    assert reply.json()["metadata"]["result"] == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ConnectedServer._meta.db_table}")  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row
    assert DEMO_ROOT[1] not in row
    assert stored_server().sealed_token.startswith("enc:fernet:test-1:")


def test_connecting_again_replaces_the_token_and_revokes_the_old_one(
    connect: Callable[..., Ran], root_whm: Whm
) -> None:
    connect("main")
    first = stored_server()

    connect("main")

    server = stored_server()
    tokens = listed(root_whm)
    assert first.token_name not in tokens
    assert server.token_name in tokens
    assert server.token_name.startswith("tokenui-main-")
    assert secret_of(server) != secret_of(first)
    revoke = AuditEvent.objects.get(action=Action.REVOKE)
    assert (revoke.token_names, revoke.outcome) == (["tokenui-main"], Outcome.SUCCEEDED)


def test_connecting_is_audited_without_the_secret(connect: Callable[..., Ran]) -> None:
    connect("main")

    event = AuditEvent.objects.get(action=Action.CONNECT_SERVER)
    assert (event.server, event.whm_user, event.auth_kind) == ("main", "root", "password")
    assert (event.token_names, event.outcome) == (["tokenui-main"], Outcome.SUCCEEDED)
    assert secret_of(stored_server()) not in str(event.__dict__)


@pytest.mark.parametrize(
    ("user", "secret", "words"),
    [
        ("root", "wrong-password", "refused the password for 'root' (“Access denied”"),
        ("nobody", "whatever", "refused the password for 'nobody'"),
    ],
)
def test_a_refused_password_stores_nothing(
    connect: Callable[..., Ran], root_whm: Whm, user: str, secret: str, words: str
) -> None:
    before = set(listed(root_whm))

    with pytest.raises(CommandError, match="Access denied") as failed:
        connect("main", user=user, secret=secret)

    assert words in str(failed.value)
    assert not ConnectedServer.objects.exists()
    assert set(listed(root_whm)) == before
    assert AuditEvent.objects.get().outcome == Outcome.REFUSED


def test_a_token_without_manage_api_tokens_is_refused_before_anything_is_made(
    connect: Callable[..., Ran], root_whm: Whm
) -> None:
    params = {"token_name": "lister", **numbered_params("acl", ["list-accts"])}
    lister = root_whm.ok("api_token_create", params)["token"]
    before = set(listed(root_whm))

    with pytest.raises(CommandError, match=r"not hold Manage API Tokens \(manage-api-tokens\)"):
        connect("main", "--token", secret=lister)

    assert set(listed(root_whm)) == before
    assert not ConnectedServer.objects.exists()


def test_an_unreachable_server_stores_nothing(connect: Callable[..., Ran]) -> None:
    with pytest.raises(CommandError, match="could not be reached"):
        connect("main", url="http://127.0.0.1:9")

    assert not ConnectedServer.objects.exists()


def test_no_service_key_refuses_and_says_how_to_make_one(
    connect: Callable[..., Ran], server: Simulator, settings
) -> None:
    settings.SERVICE_KEYS = []
    server.clear_requests()

    with pytest.raises(CommandError, match=r"manage\.py generate_service_key"):
        connect("main", secret="")  # refused before the password is asked for

    assert server.requests() == []
    assert not ConnectedServer.objects.exists()


@pytest.mark.parametrize("name", ["has space", "x" * 43, "dot.name", ""])
def test_a_name_that_cannot_make_a_whm_token_name_is_refused(
    connect: Callable[..., Ran], server: Simulator, name: str
) -> None:
    server.clear_requests()

    with pytest.raises(CommandError, match="1-42 of A-Z a-z 0-9 _ -"):
        connect(name)

    assert server.requests() == []


def test_no_password_on_stdin_is_refused(run: Callable[..., Ran], server: Simulator) -> None:
    with pytest.raises(CommandError, match="No password on standard input"):
        run("connect_server", "main", server.url, "--username", "root", stdin="")
