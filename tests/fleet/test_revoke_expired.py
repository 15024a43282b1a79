"""Revoke Expired across the fleet over real HTTP: the question counts each server's expired
tokens; Continue makes one revoke call per server for what was confirmed and is still expired,
each server's outcome is said (one may fail while the others succeed) and recorded."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.helpers import DEMO_ROOT
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.simulator import Simulator
from tokenui.whm.servers import client_for
from tokenui.whm.types import Credential

DAY = 86400


def _lapsed(simulator: Simulator, name: str) -> None:
    now = int(time.time())
    simulator.store.add_token(
        "root", name, acls=["list-accts"], create_time=now - 30 * DAY, expires_at=now - DAY
    )


def _names(simulator: Simulator) -> set[str]:
    return {token.name for token in simulator.store.tokens("root")}


def _revokes(simulator: Simulator) -> list[list[str]]:
    """The names each `api_token_revoke` call named (token_name, token_name-1, …)."""
    return [
        sorted(v for k, v in r.params.items() if k.startswith("token_name"))
        for r in simulator.requests()
        if r.function == "api_token_revoke"
    ]


def _confirmed(page: str) -> str:
    return html.unescape(re.search(r'name="confirmed" value="([^"]*)"', page).group(1))


def _trail() -> dict[str, tuple[str, list[str]]]:
    events = AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED)
    return {e.server: (e.outcome, e.token_names) for e in events}


def test_the_question_counts_the_expired_tokens_per_server(fleet_client: Client, servers):
    _lapsed(servers["alpha"], "stale-one")

    response = fleet_client.get("/fleet/revoke-expired/?state=expired")

    assert response.status_code == 200
    page = response.content.decode()
    text = " ".join(page.split())
    assert "revoke 4 expired API tokens on 3 servers?" in text
    # Each server's names in a list of their own, one per line (issue 17 item 16).
    names = '<ul class="revoke-names"><li>old-migration</li><li>stale-one</li></ul>'
    assert f"<strong>alpha</strong>: 2 expired API tokens:{names}" in text
    names = '<ul class="revoke-names"><li>old-migration</li></ul>'
    assert f"<strong>beta</strong>: 1 expired API token:{names}" in text
    assert json.loads(_confirmed(page)) == {
        "alpha": ["old-migration", "stale-one"],
        "beta": ["old-migration"],
        "gamma": ["old-migration"],
    }
    # Continue and Cancel come back to the table as it was filtered.
    assert 'action="/fleet/revoke-expired/?state=expired"' in page
    assert 'href="/fleet/?state=expired"' in page
    # In the dialog (htmx), the same question without the page around it.
    dialog = fleet_client.get("/fleet/revoke-expired/", headers={"HX-Request": "true"})
    assert dialog.content.decode().lstrip().startswith('<div class="confirm">')
    assert sum(len(_revokes(s)) for s in servers.values()) == 0


def test_one_revoke_call_per_server_one_refused_one_down_the_other_revoked(
    fleet_client: Client, servers
):
    _lapsed(servers["alpha"], "stale-one")
    confirmed = _confirmed(fleet_client.get("/fleet/revoke-expired/").content.decode())
    servers["beta"].set_fault("storage-error", functions=["api_token_revoke"])
    servers["gamma"].stop()
    for simulator in (servers["alpha"], servers["beta"]):
        simulator.clear_requests()

    response = fleet_client.post("/fleet/revoke-expired/?q=o", {"confirmed": confirmed})

    assert response.status_code == 302
    assert response["Location"] == "/fleet/?q=o"
    assert "old-migration" not in _names(servers["alpha"])
    assert "stale-one" not in _names(servers["alpha"])
    assert "old-migration" in _names(servers["beta"])
    assert _revokes(servers["alpha"]) == [["old-migration", "stale-one"]]
    assert len(_revokes(servers["beta"])) == 1
    page = fleet_client.get(response["Location"]).content.decode()
    assert "alpha: 2 API tokens have been revoked." in page
    assert re.search(r"beta: The system failed to revoke[^<]*Disk quota exceeded", page)
    assert re.search(r"gamma: TokenUI could not connect to WHM", page)
    trail = _trail()
    assert trail["alpha"] == (Outcome.SUCCEEDED, ["old-migration", "stale-one"])
    assert trail["beta"] == (Outcome.REFUSED, ["old-migration"])
    assert trail["gamma"] == (Outcome.FAILED, ["old-migration"])
    assert AuditEvent.objects.get(server="alpha", action=Action.REVOKE_EXPIRED).whm_user == "root"


def test_a_token_renewed_since_the_question_or_never_expired_is_not_revoked(
    fleet_client: Client, servers
):
    confirmed = json.loads(_confirmed(fleet_client.get("/fleet/revoke-expired/").content.decode()))
    alpha = client_for("alpha", Credential(*DEMO_ROOT, kind="password"))
    alpha.update_token("old-migration", expires=timezone.now() + timedelta(days=30))
    # A forged answer: a valid token, a name WHM could not hold, a server not signed in.
    confirmed["beta"] += ["automation", "<script>"]
    confirmed["delta"] = ["old-migration"]

    fleet_client.post("/fleet/revoke-expired/", {"confirmed": json.dumps(confirmed)})

    assert "old-migration" in _names(servers["alpha"])
    assert _revokes(servers["alpha"]) == []
    assert "automation" in _names(servers["beta"])
    assert _revokes(servers["beta"]) == [["old-migration"]]
    trail = _trail()
    assert trail["alpha"] == (Outcome.REFUSED, ["old-migration"])
    assert trail["beta"] == (Outcome.SUCCEEDED, ["old-migration"])
    assert "delta" not in trail


def test_with_htmx_the_table_status_lines_and_outcomes_come_back_read_again(
    fleet_client: Client, servers
):
    fleet_client.get("/fleet/")
    confirmed = _confirmed(fleet_client.get("/fleet/revoke-expired/").content.decode())
    servers["gamma"].set_fault("http-503", functions=["api_token_revoke"])
    for simulator in servers.values():
        simulator.clear_requests()

    response = fleet_client.post(
        "/fleet/revoke-expired/?state=expired",
        {"confirmed": confirmed},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/fleet/?state=expired"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="fleet-table"')
    assert '<ul id="server-status" hx-swap-oob="innerHTML">' in page
    assert '<div id="messages" hx-swap-oob="innerHTML">' in page
    assert "alpha: The API token “old-migration” has been revoked." in page
    assert "gamma: " in page
    # The kept reads of the changed servers were dropped: the table is read again.
    rows = re.findall(r'<td data-label="Server">([^<]*)</td>', page)
    assert rows == ["gamma"]
    assert all(
        sum(r.function == "api_token_list" for r in s.requests()) == 2 for s in servers.values()
    )


def test_nothing_confirmed_sends_nothing(fleet_client: Client, servers):
    response = fleet_client.post("/fleet/revoke-expired/", {"confirmed": "{}"})

    assert response.status_code == 302
    page = fleet_client.get(response["Location"]).content.decode()
    # Every server says what came of it: here, that its expired token was not confirmed.
    for server in servers:
        assert f"{server}: 1 expired API token was not in the question; it was left alone." in page
    assert sum(len(_revokes(s)) for s in servers.values()) == 0
    assert not AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED).exists()


def test_a_revoke_that_hangs_is_recorded_as_unknown_and_does_not_hold_up_the_others(
    fleet_client: Client, servers, settings
):
    settings.WHM_TIMEOUT = 1.0
    confirmed = _confirmed(fleet_client.get("/fleet/revoke-expired/").content.decode())
    servers["beta"].set_fault("hang", functions=["api_token_revoke"])

    started = time.monotonic()
    response = fleet_client.post("/fleet/revoke-expired/", {"confirmed": confirmed})
    took = time.monotonic() - started

    assert took < settings.WHM_TIMEOUT + 3  # the hang lasts a minute; a loaded machine, 3 s
    assert "old-migration" not in _names(servers["alpha"])
    assert "old-migration" not in _names(servers["gamma"])
    assert len(_revokes(servers["beta"])) == 1  # sent once, never retried
    page = fleet_client.get(response["Location"]).content.decode()
    assert "beta: " in page
    assert "may still have carried out the request" in page
    trail = _trail()
    assert trail["beta"] == (Outcome.UNKNOWN, ["old-migration"])
    assert trail["alpha"] == (Outcome.SUCCEEDED, ["old-migration"])
    servers["beta"].clear_faults()


def test_a_confirmation_our_question_could_not_have_written_is_a_400_recording_nothing(
    fleet_client: Client, servers
) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    for posted in (deep, "not json", '["a list"]', "x" * 1_000_001):
        response = fleet_client.post("/fleet/revoke-expired/", {"confirmed": posted})
        assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED).exists()


def test_forged_names_never_reach_the_audit_trail(fleet_client: Client, servers) -> None:
    # Names a server does not list (nothing expired there): refused, without the forgery.
    forged = {"beta": ["not-a-token-of-mine", "reporting"]}
    fleet_client.post("/fleet/revoke-expired/", {"confirmed": json.dumps(forged)})
    names = [e.token_names for e in AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED)]
    assert names == [["reporting"]]


def test_every_server_has_its_outcome_one_down_and_one_with_nothing_to_revoke(
    fleet_client: Client, servers
) -> None:
    # Beta has nothing expired; gamma is down from the question on.
    beta = client_for("beta", Credential(*DEMO_ROOT, kind="password"))
    beta.update_token("old-migration", expires=timezone.now() + timedelta(days=30))
    servers["gamma"].stop()
    question = fleet_client.get("/fleet/revoke-expired/").content.decode()
    assert json.loads(_confirmed(question)) == {"alpha": ["old-migration"]}

    response = fleet_client.post("/fleet/revoke-expired/", {"confirmed": _confirmed(question)})

    page = fleet_client.get(response["Location"]).content.decode()
    outcomes = re.findall(r'<p class="message-text"[^>]*>([^<]*)</p>', page)
    assert [outcome.split(":")[0] for outcome in outcomes] == ["alpha", "beta", "gamma"]
    assert "alpha: The API token “old-migration” has been revoked." in outcomes
    assert "beta: There are no expired API tokens to revoke." in outcomes
    assert re.search(r"gamma: TokenUI could not connect to WHM", outcomes[2])
    assert 'role="alert"' in page  # the server that was down is an error, read out at once
    assert sum(len(_revokes(s)) for s in servers.values()) == 1


def test_a_server_whose_tokens_expired_after_the_question_says_they_were_left_alone(
    fleet_client: Client, servers
) -> None:
    _lapsed(servers["beta"], "stale-one")
    fleet_client.post("/fleet/revoke-expired/", {"confirmed": json.dumps({"alpha": []})})

    page = fleet_client.get("/fleet/").content.decode()
    assert "beta: 2 expired API tokens were not in the question; they were left alone." in page
    assert "stale-one" in _names(servers["beta"])
    assert sum(len(_revokes(s)) for s in servers.values()) == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "dialog"])
def test_cancel_comes_before_continue_as_in_every_revoke_question(
    fleet_client: Client, servers, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    page = fleet_client.get("/fleet/revoke-expired/", headers=headers).content.decode()

    actions = page[page.index('class="dialog-actions"') :]
    assert actions.index(">Cancel<") < actions.index(">Continue<")
