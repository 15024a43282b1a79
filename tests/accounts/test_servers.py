"""Several WHM servers in one session: Add server, switch, sign out of one or all, each with its
own credential, idle expiry, throttle and audit trail."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.audit.models import AuditEvent
from tokenui.sessions import credentials
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, server: str, user: str = DEMO_ROOT[0], password: str = DEMO_ROOT[1]):
    return client.post("/sign-in/", sign_in_data(user, password) | {"server": server})


def _add(client: Client, server: str, user: str = DEMO_ROOT[0], password: str = DEMO_ROOT[1]):
    return client.post("/servers/add/", sign_in_data(user, password) | {"server": server})


def _listed_on(simulator: Simulator) -> int:
    return sum(1 for r in simulator.requests() if r.function == "api_token_list")


def test_add_server_signs_in_to_a_second_server_and_keeps_the_first(client, two_servers):
    _whm, _beta = two_servers
    assert _sign_in(client, "simulator").status_code == 302
    page = client.get("/tokens/").content.decode()
    assert "Add server" in page
    assert "All servers" not in page

    response = _add(client, "beta", *DEMO_RESELLER)

    assert response.status_code == 302
    assert response["Location"] == "/tokens/"
    assert credentials.server_names(client.session) == ["beta", "simulator"]
    page = client.get("/tokens/").content.decode()
    # The next page confirms it, naming the server now active, in the status region.
    status = re.search(r'<div id="messages"[^>]*role="status"[^>]*>(.*?)</div>', page, re.S)
    assert "Signed in to beta. You are now working on beta;" in status.group(1)
    assert "Sign out of beta" in page
    assert "Sign out of simulator" in page  # each server its own, named
    assert "Sign out of all servers" in page
    assert "Add server" not in page  # every configured server is signed in
    signed = {(s.server, s.user) for s in credentials.signed_in(client.session)}
    assert signed == {("simulator", "root"), ("beta", DEMO_RESELLER[0])}


def test_switch_reaches_the_other_server_without_signing_in_again(client, two_servers):
    whm, beta = two_servers
    _sign_in(client, "simulator")
    _add(client, "beta")
    whm.reset()
    beta.reset()

    response = client.post("/servers/switch/", {"server": "simulator"})

    assert response.status_code == 302
    assert credentials.load(client.session).server == "simulator"
    client.get("/tokens/")
    assert _listed_on(whm) == 1
    assert _listed_on(beta) == 0
    assert not any(r.function == "myprivs" for r in whm.requests())  # no new sign-in


def test_switch_to_a_server_not_signed_in_is_refused(client, two_servers):
    _sign_in(client, "simulator")

    client.post("/servers/switch/", {"server": "beta"})

    assert credentials.load(client.session).server == "simulator"
    assert credentials.server_names(client.session) == ["simulator"]


def test_add_server_refused_keeps_the_session_and_records_the_failure(client, two_servers):
    _sign_in(client, "simulator")

    response = _add(client, "beta", "root", "wrong password")

    assert response.status_code == 422
    assert "WHM refused these credentials." in response.content.decode()
    assert credentials.server_names(client.session) == ["simulator"]
    failed = AuditEvent.objects.get(action="sign-in-failed")
    assert failed.server == "beta"


def test_the_throttle_counts_failures_per_server(client, two_servers):
    _sign_in(client, "simulator")
    for _ in range(5):
        assert _add(client, "beta", "root", "wrong password").status_code == 422

    assert _add(client, "beta", *DEMO_ROOT).status_code == 429  # beta's root is paused
    other = Client()
    assert _sign_in(other, "simulator").status_code == 302  # the other server's root is not


def test_sign_out_of_one_server_keeps_the_other(client, two_servers):
    _sign_in(client, "simulator")
    _add(client, "beta")

    response = client.post("/sign-out/", {"server": "beta"})

    assert response.status_code == 302
    assert credentials.server_names(client.session) == ["simulator"]
    assert client.get("/tokens/").status_code == 200
    assert list(AuditEvent.objects.filter(action="sign-out").values_list("server", flat=True)) == [
        "beta"
    ]


def test_sign_out_of_the_active_server_makes_the_other_active(client, two_servers):
    _sign_in(client, "simulator")
    _add(client, "beta")  # beta is active

    client.post("/sign-out/", {"server": "beta"})

    assert credentials.load(client.session).server == "simulator"


def test_sign_out_of_all_ends_every_server_and_records_each(client, two_servers):
    _sign_in(client, "simulator")
    _add(client, "beta")

    response = client.post("/sign-out/")

    assert response["Location"] == "/sign-in/"
    assert credentials.server_names(client.session) == []
    signed_out = AuditEvent.objects.filter(action="sign-out").values_list("server", flat=True)
    assert sorted(signed_out) == ["beta", "simulator"]


def test_a_waiting_server_lapses_after_its_own_idle_time(client, two_servers, settings):
    _sign_in(client, "simulator")
    _add(client, "beta")
    client.post("/servers/switch/", {"server": "simulator"})  # beta waits from now
    session = client.session
    waiting = session[credentials.OTHERS_KEY]
    # As if beta had not been used for the whole idle time.
    waiting["beta"]["used"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session[credentials.OTHERS_KEY] = waiting
    session.save()

    page = client.get("/tokens/").content.decode()

    assert "Sign out of all" not in page
    assert credentials.server_names(client.session) == ["simulator"]


def test_every_servers_credential_is_stored_encrypted(client, two_servers):
    _sign_in(client, "simulator")
    _add(client, "beta", *DEMO_RESELLER)

    stored = client.session.load()

    assert DEMO_ROOT[1] not in repr(stored)
    assert DEMO_RESELLER[1] not in repr(stored)


def test_add_server_offers_only_the_servers_not_signed_in(client, two_servers):
    _sign_in(client, "simulator")

    page = client.get("/servers/add/").content.decode()

    assert "<h1>Add server</h1>" in page
    assert "beta" in page
    assert 'value="simulator"' not in page
    assert 'name="service"' not in page  # WHM servers only
