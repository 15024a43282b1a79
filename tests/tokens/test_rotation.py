"""Guided rotation of WHM tokens over real HTTP to the simulator: the twin, its defaults, the
secret shown once, the old token revoked now or later, the mark, the audit trail, and every
failure half-way."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.helpers import (
    DEMO_ROOT,
    calls,
    field_errors,
    input_value,
    non_field_errors,
    sign_in_data,
    text,
)
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.kernel.links import years_after
from tokenui.kernel.rotation import default_expiry, default_name
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TODAY_SUFFIX = "-%Y%m%d"


def today() -> date:
    return datetime.now(ZoneInfo(settings.WHM_TIME_ZONE)).date()


def rotate_url(name: str) -> str:
    return f"/tokens/{name}/rotate/"


def finish_url(name: str) -> str:
    return f"/tokens/{name}/rotate/finish/"


def rotate(client: Client, old: str, new: str, **data: str) -> httpx.Response:
    form = {"name": new, "expiry": "date", "expires_on": f"{today() + timedelta(days=30)}"}
    return client.post(rotate_url(old), form | data)


def secret_of(page: str) -> str:
    match = re.search(r'<input id="secret"[^>]*value="([^"]+)"', page)
    assert match, "no secret on the page"
    return match.group(1)


def works(sim: Simulator, user: str, secret: str) -> bool:
    """Seed 000's call with this token: `listaccts` over WHM's API."""
    reply = httpx.get(
        f"{sim.url}/json-api/listaccts?api.version=1",
        headers={"Authorization": f"whm {user}:{secret}"},
    )
    return reply.status_code == 200 and reply.json()["metadata"]["result"] == 1


# --- the rules for the defaults ---------------------------------------------------------------


def test_default_name_is_the_old_name_with_todays_date() -> None:
    assert default_name("billing-bot", date(2026, 12, 6), set()) == "billing-bot-20261206"


def test_default_name_replaces_an_earlier_rotations_date() -> None:
    assert default_name("billing-20250101", date(2026, 12, 6), set()) == "billing-20261206"
    assert default_name("billing-20250101-3", date(2026, 12, 6), set()) == "billing-20261206"


def test_default_name_keeps_within_50_characters() -> None:
    name = default_name("x" * 50, date(2026, 12, 6), set())
    assert len(name) == 50
    assert name == "x" * 41 + "-20261206"


def test_default_name_is_numbered_when_taken() -> None:
    taken = {"ci-20261206", "ci-20261206-2"}
    assert default_name("ci", date(2026, 12, 6), taken) == "ci-20261206-3"
    assert len(default_name("y" * 50, date(2026, 12, 6), {"y" * 41 + "-20261206"})) == 50


def test_default_expiry_copies_the_old_lifetime() -> None:
    zone = ZoneInfo("UTC")
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    created = now - timedelta(days=45)
    expires = now + timedelta(days=180)
    assert default_expiry(created, expires, now, zone) == date(2026, 12, 6) + timedelta(days=225)


def test_default_expiry_without_one_is_a_year() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    assert default_expiry(now, None, now, ZoneInfo("UTC")) == date(2027, 12, 6)


# --- the rotation page ------------------------------------------------------------------------


def test_every_row_offers_rotate(root_client: Client) -> None:
    page = root_client.get("/tokens/").text
    assert 'href="/tokens/billing-bot/rotate/" aria-label="Rotate billing-bot">Rotate</a>' in page


def test_rotation_page_shows_defaults_and_what_is_copied(root_client: Client) -> None:
    page = root_client.get(rotate_url("billing-bot")).text
    assert input_value(page, "name") == "billing-bot" + today().strftime(TODAY_SUFFIX)
    # billing-bot was made 45 days ago and expires in 180: the twin lasts 225 days.
    assert input_value(page, "expires_on") == str(today() + timedelta(days=225))
    assert "192.0.2.10" in page


def test_rotation_page_of_a_token_that_never_expires_defaults_to_a_year(
    root_client: Client,
) -> None:
    page = root_client.get(rotate_url("automation")).text
    assert input_value(page, "expires_on") == str(years_after(today(), 1))
    assert "Full access" in page


def test_rotation_page_of_a_50_character_name_defaults_within_50(
    root_client: Client, whm: Simulator
) -> None:
    long = "n" * 50
    whm.store.add_token(
        "root",
        long,
        acls=("list-accts",),
        create_time=int(datetime.now(UTC).timestamp()) - 60,
        expires_at=None,
        whitelist_ips=(),
    )
    page = root_client.get(rotate_url(long)).text
    assert input_value(page, "name") == "n" * 41 + today().strftime(TODAY_SUFFIX)
    response = rotate(root_client, long, input_value(page, "name"))
    assert response.status_code == 200
    assert whm.store.token("root", "n" * 41 + today().strftime(TODAY_SUFFIX)) is not None


def test_rotation_page_of_an_unknown_token_is_404(root_client: Client) -> None:
    assert root_client.get(rotate_url("nope")).status_code == 404


# --- the twin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_client", "user"), [("root_client", "root"), ("reseller_client", "reseller")]
)
def test_twin_has_the_same_privileges_and_ips(
    request: pytest.FixtureRequest, whm: Simulator, user_client: str, user: str
) -> None:
    client: Client = request.getfixturevalue(user_client)
    response = rotate(client, "billing-bot", "billing-bot-2")
    assert response.status_code == 200
    old, new = whm.store.token(user, "billing-bot"), whm.store.token(user, "billing-bot-2")
    assert new.acls == old.acls
    assert new.whitelist_ips == old.whitelist_ips
    assert not new.full_access


@pytest.mark.parametrize(
    ("user_client", "user"), [("root_client", "root"), ("reseller_client", "reseller")]
)
def test_a_token_made_without_privileges_stays_inheriting(
    request: pytest.FixtureRequest, whm: Simulator, user_client: str, user: str
) -> None:
    client: Client = request.getfixturevalue(user_client)
    whm.clear_requests()
    rotate(client, "automation", "automation-2")
    (create,) = calls(whm, "api_token_create")
    assert not any(key.startswith("acl") for key in create.params)
    assert whm.store.token(user, "automation-2").full_access


def test_twin_expires_on_the_chosen_day(root_client: Client, whm: Simulator) -> None:
    day = today() + timedelta(days=30)
    rotate(root_client, "backup-script", "backup-2", expires_on=str(day))
    expires = datetime.fromtimestamp(whm.store.token("root", "backup-2").expires_at, UTC)
    assert expires.astimezone(ZoneInfo(settings.WHM_TIME_ZONE)).date() == day


def test_twin_may_never_expire(root_client: Client, whm: Simulator) -> None:
    rotate(root_client, "monitoring", "monitoring-2", expiry="never")
    assert whm.store.token("root", "monitoring-2").expires_at is None


def test_secret_is_shown_once_with_the_next_steps(root_client: Client, whm: Simulator) -> None:
    response = rotate(root_client, "reporting", "reporting-2")
    page = text(response.text)
    assert "no-store" in response["Cache-Control"]
    assert 'hx-history="false"' in page
    assert "Authorization: whm root:" in page
    assert "curl " in page
    assert "Revoke the old token now" in page
    assert ">Later</a>" in page
    assert "Put the new token where “reporting” is used now" in page
    assert works(whm, "root", secret_of(response.text))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name for the API token."),
        ({"name": "bad name!"}, "name", "This name"),
        ({"name": "x" * 51}, "name", "50"),
        ({"name": "monitoring"}, "name", "already exists"),
        ({"expires_on": "2020-01-01"}, "expires_on", "today"),
        ({"expires_on": "2031-02-30"}, "expires_on", "February 2031 has 28 days"),
    ],
)
def test_invalid_form_comes_back_with_the_input_and_nothing_reaches_whm(
    root_client: Client, whm: Simulator, data: dict[str, str], field: str, message: str
) -> None:
    whm.clear_requests()
    response = rotate(root_client, "billing-bot", "billing-bot-2", **data)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response.text, field))
    assert input_value(response.text, field) == data[field]
    assert not calls(whm, "api_token_create")


# --- the audit trail and the mark ---------------------------------------------------------------


def test_rotation_is_one_audit_event_naming_both_tokens(root_client: Client) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    (event,) = AuditEvent.objects.filter(action=Action.ROTATE)
    assert event.token_names == ["billing-bot", "billing-bot-2"]
    assert event.outcome == Outcome.SUCCEEDED
    page = text(root_client.get("/audit/").text)
    assert re.search(r"<td>Rotate</td>\s*<td class=\"audit-names\">\s*billing-bot <span", page)
    assert "rotated to</span> billing-bot-2" in page


def test_the_export_has_the_rotation_as_one_entry_old_then_new(root_client: Client) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    out = io.StringIO()
    call_command("export_audit", "--user", "root", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    rotations = [line for line in lines if line["action"] == "rotate"]
    assert len(rotations) == 1
    assert rotations[0]["token_names"] == ["billing-bot", "billing-bot-2"]
    assert rotations[0]["outcome"] == "succeeded"


def test_old_row_is_marked_until_revoked_and_links_to_the_next_steps(
    root_client: Client,
) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    page = root_client.get("/tokens/").text
    row = re.search(r'<tr id="token-billing-bot".*?</tr>', page, re.S).group(0)
    assert "rotated, not yet revoked" in row
    assert 'href="/tokens/billing-bot/rotate/finish/?successor=billing-bot-2"' in row
    successor = re.search(r'<tr id="token-billing-bot-2"[^>]*>', page).group(0)
    assert "rotated, not yet revoked" not in re.search(
        r'<tr id="token-billing-bot-2".*?</tr>', page, re.S
    ).group(0)
    highlighted = root_client.get("/tokens/?highlight=billing-bot-2").text
    assert 'id="token-billing-bot-2" class="row-highlight"' in highlighted or (
        "row-highlight" in re.search(r'<tr id="token-billing-bot-2"[^>]*>', highlighted).group(0)
    )
    assert successor


def test_the_mark_is_one_query_per_page(root_client: Client) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    rotate(root_client, "monitoring", "monitoring-2")
    with CaptureQueriesContext(connection) as queries:
        page = root_client.get("/tokens/").text
    audit = [q["sql"] for q in queries.captured_queries if "audit_auditevent" in q["sql"]]
    assert len(audit) == 1
    assert page.count("rotated, not yet revoked") == 2


def test_a_token_reusing_a_revoked_ones_name_carries_no_mark(
    root_client: Client, whm: Simulator
) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    root_client.post("/tokens/billing-bot/revoke/")
    whm.store.add_token(
        "root",
        "billing-bot",
        acls=("list-accts",),
        create_time=int(datetime.now(UTC).timestamp()) + 5,
        expires_at=None,
        whitelist_ips=(),
    )
    assert "rotated, not yet revoked" not in root_client.get("/tokens/").text


# --- finishing: revoke the old one --------------------------------------------------------------


def test_revoke_the_old_token_now_swaps_only_the_panel(root_client: Client, whm: Simulator) -> None:
    page = rotate(root_client, "billing-bot", "billing-bot-2")
    old_secret_check = whm.store.token("root", "billing-bot")
    assert old_secret_check is not None
    response = root_client.post(
        finish_url("billing-bot"), {"successor": "billing-bot-2"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="next-steps"')
    assert secret_of(page.text) not in response.text
    assert "has been revoked" in text(response.text)
    assert whm.store.token("root", "billing-bot") is None
    assert whm.store.token("root", "billing-bot-2") is not None
    events = list(AuditEvent.objects.order_by("at", "id").values_list("action", "token_names"))
    assert events[-2:] == [
        (Action.ROTATE, ["billing-bot", "billing-bot-2"]),
        (Action.REVOKE, ["billing-bot"]),
    ]
    assert "rotated, not yet revoked" not in root_client.get("/tokens/").text


def test_revoke_the_old_token_now_without_javascript(root_client: Client, whm: Simulator) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    response = root_client.post(finish_url("billing-bot"), {"successor": "billing-bot-2"})
    assert response.status_code == 302
    assert response["Location"] == "/tokens/?highlight=billing-bot-2"
    page = text(root_client.get(response["Location"]).text)
    assert "The API token “billing-bot” has been revoked. Only “billing-bot-2” works now." in page
    assert whm.store.token("root", "billing-bot") is None


def test_old_token_works_until_revoked_and_the_new_one_after(
    root_client: Client, whm: Simulator
) -> None:
    generated = root_client.post(
        "/tokens/new/",
        {"name": "ci-deploy", "expiry": "never", "acls": ["list-accts"], "whitelist_ips": ""},
    )
    old_secret = secret_of(generated.text)
    new_secret = secret_of(rotate(root_client, "ci-deploy", "ci-deploy-2").text)
    assert works(whm, "root", old_secret)
    assert works(whm, "root", new_secret)
    root_client.post(finish_url("ci-deploy"), {"successor": "ci-deploy-2"}, headers=HTMX)
    assert not works(whm, "root", old_secret)
    assert works(whm, "root", new_secret)


# --- failures half-way --------------------------------------------------------------------------


def test_create_refused_shows_whms_reason_on_the_form_and_makes_nothing(
    root_client: Client, whm: Simulator
) -> None:
    whm.set_fault("storage-error", functions=["api_token_create"])
    response = rotate(root_client, "billing-bot", "billing-bot-2")
    assert response.status_code == 422
    assert non_field_errors(response.text) or field_errors(response.text, "name")
    assert input_value(response.text, "name") == "billing-bot-2"
    whm.clear_faults()
    assert whm.store.token("root", "billing-bot-2") is None
    assert whm.store.token("root", "billing-bot") is not None
    event = AuditEvent.objects.get(action=Action.ROTATE)
    assert event.outcome == Outcome.REFUSED


@pytest.mark.parametrize(("mode", "status"), [("http-503", 502), ("close", 502)])
def test_whm_down_when_reading_the_old_token(
    root_client: Client, whm: Simulator, mode: str, status: int
) -> None:
    whm.set_fault(mode, functions=["api_token_list"])
    response = root_client.get(rotate_url("billing-bot"))
    assert response.status_code >= 500
    whm.clear_requests()
    response = rotate(root_client, "billing-bot", "billing-bot-2")
    assert response.status_code >= 500
    assert not calls(whm, "api_token_create")
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.FAILED


def test_whm_timing_out_on_create_says_the_outcome_is_unknown(
    root_client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_TIMEOUT = 0.5
    whm.set_fault("hang", functions=["api_token_create"])
    response = rotate(root_client, "billing-bot", "billing-bot-2")
    assert response.status_code == 504
    assert "may or may not" in text(response.text)
    assert "Refresh List" in response.text
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize("mode", ["storage-error", "http-503", "close"])
def test_revoke_refused_leaves_both_tokens_and_says_so(
    root_client: Client, whm: Simulator, mode: str
) -> None:
    page = rotate(root_client, "billing-bot", "billing-bot-2")
    whm.set_fault(mode, functions=["api_token_revoke"])
    response = root_client.post(
        finish_url("billing-bot"), {"successor": "billing-bot-2"}, headers=HTMX
    )
    assert response.status_code >= 500
    shown = text(response.text)
    assert "was not revoked" in shown
    assert "Revoke the old token now" in shown
    assert secret_of(page.text) not in response.text
    whm.clear_faults()
    assert whm.store.token("root", "billing-bot") is not None
    assert whm.store.token("root", "billing-bot-2") is not None
    assert "rotated, not yet revoked" in root_client.get("/tokens/").text


def test_revoke_refused_without_javascript_shows_the_panel_alone(
    root_client: Client, whm: Simulator
) -> None:
    page = rotate(root_client, "billing-bot", "billing-bot-2")
    whm.set_fault("storage-error", functions=["api_token_revoke"])
    response = root_client.post(finish_url("billing-bot"), {"successor": "billing-bot-2"})
    assert response.status_code == 502
    shown = text(response.text)
    assert "nothing was lost" in shown
    assert secret_of(page.text) not in response.text
    assert "<h1>Rotate API Token</h1>" in shown


def test_whm_down_when_finishing_reads_the_list_first(root_client: Client, whm: Simulator) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    whm.set_fault("http-503", functions=["api_token_list"])
    whm.clear_requests()
    response = root_client.post(
        finish_url("billing-bot"), {"successor": "billing-bot-2"}, headers=HTMX
    )
    assert response.status_code == 502
    assert "was not revoked" in text(response.text)
    assert not calls(whm, "api_token_revoke")
    assert AuditEvent.objects.get(action=Action.REVOKE).outcome == Outcome.FAILED


def test_finishing_when_the_old_token_is_already_gone_says_so(
    root_client: Client, whm: Simulator
) -> None:
    rotate(root_client, "billing-bot", "billing-bot-2")
    whm.store.revoke_tokens("root", ["billing-bot"])
    whm.clear_requests()
    response = root_client.post(
        finish_url("billing-bot"), {"successor": "billing-bot-2"}, headers=HTMX
    )
    assert "was already gone" in text(response.text)
    assert not calls(whm, "api_token_revoke")


def test_later_leaves_the_old_token_and_the_next_steps_stay_reachable(
    root_client: Client, whm: Simulator
) -> None:
    page = text(rotate(root_client, "billing-bot", "billing-bot-2").text)
    assert 'href="/tokens/?highlight=billing-bot-2" data-replace-history>Later</a>' in page
    question = root_client.get(finish_url("billing-bot"), {"successor": "billing-bot-2"})
    assert question.status_code == 200
    assert "no-store" in question["Cache-Control"]
    assert "Revoke the old token now" in question.text
    assert 'id="secret"' not in question.text
    assert whm.store.token("root", "billing-bot") is not None


def test_revoking_the_sessions_own_token_signs_out(client: Client, whm: Simulator) -> None:
    signed = client.post("/sign-in/", sign_in_data(*DEMO_ROOT))
    assert signed.status_code == 302
    secret = secret_of(
        client.post(
            "/tokens/new/",
            {"name": "session", "expiry": "never", "acls": ["all"], "whitelist_ips": ""},
        ).text
    )
    client.post("/sign-out/")
    assert client.post("/sign-in/", sign_in_data("root", secret, token=True)).status_code == 302
    rotate(client, "session", "session-2")
    response = client.post(finish_url("session"), {"successor": "session-2"})
    assert response["Location"] == "/sign-in/"
    assert whm.store.token("root", "session") is None
