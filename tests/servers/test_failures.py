"""What connect_server does when it cannot finish: TLS it cannot verify, a database that will
not store, and in every case nothing kept and nothing left behind in WHM."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.management import CommandError
from django.db import connection

from tests.helpers import DEMO_ROOT, Whm, listed, stored_server
from tests.servers.conftest import Ran
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator
from tokenui.whm.servers import close_http_clients


@pytest.fixture
def tls_server(tls_simulator: Simulator, settings, db: None) -> Iterator[Simulator]:
    settings.SERVICE_IP_ALLOWLIST = ["127.0.0.1"]
    yield tls_simulator
    close_http_clients()


def connect_to(sim: Simulator, run: Callable[..., Ran], *options: str) -> Ran:
    args = ("main", sim.url, "--username", DEMO_ROOT[0], *options)
    return run("connect_server", *args, stdin=DEMO_ROOT[1] + "\n")


def test_a_certificate_that_cannot_be_verified_stores_nothing(
    tls_server: Simulator, run: Callable[..., Ran]
) -> None:
    with pytest.raises(CommandError, match="TLS certificate could not be verified") as failed:
        connect_to(tls_server, run)

    assert "--ca-bundle FILE" in str(failed.value)
    assert not ConnectedServer.objects.exists()


def test_the_servers_own_ca_verifies_it(tls_server: Simulator, run: Callable[..., Ran]) -> None:
    connect_to(tls_server, run, "--ca-bundle", str(tls_server.ca_path))

    server = stored_server()
    assert (server.verify_tls, server.ca_bundle) == (True, str(tls_server.ca_path))
    server.test_connection()


def test_insecure_is_recorded_and_flagged(tls_server: Simulator, run: Callable[..., Ran]) -> None:
    ran = connect_to(tls_server, run, "--insecure")

    server = stored_server()
    assert (server.verify_tls, server.flags) == (False, ["TLS not verified"])
    assert "Flags: TLS not verified" in ran.stdout
    server.test_connection()


@pytest.fixture
def refusing_database(db: None) -> None:
    """The database refuses to store a connected server (a real failure, not a mock)."""
    table = ConnectedServer._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                "'refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


def test_a_token_made_but_not_stored_is_revoked(
    refusing_database: None, connect: Callable[..., Ran], root_whm: Whm
) -> None:
    before = set(listed(root_whm))

    with pytest.raises(CommandError, match="could not be stored") as failed:
        connect("main")

    assert "the token 'tokenui-main' WHM made for it was revoked" in str(failed.value)
    assert set(listed(root_whm)) == before
    assert not ConnectedServer.objects.exists()
    assert AuditEvent.objects.get(action=Action.CONNECT_SERVER).outcome == Outcome.FAILED
