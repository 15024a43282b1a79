"""The API tokens pages over the Django test client, talking real HTTP to the WHM simulator."""

from __future__ import annotations

import html
import re
import time
from datetime import date, timedelta

import httpx
import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.helpers import DEMO_ROOT, sign_in_data
from tokenui.audit.models import AuditEvent
from tokenui.kernel.links import years_after
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

TOKENS = "/tokens/"
NEW = "/tokens/new/"
HTMX = {"HX-Request": "true"}
ROOT_DEMO_NEWEST_FIRST = [
    "reporting",
    "automation",
    "billing-bot",
    "backup-script",
    "monitoring",
    "old-migration",
]


def row_names(html: str) -> list[str]:
    return re.findall(r'<tr id="token-([A-Za-z0-9_-]+)"', html)


def row(html: str, name: str) -> str:
    match = re.search(rf'<tr id="token-{name}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def generate_data(name: str = "ci-deploy", **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": name,
        "expiry": "never",
        "expires_on": "",
        "whitelist_ips": "",
        "acls": ["list-accts", "create-acct"],
    }
    return data | overrides


def calls(sim: Simulator, function: str) -> list:
    return [r for r in sim.requests() if r.function == function]


# --- the table ------------------------------------------------------------------------------


def test_table_lists_tokens_newest_first(root_client: Client) -> None:
    page = root_client.get(TOKENS).text
    assert row_names(page) == ROOT_DEMO_NEWEST_FIRST
    assert "6 API tokens." in page


def test_table_shows_created_in_whms_format_with_machine_readable_time(root_client: Client) -> None:
    html = row(root_client.get(TOKENS).text, "reporting")
    assert re.search(
        r'<time datetime="\d{4}-\d\d-\d\dT[\d:]+(Z|[+-]\d\d:\d\d)">'
        r"\d\d \d\d \d{4} \d\d:\d\d:\d\d</time>",
        html,
    )


def test_never_expiring_unrestricted_token_reads_never_and_any(root_client: Client) -> None:
    html = row(root_client.get(TOKENS).text, "backup-script")
    assert "Never" in html
    assert re.search(r'<td class="ips">\s*Any\s*</td>', html)


def test_expired_row_is_red_with_icon_and_words(root_client: Client) -> None:
    html = row(root_client.get(TOKENS).text, "old-migration")
    assert 'class="row-expired' in html
    assert '<span class="notice">' in html  # its icon drawn by CSS
    assert "Expired 5 days ago" in html


def test_soon_expiring_row_is_yellow_with_icon_and_words(root_client: Client) -> None:
    html = row(root_client.get(TOKENS).text, "monitoring")
    assert 'class="row-soon' in html
    assert '<span class="notice">' in html
    assert re.search(r"Expires in (2 days|3 days|71 hours|72 hours)", html)


def test_rows_beyond_the_warning_window_are_not_flagged(root_client: Client, settings) -> None:
    settings.EXPIRY_WARNING_DAYS = 1
    html = row(root_client.get(TOKENS).text, "monitoring")
    assert re.search(r'<tr id="token-monitoring">', html)  # no soon or expired class
    assert "Expires in" not in html


def test_ip_restricted_token_lists_its_ips_with_ipv6_compressed(root_client: Client) -> None:
    # WHM stores IPv6 fully expanded; the table shows the form people type.
    html = row(root_client.get(TOKENS).text, "billing-bot")
    assert "192.0.2.10, 198.51.100.0/24, 2001:db8::/32" in html
    assert "0000" not in html


def test_long_ip_lists_fold(root_client: Client, whm: Simulator) -> None:
    ips = tuple(f"192.0.2.{n}" for n in range(1, 8))
    whm.store.add_token(
        "root",
        "many-ips",
        acls=("list-accts",),
        create_time=int(time.time()),
        expires_at=None,
        whitelist_ips=ips,
    )
    html = row(root_client.get(TOKENS).text, "many-ips")
    assert "192.0.2.1, 192.0.2.2, 192.0.2.3" in html
    assert "and 4 more" in html


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("bot", ["billing-bot"]),
        ("BOT", ["billing-bot"]),
        ("r", ["reporting", "backup-script", "monitoring", "old-migration"]),
        ("nothing-like-it", []),
        ("", ROOT_DEMO_NEWEST_FIRST),
    ],
)
def test_search_filters_names_by_substring_ignoring_case(
    root_client: Client, query: str, names: list[str]
) -> None:
    page = root_client.get(TOKENS, {"q": query}).text
    assert row_names(page) == names
    assert f'value="{query}"' in page


def test_search_says_when_nothing_matches(root_client: Client) -> None:
    page = root_client.get(TOKENS, {"q": "zzz"}).text
    assert "No API tokens match “zzz”." in page
    assert "0 of 6 API tokens match “zzz”." in page


def test_htmx_search_returns_only_the_table_and_the_live_count(root_client: Client) -> None:
    response = root_client.get(TOKENS, {"q": "bot"}, headers=HTMX)
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="token-table"')
    assert (
        '<span id="search-status" hx-swap-oob="innerHTML">1 of 6 API tokens match “bot”.'
        in response.text
    )
    assert response["Vary"] == "HX-Request, Cookie" or "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("name", sorted(ROOT_DEMO_NEWEST_FIRST)),
        ("-name", sorted(ROOT_DEMO_NEWEST_FIRST, reverse=True)),
        ("created", ROOT_DEMO_NEWEST_FIRST[::-1]),
        (
            "expires",
            [
                "old-migration",
                "monitoring",
                "billing-bot",
                "automation",
                "backup-script",
                "reporting",
            ],
        ),
        ("bogus", ROOT_DEMO_NEWEST_FIRST),
    ],
)
def test_table_sorts_by_name_created_and_expires(
    root_client: Client, sort: str, names: list[str]
) -> None:
    page = root_client.get(TOKENS, {"sort": sort}).text
    got = row_names(page)
    if sort == "expires":
        # Tokens that never expire follow every date, by name.
        assert got[:3] == names[:3]
        assert sorted(got[3:]) == sorted(names[3:])
    else:
        assert got == names


def test_empty_list_says_how_to_generate_the_first_token(
    root_client: Client, whm: Simulator
) -> None:
    root_client.post("/tokens/revoke-all/")
    page = root_client.get(TOKENS).text
    assert "You have no API tokens yet." in page
    assert 'href="/tokens/new/">Generate Token</a>' in page


def test_large_lists_are_paged(root_client: Client, whm: Simulator) -> None:
    now = int(time.time())
    for n in range(60):
        whm.store.add_token(
            "root", f"bulk-{n:03d}", acls=("list-accts",), create_time=now - n, expires_at=None
        )
    first = root_client.get(TOKENS).text
    assert len(row_names(first)) == 50
    assert "Page 1 of 2" in first
    second = root_client.get(TOKENS, {"page": 2}).text
    assert len(row_names(second)) == 16


def test_opening_the_table_costs_one_whm_call(root_client: Client, whm: Simulator) -> None:
    whm.clear_requests()
    root_client.get(TOKENS)
    assert [r.function for r in whm.requests()] == ["api_token_list"]


# --- Generate -------------------------------------------------------------------------------


def test_generate_form_offers_only_held_privileges_grouped_with_warnings(
    reseller_client: Client,
) -> None:
    page = reseller_client.get(NEW).text
    assert "Should the API Token Expire?" in page
    assert "The API Token will not expire." in page
    assert "Basic Privileges" in page
    assert "Standard Privileges" in page
    assert "Additional Software" in page
    assert 'value="kill-acct"' not in page  # the reseller does not hold it
    assert "bypass any restrictions" in page  # Manage API Tokens carries WHM's warning
    assert "change account passwords" in page
    one_year = years_after(date.today(), 1)
    assert f'name="expires_on" value="{one_year.isoformat()}"' in page


def test_generate_shows_the_secret_once_with_no_store(root_client: Client, whm: Simulator) -> None:
    response = root_client.post(NEW, generate_data("ci-deploy"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', response.text).group(1)
    assert f"Authorization: whm root:{secret}" in response.text
    curl = f"curl -H'Authorization: whm root:{secret}' '{whm.url}/json-api/applist?api.version=1'"
    assert html.escape(curl) in response.text
    assert "Yes, I saved my token" in response.text
    # The secret is nowhere on the server side afterwards.
    session_rows = "".join(s.session_data for s in Session.objects.all())
    assert secret not in session_rows
    assert secret not in str(root_client.session.items())
    listed = root_client.get(TOKENS).text
    assert "ci-deploy" in listed
    assert secret not in listed


def test_generate_sends_exactly_the_form_to_whm(root_client: Client, whm: Simulator) -> None:
    whm.clear_requests()
    expires_on = (date.today() + timedelta(days=30)).isoformat()
    root_client.post(
        NEW,
        generate_data(
            "scoped", expiry="date", expires_on=expires_on, whitelist_ips="203.0.113.7\n10.0.0.0/8"
        ),
    )
    (create,) = calls(whm, "api_token_create")
    assert create.method == "POST"
    assert create.params["token_name"] == "scoped"
    assert create.params["acl-0"] == "list-accts"
    assert create.params["acl-1"] == "create-acct"
    assert create.params["whitelist_ip-0"] == "10.0.0.0/8"
    assert create.params["whitelist_ip-1"] == "203.0.113.7"
    assert int(create.params["expires_at"]) > time.time()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "has space"}, "name", "contains a space"),
        ({"name": "x" * 51}, "name", "51 characters"),
        (
            {"name": "reporting"},
            "name",
            "A conflicting API token with the name “reporting” already exists.",
        ),
        ({"acls": []}, "acls", "You must specify at least one ACL for this token."),
        ({"whitelist_ips": "10.0.0.5/24"}, "whitelist_ips", "Did you mean 10.0.0.0/24?"),
        ({"expiry": "date", "expires_on": "2020-01-01"}, "expires_on", "must be today"),
        ({"expiry": "date", "expires_on": "tomorrow"}, "expires_on", "YYYY-MM-DD"),
    ],
)
def test_generate_rejects_bad_input_keeping_it_and_sending_nothing(
    root_client: Client, whm: Simulator, overrides: dict, field: str, message: str
) -> None:
    whm.clear_requests()
    data = generate_data(**overrides)
    response = root_client.post(NEW, data)
    assert response.status_code == 422
    assert message in response.text
    assert calls(whm, "api_token_create") == []
    if field == "name":
        assert 'aria-invalid="true"' in response.text
    if field == "whitelist_ips":
        assert "10.0.0.5/24</textarea>" in response.text


def test_generate_refuses_a_privilege_the_user_does_not_hold(
    reseller_client: Client, whm: Simulator
) -> None:
    reseller_client.get(NEW)  # the form reads the user's privileges from WHM
    whm.clear_requests()
    response = reseller_client.post(NEW, generate_data(acls=["list-accts", "kill-acct"]))
    assert response.status_code == 422
    assert "Terminate Accounts (kill-acct)" in response.text
    assert calls(whm, "api_token_create") == []


def test_generate_shows_whms_reason_when_whm_says_no(root_client: Client, whm: Simulator) -> None:
    whm.set_fault("storage-error", functions=["api_token_create"], count=1)
    response = root_client.post(NEW, generate_data("kept-name"))
    assert response.status_code == 422
    assert "The system failed to create the API token" in response.text
    assert 'value="kept-name"' in response.text


def test_generate_post_costs_a_list_and_the_create(root_client: Client, whm: Simulator) -> None:
    root_client.get(NEW)
    whm.clear_requests()
    root_client.post(NEW, generate_data("counted"))
    assert sorted(r.function for r in whm.requests()) == ["api_token_create", "api_token_list"]


def test_check_name_says_whether_a_name_is_free(root_client: Client) -> None:
    free = root_client.get("/tokens/check-name/", {"name": "brand-new"}, headers=HTMX).text
    assert "“brand-new” is available." in free
    taken = root_client.get("/tokens/check-name/", {"name": "reporting"}, headers=HTMX).text
    # WHM's words, as Generate then says them (issue 17 item 22): one message, not two.
    assert "A conflicting API token with the name “reporting” already exists." in taken
    renaming = root_client.get(
        "/tokens/check-name/", {"name": "reporting", "original": "automation"}, headers=HTMX
    ).text
    assert "An API token with the name “reporting” already exists." in renaming
    bad = root_client.get("/tokens/check-name/", {"name": "no way"}, headers=HTMX).text
    assert "contains a space" in bad
    own = root_client.get(
        "/tokens/check-name/", {"name": "reporting", "original": "reporting"}, headers=HTMX
    ).text
    assert "is available" in own


# --- Edit -----------------------------------------------------------------------------------


def test_edit_form_is_prefilled_from_the_token(root_client: Client) -> None:
    page = root_client.get("/tokens/billing-bot/edit/").text
    assert 'value="billing-bot"' in page
    assert "192.0.2.10\n198.51.100.0/24" in page
    assert re.search(r'value="list-accts"[^>]*checked', page)


def test_edit_of_a_full_access_token_ticks_every_box(root_client: Client) -> None:
    page = root_client.get("/tokens/automation/edit/").text
    boxes = re.findall(r'<input type="checkbox" name="acls"[^>]*>', page)
    assert len(boxes) == 64
    assert all("checked" in box for box in boxes)


def test_edit_renames_and_updates_in_whm(root_client: Client, whm: Simulator) -> None:
    response = root_client.post(
        "/tokens/reporting/edit/",
        generate_data("quarterly-reporting", acls=["list-accts"], whitelist_ips="192.0.2.99"),
    )
    assert response.status_code == 302
    assert response["Location"] == "/tokens/?highlight=quarterly-reporting"
    page = root_client.get(response["Location"]).text
    assert "The API token “quarterly-reporting” has been updated." in page
    assert "row-highlight" in row(page, "quarterly-reporting")
    assert "192.0.2.99" in row(page, "quarterly-reporting")
    assert "reporting" not in row_names(page)


def test_edit_refuses_renaming_onto_a_taken_name(root_client: Client, whm: Simulator) -> None:
    whm.clear_requests()
    response = root_client.post("/tokens/reporting/edit/", generate_data("automation"))
    assert response.status_code == 422
    assert "An API token with the name “automation” already exists." in response.text
    assert calls(whm, "api_token_update") == []


def test_edit_of_an_unknown_token_is_404(root_client: Client) -> None:
    response = root_client.get("/tokens/no-such-token/edit/")
    assert response.status_code == 404
    assert "The API token “no-such-token” does not exist." in response.text


def test_token_names_outside_whms_rules_are_404(root_client: Client) -> None:
    assert root_client.get("/tokens/bad%20name/edit/").status_code == 404
    assert root_client.get(f"/tokens/{'x' * 51}/revoke/").status_code == 404


# --- Revoke ---------------------------------------------------------------------------------


def test_revoke_asks_in_whms_words_then_revokes(root_client: Client, whm: Simulator) -> None:
    confirm = root_client.get("/tokens/reporting/revoke/").text
    assert "Are you certain that you want to revoke the API token, “reporting”?" in confirm
    assert ">Continue</button>" in confirm
    response = root_client.post("/tokens/reporting/revoke/")
    assert response.status_code == 302
    page = root_client.get(TOKENS).text
    assert "The API token “reporting” has been revoked." in page
    assert "reporting" not in row_names(page)


def test_revoke_confirmation_for_htmx_is_just_the_dialog(root_client: Client) -> None:
    response = root_client.get("/tokens/reporting/revoke/", headers=HTMX)
    assert "<html" not in response.text
    assert 'id="dialog-title"' in response.text


def test_htmx_revoke_returns_the_updated_table_and_message(root_client: Client) -> None:
    response = root_client.post("/tokens/reporting/revoke/", headers=HTMX)
    assert response.text.lstrip().startswith('<div id="token-table"')
    assert "reporting" not in row_names(response.text)
    assert "The API token “reporting” has been revoked." in response.text
    assert '<div id="messages" hx-swap-oob="innerHTML">' in response.text


def test_revoke_selected_confirms_the_count_then_revokes_those(
    root_client: Client, whm: Simulator
) -> None:
    confirm = root_client.get(
        "/tokens/revoke-selected/", {"name": ["reporting", "automation"]}
    ).text
    assert "Are you certain that you want to revoke 2 API tokens?" in confirm
    # The question names them (issue 17 item 22).
    assert '<ul class="revoke-names"><li>reporting</li><li>automation</li></ul>' in confirm
    root_client.post("/tokens/revoke-selected/", {"name": ["reporting", "automation"]})
    names = row_names(root_client.get(TOKENS).text)
    assert names == ["billing-bot", "backup-script", "monitoring", "old-migration"]
    (revoke,) = calls(whm, "api_token_revoke")
    assert revoke.params == {
        "api.version": "1",
        "token_name-0": "reporting",
        "token_name-1": "automation",
    }


def test_revoke_needs_post_to_change_anything(root_client: Client, whm: Simulator) -> None:
    whm.clear_requests()
    root_client.get("/tokens/revoke-all/")
    assert calls(whm, "api_token_revoke") == []


def test_revoking_this_sessions_own_token_warns_then_signs_out(
    client: Client, whm: Simulator
) -> None:
    secret = whm.store.add_token(
        "root", "my-login", acls=("all",), create_time=int(time.time()), expires_at=None
    )
    client.post("/sign-in/", sign_in_data("root", secret, token=True))
    confirm = client.get("/tokens/my-login/revoke/").text
    assert "is the API token this session signed in with" in confirm
    response = client.post("/tokens/my-login/revoke/")
    assert response["Location"] == "/sign-in/"
    assert client.get(TOKENS).status_code == 302


# --- WHM failures on the page ---------------------------------------------------------------


def test_whm_timeout_on_generate_says_the_outcome_is_unknown(
    root_client: Client, whm: Simulator, settings
) -> None:
    root_client.get(NEW)
    settings.WHM_TIMEOUT = 0.5
    whm.set_fault("hang", functions=["api_token_create"], count=1)
    response = root_client.post(NEW, generate_data("slow-one"))
    assert response.status_code == 504
    assert "may or may not have carried this out" in response.text
    assert 'value="slow-one"' in response.text
    assert len(calls(whm, "api_token_create")) == 1  # never retried


def test_credential_revoked_mid_session_signs_out_with_a_message(
    client: Client, whm: Simulator
) -> None:
    secret = whm.store.add_token(
        "root", "short-lived", acls=("all",), create_time=int(time.time()), expires_at=None
    )
    client.post("/sign-in/", sign_in_data("root", secret, token=True))
    other = Client()
    other.post("/sign-in/", sign_in_data(*DEMO_ROOT))
    other.post("/tokens/short-lived/revoke/")
    response = client.get(TOKENS)
    assert response["Location"] == "/sign-in/"
    assert "WHM no longer accepts your credentials." in client.get("/sign-in/").text


def test_htmx_revoke_keeps_the_search_the_user_is_looking_at(root_client: Client) -> None:
    response = root_client.post(
        "/tokens/billing-bot/revoke/",
        headers={**HTMX, "HX-Current-URL": "http://testserver/tokens/?q=r&sort=name"},
    )
    assert row_names(response.text) == ["backup-script", "monitoring", "old-migration", "reporting"]
    assert 'value="r"' not in response.text  # the search box lives outside the swapped table


def test_a_token_expiring_at_the_end_of_time_is_shown_in_any_time_zone(
    root_client: Client, whm: Simulator, settings
) -> None:
    # WHM takes any future expiry; the last second of year 9999 overflows a zone east of UTC.
    reply = httpx.post(
        f"{whm.url}/json-api/api_token_create",
        params={"api.version": "1"},
        data={"token_name": "far-future", "acl-0": "list-accts", "expires_at": "253402300799"},
        auth=DEMO_ROOT,
        timeout=5,
    )
    assert reply.json()["metadata"]["result"] == 1
    settings.WHM_TIME_ZONE = "Asia/Tokyo"

    table = root_client.get(TOKENS)
    edit = root_client.get("/tokens/far-future/edit/")

    assert table.status_code == edit.status_code == 200
    assert "12 31 9999 23:59:59" in row(table.text, "far-future")


# --- coming back to the table the user was looking at ---------------------------------------


def add_bulk(whm: Simulator, count: int = 60) -> None:
    now = int(time.time())
    for n in range(count):
        whm.store.add_token(
            "root", f"bulk-{n:03d}", acls=("list-accts",), create_time=now - n, expires_at=None
        )


def test_edit_links_carry_the_tables_search_and_sort(root_client: Client) -> None:
    page = root_client.get(TOKENS, {"q": "o", "sort": "name"}).text

    assert 'href="/tokens/automation/edit/?q=o&amp;sort=name"' in page


def test_edit_comes_back_to_the_same_search_and_sort_with_the_row_highlighted(
    root_client: Client,
) -> None:
    url = "/tokens/automation/edit/?q=o&sort=name"
    form = root_client.get(url).text
    saved = root_client.post(url, generate_data("automation", acls=["list-accts"]))

    assert 'href="/tokens/?q=o&amp;sort=name" class="button">Cancel</a>' in form
    assert saved.status_code == 302
    assert saved["Location"] == "/tokens/?q=o&sort=name&highlight=automation"


def test_the_highlighted_row_is_shown_on_the_page_that_holds_it(
    root_client: Client, whm: Simulator
) -> None:
    add_bulk(whm)

    page = root_client.get(TOKENS, {"highlight": "bulk-055"}).text

    assert "Page 2 of 2" in page
    assert 'id="token-bulk-055" class="row-highlight"' in page


def test_refresh_list_reads_whm_for_the_same_search_sort_and_page(
    root_client: Client, whm: Simulator
) -> None:
    add_bulk(whm)

    page = root_client.get(TOKENS, {"q": "bulk", "sort": "name", "page": "2"}).text
    refresh = re.search(r'<a href="([^"]*)" hx-get="[^"]*" hx-headers=[^>]*>Refresh List', page)

    assert refresh is not None
    assert html.unescape(refresh.group(1)) == "/tokens/?q=bulk&sort=name&page=2"


def test_editing_this_sessions_own_token_warns_and_tells_true(
    client: Client, whm: Simulator
) -> None:
    held = ("manage-api-tokens", "list-accts")
    secret = whm.store.add_token(
        "root", "my-login", acls=held, create_time=int(time.time()), expires_at=None
    )
    client.post("/sign-in/", sign_in_data("root", secret, token=True))
    form = client.get("/tokens/my-login/edit/").text
    assert "This is the API token this session signed in with." in form

    # Renamed: the session goes on, and the table marks the new name as its token.
    renamed = client.post(
        "/tokens/my-login/edit/", generate_data("my-login-2", acls=list(held)), follow=True
    )
    assert "this session's token" in row(renamed.text, "my-login-2")
    # Without Manage API Tokens: WHM refuses the table, which says what is missing; the
    # credential still works, so the session goes on (issue 17 item 4).
    dropped = client.post(
        "/tokens/my-login-2/edit/", generate_data("my-login-2", acls=["list-accts"]), follow=True
    )
    assert "does not hold the “Manage API Tokens” privilege" in dropped.text
    assert client.get(TOKENS).status_code == 403


@pytest.mark.parametrize("url", ["/tokens/gone/revoke/", "/tokens/gone/edit/"])
def test_a_token_gone_from_whm_is_404_after_one_list(
    root_client: Client, whm: Simulator, url: str
) -> None:
    root_client.get(NEW)  # the privileges, read when the form opened
    whm.clear_requests()

    response = root_client.post(url, generate_data("gone"))

    assert response.status_code == 404
    assert "The API token “gone” does not exist." in response.text
    assert [r.function for r in whm.requests()] == ["api_token_list"]


def test_the_pager_keeps_the_search_and_sort_but_not_the_highlight(
    root_client: Client, whm: Simulator
) -> None:
    add_bulk(whm)

    page = root_client.get(TOKENS, {"q": "bulk", "sort": "name", "highlight": "bulk-000"}).text
    following = re.search(
        r'<a id="page-next" href="([^"]*)" hx-get="([^"]*)" rel="next">Next</a>', page
    )

    assert following is not None
    assert html.unescape(following.group(1)) == "?q=bulk&sort=name&page=2"
    assert following.group(1) == following.group(2)


def test_table_links_inherit_their_htmx_target_from_the_table(root_client: Client) -> None:
    page = root_client.get(TOKENS).text
    table = re.search(r'<div id="token-table"[^>]*>', page).group(0)
    sort_link = re.search(r'<a id="sort-name" href="\?sort=name"[^>]*>', page).group(0)

    assert 'hx-target="#token-table" hx-swap="outerHTML" hx-push-url="true"' in table
    assert sort_link == '<a id="sort-name" href="?sort=name" hx-get="?sort=name">'


def test_the_name_check_is_wired_in_the_template_with_the_original_name(
    root_client: Client,
) -> None:
    page = root_client.get("/tokens/billing-bot/edit/").text

    assert 'hx-get="/tokens/check-name/?original=billing-bot"' in page
    assert 'hx-trigger="input changed delay:250ms from:#id_name"' in page
    assert 'hx-include="#id_name"' in page


@pytest.mark.parametrize(
    "url", ["/tokens/reporting/revoke/", "/tokens/revoke-selected/", "/tokens/revoke-all/"]
)
def test_revoke_urls_answer_only_get_and_post(root_client: Client, whm: Simulator, url: str):
    whm.clear_requests()

    response = root_client.put(url)

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    assert whm.requests() == []


def test_whm_saying_no_to_a_revoke_is_502_with_its_reason(
    root_client: Client, whm: Simulator
) -> None:
    # WHM's "no" is 422 on a form (the input refused); without a form it is a failure upstream.
    whm.set_fault("storage-error", functions=["api_token_revoke"], count=1)

    response = root_client.post("/tokens/reporting/revoke/")

    assert response.status_code == 502
    assert "The system failed to revoke the API token" in html.unescape(response.text)


# --- Revoke Selected: what may reach the audit trail (issue 9.16) ----------------------------


def test_revoke_selected_records_only_names_whm_could_hold(root_client: Client) -> None:
    root_client.post("/tokens/revoke-selected/", {"name": ["gone", "x" * 2048, "<script>"]})

    event = AuditEvent.objects.latest("id")
    assert (event.action, event.outcome, event.token_names) == (
        "revoke-selected",
        "refused",
        ["gone"],
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_revoke_selected_refuses_more_names_than_a_page_holds_recording_nothing(
    root_client: Client, whm: Simulator, method: str
) -> None:
    # The attack: 900 made-up names of 2 KB each in one POST.
    names = [f"{n:04d}" + "x" * 2044 for n in range(900)]
    whm.clear_requests()
    before = AuditEvent.objects.count()

    response = getattr(root_client, method)("/tokens/revoke-selected/", {"name": names})

    assert response.status_code == 302
    assert AuditEvent.objects.count() == before
    assert whm.requests() == []
    page = root_client.get(TOKENS).text
    assert "Select at most 50 API tokens to revoke at once" in page
    assert row_names(page) == ROOT_DEMO_NEWEST_FIRST


def test_revoke_selected_takes_a_whole_page_of_names(root_client: Client, whm: Simulator) -> None:
    add_bulk(whm, 50)
    names = [f"bulk-{n:03d}" for n in range(50)]

    root_client.post("/tokens/revoke-selected/", {"name": names})

    (revoke,) = calls(whm, "api_token_revoke")
    assert len(revoke.params) == 51  # 50 names and api.version


def test_the_pager_numbers_its_pages_and_each_keeps_the_search_and_sort(
    root_client: Client, whm: Simulator
) -> None:
    add_bulk(whm, 400)  # 8 pages of bulk tokens

    page = root_client.get(TOKENS, {"q": "bulk", "sort": "name"}, headers=HTMX).text
    pager = re.search(r'<nav class="pager" aria-label="Pages of API tokens">.*?</nav>', page, re.S)

    assert pager is not None
    numbers = re.findall(
        r'<li(?: class="gap" aria-hidden="true">…|><a id="page-\d+" href="([^"]*)")', pager[0]
    )
    assert [html.unescape(url) for url in numbers] == [
        "?q=bulk&sort=name&page=1",
        "?q=bulk&sort=name&page=2",
        "?q=bulk&sort=name&page=3",
        "",  # the elided run
        "?q=bulk&sort=name&page=8",
    ]
    assert 'hx-get="?q=bulk&amp;sort=name&amp;page=8"' in pager[0]
    assert re.search(r'page=1"[^>]* aria-current="page"><span class="visually-hidden">Page ', page)
    assert pager[0].count('aria-current="page"') == 1


def test_a_50_row_search_partial_weighs_under_a_kilobyte_a_row(
    root_client: Client, whm: Simulator
) -> None:
    add_bulk(whm, 60)
    root_client.get(TOKENS)

    partial = root_client.get(TOKENS, {"q": "bulk"}, headers=HTMX).content

    assert len(row_names(partial.decode())) == 50
    # Each row once weighed about 1,200 bytes (issue 17 item 15): the per-row hx-get, the
    # flags' focus attributes, the notice's inline icon, labels and classes CSS can do without.
    assert len(partial) < 50 * 1000
