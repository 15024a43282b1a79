"""The page that shows a new token's secret, as the browser receives it: never stored by the HTTP
cache, and never copied into htmx's history (the panel says hx-history="false", and htmx is
configured to keep no snapshots at all)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.helpers import DEMO_ROOT, sign_in_data
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

GENERATE = {"name": "history-check", "expiry": "never", "acls": ["list-accts"]}
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
)


class Holders(HTMLParser):
    """Each element whose attributes or text hold `secret`, with the hx-history values of the
    elements around it (itself included); and the htmx-config meta tags."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.open: list[tuple[str, str | None]] = []  # (tag, its hx-history)
        self.holders: list[tuple[str, list[str | None]]] = []
        self.htmx_configs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("name") == "htmx-config":
            self.htmx_configs.append(found.get("content") or "")
        # htmx reads either spelling, in any case.
        history = found.get("hx-history", found.get("data-hx-history"))
        element = (tag, history.lower() if history else None)
        if any(self.secret in (value or "") for _, value in attrs):
            self.holders.append((tag, [history for _, history in [*self.open, element]]))
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.secret in data and self.open:
            self.holders.append((self.open[-1][0], [history for _, history in self.open]))


def read(page: str, secret: str = "") -> Holders:
    parser = Holders(secret or "\x00never-in-a-page")
    parser.feed(page)
    parser.close()
    return parser


def history_cache_size(page: str) -> object:
    """historyCacheSize as the page's htmx-config sets it (htmx's default is 10)."""
    configs = read(page).htmx_configs
    assert len(configs) == 1, f"{len(configs)} htmx-config meta tags"
    return json.loads(configs[0]).get("historyCacheSize", 10)


def secret_of(page: str) -> str:
    match = re.search(r'<input id="secret"[^>]* value="([A-Z0-9]{32})"', page)
    assert match, "no secret on the page"
    return match.group(1)


def test_every_element_showing_the_secret_is_inside_a_panel_with_hx_history_false(
    root_client: Client,
) -> None:
    response = root_client.post("/tokens/new/", GENERATE)
    assert response.status_code == 200
    secret = secret_of(response.text)

    holders = read(response.text, secret).holders

    # The token field, the Authorization header and the curl example, at least.
    assert len(holders) >= 3, holders
    for tag, around in holders:
        assert "false" in around, f"<{tag}> shows the secret outside any hx-history=false element"


def test_the_page_showing_the_secret_is_never_stored_by_a_cache(root_client: Client) -> None:
    response = root_client.post("/tokens/new/", GENERATE)

    assert response.status_code == 200
    directives = {part.strip().lower() for part in response["Cache-Control"].split(",")}
    assert "no-store" in directives


def test_htmx_keeps_no_history_snapshots_on_the_secret_page(root_client: Client) -> None:
    response = root_client.post("/tokens/new/", GENERATE)

    assert response.status_code == 200
    assert history_cache_size(response.text) == 0


@pytest.mark.parametrize("path", ["/sign-in/", "/tokens/", "/tokens/new/", "/audit/"])
def test_htmx_keeps_no_history_snapshots_on_any_page(
    client: Client, whm: Simulator, path: str
) -> None:
    if path != "/sign-in/":
        client.post("/sign-in/", sign_in_data(*DEMO_ROOT))

    response = client.get(path)

    assert response.status_code == 200
    assert history_cache_size(response.text) == 0
