"""Risk flags in the table, Export CSV / Export JSON, and Revoke Expired, over real HTTP to the
WHM simulator (issue 11, items 4-6, on one server)."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
from django.test import Client

from tests.helpers import CPANEL_ROOTS, sign_in_data
from tests.tokens.test_views import HTMX, TOKENS, calls, row
from tokenui import risk
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

DAY = 86400


@pytest.fixture
def risky(whm: Simulator) -> Simulator:
    """Root's demo tokens plus one of each risk, and two more expired ones."""
    now = int(time.time())
    add = whm.store.add_token
    add("root", "wide-open", acls=["all"], create_time=now - 9, expires_at=None)
    add(
        "root",
        "bypasser",
        acls=["list-accts", "manage-api-tokens"],
        create_time=now - 8,
        expires_at=now + 90 * DAY,
        whitelist_ips=("10.0.0.0/8",),
    )
    add(
        "root",
        "-lapsed",
        acls=["list-accts"],
        create_time=now - 30 * DAY,
        expires_at=now - DAY,
        whitelist_ips=("192.0.2.10",),
    )
    add(
        "root",
        "=lapsed-too",
        acls=["list-accts"],
        create_time=now - 30 * DAY,
        expires_at=now - 2 * DAY,
        whitelist_ips=("2001:db8::/48",),
    )
    add(
        "root",
        "tidy",
        acls=["list-accts"],
        create_time=now - 7,
        expires_at=now + 90 * DAY,
        whitelist_ips=("192.0.2.0/24",),
    )
    return whm


def flag_words(html: str) -> list[str]:
    # The words of each flag shown (the legend's, each in its <dt>, are not counted).
    return re.findall(r'(?<!<dt>)<span class="flag">([^<]+)<', html)


# --- flags in the table ---------------------------------------------------------------------


def test_table_shows_each_tokens_flags_in_words(root_client: Client, risky: Simulator) -> None:
    page = root_client.get(TOKENS).text

    assert flag_words(row(page, "wide-open")) == ["Full access", "No expiry", "Any IP"]
    assert flag_words(row(page, "bypasser")) == ["Can bypass limits", "Wide range"]
    assert flag_words(row(page, "-lapsed")) == ["Expired"]
    assert flag_words(row(page, "tidy")) == []


def test_each_flag_is_words_explained_once_in_the_legend_not_a_tab_stop(
    root_client: Client, risky: Simulator
) -> None:
    page = root_client.get(TOKENS).text

    wide_open = row(page, "wide-open")
    assert "tabindex" not in wide_open
    assert risk.FULL_ACCESS_FLAG.explanation not in wide_open
    for flag in risk.ALL_FLAGS:
        assert f'<dd id="risk-{flag.key}">' in page
        assert flag.words in page


def test_search_partial_keeps_the_flags(root_client: Client, risky: Simulator) -> None:
    root_client.get(TOKENS)
    partial = root_client.get(TOKENS, {"q": "wide"}, headers=HTMX).text
    assert flag_words(row(partial, "wide-open")) == ["Full access", "No expiry", "Any IP"]


# --- export ---------------------------------------------------------------------------------


def test_export_csv_has_every_column_and_never_a_secret(
    root_client: Client, risky: Simulator
) -> None:
    response = root_client.get("/tokens/export.csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="api-tokens_simulator_\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
    body = b"".join(response.streaming_content).decode()
    records = list(csv.DictReader(io.StringIO(body)))
    assert list(records[0]) == [
        "server",
        "user",
        "name",
        "created",
        "expires",
        "state",
        "ips",
        "privileges",
        "flags",
    ]
    by_name = {r["name"]: r for r in records}
    wide = by_name["wide-open"]
    assert (wide["server"], wide["user"], wide["expires"], wide["state"]) == (
        "simulator",
        "root",
        "",
        "valid",
    )
    assert wide["privileges"] == "all"
    assert wide["flags"] == "Full access; No expiry; Any IP"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", wide["created"])
    bypasser = by_name["bypasser"]
    assert bypasser["privileges"] == "list-accts manage-api-tokens"
    assert bypasser["ips"] == "10.0.0.0/8"
    # No secret: WHM's are 32 of A-Z and 0-9.
    assert not re.search(r"\b[A-Z0-9]{32}\b", body)


def test_export_csv_neutralises_cells_a_spreadsheet_would_run(
    root_client: Client, risky: Simulator
) -> None:
    body = b"".join(root_client.get("/tokens/export.csv").streaming_content).decode()
    names = [r["name"] for r in csv.DictReader(io.StringIO(body))]

    assert "'-lapsed" in names
    assert "'=lapsed-too" in names
    assert not any(name.startswith(("-", "=", "+", "@")) for name in names)


def test_export_json_follows_the_search_and_sort(root_client: Client, risky: Simulator) -> None:
    response = root_client.get("/tokens/export.json", {"q": "lapsed", "sort": "name"})

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    records = json.loads(b"".join(response.streaming_content))
    assert [r["name"] for r in records] == ["-lapsed", "=lapsed-too"]
    lapsed = records[0]
    assert lapsed["state"] == "expired"
    assert lapsed["flags"] == ["expired"]
    assert lapsed["ips"] == ["192.0.2.10"]
    assert lapsed["privileges"] == ["list-accts"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lapsed["expires"])


def test_the_gear_menu_offers_both_exports_of_the_search(
    root_client: Client, risky: Simulator
) -> None:
    page = root_client.get(TOKENS, {"q": "lapsed"}).text
    assert 'href="/tokens/export.csv?q=lapsed" download' in page
    assert 'href="/tokens/export.json?q=lapsed" download' in page


# --- Revoke Expired -------------------------------------------------------------------------


def test_revoke_expired_asks_naming_the_count(root_client: Client, risky: Simulator) -> None:
    page = root_client.get("/tokens/revoke-expired/").text  # JavaScript off: a page of its own

    # Root's demo has one expired token (old-migration); the fixture adds two.
    assert "Are you certain that you want to revoke 3 expired API tokens?" in page
    for name in ("old-migration", "-lapsed", "=lapsed-too"):
        assert f"<li>{name}</li>" in page
    assert "<li>tidy</li>" not in page
    assert 'action="/tokens/revoke-expired/"' in page


def test_revoke_expired_revokes_them_in_one_call_and_records_it(
    root_client: Client, risky: Simulator
) -> None:
    risky.clear_requests()

    response = root_client.post("/tokens/revoke-expired/")

    assert response.status_code == 302
    [revoke] = calls(risky, "api_token_revoke")
    names = [value for key, value in revoke.params.items() if key.startswith("token_name")]
    assert sorted(names) == sorted(["old-migration", "-lapsed", "=lapsed-too"])
    left = {t.name for t in risky.store.tokens("root")}
    assert "tidy" in left
    assert "-lapsed" not in left
    event = AuditEvent.objects.get(action=Action.REVOKE_EXPIRED)
    assert event.outcome == Outcome.SUCCEEDED
    assert sorted(event.token_names) == sorted(["old-migration", "-lapsed", "=lapsed-too"])
    page = root_client.get(TOKENS).text
    assert "3 API tokens have been revoked." in page
    assert "wide-open" in page
    assert "old-migration" not in page


def test_revoke_expired_in_the_dialog_redraws_the_table(
    root_client: Client, risky: Simulator
) -> None:
    dialog = root_client.get("/tokens/revoke-expired/", headers=HTMX).text
    assert '<h2 id="dialog-title">Revoke Expired</h2>' in dialog
    assert "<html" not in dialog

    table = root_client.post("/tokens/revoke-expired/", headers=HTMX).text
    assert 'id="token-table"' in table
    assert "old-migration" not in table
    assert "tidy" in table


def test_revoke_expired_with_none_expired_says_so_and_calls_nothing(
    root_client: Client, whm: Simulator
) -> None:
    root_client.post("/tokens/revoke-expired/")  # the demo's one expired token
    whm.clear_requests()

    page = root_client.get("/tokens/revoke-expired/").text
    assert "There are no expired API tokens to revoke." in page
    root_client.post("/tokens/revoke-expired/")
    assert calls(whm, "api_token_revoke") == []
    assert AuditEvent.objects.filter(action=Action.REVOKE_EXPIRED, outcome=Outcome.REFUSED).exists()


# --- the Generate/Edit form -----------------------------------------------------------------


def test_generate_form_starts_with_its_flags_drawn(root_client: Client, whm: Simulator) -> None:
    page = root_client.get("/tokens/new/").text
    # WHM's Generate starts with a one-year expiry, no IP list, every privilege but `all`.
    assert flag_words(page) == ["Can bypass limits", "Any IP"]
    assert 'hx-get="/tokens/form-flags/"' in page
    assert '<dd id="risk-any-ip">' in page


def test_form_flags_follow_what_is_ticked_and_typed(root_client: Client, whm: Simulator) -> None:
    root_client.get("/tokens/new/")  # reads the privileges held
    asked = {
        "expiry": "date",
        "expires_on": "2099-01-01",
        "whitelist_ips": "192.0.2.1",
        "acls": ["list-accts"],
    }
    whm.clear_requests()

    assert flag_words(root_client.get("/tokens/form-flags/", asked).text) == []
    wide = root_client.get("/tokens/form-flags/", asked | {"whitelist_ips": "10.0.0.0/8"}).text
    assert flag_words(wide) == ["Wide range"]
    never = root_client.get("/tokens/form-flags/", asked | {"expiry": "never"}).text
    assert flag_words(never) == ["No expiry"]
    full = root_client.get("/tokens/form-flags/", asked | {"acls": ["all"]}).text
    assert flag_words(full) == ["Full access"]
    half_typed = root_client.get("/tokens/form-flags/", asked | {"expires_on": "2099-0"}).text
    assert flag_words(half_typed) == []
    assert whm.requests() == []  # no WHM call as the user types


def test_edit_form_of_an_expired_token_shows_it_expired(
    root_client: Client, risky: Simulator
) -> None:
    page = root_client.get("/tokens/-lapsed/edit/").text
    assert flag_words(page) == ["Expired"]


# --- cPanel's table: only the flags cPanel's tokens can have ---------------------------------


def test_cpanel_table_shows_full_access_no_expiry_and_expired(
    client: Client, cpanel: Simulator
) -> None:
    user = CPANEL_ROOTS[0][0]
    now = int(time.time())
    cpanel.store.add_cpanel_token(
        user, "cp-lapsed", create_time=now - 9 * DAY, expires_at=now - DAY
    )
    cpanel.store.add_cpanel_token(user, "cp-forever", create_time=now - 9, expires_at=None)
    assert client.post("/sign-in/", sign_in_data(*CPANEL_ROOTS[0], cpanel=True)).status_code == 302

    page = client.get("/cpanel/tokens/").text

    assert flag_words(row(page, "cp-lapsed")) == ["Full access", "Expired"]
    assert flag_words(row(page, "cp-forever")) == ["Full access", "No expiry"]
    assert '<dd id="risk-expired">' in page
    assert '<dd id="risk-any-ip">' not in page  # cPanel's tokens have no IP list to flag
