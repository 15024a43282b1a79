"""The All servers page over real HTTP: every signed-in server's tokens in one table, its
filters, sort and paging (all plain GETs: the same with JavaScript off), and each server's
status line."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests.fleet.conftest import sign_in_to
from tests.helpers import DEMO_ROOT, DEMO_TOKEN_NAMES
from tokenui.simulator import Simulator
from tokenui.whm.servers import client_for
from tokenui.whm.types import Credential


def _rows(page: str) -> list[tuple[str, str]]:
    """(server, name) of each row of the table."""
    return re.findall(
        r'<td data-label="Server">([^<]*)</td>\s*<td data-label="User">[^<]*</td>\s*'
        r'<th scope="row" class="token-name">([^<]*)</th>',
        page,
    )


def _listed(simulator: Simulator) -> int:
    return sum(1 for r in simulator.requests() if r.function == "api_token_list")


def test_the_page_lists_every_token_of_every_signed_in_server(fleet_client: Client):
    response = fleet_client.get("/fleet/")

    assert response.status_code == 200
    page = response.content.decode()
    rows = _rows(page)
    for server in ("alpha", "beta", "gamma"):
        assert {name for s, name in rows if s == server} == DEMO_TOKEN_NAMES
    assert "18 of 18 API tokens on 3 servers." in page
    assert page.count("read at") == 3


def test_the_header_links_to_all_servers_once_two_are_signed_in(client, servers, db):
    sign_in_to(client, "alpha")
    assert 'href="/fleet/"' not in client.get("/tokens/").content.decode()

    sign_in_to(client, "alpha", "beta")

    assert 'href="/fleet/"' in client.get("/tokens/").content.decode()


def test_a_stopped_server_is_named_and_the_others_still_listed(fleet_client: Client, servers):
    servers["gamma"].stop()

    response = fleet_client.get("/fleet/")

    assert response.status_code == 200
    page = response.content.decode()
    assert {s for s, _ in _rows(page)} == {"alpha", "beta"}
    status = re.search(
        r"<li class=\"server-\w+\">\s*<span><strong>gamma</strong>.*?</li>", page, re.S
    ).group(0)
    assert "Could not be read:" in status
    assert "could not connect" in status.lower() or "unreachable" in status.lower(), status
    assert "(1 could not be read)" in page


def test_a_hung_server_does_not_hold_up_the_others(fleet_client: Client, servers, settings):
    settings.WHM_TIMEOUT = 1.0
    servers["beta"].set_fault("hang")

    started = time.monotonic()
    response = fleet_client.get("/fleet/")
    took = time.monotonic() - started

    # The hang lasts a minute (HANG_LIMIT_S): waiting it out is far past this bound, which
    # leaves a loaded machine room for the other two reads.
    assert took < settings.WHM_TIMEOUT + 3
    page = response.content.decode()
    assert {s for s, _ in _rows(page)} == {"alpha", "gamma"}
    assert "WHM did not answer within 1 seconds." in page


def test_servers_are_read_concurrently(fleet_client: Client, servers):
    # Long enough reads that a loaded machine's overhead cannot pass for (or hide) the sum.
    for simulator in servers.values():
        simulator.latency_ms = 1000

    started = time.monotonic()
    fleet_client.get("/fleet/")
    took = time.monotonic() - started

    assert took < 1.0 * 3 * 0.7, f"{took:.2f} s: about the sum of three 1 s reads"


def test_filters_by_server_state_and_risk(fleet_client: Client):
    by_server = _rows(fleet_client.get("/fleet/?server=beta").content.decode())
    assert {s for s, _ in by_server} == {"beta"}

    expired = _rows(fleet_client.get("/fleet/?state=expired").content.decode())
    assert expired
    assert {name for _, name in expired} == {"old-migration"}

    # A token with none of the risks: a few privileges, an expiry, one address.
    beta = client_for("beta", Credential(*DEMO_ROOT, kind="password"))
    expires = timezone.now() + timedelta(days=90)
    beta.create_token("careful", acls=["list-accts"], expires=expires, whitelist_ips=["192.0.2.7"])
    fleet_client.post("/fleet/refresh/")
    every = _rows(fleet_client.get("/fleet/").content.decode())
    risky_page = fleet_client.get("/fleet/?risky=1").content.decode()
    risky = _rows(risky_page)
    assert ("beta", "careful") in every
    assert ("beta", "careful") not in risky
    assert len(risky) == len(every) - 1
    assert '<td data-label="Risk">None</td>' not in risky_page


def test_search_matches_a_name_or_a_server(fleet_client: Client):
    by_name = _rows(fleet_client.get("/fleet/?q=billing").content.decode())
    assert sorted(by_name) == [
        ("alpha", "billing-bot"),
        ("beta", "billing-bot"),
        ("gamma", "billing-bot"),
    ]

    by_server = _rows(fleet_client.get("/fleet/?q=gam").content.decode())
    assert {s for s, _ in by_server} == {"gamma"}


def test_sort_keeps_the_filters(fleet_client: Client):
    page = fleet_client.get("/fleet/?server=beta&sort=name").content.decode()

    names = [name for _, name in _rows(page)]
    assert names == sorted(names, key=str.casefold)
    # The sort first: it tells a page loaded whole that a sort link asked for it (focus).
    assert 'href="?sort=-name&amp;server=beta"' in page


def test_htmx_search_redraws_the_table_from_what_the_page_read(fleet_client: Client, servers):
    fleet_client.get("/fleet/")
    for simulator in servers.values():
        simulator.controls.clear_requests()

    partial = fleet_client.get("/fleet/?q=bill", headers={"HX-Request": "true"})

    assert partial.content.decode().lstrip().startswith('<div id="fleet-table"')
    assert sum(_listed(s) for s in servers.values()) == 0


def test_refresh_one_server_reads_only_that_server(fleet_client: Client, servers):
    fleet_client.get("/fleet/?q=bill")
    for simulator in servers.values():
        simulator.controls.clear_requests()

    response = fleet_client.post("/fleet/refresh/", {"server": "beta", "back": "q=bill"})
    assert response["Location"] == "/fleet/?q=bill"
    fleet_client.get(response["Location"], headers={"HX-Request": "true"})

    assert [_listed(servers[n]) for n in ("alpha", "beta", "gamma")] == [0, 1, 0]


def test_the_page_shows_the_same_words_and_marks_as_the_single_table(fleet_client: Client):
    page = fleet_client.get("/fleet/?q=old-migration&server=alpha").content.decode()

    assert 'class="row-expired"' in page
    assert "Expired " in page
    assert " ago" in page
