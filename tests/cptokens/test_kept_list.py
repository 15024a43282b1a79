"""cPanel's tokens table keeps the list it read, as WHM's does (tokens/listing.py): search,
sort and paging redraw it without a cPanel call; opening the page and Refresh List read cPanel;
this session's own changes are seen at once; one session's or account's list is not another's."""

from __future__ import annotations

import re

import httpx
import pytest
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    DEMO_RESELLER,
    calls,
    form_post,
    own_cache_values,
    sign_in_data,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

OWN = "/cpanel/tokens/"
USER, PASSWORD = CPANEL_ROOTS[0]
CUSTOMER, CUSTOMER_PASSWORD = CPANEL_RESELLERS[0]
VIA = f"/cpanel/accounts/{CUSTOMER}/tokens/"
OTHER_CUSTOMER = CPANEL_RESELLERS[1][0] if len(CPANEL_RESELLERS) > 1 else None
HTMX = {"HX-Request": "true"}
REFRESH = HTMX | {"TokenUI-Refresh": "true"}
NEVER = {"expiry": "never", "expires_on": ""}


def row_names(page: str) -> list[str]:
    return re.findall(r'<tr id="token-([A-Za-z0-9_-]+)"', page)


def reads(sim: Simulator) -> int:
    """cPanel list reads, direct or through WHM's uapi_cpanel."""
    return len(calls(sim, "Tokens::list")) + len(calls(sim, "uapi_cpanel"))


def create_behind_the_dashboards_back(sim: Simulator, user: str, password: str, name: str):
    """The account's owner adds a token in cPanel itself, not through the dashboard."""
    reply = httpx.post(
        f"{sim.cpanel_url}/execute/Tokens/create_full_access",
        data={"name": name},
        auth=(user, password),
        timeout=5,
    )
    assert reply.json()["status"] == 1, reply.text


@pytest.mark.parametrize("url", [OWN, VIA], ids=["cpanel-user", "whm-operator"])
def test_search_sort_and_paging_after_opening_the_page_ask_cpanel_nothing(
    request: pytest.FixtureRequest, cpanel: Simulator, url: str
) -> None:
    client = request.getfixturevalue("cp_client" if url == OWN else "operator_client")
    client.get(url)
    cpanel.clear_requests()

    found = client.get(url, {"q": "MONITOR"}, headers=HTMX)
    sorted_ = client.get(url, {"sort": "name"}, headers=HTMX)
    paged = client.get(url, {"page": "1"}, headers=HTMX)

    assert row_names(found.text) == ["site-monitor"]
    assert row_names(sorted_.text)[:2] == ["deploy-script", "old-backup"]
    assert len(row_names(paged.text)) == 5
    assert reads(cpanel) == 0


def test_refresh_list_and_a_full_page_read_cpanel_again(cp_client: Client, cpanel: Simulator):
    cp_client.get(OWN)
    create_behind_the_dashboards_back(cpanel, USER, PASSWORD, "made-elsewhere")
    cpanel.clear_requests()

    stale = cp_client.get(OWN, {"q": "elsewhere"}, headers=HTMX)
    refreshed = cp_client.get(OWN, {"q": "elsewhere"}, headers=REFRESH)
    page = cp_client.get(OWN, {"q": "elsewhere"})

    assert row_names(stale.text) == []  # the table as loaded, as cPanel's own page
    assert row_names(refreshed.text) == ["made-elsewhere"]
    assert row_names(page.text) == ["made-elsewhere"]
    assert reads(cpanel) == 2
    assert "TokenUI-Refresh" in page.text  # Refresh List asks for a fresh read


def test_a_partial_with_nothing_kept_reads_cpanel(cp_client: Client, cpanel: Simulator) -> None:
    cpanel.clear_requests()

    response = cp_client.get(OWN, {"q": "stats"}, headers=HTMX)

    assert row_names(response.text) == ["stats-reader"]
    assert reads(cpanel) == 1


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("create/", {"name": "fresh-one", **NEVER}),
        ("deploy-script/manage/", {"new_name": "fresh-one"}),
        ("stats-reader/revoke/", {}),
        ("revoke-selected/", {"name": ["stats-reader"]}),
    ],
    ids=["create", "rename", "revoke", "revoke-selected"],
)
def test_this_sessions_own_change_is_seen_by_the_next_search(
    cp_client: Client, cpanel: Simulator, url: str, data: dict
) -> None:
    before = set(row_names(cp_client.get(OWN).text))
    form_post(cp_client, f"{OWN}{url}", data)

    after = set(row_names(cp_client.get(OWN, {"sort": "name"}, headers=HTMX).text))

    assert after != before
    if "revoke" in url:
        assert "stats-reader" not in after
    else:
        assert "fresh-one" in after


def test_a_failed_change_still_drops_the_kept_list(cp_client: Client, cpanel: Simulator):
    """A change whose outcome is unknown (cPanel did not answer): the next search reads cPanel."""
    cp_client.get(OWN)
    cpanel.set_fault("close", functions=["Tokens::create_full_access"], count=1)
    form_post(cp_client, f"{OWN}create/", {"name": "maybe-made", **NEVER})
    cpanel.clear_faults()
    cpanel.clear_requests()

    cp_client.get(OWN, {"q": "maybe"}, headers=HTMX)

    assert reads(cpanel) == 1


def test_one_accounts_kept_list_is_not_anothers(operator_client: Client, cpanel: Simulator):
    assert OTHER_CUSTOMER is not None
    other = f"/cpanel/accounts/{OTHER_CUSTOMER}/tokens/"
    operator_client.get(VIA)
    operator_client.get(other)
    create_behind_the_dashboards_back(cpanel, CUSTOMER, CUSTOMER_PASSWORD, "customer-only")

    refreshed = operator_client.get(VIA, {"q": "customer-only"}, headers=REFRESH)
    redrawn = operator_client.get(other, {"q": "customer-only"}, headers=HTMX)

    assert row_names(refreshed.text) == ["customer-only"]
    assert row_names(redrawn.text) == []


def test_one_sessions_kept_list_is_not_anothers(cpanel: Simulator) -> None:
    user, operator = Client(), Client()
    assert (
        user.post("/sign-in/", sign_in_data(*CPANEL_RESELLERS[0], cpanel=True)).status_code == 302
    )
    assert operator.post("/sign-in/", sign_in_data(*DEMO_RESELLER)).status_code == 302
    user.get(OWN)  # the customer's own session keeps the list it read
    create_behind_the_dashboards_back(cpanel, CUSTOMER, CUSTOMER_PASSWORD, "seen-by-operator")

    assert row_names(operator.get(VIA, {"q": "seen-by"}, headers=HTMX).text) == ["seen-by-operator"]
    assert row_names(user.get(OWN, {"q": "seen-by"}, headers=HTMX).text) == []


def test_the_kept_list_holds_no_secret(cp_client: Client, cpanel: Simulator) -> None:
    page = form_post(cp_client, f"{OWN}create/", {"name": "secret-check", **NEVER})
    secret = re.search(r'<input id="secret"[^>]* value="([A-Z0-9]{32})"', page.content.decode())
    assert secret
    cp_client.get(OWN)  # read and kept again, with the new token in it

    kept = own_cache_values()

    assert kept
    assert all(secret.group(1).encode() not in value for value in kept)


def test_with_the_cache_down_the_table_reads_cpanel_each_time(
    cp_client: Client, cpanel: Simulator, settings
) -> None:
    # A Redis nothing listens on (port 9, discard): every cache call fails to connect.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    cpanel.clear_requests()

    page = cp_client.get(OWN)
    found = cp_client.get(OWN, {"q": "stats"}, headers=HTMX)
    revoked = cp_client.post(f"{OWN}old-backup/revoke/", headers=HTMX)

    assert page.status_code == found.status_code == revoked.status_code == 200
    assert row_names(found.text) == ["stats-reader"]
    assert "old-backup" not in row_names(revoked.text)
    assert reads(cpanel) == 3  # nothing could be kept, so each table read cPanel
