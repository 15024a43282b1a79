"""The list behind the table's partials: search, sort and paging redraw what the page read,
Refresh List and a full page read WHM, and this session's own changes are seen at once."""

from __future__ import annotations

import re

import httpx
import pytest
from django.test import Client

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

TOKENS = "/tokens/"
HTMX = {"HX-Request": "true"}
REFRESH = HTMX | {"TokenUI-Refresh": "true"}


def row_names(page: str) -> list[str]:
    return re.findall(r'<tr id="token-([A-Za-z0-9_-]+)"', page)


def lists(whm: Simulator) -> int:
    return sum(r.function == "api_token_list" for r in whm.requests())


def create_behind_the_dashboards_back(whm: Simulator, name: str) -> None:
    """Someone else (a script, WHM's own UI) adds a token: straight to WHM, not through us."""
    reply = httpx.post(
        f"{whm.url}/json-api/api_token_create",
        params={"api.version": "1"},
        data={"token_name": name, "acl-0": "list-accts"},
        auth=DEMO_ROOT,
        timeout=5,
    )
    assert reply.json()["metadata"]["result"] == 1


def test_search_after_opening_the_page_asks_whm_nothing(root_client: Client, whm: Simulator):
    root_client.get(TOKENS)
    whm.clear_requests()

    found = root_client.get(TOKENS, {"q": "BOT"}, headers=HTMX)
    sorted_ = root_client.get(TOKENS, {"sort": "name"}, headers=HTMX)

    assert row_names(found.text) == ["billing-bot"]
    assert row_names(sorted_.text)[:2] == ["automation", "backup-script"]
    assert lists(whm) == 0


def test_refresh_list_and_a_full_page_read_whm_again(root_client: Client, whm: Simulator):
    root_client.get(TOKENS)
    create_behind_the_dashboards_back(whm, "made-elsewhere")
    whm.clear_requests()

    stale = root_client.get(TOKENS, {"q": "elsewhere"}, headers=HTMX)
    refreshed = root_client.get(TOKENS, {"q": "elsewhere"}, headers=REFRESH)
    page = root_client.get(TOKENS, {"q": "elsewhere"})

    assert row_names(stale.text) == []  # the table as loaded, as in WHM's own page
    assert row_names(refreshed.text) == ["made-elsewhere"]
    assert row_names(page.text) == ["made-elsewhere"]
    assert lists(whm) == 2
    # Refresh List carries the header that asks for a fresh read.
    assert "TokenUI-Refresh" in page.text


def test_a_partial_with_nothing_kept_reads_whm(root_client: Client, whm: Simulator) -> None:
    whm.clear_requests()

    response = root_client.get(TOKENS, {"q": "report"}, headers=HTMX)

    assert row_names(response.text) == ["reporting"]
    assert lists(whm) == 1


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/tokens/new/", {"name": "fresh-one", "expiry": "never", "acls": ["list-accts"]}),
        (
            "post",
            "/tokens/automation/edit/",
            {"name": "fresh-one", "expiry": "never", "acls": ["list-accts"]},
        ),
        ("post", "/tokens/reporting/revoke/", {}),
    ],
    ids=["generate", "edit", "revoke"],
)
def test_this_sessions_own_change_is_seen_by_the_next_search(
    root_client: Client, whm: Simulator, method: str, url: str, data: dict
) -> None:
    before = row_names(root_client.get(TOKENS).text)
    getattr(root_client, method)(url, data)

    after = root_client.get(TOKENS, {"sort": "name"}, headers=HTMX)

    names = set(row_names(after.text))
    assert names != set(before)
    if "revoke" in url:
        assert "reporting" not in names
    else:
        assert "fresh-one" in names


def test_the_name_check_uses_the_list_the_page_loaded(root_client: Client, whm: Simulator):
    root_client.get("/tokens/new/")
    root_client.get(TOKENS)
    whm.clear_requests()

    taken = root_client.get("/tokens/check-name/", {"name": "reporting"}, headers=HTMX)

    assert "already exists" in taken.text
    assert lists(whm) == 0


def test_one_sessions_kept_list_is_not_anothers(whm: Simulator) -> None:
    root, reseller = Client(), Client()
    assert root.post("/sign-in/", sign_in_data(*DEMO_ROOT)).status_code == 302
    assert reseller.post("/sign-in/", sign_in_data(*DEMO_RESELLER)).status_code == 302
    root.get(TOKENS)
    reseller_names = row_names(reseller.get(TOKENS).text)
    create_behind_the_dashboards_back(whm, "root-only")  # root's, not the reseller's

    assert "root-only" in row_names(root.get(TOKENS, {"q": "root-only"}, headers=REFRESH).text)
    redrawn = reseller.get(TOKENS, headers=HTMX)

    assert row_names(redrawn.text) == reseller_names


def test_signing_in_again_starts_with_nothing_kept(root_client: Client, whm: Simulator):
    root_client.get(TOKENS)
    create_behind_the_dashboards_back(whm, "made-elsewhere")
    assert root_client.post("/sign-in/", sign_in_data(*DEMO_ROOT)).status_code == 302

    response = root_client.get(TOKENS, {"q": "elsewhere"}, headers=HTMX)

    assert row_names(response.text) == ["made-elsewhere"]


def test_back_to_a_page_htmx_did_not_keep_gets_the_whole_page(root_client: Client) -> None:
    response = root_client.get(
        TOKENS, {"q": "bot"}, headers=HTMX | {"HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.text
    assert row_names(response.text) == ["billing-bot"]


def test_the_kept_list_redraws_the_rows_exactly_as_the_page_drew_them(
    root_client: Client, whm: Simulator
) -> None:
    # Far-future, expired and IP-restricted tokens too: the kept list is stored compactly
    # (msgpack), and what comes back must draw the same table.
    whm.store.add_token(
        DEMO_ROOT[0], "far-future", acls=["list-accts"], create_time=1, expires_at=300_000_000_000
    )
    page = root_client.get(TOKENS)
    whm.clear_requests()

    partial = root_client.get(TOKENS, headers=HTMX)

    rows = re.compile(r"<tbody.*?</tbody>", re.DOTALL)
    assert "far-future" in row_names(page.text)
    assert rows.findall(partial.text) == rows.findall(page.text)
    assert lists(whm) == 0


def test_with_the_cache_down_the_table_reads_whm_each_time(
    root_client: Client, whm: Simulator, settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A Redis nothing listens on (port 9, discard): every cache call fails to connect.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    whm.clear_requests()

    page = root_client.get(TOKENS)
    found = root_client.get(TOKENS, {"q": "bot"}, headers=HTMX)
    revoked = root_client.post("/tokens/reporting/revoke/", headers=HTMX)

    assert page.status_code == found.status_code == revoked.status_code == 200
    assert row_names(found.text) == ["billing-bot"]
    assert "reporting" not in row_names(revoked.text)
    assert lists(whm) == 3  # nothing could be kept, so each table read WHM
    assert "could not keep the kept list" in caplog.text
