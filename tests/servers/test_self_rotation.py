"""Self-rotation on the schedule (tokenui/servers/tasks.py): each service token within
SERVICE_ROTATE_DAYS of its expiry is rotated once, against the simulator, by calling the tasks
as a worker does; failures are kept and named, and a create WHM may have carried out is never
tried again by itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.helpers import calls, listed, stored_server, text
from tests.servers.conftest import Ran
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.background.schedule import SCHEDULE
from tokenui.servers import rotating, tasks
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator

ROTATED = "TokenUI rotated its own service token before it expires."


@pytest.fixture
def expiring(connect: Callable[..., Ran], settings) -> ConnectedServer:
    """ "main", connected with a token that lives 10 days (within the default 14); its
    successors live 90."""
    settings.SERVICE_TOKEN_DAYS = 10
    connect("main")
    settings.SERVICE_TOKEN_DAYS = 90
    return stored_server()


@pytest.fixture
def admin_client_of(client: Client) -> Callable[[], Client]:
    """`client` signed in (the session written) as a staff superuser: admin everywhere."""

    def signed_in() -> Client:
        client.force_login(User.objects.create_superuser("admin"))
        return client

    return signed_in


def rotate(server: ConnectedServer) -> str:
    """What a worker does with the task the schedule enqueued for `server`."""
    return tasks.rotate_server.call(server.pk, server.token_name, server.token_created.isoformat())


def test_the_schedule_runs_the_rotation_every_hour() -> None:
    (entry,) = [e for e in SCHEDULE if e.job == "service-token-rotation"]
    assert entry.task is tasks.rotate_due
    assert entry.seconds() == 3600


def test_only_a_token_within_service_rotate_days_of_expiry_is_due(
    connect: Callable[..., Ran], settings
) -> None:
    connect("main")  # 90 days
    server = stored_server()
    assert tasks.rotate_due.call() == []
    assert rotating.due(server.token_expires - timedelta(days=14, seconds=1)) == []
    assert rotating.due(server.token_expires - timedelta(days=14)) == [server]
    settings.SERVICE_ROTATE_DAYS = 89
    assert tasks.rotate_due.call() == []
    settings.SERVICE_ROTATE_DAYS = 90  # at the horizon, as WHM's expiry date has it
    assert tasks.rotate_due.call() == [server.pk]


def test_a_due_token_is_rotated_once_and_audited(
    expiring: ConnectedServer, server: Simulator, root_whm
) -> None:
    assert tasks.rotate_due.call() == [expiring.pk]
    made_before = len(calls(server, "api_token_create"))

    assert rotate(expiring) == f"rotated to tokenui-main-{timezone.now():%Y%m%d}"
    # Run twice (a duplicate task, or the schedule again): nothing more is made or revoked.
    assert rotate(expiring) == "already rotated, or a rotation holds it"
    assert tasks.rotate_due.call() == []

    rotated = stored_server()
    assert len(calls(server, "api_token_create")) == made_before + 1
    assert set(listed(root_whm)) & {"tokenui-main", rotated.token_name} == {rotated.token_name}
    assert rotated.token_expires > timezone.now() + timedelta(days=89)
    assert (rotated.rotation_started, rotated.rotation_failure) == (None, "")
    event = AuditEvent.objects.get(action=Action.ROTATE)
    assert (event.reason, event.outcome) == (ROTATED, Outcome.SUCCEEDED)
    assert event.token_names == ["tokenui-main", rotated.token_name]
    assert (event.staff, event.client_address) == ("", None)
    assert AuditEvent.objects.get(action=Action.REVOKE).token_names == ["tokenui-main"]
    rotated.test_connection()


def test_a_refused_rotation_is_kept_named_and_tried_again_a_day_later(
    expiring: ConnectedServer, server: Simulator, root_whm
) -> None:
    server.set_fault("storage-error", functions=["api_token_create"], count=1)

    reason = rotate(expiring)

    kept = stored_server()
    assert reason.startswith("WHM at ")
    assert (kept.token_name, kept.rotation_failure, kept.rotation_started) == (
        "tokenui-main",
        reason,
        None,
    )
    event = AuditEvent.objects.get(action=Action.ROTATE)
    assert (event.outcome, event.token_names) == (Outcome.REFUSED, ["tokenui-main"])
    assert rotating.due() == []
    assert rotating.due(timezone.now() + rotating.RETRY_AFTER + timedelta(seconds=1)) == [kept]
    assert set(listed(root_whm)) >= {"tokenui-main"}


def test_the_servers_page_names_a_failed_rotation(
    expiring: ConnectedServer, server: Simulator, admin_client_of: Callable[..., Client]
) -> None:
    server.set_fault("storage-error", functions=["api_token_create"], count=1)
    reason = rotate(expiring)

    page = text(admin_client_of().get("/staff/servers/main/").text)

    assert "TokenUI could not rotate its token." in page
    assert reason in page
    assert "The schedule tries again a day later." in page


def test_a_create_that_may_have_run_is_never_tried_again_by_itself(
    expiring: ConnectedServer, server: Simulator, settings, admin_client_of, run
) -> None:
    settings.WHM_TIMEOUT = 0.5
    server.set_fault("close", functions=["api_token_create"], count=1)

    reason = rotate(expiring)

    held = stored_server()
    assert "may have made 'tokenui-main-" in reason
    assert (held.token_name, held.rotation_failure) == ("tokenui-main", reason)
    assert held.rotation_started is not None
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.UNKNOWN
    far = timezone.now() + timedelta(days=5)
    assert rotating.due(far) == []
    assert rotate(held) == "already rotated, or a rotation holds it"
    page = text(admin_client_of().get("/staff/servers/main/").text)
    assert "The schedule will not try again by itself" in page
    assert "rotate_service_token main" in page
    # An admin rotates it by hand: the hold is gone with the old token.
    run("rotate_service_token", "main")
    assert stored_server().rotation_started is None
    assert stored_server().rotation_failure == ""


@pytest.fixture
def refusing_new_tokens(expiring: ConnectedServer) -> None:
    """The database refuses to store a new service token on the row (a real failure, not a
    mock); other changes to the row go through."""
    table = ConnectedServer._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE UPDATE OF token_name ON {table} "
                "WHEN NEW.token_name <> OLD.token_name BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                "'refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE UPDATE ON {table} FOR EACH ROW "
                "WHEN (NEW.token_name IS DISTINCT FROM OLD.token_name) EXECUTE FUNCTION refuse()"
            )


def test_a_successor_made_but_not_stored_is_revoked(
    refusing_new_tokens: None, expiring: ConnectedServer, root_whm
) -> None:
    before = set(listed(root_whm))

    reason = rotate(expiring)

    assert "could not be stored" in reason
    assert "WHM made for it was revoked" in reason
    assert set(listed(root_whm)) == before
    kept = stored_server()
    assert (kept.token_name, kept.rotation_failure, kept.rotation_started) == (
        "tokenui-main",
        reason,
        None,
    )
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.FAILED
    kept.test_connection()
