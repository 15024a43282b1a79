"""One server's inventory, read in this process against the simulator: whose tokens it reads,
what it keeps of each, identity through a rename, tokens gone, and a server that fails."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.helpers import Whm
from tokenui.inventory.models import InventoryRun, InventoryToken, OwnerKind
from tokenui.inventory.tasks import inventory_server
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator


def kept(server: ConnectedServer, **where: object) -> dict[tuple[str, str, str], InventoryToken]:
    """The server's kept tokens by (owner kind, owner, name)."""
    rows = InventoryToken.objects.filter(server=server, **where)
    return {(row.owner_kind, row.owner, row.name): row for row in rows}


def cpanel_names(root_whm: Whm, account: str) -> set[str]:
    """An account's cPanel tokens as root reads them through WHM (nothing of TokenUI's)."""
    params = {"cpanel.user": account, "cpanel.module": "Tokens", "cpanel.function": "list"}
    return {token["name"] for token in root_whm.ok("uapi_cpanel", params)["uapi"]["data"]}


def accounts(root_whm: Whm) -> dict[str, str]:
    """Each cPanel account's owner, as root lists them."""
    return {acct["user"]: acct["owner"] for acct in root_whm.ok("listaccts")["acct"]}


def test_inventory_reads_the_service_users_the_resellers_and_each_accounts_tokens(
    connected: ConnectedServer, root_whm: Whm, reseller_whm: Whm
) -> None:
    inventory_server.call(connected.pk)

    rows = kept(connected)
    by_kind: dict[tuple[str, str], set[str]] = {}
    for kind, owner, name in rows:
        by_kind.setdefault((kind, owner), set()).add(name)
    assert by_kind.pop((OwnerKind.WHM, "root")) == set(root_whm.ok("api_token_list")["tokens"])
    assert by_kind.pop((OwnerKind.RESELLER, "reseller")) == set(
        reseller_whm.ok("api_token_list")["tokens"]
    )
    # Every account whose tokens WHM shows, the reseller's own accounts (in its session) too.
    owners = accounts(root_whm)
    assert "reseller" in owners.values()
    for (kind, owner), names in by_kind.items():
        assert kind == OwnerKind.CPANEL
        assert names == cpanel_names(root_whm, owner)
    assert {owner for _, owner in by_kind} >= {"acme", "garage", "studio"}
    run = InventoryRun.objects.get(server=connected)
    assert run.error == ""
    assert run.read is not None
    assert run.lease_until is None
    # bakery has no apitokens feature: named, with cPanel's words, and nothing kept of it.
    assert any(problem.startswith("bakery: ") for problem in run.problems), run.problems


def test_inventory_keeps_each_tokens_times_ips_privileges_and_flags(
    connected: ConnectedServer, root_whm: Whm
) -> None:
    made = root_whm.ok(
        "api_token_create",
        {"token_name": "audit-me", "acl-0": "list-accts", "whitelist_ip-0": "192.0.2.0/24"},
    )
    before = timezone.now()
    inventory_server.call(connected.pk)

    row = kept(connected)[(OwnerKind.WHM, "root", "audit-me")]
    assert row.created == datetime.fromtimestamp(made["create_time"], UTC)
    assert row.expires is None
    assert row.ips == ["192.0.2.0/24"]
    assert row.privileges == "list-accts"
    assert row.flags == ["no-expiry"]
    assert row.first_seen == row.last_seen >= before - timedelta(seconds=1)
    assert row.gone is None
    service = kept(connected)[(OwnerKind.WHM, "root", "tokenui-main")]
    assert service.privileges == (
        "cpanel-api, create-user-session, list-accts and 1 more; some bypass its limits"
    )


def test_a_renamed_token_keeps_its_identity_and_first_seen(
    connected: ConnectedServer, root_whm: Whm
) -> None:
    root_whm.ok("api_token_create", {"token_name": "before", "acl-0": "list-accts"})
    inventory_server.call(connected.pk)
    first = kept(connected)[(OwnerKind.WHM, "root", "before")]

    root_whm.ok("api_token_update", {"token_name": "before", "new_name": "after"})
    inventory_server.call(connected.pk)

    rows = kept(connected)
    assert (OwnerKind.WHM, "root", "before") not in rows
    renamed = rows[(OwnerKind.WHM, "root", "after")]
    assert renamed.pk == first.pk
    assert renamed.first_seen == first.first_seen
    assert renamed.last_seen > first.last_seen
    assert renamed.gone is None


def test_a_revoked_token_is_kept_with_when_it_was_no_longer_there(
    connected: ConnectedServer, root_whm: Whm
) -> None:
    root_whm.ok("api_token_create", {"token_name": "short-lived", "acl-0": "list-accts"})
    inventory_server.call(connected.pk)
    root_whm.ok("api_token_revoke", {"token_name-0": "short-lived"})
    inventory_server.call(connected.pk)

    row = kept(connected)[(OwnerKind.WHM, "root", "short-lived")]
    run = InventoryRun.objects.get(server=connected)
    assert row.gone == run.read
    assert row.last_seen < row.gone
    # Read again: still gone since the first read that missed it.
    inventory_server.call(connected.pk)
    assert InventoryToken.objects.get(pk=row.pk).gone == row.gone


def test_a_failing_server_keeps_its_last_inventory_with_its_age_and_whms_words(
    connected: ConnectedServer, server: Simulator
) -> None:
    inventory_server.call(connected.pk)
    before = {key: row.last_seen for key, row in kept(connected).items()}
    read = InventoryRun.objects.get(server=connected).read

    server.set_fault("http-503")
    said = inventory_server.call(connected.pk)

    run = InventoryRun.objects.get(server=connected)
    assert run.failed
    assert "503" in run.error
    assert said == run.error
    assert run.read == read
    assert run.age() > timedelta(0)
    assert {key: row.last_seen for key, row in kept(connected).items()} == before
    assert not kept(connected, gone__isnull=False)


def test_inventory_command_waits_and_says_what_each_read_found(
    connected: ConnectedServer, immediate_tasks: None
) -> None:
    out = io.StringIO()
    call_command("inventory", "--server", "main", "--wait", "--timeout", "10", stdout=out)

    count = InventoryToken.objects.filter(server=connected, gone__isnull=True).count()
    assert out.getvalue().splitlines()[-1].startswith(f"main: {count} tokens; could not read")


def test_inventory_command_names_a_failing_server_and_keeps_its_inventory(
    connected: ConnectedServer, server: Simulator, immediate_tasks: None
) -> None:
    call_command("inventory", "--wait", "--timeout", "10", stdout=io.StringIO())
    count = InventoryToken.objects.filter(server=connected).count()
    server.set_fault("http-503")
    out = io.StringIO()

    with pytest.raises(CommandError, match="Could not read main; their last inventory stays"):
        call_command("inventory", "--wait", "--timeout", "10", stdout=out)

    assert "main: could not be read: " in out.getvalue()
    assert f"Keeping the {count} tokens read" in out.getvalue()
    assert InventoryToken.objects.filter(server=connected).count() == count


def test_inventory_command_refuses_an_unknown_server(db: None) -> None:
    with pytest.raises(CommandError, match="No server named 'nope' is connected"):
        call_command("inventory", "--server", "nope")
