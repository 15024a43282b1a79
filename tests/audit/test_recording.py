"""Every audited action, driven through the real views against the WHM simulator, is recorded
with who, where, which tokens, the outcome and WHM's reason; and never with a secret."""

from __future__ import annotations

import logging
import re
import time

import pytest
from django.db import connection
from django.test import Client

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.audit import trail
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
NEW = "/tokens/new/"
ROOT_DEMO_NEWEST_FIRST = [
    "reporting",
    "automation",
    "billing-bot",
    "backup-script",
    "monitoring",
    "old-migration",
]


def generate_data(name: str = "ci-deploy", **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": name,
        "expiry": "never",
        "expires_on": "",
        "whitelist_ips": "",
        "acls": ["list-accts", "create-acct"],
    }
    return data | overrides


def recorded(action: str | None = None) -> list[AuditEvent]:
    """The events recorded so far, oldest first (optionally only one action's)."""
    events = AuditEvent.objects.order_by("id")
    return list(events.filter(action=action) if action else events)


def last() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None, "nothing was recorded"
    return event


def summary(event: AuditEvent) -> tuple:
    return (event.action, event.outcome, event.token_names)


def every_audit_row() -> str:
    """The audit table as the database holds it, every column of every row."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table name
        return repr(cursor.fetchall())


def add_token(whm: Simulator, name: str, acls: tuple[str, ...] = ("all",)) -> str:
    return whm.store.add_token(
        "root", name, acls=acls, create_time=int(time.time()), expires_at=None
    )


# --- sign-in and sign-out -------------------------------------------------------------------


def test_sign_in_with_a_password_records_who_where_and_how(client: Client, whm: Simulator) -> None:
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT), REMOTE_ADDR="203.0.113.9")
    (event,) = recorded()
    assert summary(event) == ("sign-in", "succeeded", [])
    assert event.server == "simulator"
    assert event.whm_user == "root"
    assert event.auth_kind == "password"
    assert event.session_token_name == ""
    assert event.client_address == "203.0.113.9"
    assert event.reason == ""


def test_sign_in_with_a_token_records_the_tokens_name(client: Client, whm: Simulator) -> None:
    secret = add_token(whm, "dashboard-login", acls=("manage-api-tokens",))
    client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    event = last()
    assert summary(event) == ("sign-in", "succeeded", [])
    assert (event.auth_kind, event.session_token_name) == ("token", "dashboard-login")


def test_wrong_password_is_recorded_as_refused_under_the_username_tried(
    client: Client, whm: Simulator
) -> None:
    client.post(SIGN_IN, sign_in_data("reseller", "not-the-password"))
    event = last()
    assert summary(event) == ("sign-in-failed", "refused", [])
    assert (event.server, event.whm_user, event.auth_kind) == ("simulator", "reseller", "password")
    assert event.reason == "WHM refused these credentials."


def test_throttled_sign_in_is_recorded_as_refused_with_the_wait(
    client: Client, whm: Simulator
) -> None:
    for _ in range(5):
        client.post(SIGN_IN, sign_in_data("root", "wrong"))
    whm.clear_requests()
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert response.status_code == 429
    assert whm.requests() == []
    assert len(recorded("sign-in-failed")) == 6
    event = last()
    assert (event.outcome, event.whm_user) == ("refused", "root")
    assert event.reason.startswith("Too many failed sign-in attempts. Try again in")


def test_sign_in_without_manage_api_tokens_is_recorded_as_refused(
    client: Client, whm: Simulator
) -> None:
    secret = add_token(whm, "reader", acls=("list-accts",))
    client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    event = last()
    assert summary(event) == ("sign-in-failed", "refused", [])
    assert event.auth_kind == "token"
    assert "holds neither the “Manage API Tokens” privilege" in event.reason


@pytest.mark.parametrize("fault", ["close", "http-500", "hang"])
def test_whm_failing_at_sign_in_is_recorded_as_failed_with_its_message(
    client: Client, whm: Simulator, settings, fault: str
) -> None:
    settings.WHM_TIMEOUT = 0.3
    whm.set_fault(fault, functions=["myprivs"], count=1)
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    assert response.status_code in {502, 503, 504}
    event = last()
    # A sign-in only reads: even a timeout leaves nothing changed, so it is failed, not unknown.
    assert summary(event) == ("sign-in-failed", "failed", [])
    assert event.reason
    assert event.reason in response.text


def test_unreachable_whm_at_sign_in_is_recorded_as_failed(client: Client, settings) -> None:
    settings.WHM_SERVERS = {"simulator": "http://127.0.0.1:9"}
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    event = last()
    assert summary(event) == ("sign-in-failed", "failed", [])
    assert event.whm_user == "root"


def test_a_sign_in_form_that_never_reached_whm_is_not_recorded(
    client: Client, whm: Simulator
) -> None:
    client.post(SIGN_IN, sign_in_data("root", "too-short", token=True))
    assert recorded() == []


def test_sign_out_is_recorded_for_the_user_signing_out(reseller_client: Client) -> None:
    reseller_client.post("/sign-out/")
    event = last()
    assert summary(event) == ("sign-out", "succeeded", [])
    assert (event.whm_user, event.auth_kind) == ("reseller", "password")


def test_sign_out_without_a_session_records_nothing(client: Client, whm: Simulator) -> None:
    client.post("/sign-out/")
    assert recorded() == []


# --- Generate -------------------------------------------------------------------------------


def test_generate_is_recorded_with_the_new_tokens_name(root_client: Client) -> None:
    root_client.post(NEW, generate_data("ci-deploy"), REMOTE_ADDR="2001:db8::7")
    event = last()
    assert summary(event) == ("generate", "succeeded", ["ci-deploy"])
    assert (event.whm_user, event.client_address) == ("root", "2001:db8::7")


def test_generate_refused_by_whm_is_recorded_with_whms_reason(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("storage-error", functions=["api_token_create"], count=1)
    response = root_client.post(NEW, generate_data("kept-name"))
    event = last()
    assert summary(event) == ("generate", "refused", ["kept-name"])
    assert event.reason == "The system failed to create the API token: Disk quota exceeded"
    assert event.reason in response.text


@pytest.mark.parametrize("fault", ["hang", "close"])
def test_generate_with_no_answer_from_whm_is_recorded_as_unknown(
    root_client: Client, whm: Simulator, settings, fault: str
) -> None:
    settings.WHM_TIMEOUT = 0.3
    whm.set_fault(fault, functions=["api_token_create"], count=1)
    root_client.post(NEW, generate_data("slow-one"))
    event = last()
    assert summary(event) == ("generate", "unknown", ["slow-one"])
    assert "may still have carried out" in event.reason


def test_generate_failing_on_the_read_before_it_is_recorded_as_failed(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("http-503", functions=["api_token_list"], count=1)
    root_client.post(NEW, generate_data("never-sent"))
    event = last()
    # The name was never validated, so it is not kept; WHM was never asked to create anything.
    assert summary(event) == ("generate", "failed", [])
    assert "HTTP 503" in event.reason


def test_an_invalid_generate_form_and_opening_forms_record_nothing(root_client: Client) -> None:
    before = len(recorded())
    root_client.get(NEW)
    root_client.post(NEW, generate_data("has space"))
    root_client.get("/tokens/reporting/edit/")
    root_client.get("/tokens/reporting/revoke/")
    root_client.get("/tokens/revoke-all/")
    assert len(recorded()) == before


# --- Edit -----------------------------------------------------------------------------------


def test_edit_is_recorded_with_the_tokens_name(root_client: Client) -> None:
    root_client.post("/tokens/billing-bot/edit/", generate_data("billing-bot"))
    assert summary(last()) == ("edit", "succeeded", ["billing-bot"])


def test_edit_that_renames_is_recorded_with_the_old_and_new_names(root_client: Client) -> None:
    root_client.post("/tokens/reporting/edit/", generate_data("quarterly-reporting"))
    event = last()
    assert summary(event) == ("edit", "succeeded", ["reporting", "quarterly-reporting"])
    assert event.renamed


def test_edit_refused_by_whm_is_recorded_with_whms_reason(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("storage-error", functions=["api_token_update"], count=1)
    root_client.post("/tokens/reporting/edit/", generate_data("reporting"))
    event = last()
    assert summary(event) == ("edit", "refused", ["reporting"])
    assert event.reason.startswith("The system failed to")


def test_edit_timing_out_is_recorded_as_unknown(
    root_client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_TIMEOUT = 0.3
    whm.set_fault("hang", functions=["api_token_update"], count=1)
    root_client.post("/tokens/reporting/edit/", generate_data("renamed-maybe"))
    assert summary(last()) == ("edit", "unknown", ["reporting", "renamed-maybe"])


def test_edit_failing_on_the_read_before_it_is_recorded_as_failed(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("close", functions=["api_token_list"], count=1)
    root_client.post("/tokens/reporting/edit/", generate_data("reporting"))
    assert summary(last()) == ("edit", "failed", ["reporting"])


# --- Revoke ---------------------------------------------------------------------------------


def test_revoke_is_recorded(root_client: Client) -> None:
    root_client.post("/tokens/reporting/revoke/")
    assert summary(last()) == ("revoke", "succeeded", ["reporting"])


def test_revoke_selected_is_recorded_with_the_names_sent(root_client: Client) -> None:
    root_client.post("/tokens/revoke-selected/", {"name": ["reporting", "automation", "gone"]})
    assert summary(last()) == ("revoke-selected", "succeeded", ["reporting", "automation"])


def test_revoke_all_is_recorded_with_every_name(root_client: Client) -> None:
    root_client.post("/tokens/revoke-all/")
    assert summary(last()) == ("revoke-all", "succeeded", ROOT_DEMO_NEWEST_FIRST)


def test_revoke_refused_by_whm_is_recorded_with_whms_reason(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("storage-error", functions=["api_token_revoke"], count=1)
    root_client.post("/tokens/revoke-all/")
    event = last()
    assert summary(event) == ("revoke-all", "refused", ROOT_DEMO_NEWEST_FIRST)
    assert event.reason.startswith("The system failed to")


@pytest.mark.parametrize("fault", ["hang", "close", "http-500"])
def test_revoke_without_a_clear_answer_is_recorded_as_unknown(
    root_client: Client, whm: Simulator, settings, fault: str
) -> None:
    settings.WHM_TIMEOUT = 0.3
    whm.set_fault(fault, functions=["api_token_revoke"], count=1)
    root_client.post("/tokens/reporting/revoke/")
    event = last()
    assert summary(event) == ("revoke", "unknown", ["reporting"])
    assert "may still have carried out" in event.reason


def test_revoke_selected_failing_on_the_read_keeps_only_real_token_names(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("http-500", functions=["api_token_list"], count=1)
    root_client.post("/tokens/revoke-selected/", {"name": ["reporting", "<script>", "x" * 51]})
    assert summary(last()) == ("revoke-selected", "failed", ["reporting"])


def test_revoking_the_sessions_own_token_is_recorded_before_signing_out(
    client: Client, whm: Simulator
) -> None:
    secret = add_token(whm, "my-login")
    client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    client.post("/tokens/my-login/revoke/")
    event = last()
    assert summary(event) == ("revoke", "succeeded", ["my-login"])
    assert (event.auth_kind, event.session_token_name) == ("token", "my-login")


def test_a_credential_revoked_mid_session_is_recorded_as_refused(
    client: Client, whm: Simulator
) -> None:
    secret = add_token(whm, "short-lived")
    client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    other = Client()
    other.post(SIGN_IN, sign_in_data(*DEMO_ROOT))
    other.post("/tokens/short-lived/revoke/")
    client.post("/tokens/reporting/revoke/")
    event, ended = AuditEvent.objects.order_by("-id")[1], last()
    assert (event.action, event.outcome, event.session_token_name) == (
        "revoke",
        "refused",
        "short-lived",
    )
    assert event.reason == "WHM refused these credentials."
    # And the session WHM no longer accepts is ended, which the trail says too.
    assert (ended.action, ended.outcome, ended.session_token_name) == (
        "sign-out",
        "succeeded",
        "short-lived",
    )
    assert ended.reason == "WHM no longer accepts the credential: TokenUI ended the session."


def test_a_revoke_that_finds_nothing_to_revoke_is_recorded(root_client: Client) -> None:
    root_client.post("/tokens/revoke-all/")
    root_client.post("/tokens/revoke-all/")  # nothing left
    root_client.post("/tokens/revoke-selected/", {"name": ["gone", "gone-too"]})
    root_client.post("/tokens/gone/revoke/")

    events = list(AuditEvent.objects.order_by("-id")[:3])[::-1]
    assert [(e.action, e.outcome, e.token_names, e.reason) for e in events] == [
        ("revoke-all", "refused", [], "There are no API tokens to revoke."),
        ("revoke-selected", "refused", ["gone", "gone-too"], "There are no API tokens to revoke."),
        ("revoke", "refused", ["gone"], "The API token “gone” does not exist."),
    ]


# --- the client address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forwarded", "address"),
    [("198.51.100.7", "198.51.100.7"), ("unknown", None), ("fe80::1%eth0", "fe80::1")],
)
def test_behind_a_proxy_the_forwarded_address_is_recorded_when_it_is_an_ip(
    client: Client, whm: Simulator, settings, forwarded: str, address: str | None
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(SIGN_IN, sign_in_data(*DEMO_ROOT), headers={"X-Forwarded-For": forwarded})
    assert last().client_address == address


# --- never a secret -------------------------------------------------------------------------


def test_no_audit_row_holds_a_generated_secret(root_client: Client) -> None:
    response = root_client.post(NEW, generate_data("ci-deploy"))
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', response.text).group(1)
    root_client.post("/tokens/ci-deploy/edit/", generate_data("ci-deploy-2"))
    root_client.post("/tokens/ci-deploy-2/revoke/")
    assert [e.action for e in recorded()] == ["sign-in", "generate", "edit", "revoke"]
    assert secret not in every_audit_row()


def test_no_audit_row_holds_a_sign_in_secret(client: Client, whm: Simulator) -> None:
    secret = add_token(whm, "dashboard-login")
    client.post(SIGN_IN, sign_in_data("root", secret, token=True))
    client.post("/tokens/revoke-selected/", {"name": ["reporting"]})
    client.post("/sign-out/")
    client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER))
    client.post(SIGN_IN, sign_in_data("root", "a-wrong-password-typed-here"))
    assert len(recorded()) == 5
    rows = every_audit_row()
    for value in (secret, DEMO_RESELLER[1], "a-wrong-password-typed-here"):
        assert value not in rows


# --- recording never breaks the action ------------------------------------------------------


def test_a_failing_audit_write_leaves_the_action_working(
    root_client: Client, whm: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    # A real database fault: the table is gone (inside the test's transaction, rolled back after).
    with connection.cursor() as cursor:
        # PostgreSQL drops the foreign keys that point at it too (the inventory's History).
        cascade = " CASCADE" if connection.vendor == "postgresql" else ""
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        cursor.execute(f"DROP TABLE {table}{cascade}")
    caplog.set_level(logging.WARNING, logger="tokenui.audit")
    response = root_client.post(NEW, generate_data("still-works"))
    assert response.status_code == 200
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', response.text).group(1)
    assert "still-works" in root_client.get("/tokens/").text
    assert root_client.post("/tokens/still-works/revoke/").status_code == 302
    assert root_client.post("/sign-out/").status_code == 302
    warnings = [r.getMessage() for r in caplog.records if r.name == "tokenui.audit.trail"]
    assert len(warnings) == 3
    assert warnings[0].startswith("audit: generate by root on simulator not recorded:")
    assert all(secret not in w and DEMO_ROOT[1] not in w for w in warnings)


def test_a_command_or_task_records_without_a_request_and_with_no_address() -> None:
    actor = trail.Actor("main", "root", "token", "tokenui-main", staff=trail.Staff("ann", "s-1"))

    event = trail.record(None, Action.ROTATE, outcome=Outcome.SUCCEEDED, actor=actor)

    assert event is not None
    saved = AuditEvent.objects.get(pk=event.pk)
    assert (saved.server, saved.whm_user, saved.account, saved.client_address) == (
        "main",
        "root",
        "",
        None,
    )
    assert (saved.staff, saved.staff_subject) == ("ann", "s-1")


def test_without_a_request_or_an_actor_nothing_is_recorded() -> None:
    assert trail.record(None, Action.ROTATE, outcome=Outcome.SUCCEEDED) is None
    assert not AuditEvent.objects.exists()
