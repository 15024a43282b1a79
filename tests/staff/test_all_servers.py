"""All servers for staff, over real HTTP to the simulator: the table read from the inventory
(search, filters, sort, paging and export in SQL), role checks on every view, each token's
History (through TokenUI or made outside TokenUI), Refresh now with its progress, and pruning."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from tests.helpers import CPANEL_RESELLERS, CPANEL_ROOTS, DEMO_ROOT, SYSTEM_TRUST, Whm
from tests.inventory.conftest import immediate_tasks  # noqa: F401 - a fixture, used by name
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.inventory import storing
from tokenui.inventory.models import InventoryEvent, InventoryToken, OwnerKind, RevokeRun
from tokenui.inventory.tasks import inventory_server
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.staff.models import Role

ALL = "/staff/fleet/"


@pytest.fixture
def root_http(simulator: Simulator) -> Iterator[Whm]:
    """WHM API 1 as root by password, straight over HTTP: changes made outside TokenUI."""
    with httpx.Client(
        base_url=simulator.url, auth=DEMO_ROOT, verify=SYSTEM_TRUST, timeout=5
    ) as http:
        yield Whm(http)


def token(server: ConnectedServer, name: str) -> InventoryToken:
    return InventoryToken.objects.get(server=server, owner_kind=OwnerKind.WHM, name=name)


def test_a_viewer_sees_every_owners_tokens_from_the_inventory_with_its_age(
    staff_client, connected: ConnectedServer, root_http: Whm
) -> None:
    root_http.ok("api_token_create", {"token_name": "seen-by-staff"})
    inventory_server.call(connected.pk)
    client = staff_client(Role.VIEWER, connected)

    page = client.get(ALL).text
    assert "seen-by-staff" in page
    assert "<strong>main</strong>:\n        as of" in page
    kinds = set(InventoryToken.objects.values_list("owner_kind", flat=True))
    assert kinds == {OwnerKind.WHM, OwnerKind.RESELLER, OwnerKind.CPANEL}
    # Search, and each filter, narrow the table in SQL.
    found = client.get(ALL, {"q": "SEEN-BY"}).text
    assert "seen-by-staff" in found
    assert "1 API token on 1 server" in found
    cpanel_only = client.get(ALL, {"kind": OwnerKind.CPANEL}).text
    assert "seen-by-staff" not in cpanel_only
    assert "(cPanel account)" in cpanel_only
    # The row links to the token's own table (highlighted) and to its History.
    mine = token(connected, "seen-by-staff")
    assert "/staff/servers/main/tokens/?highlight=seen-by-staff" in page
    assert f"/staff/fleet/tokens/{mine.pk}/history/" in page


def test_each_row_links_to_its_owners_page_through_its_reseller(
    staff_client, connected: ConnectedServer
) -> None:
    inventory_server.call(connected.pk)
    client = staff_client(Role.VIEWER, connected)
    customer, root_account = CPANEL_RESELLERS[0][0], CPANEL_ROOTS[0][0]
    reseller = InventoryToken.objects.filter(owner_kind=OwnerKind.RESELLER, owner="reseller")[0]
    customers = InventoryToken.objects.filter(owner=customer, owner_kind=OwnerKind.CPANEL)[0]
    roots = InventoryToken.objects.filter(owner=root_account, owner_kind=OwnerKind.CPANEL)[0]
    assert (customers.account_owner, roots.account_owner) == ("reseller", "root")
    expected = {
        reseller: "/staff/servers/main/resellers/reseller/tokens/",
        customers: f"/staff/servers/main/resellers/reseller/accounts/{customer}/tokens/",
        roots: f"/staff/servers/main/accounts/{root_account}/tokens/",
    }
    for row, page in expected.items():
        link = f"{page}?highlight={row.name}"
        found = client.get(ALL, {"q": row.name, "kind": row.owner_kind}).text
        assert f'href="{link}"' in found
        # The link opens the owner's table with the token in it.
        opened = client.get(link)
        assert opened.status_code == 200
        assert row.name in opened.text
        # So does its History (where expiry notices link), with its expiry.
        history = client.get(f"/staff/fleet/tokens/{row.pk}/history/").text
        assert f'<a href="{link}">Open it on main</a>' in history
        expiry = (
            f'expires <time datetime="{row.expires.isoformat()}"' if row.expires else "no expiry"
        )
        assert expiry in history


def test_the_table_pages_and_sorts_in_sql(staff_client, connected: ConnectedServer) -> None:
    inventory_server.call(connected.pk)
    total = InventoryToken.objects.filter(gone__isnull=True).count()
    client = staff_client(Role.VIEWER, connected)
    names = sorted(set(InventoryToken.objects.values_list("name", flat=True)), key=str.lower)

    page = client.get(ALL, {"sort": "name"}).text
    assert f"{total} API tokens on 1 server" in page
    assert names[0] in page
    partial = client.get(ALL, {"sort": "-name"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<h1>" not in partial.text
    assert partial.text.index(names[-1]) < partial.text.index(names[-2])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ALL),
        ("get", f"{ALL}export.csv"),
        ("get", f"{ALL}export.json"),
        ("post", f"{ALL}refresh/"),
        ("get", f"{ALL}refresh/progress/"),
        ("get", f"{ALL}revoke-expired/"),
        ("post", f"{ALL}revoke-expired/"),
    ],
)
def test_a_staff_member_without_a_role_gets_403(
    staff_client, connected: ConnectedServer, method: str, path: str
) -> None:
    response = getattr(staff_client(None), method)(path)
    assert response.status_code == 403
    assert "Not allowed" in response.text


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_may_not_revoke_expired(
    staff_client, connected: ConnectedServer, method: str
) -> None:
    assert getattr(staff_client(Role.VIEWER), method)(f"{ALL}revoke-expired/").status_code == 403


def test_history_of_a_token_on_a_server_without_a_role_is_403(
    staff_client, connected: ConnectedServer
) -> None:
    inventory_server.call(connected.pk)
    other = ConnectedServer.objects.create(
        name="other",
        url="https://other.example:2087",
        username="root",
        token_name="tokenui-other",
        token_created=timezone.now(),
        sealed_token="x",
        key_id="k",
    )
    client = staff_client(Role.VIEWER, other)
    mine = InventoryToken.objects.filter(server=connected).first()
    assert client.get(f"{ALL}tokens/{mine.pk}/history/").status_code == 403
    assert mine.name not in client.get(ALL).text


def test_export_csv_neutralises_a_formula_and_keeps_the_filters(
    staff_client, connected: ConnectedServer, root_http: Whm
) -> None:
    root_http.ok("api_token_create", {"token_name": "-sum"})
    inventory_server.call(connected.pk)
    response = staff_client(Role.VIEWER, connected).get(f"{ALL}export.csv", {"q": "sum"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["server", "user", "name"]
    assert [row[2] for row in rows[1:]] == ["'-sum"]
    assert "api-tokens_main_" in response["Content-Disposition"]


def test_a_token_revoked_outside_tokenui_is_gone_made_outside_tokenui(
    staff_client, connected: ConnectedServer, root_http: Whm
) -> None:
    root_http.ok("api_token_create", {"token_name": "doomed"})
    inventory_server.call(connected.pk)
    root_http.ok("api_token_revoke", {"token_name": "doomed"})
    inventory_server.call(connected.pk)

    doomed = token(connected, "doomed")
    assert doomed.gone is not None
    page = staff_client(Role.VIEWER, connected).get(f"{ALL}tokens/{doomed.pk}/history/").text
    assert "Gone" in page
    assert "<em>made outside TokenUI</em>" in page
    assert [e.kind for e in doomed.events.all()] == ["gone", "appeared"]
    gone = doomed.events.get(kind="gone")
    assert (gone.through_tokenui, gone.audit) == (False, None)


def test_a_rename_outside_and_a_revoke_through_tokenui_are_told_apart(
    staff_client, connected: ConnectedServer, root_http: Whm
) -> None:
    root_http.ok("api_token_create", {"token_name": "old-name"})
    inventory_server.call(connected.pk)
    root_http.ok("api_token_update", {"token_name": "old-name", "new_name": "new-name"})
    inventory_server.call(connected.pk)
    client = staff_client(Role.OPERATOR, connected, name="olga")
    assert client.post("/staff/servers/main/tokens/new-name/revoke/").status_code in (200, 302)
    inventory_server.call(connected.pk)

    renamed = token(connected, "new-name")
    events = {e.kind: e for e in renamed.events.all()}
    assert set(events) == {"appeared", "renamed", "gone"}, events
    assert (events["renamed"].old_name, events["renamed"].new_name) == ("old-name", "new-name")
    assert not events["renamed"].through_tokenui
    assert events["gone"].through_tokenui
    assert events["gone"].who == "Staff olga as WHM user root"
    page = client.get(f"{ALL}tokens/{renamed.pk}/history/").text
    assert "Renamed: old-name → new-name" in page
    assert "Through TokenUI, by Staff olga as WHM user root" in page


def test_refresh_now_reads_every_server_and_shows_its_progress(
    staff_client,
    connected: ConnectedServer,
    immediate_tasks: None,  # noqa: F811
) -> None:
    client = staff_client(Role.VIEWER, connected)
    asked = client.post(f"{ALL}refresh/")
    assert asked.status_code == 302
    progress = client.get(asked["Location"])
    assert "1 of 1 server done: finished." in progress.text
    assert 'http-equiv="refresh"' not in progress.text
    polled = client.get(asked["Location"], headers={"HX-Request": "true"})
    assert polled.status_code == 286  # htmx stops polling
    assert InventoryToken.objects.filter(server=connected).exists()


def test_progress_refreshes_itself_until_every_server_is_read(
    staff_client, connected: ConnectedServer
) -> None:
    client = staff_client(Role.VIEWER, connected)
    since = timezone.now().timestamp()
    page = client.get(f"{ALL}refresh/progress/", {"since": f"{since}"}).text
    assert "0 of 1 server done; still working." in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'hx-trigger="every 2s"' in page


def test_pruning_forgets_tokens_gone_and_history_older_than_kept(
    connected: ConnectedServer, root_http: Whm
) -> None:
    root_http.ok("api_token_create", {"token_name": "short-lived"})
    inventory_server.call(connected.pk)
    root_http.ok("api_token_revoke", {"token_name": "short-lived"})
    inventory_server.call(connected.pk)
    kept = InventoryToken.objects.filter(gone__isnull=True).count()

    assert storing.prune(timezone.now() - timedelta(days=1)) == 0
    assert storing.prune(timezone.now() + timedelta(seconds=1)) > 0
    assert not InventoryToken.objects.filter(name="short-lived").exists()
    assert InventoryToken.objects.filter(gone__isnull=True).count() == kept
    assert not InventoryEvent.objects.exists()


def test_revoke_expired_revokes_the_confirmed_expired_tokens_once_and_shows_progress(
    staff_client,
    connected: ConnectedServer,
    root_http: Whm,
    immediate_tasks: None,  # noqa: F811
) -> None:
    inventory_server.call(connected.pk)
    expired = InventoryToken.objects.filter(server=connected, expires__lte=timezone.now())
    assert expired.exists(), "the demo seeds expired tokens"
    client = staff_client(Role.OPERATOR, connected, name="olga")
    question = client.get(f"{ALL}revoke-expired/").text
    assert "Are you certain that you want to revoke" in question

    done = client.post(f"{ALL}revoke-expired/", {"token": [t.pk for t in expired]})
    assert done.status_code == 302
    progress = client.get(done["Location"]).text
    assert "1 of 1 server done: finished." in progress
    assert "revoked (" in progress
    listed = set(root_http.ok("api_token_list")["tokens"])
    assert not {t.name for t in expired if t.owner == "root"} & listed
    # The inventory read again after it: gone, through TokenUI, by olga.
    gone = InventoryEvent.objects.filter(kind="gone", token__in=expired)
    assert gone.exists()
    assert all(e.through_tokenui and "olga" in e.who for e in gone)


def test_revoke_expired_on_an_account_records_what_was_revoked_and_what_failed(
    staff_client,
    connected: ConnectedServer,
    simulator: Simulator,
    immediate_tasks: None,  # noqa: F811
) -> None:
    customer = CPANEL_RESELLERS[0][0]  # reached inside its reseller's session
    lapsed = int(time.time()) - 86400
    for name in ("lapsed-a", "lapsed-b", "lapsed-c"):
        simulator.store.add_cpanel_token(
            customer, name, create_time=lapsed - 86400, expires_at=lapsed
        )
    inventory_server.call(connected.pk)
    mine = InventoryToken.objects.filter(owner=customer, name__startswith="lapsed-")
    # The account's tokens are listed, then revoked one per call: the second revoke fails.
    simulator.set_fault("http-503", functions=["uapi_cpanel"], count=1, skip=2)
    client = staff_client(Role.OPERATOR, connected, name="olga")

    done = client.post(f"{ALL}revoke-expired/", {"token": [t.pk for t in mine]})
    progress = client.get(done["Location"]).text

    assert "1 of 1 server done: finished, 1 failed." in progress
    assert "lapsed-a" in progress  # revoked, on the progress page too
    left = {token.name for token in simulator.store.cpanel_tokens(customer)}
    assert {"lapsed-b", "lapsed-c"} <= left
    assert "lapsed-a" not in left
    assert RevokeRun.objects.get().revoked == ["lapsed-a"]
    trail = {
        tuple(event.token_names): event.outcome
        for event in AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED, account=customer)
    }
    assert trail.pop(("lapsed-a",)) == Outcome.SUCCEEDED
    assert trail.pop(("lapsed-b",)) in (Outcome.FAILED, Outcome.UNKNOWN)
    assert trail == {("lapsed-c",): Outcome.FAILED}  # not tried after the failure
