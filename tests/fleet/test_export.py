"""Export CSV and Export JSON of the All servers table over real HTTP: the table as it is
filtered and sorted, with each token's whole privileges list, streamed, named for the servers
and the day; formula cells neutralised; never a secret; a server that fails is left out."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime

from django.test import Client

from tests.helpers import DEMO_ROOT
from tokenui.whm.servers import client_for
from tokenui.whm.types import Credential

HEADER = ["server", "user", "name", "created", "expires", "state", "ips", "privileges", "flags"]
DAY = 86400


def _download(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def _csv(client: Client, url: str) -> tuple[str, list[dict[str, str]]]:
    response, text = _download(client, url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == HEADER
    return response["Content-Disposition"], [
        dict(zip(HEADER, line, strict=True)) for line in lines[1:]
    ]


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_export_csv_holds_the_filtered_table_of_every_server(fleet_client: Client):
    disposition, rows = _csv(fleet_client, "/fleet/export.csv?state=expired")

    assert disposition == f'attachment; filename="api-tokens_alpha_beta_gamma_{_today()}.csv"'
    assert [(r["server"], r["name"], r["state"]) for r in rows] == [
        ("alpha", "old-migration", "expired"),
        ("beta", "old-migration", "expired"),
        ("gamma", "old-migration", "expired"),
    ]
    row = rows[0]
    assert row["user"] == "root"
    assert row["created"].endswith("Z")
    assert row["expires"].endswith("Z")
    # The whole privileges list, not the page's summary ("Selected").
    privileges = row["privileges"].split()
    assert privileges
    assert set(privileges) <= {"list-accts", "show-bandwidth", "create-acct"}
    assert "Expired" in row["flags"]


def test_export_json_follows_server_risky_search_and_sort(fleet_client: Client, servers):
    # Only the server asked for is read for the file.
    for simulator in servers.values():
        simulator.clear_requests()

    response, text = _download(fleet_client, "/fleet/export.json?server=beta&risky=1&sort=-name")

    assert response["Content-Type"] == "application/json"
    assert f'filename="api-tokens_beta_{_today()}.json"' in response["Content-Disposition"]
    records = json.loads(text)
    names = [r["name"] for r in records]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert {r["server"] for r in records} == {"beta"}
    assert all(r["flags"] for r in records)
    automation = next(r for r in records if r["name"] == "automation")
    assert automation["privileges"] == ["all"]
    assert "full-access" in automation["flags"]
    assert [
        sum(r.function == "api_token_list" for r in servers[n].requests()) for n in servers
    ] == [
        0,
        1,
        0,
    ]

    _, searched = _download(fleet_client, "/fleet/export.json?q=billing")
    assert sorted((r["server"], r["name"]) for r in json.loads(searched)) == [
        ("alpha", "billing-bot"),
        ("beta", "billing-bot"),
        ("gamma", "billing-bot"),
    ]


def test_a_server_that_fails_is_left_out_and_the_download_still_works(
    fleet_client: Client, servers
):
    servers["gamma"].stop()

    disposition, rows = _csv(fleet_client, "/fleet/export.csv")

    assert f'filename="api-tokens_alpha_beta_{_today()}.csv"' in disposition
    assert {r["server"] for r in rows} == {"alpha", "beta"}
    assert len(rows) == 12
    # The page's partials redraw from what the export read: gamma's status says why.
    page = fleet_client.get("/fleet/", headers={"HX-Request": "true"}).content.decode()
    assert "(1 could not be read)" in page


def test_formula_cells_are_neutralised_in_csv_and_left_as_they_are_in_json(
    fleet_client: Client, servers
):
    now = int(time.time())
    servers["beta"].store.add_token(
        "root", "-2+3", acls=["list-accts"], create_time=now, expires_at=now + 90 * DAY
    )

    _, rows = _csv(fleet_client, "/fleet/export.csv?q=-2")
    _, text = _download(fleet_client, "/fleet/export.json?q=-2")

    assert [(r["server"], r["name"]) for r in rows] == [("beta", "'-2+3")]
    assert [r["name"] for r in json.loads(text)] == ["-2+3"]


def test_the_export_never_holds_a_secret(fleet_client: Client):
    created = client_for("alpha", Credential(*DEMO_ROOT, kind="password")).create_token(
        "fresh", acls=["all"], expires=None
    )

    _, text = _download(fleet_client, "/fleet/export.csv")
    _, json_text = _download(fleet_client, "/fleet/export.json")

    assert "fresh" in text
    assert "fresh" in json_text
    assert created.secret not in text
    assert created.secret not in json_text


def test_the_export_reads_the_servers_concurrently(fleet_client: Client, servers):
    # Long enough reads that a loaded machine's overhead cannot pass for (or hide) the sum.
    for simulator in servers.values():
        simulator.latency_ms = 1000

    started = time.monotonic()
    _download(fleet_client, "/fleet/export.csv")
    took = time.monotonic() - started

    assert took < 1.0 * 3 * 0.7, f"{took:.2f} s: about the sum of three 1 s reads"


def test_the_page_links_its_exports_with_the_filters(fleet_client: Client):
    page = fleet_client.get("/fleet/?state=expired&risky=1&page=1").content.decode()

    assert 'href="/fleet/export.csv?state=expired&amp;risky=1"' in page
    assert 'href="/fleet/export.json?state=expired&amp;risky=1"' in page
