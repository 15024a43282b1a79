"""cPanel's Manage API Tokens over real HTTP to the simulator's cPanel: a cPanel user's own
account (direct, port CPANEL_PORT) and a WHM operator's account (through `uapi_cpanel`)."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    DEMO_CPANEL_TOKENS,
    calls,
    cpanel_call,
    field_errors,
    form_post,
    input_value,
    non_field_errors,
    run_curl,
    sign_in_data,
    text,
)
from tokenui.audit.models import AuditEvent
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

OWN = "/cpanel/tokens/"
USER = CPANEL_ROOTS[0][0]
CUSTOMER = CPANEL_RESELLERS[0][0]  # an account the demo reseller owns
VIA = f"/cpanel/accounts/{CUSTOMER}/tokens/"
NEVER = {"expiry": "never", "expires_on": ""}
EXAMPLE = "/execute/Email/add_pop?email=newuser&password=12345luggage"  # seed 004's


def names(sim: Simulator, user: str) -> set[str]:
    return {t.name for t in sim.store.cpanel_tokens(user)}


def secret_of(page: str) -> str:
    match = re.search(r'<input id="secret"[^>]* value="([A-Z0-9]{32})"', page)
    assert match, "no secret on the page"
    return match.group(1)


def curl_of(page: str) -> str:
    match = re.search(r'<textarea id="curl-example"[^>]*>(.*?)</textarea>', page, re.S)
    assert match
    return text(match.group(1)).strip()


# --- a cPanel user, on their own account --------------------------------------------------------


def test_cpanel_user_sees_their_tokens_in_cpanels_words(cp_client: Client) -> None:
    response = cp_client.get(OWN)
    page = text(response.content.decode())
    assert response.status_code == 200
    assert "<h1>Manage API Tokens</h1>" in page
    assert set(re.findall(r'<tr id="token-([\w-]+)"', page)) >= DEMO_CPANEL_TOKENS
    assert f'href="{OWN}deploy-script/manage/"' in page
    assert ">Manage</a>" in page
    assert ">Create</a>" in page
    assert re.search(r'<tr id="token-old-backup" class="row-expired', page)
    assert re.search(r'id="token-site-monitor" class="row-soon', page)
    stats = re.search(r'<tr id="token-stats-reader".*?</tr>', page, re.S).group(0)
    assert "Read-only" in stats
    assert "Signed in to cPanel as" in page


def test_cpanel_user_cannot_reach_whm_pages_or_another_account(cp_client: Client) -> None:
    assert cp_client.get("/tokens/")["Location"] == OWN
    assert cp_client.get("/cpanel/accounts/")["Location"] == OWN
    assert cp_client.get(f"/cpanel/accounts/{CUSTOMER}/tokens/").status_code == 404
    assert cp_client.get(f"/cpanel/accounts/{USER}/tokens/").status_code == 200


def test_search_sort_and_partial(cp_client: Client) -> None:
    response = cp_client.get(OWN, {"q": "SYNC"}, headers={"HX-Request": "true"})
    page = text(response.content.decode())
    assert re.findall(r'<tr id="token-([\w-]+)"', page) == ["wordpress-sync"]
    assert "1 of 5 API tokens match “SYNC”." in page
    assert "<h1>" not in page  # the table partial only
    page = cp_client.get(OWN, {"sort": "name"}).content.decode()
    shown = re.findall(r'<tr id="token-([\w-]+)"', page)
    assert shown == sorted(shown, key=str.casefold)
    # Soonest expiry first, the tokens that never expire after every date; newest first by default.
    page = cp_client.get(OWN, {"sort": "expires"}).content.decode()
    shown = re.findall(r'<tr id="token-([\w-]+)"', page)
    assert shown[:3] == ["old-backup", "site-monitor", "wordpress-sync"]
    assert set(shown[3:]) == {"deploy-script", "stats-reader"}
    page = cp_client.get(OWN).content.decode()
    assert re.findall(r'<tr id="token-([\w-]+)"', page)[0] == "stats-reader"


def test_create_shows_the_secret_once_with_seed_004s_curl_that_works(
    cp_client: Client, cpanel: Simulator
) -> None:
    form = cp_client.get(f"{OWN}create/").content.decode()
    for words in ("API Token Name", "Should the API Token Expire?", "API Token Expiration Date"):
        assert words in text(form)
    assert "No IP addresses or privileges to set" in text(form)
    response = form_post(cp_client, f"{OWN}create/", {"name": "ci-deploy", **NEVER})
    page = text(response.content.decode())
    assert response.status_code == 200
    assert len(calls(cpanel, "Tokens::create_full_access")) == 1  # the name the refusals check
    secret = secret_of(page)
    assert f"Authorization: cpanel {USER}:{secret}" in page
    assert "Yes, I Saved My Token" in page
    assert "Create another token after I click Yes, I saved my token" in page
    assert "no-store" in response["Cache-Control"]
    curl = curl_of(page)
    assert curl == (
        f"curl -H'Authorization: cpanel {USER}:{secret}' "
        f"'{cpanel.cpanel_url}/execute/Email/add_pop?email=newuser&password=12345luggage'"
    )
    status, body = run_curl(curl)
    assert status == 200, body
    assert json.loads(body)["status"] == 1, body
    assert "ci-deploy" in names(cpanel, USER)
    # The secret is nowhere else: not in the table, not in the audit trail.
    assert secret not in cp_client.get(OWN).content.decode()
    assert not AuditEvent.objects.filter(reason__contains=secret).exists()


def test_yes_i_saved_goes_back_to_the_table_or_to_create_another(cp_client: Client) -> None:
    back = cp_client.get(f"{OWN}saved/", {"name": "ci-deploy"})
    assert back["Location"] == f"{OWN}?highlight=ci-deploy"
    again = cp_client.get(f"{OWN}saved/", {"name": "ci-deploy", "another": "1"})
    assert again["Location"] == f"{OWN}create/"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "bad name!", **NEVER}, "name", "may only contain the following characters"),
        ({"name": "deploy-script", **NEVER}, "name", "already exists"),
        ({"name": "x" * 51, **NEVER}, "name", "is 51 characters long"),
        ({"name": "dated", "expiry": "date", "expires_on": "2001-01-01"}, "expires_on", "later"),
        ({"name": "dated", "expiry": "date", "expires_on": "2031-02-30"}, "expires_on", "days"),
    ],
)
def test_create_refuses_bad_input_on_its_field_keeping_it(
    cp_client: Client, cpanel: Simulator, data: dict, field: str, words: str
) -> None:
    response = form_post(cp_client, f"{OWN}create/", data)
    page = response.content.decode()
    assert response.status_code == 422
    assert any(words in error for error in field_errors(page, field)), field_errors(page, field)
    assert input_value(page, "name") == data["name"]
    assert not calls(cpanel, "Tokens::create_full_access")


def test_create_with_a_date_expires_at_the_end_of_that_day(
    cp_client: Client, cpanel: Simulator
) -> None:
    data = {"name": "dated", "expiry": "date", "expires_on": "2031-06-30"}
    page = text(form_post(cp_client, f"{OWN}create/", data).content.decode())
    assert "It expires on" in page
    token = next(t for t in cpanel.store.cpanel_tokens(USER) if t.name == "dated")
    assert token.expires_at is not None


def test_manage_renames_and_says_where_ips_and_privileges_went(
    cp_client: Client, cpanel: Simulator
) -> None:
    page = text(cp_client.get(f"{OWN}deploy-script/manage/").content.decode())
    for words in ("Manage API Token", "New API Token Name", "Update", "Revoke The Token"):
        assert words in page
    assert "Looking for IP addresses, privileges or the expiration date?" in page
    response = form_post(cp_client, f"{OWN}deploy-script/manage/", {"new_name": "deploy-v2"})
    assert len(calls(cpanel, "Tokens::rename")) == 1  # the name the refusals check
    assert response.status_code == 302
    assert response["Location"] == f"{OWN}?highlight=deploy-v2"
    assert "deploy-v2" in names(cpanel, USER)
    assert "deploy-script" not in names(cpanel, USER)
    event = AuditEvent.objects.get(action="rename")
    assert event.token_names == ["deploy-script", "deploy-v2"]
    assert event.who == f"cPanel user {USER}"


@pytest.mark.parametrize(
    ("new_name", "words"),
    [
        ("deploy-script", "differs from"),
        ("old-backup", "already exists"),
        ("no spaces", "may only contain"),
    ],
)
def test_manage_refuses_a_bad_new_name_keeping_it(
    cp_client: Client, cpanel: Simulator, new_name: str, words: str
) -> None:
    response = form_post(cp_client, f"{OWN}deploy-script/manage/", {"new_name": new_name})
    page = response.content.decode()
    assert response.status_code == 422
    assert any(words in e for e in field_errors(page, "new_name")), field_errors(page, "new_name")
    assert input_value(page, "new_name") == new_name
    assert not calls(cpanel, "Tokens::rename")


def test_revoke_asks_then_revokes_and_the_token_stops_working(
    cp_client: Client, cpanel: Simulator
) -> None:
    page = text(
        form_post(cp_client, f"{OWN}create/", {"name": "short-lived", **NEVER}).content.decode()
    )
    secret = secret_of(page)
    assert cpanel_call(cpanel, USER, secret).json()["status"] == 1
    question = text(cp_client.get(f"{OWN}short-lived/revoke/").content.decode())
    assert "Are you certain that you want to revoke the API token, “short-lived”?" in question
    assert "Yes, Revoke The Token" in question
    response = cp_client.post(f"{OWN}short-lived/revoke/")
    assert response.status_code == 302
    assert "short-lived" not in names(cpanel, USER)
    assert cpanel_call(cpanel, USER, secret).status_code in (401, 403)


def test_revoke_selected_and_all(cp_client: Client, cpanel: Simulator) -> None:
    question = cp_client.get(f"{OWN}revoke-selected/", {"name": ["old-backup", "site-monitor"]})
    assert "revoke 2 API tokens?" in text(question.content.decode())
    form_post(cp_client, f"{OWN}revoke-selected/", {"name": ["old-backup", "site-monitor"]})
    assert names(cpanel, USER) == DEMO_CPANEL_TOKENS - {"old-backup", "site-monitor"}
    cp_client.post(f"{OWN}revoke-all/")
    assert names(cpanel, USER) == set()
    assert AuditEvent.objects.filter(action="revoke-all", account=USER).exists()


# --- a WHM operator, on an account they own ---------------------------------------------------


def test_operator_sees_their_accounts_with_api_tokens_links(operator_client: Client) -> None:
    page = text(operator_client.get("/cpanel/accounts/").content.decode())
    assert "<h1>Accounts</h1>" in page
    assert f'href="/cpanel/accounts/{CUSTOMER}/tokens/"' in page
    assert ">Accounts</a>" in page  # the header link
    for user, _ in CPANEL_ROOTS:
        assert f"/cpanel/accounts/{user}/tokens/" not in page


def test_accounts_search_and_sort(root_operator: Client) -> None:
    page = root_operator.get("/cpanel/accounts/", {"q": CUSTOMER}).content.decode()
    assert re.findall(r'<tr id="account-([\w.-]+)"', page) == [CUSTOMER]
    page = root_operator.get("/cpanel/accounts/", {"sort": "-user"}).content.decode()
    shown = re.findall(r'<tr id="account-([\w.-]+)"', page)
    assert shown == sorted(shown, reverse=True)


def test_accounts_say_suspended_yes_or_no_not_suspended_twice(root_operator: Client) -> None:
    page = root_operator.get("/cpanel/accounts/").content.decode()
    cells = re.findall(r'<td data-label="Suspended">([^<]*)</td>', page)
    # A phone reads each cell as "Suspended: …" (issue 17 item 22: "Suspended: Suspended").
    assert set(cells) == {"Yes", "No"}


def test_operator_without_cpanel_api_sees_why_there_is_no_link(
    client: Client, cpanel: Simulator
) -> None:
    secret = cpanel.store.add_token(
        "reseller",
        "no-cpanel-api",
        acls=("manage-api-tokens", "list-accts"),
        create_time=1_700_000_000,
        expires_at=None,
    )
    data = {"server": "simulator", "username": "reseller", "method": "token", "api_token": secret}
    assert client.post("/sign-in/", data).status_code == 302
    response = client.get("/cpanel/accounts/")
    page = text(response.content.decode())
    assert response.status_code == 200
    assert "Perform cPanel API and UAPI functions through the WHM API" in page
    assert "/tokens/" not in re.search(r"<tbody>.*</tbody>", page, re.S).group(0)


def test_operator_creates_renames_and_revokes_through_whm(
    operator_client: Client, cpanel: Simulator
) -> None:
    page = re.sub(r"<[^>]+>", "", text(operator_client.get(VIA).content.decode()))
    assert f"cPanel account {CUSTOMER} on simulator, reached through WHM as reseller" in page
    response = form_post(operator_client, f"{VIA}create/", {"name": "support", **NEVER})
    page = text(response.content.decode())
    secret = secret_of(page)
    assert f"Authorization: cpanel {CUSTOMER}:{secret}" in page
    assert cpanel_call(cpanel, CUSTOMER, secret).json()["status"] == 1
    assert calls(cpanel, "uapi_cpanel")  # through WHM, not the account's password
    form_post(operator_client, f"{VIA}support/manage/", {"new_name": "support-2"})
    operator_client.post(f"{VIA}support-2/revoke/")
    assert cpanel_call(cpanel, CUSTOMER, secret).status_code in (401, 403)
    events = AuditEvent.objects.filter(account=CUSTOMER).order_by("at", "id")
    assert [e.action for e in events] == ["create", "rename", "revoke"]
    assert {e.who for e in events} == {f"WHM user reseller on cPanel account {CUSTOMER}"}


def test_operator_on_an_account_not_theirs_is_told_why(operator_client: Client) -> None:
    response = operator_client.get(f"/cpanel/accounts/{CPANEL_ROOTS[0][0]}/tokens/")
    assert response.status_code == 502
    assert non_field_errors(response.content.decode()) == []
    assert "could not be loaded" in text(response.content.decode())


def test_whm_operator_without_an_account_goes_to_accounts(operator_client: Client) -> None:
    assert operator_client.get(OWN)["Location"] == "/cpanel/accounts/"


def test_the_table_pages_50_at_a_time(cp_client: Client, cpanel: Simulator) -> None:
    for n in range(60):
        cpanel.store.add_cpanel_token(
            USER, f"bulk-{n:03d}", create_time=1_700_000_000 + n, expires_at=None
        )
    page = text(cp_client.get(OWN, {"sort": "name"}).content.decode())
    assert len(re.findall(r'<tr id="token-', page)) == 50
    assert "Page 1 of 2" in page
    page = cp_client.get(OWN, {"sort": "name", "page": "2"}).content.decode()
    assert len(re.findall(r'<tr id="token-', page)) == 15


def test_revoke_from_the_table_by_htmx_redraws_the_table(
    cp_client: Client, cpanel: Simulator
) -> None:
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{OWN}?q=o"}
    dialog = cp_client.get(f"{OWN}old-backup/revoke/", headers=headers).content.decode()
    assert f'hx-post="{OWN}old-backup/revoke/"' in dialog  # asked from the table: it redraws it
    response = cp_client.post(f"{OWN}old-backup/revoke/", headers=headers)
    page = text(response.content.decode())
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="token-table"')
    assert "token-old-backup" not in page
    assert "The API token “old-backup” has been revoked." in page
    # From Manage, the same question is a plain form post (no table to redraw there).
    headers["HX-Current-URL"] = f"http://testserver{OWN}deploy-script/manage/"
    dialog = cp_client.get(f"{OWN}deploy-script/revoke/", headers=headers).content.decode()
    assert "hx-post" not in dialog


def test_over_tls_the_curl_shown_names_the_ca_and_works(
    client: Client, tls_simulator: Simulator, settings
) -> None:
    """As under `make run`: the simulator's cPanel over TLS, verified against its own CA."""
    settings.WHM_SERVERS = {"simulator": tls_simulator.url}
    settings.WHM_CA_BUNDLE = str(tls_simulator.ca_path)
    settings.CPANEL_PORT = tls_simulator.cpanel_port
    assert client.post("/sign-in/", sign_in_data(*CPANEL_ROOTS[0], cpanel=True)).status_code == 302
    page = text(form_post(client, f"{OWN}create/", {"name": "tls", **NEVER}).content.decode())
    curl = curl_of(page)
    assert curl.startswith(f"curl --cacert '{tls_simulator.ca_path}' -H'Authorization: cpanel ")
    assert curl.endswith(f"'{tls_simulator.cpanel_url}{EXAMPLE}'")
    status, body = run_curl(curl)
    assert status == 200, body
    assert json.loads(body)["status"] == 1


def test_create_offers_read_only_and_makes_a_token_that_cannot_write(
    cp_client: Client, cpanel: Simulator
) -> None:
    page = cp_client.get(f"{OWN}create/").content.decode()
    assert "<strong>Read-only</strong>" in page
    data = {"name": "reader", "expiry": "never", "expires_on": "", "read_only": "on"}
    response = form_post(cp_client, f"{OWN}create/", data)
    made = response.content.decode()
    assert response.status_code == 200
    assert "It is read-only" in text(made)
    assert "does not support read-only tokens" not in text(made)
    user = cp_client.session["whm"]["user"]
    assert cpanel.store.cpanel_token(user, "reader").read_only
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', made).group(1)
    refused = cpanel_call(cpanel, user, secret, "/execute/Tokens/create_full_access?name=more")
    assert refused.json()["status"] == 0


def test_a_refused_privilege_is_named_and_the_session_kept(client: Client, cpanel: Simulator):
    """WHM answers a missing privilege as it answers a dead credential (403): a WHM user
    without cpanel-api who follows a link to an account's tokens is told what is missing,
    and stays signed in (issue 17 item 2)."""
    secret = cpanel.store.add_token(
        "root",
        "no-cpanel-api",
        acls=("manage-api-tokens", "list-accts"),
        create_time=int(time.time()),
        expires_at=None,
    )
    client.post("/sign-in/", sign_in_data("root", secret, token=True))
    response = client.get(f"/cpanel/accounts/{CPANEL_ROOTS[0][0]}/tokens/")
    page = text(response.content.decode())
    assert response.status_code == 403
    assert "does not hold the “Perform cPanel API and UAPI functions through the WHM API”" in page
    assert "You are still signed in." in page
    assert client.get("/tokens/").status_code == 200
    assert not AuditEvent.objects.filter(action="sign-out").exists()


def test_an_account_without_api_tokens_says_why_and_offers_nothing(root_operator: Client):
    """bakery's package lacks the apitokens feature: the page says so in the operator's terms,
    with no Create and no table actions (issue 17 item 11)."""
    response = root_operator.get("/cpanel/accounts/bakery/tokens/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "The account “bakery” cannot have API tokens" in text(page)
    assert ">Create</a>" not in page
    assert 'id="table-actions"' not in page
    form = root_operator.get("/cpanel/accounts/bakery/tokens/create/")
    assert "The account “bakery” cannot have API tokens" in text(form.content.decode())
