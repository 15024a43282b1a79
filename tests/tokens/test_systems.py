"""What every token system's pages do alike, run once per system: the signed-in WHM user's own
tokens, a cPanel user's own, and a cPanel account's through WHM (`uapi_cpanel`). Each system's
own words and capabilities are the system's (tokenui/systems), asserted here as data."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    DEMO_CPANEL_TOKENS,
    DEMO_TOKEN_NAMES,
    calls,
    form_post,
    text,
)
from tokenui.audit.models import AuditEvent
from tokenui.simulator import Simulator
from tokenui.systems import CpanelTokens, TokenSystem, WhmTokens

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Case:
    """One system as a test drives it: the client signed in to it, its pages, its tokens."""

    client: Client
    sim: Simulator
    base: str  # the table's URL
    system: type[TokenSystem]
    owner: str  # whose tokens, in the simulator's store
    demo: frozenset[str]  # the tokens the owner starts with

    @property
    def words(self):
        return self.system.words

    def names(self) -> set[str]:
        """The owner's token names as the server holds them now."""
        store = self.sim.store
        if self.system is WhmTokens:
            return {t.name for t in store.tokens(self.owner)}
        return {t.name for t in store.cpanel_tokens(self.owner)}

    def reads(self) -> int:
        """The list calls the server saw (WHM's, cPanel's, or through WHM)."""
        functions = ("api_token_list", "Tokens::list", "uapi_cpanel")
        return sum(len(calls(self.sim, f)) for f in functions)


SYSTEMS = ["whm", "cpanel", "cpanel-via-whm"]


@pytest.fixture(params=SYSTEMS)
def case(request: pytest.FixtureRequest, cpanel: Simulator) -> Case:
    """Each system in turn, signed in, its simulator in the demo state."""
    if request.param == "whm":
        client = request.getfixturevalue("root_client")
        return Case(client, cpanel, "/tokens/", WhmTokens, "root", DEMO_TOKEN_NAMES)
    if request.param == "cpanel":
        client = request.getfixturevalue("cp_client")
        user = CPANEL_ROOTS[0][0]
        return Case(client, cpanel, "/cpanel/tokens/", CpanelTokens, user, DEMO_CPANEL_TOKENS)
    client = request.getfixturevalue("operator_client")
    user = CPANEL_RESELLERS[0][0]
    base = f"/cpanel/accounts/{user}/tokens/"
    return Case(client, cpanel, base, CpanelTokens, user, DEMO_CPANEL_TOKENS)


def row_names(page: str) -> list[str]:
    return re.findall(r'<tr id="token-([A-Za-z0-9_-]+)"', page)


def test_the_table_lists_the_tokens_in_the_systems_own_words(case: Case) -> None:
    response = case.client.get(case.base)
    page = response.content.decode()
    assert response.status_code == 200
    assert set(row_names(page)) == case.demo
    assert f"<h1>{case.words.title}</h1>" in page
    assert f">{case.words.create}</a>" in page
    assert ("Revoke Expired" in page) is case.system.caps.revoke_expired
    assert ("Export CSV" in page) is case.system.caps.export


def test_search_redraws_only_the_table_from_the_list_the_page_read(case: Case) -> None:
    case.client.get(case.base)
    before = case.reads()
    name = sorted(case.demo)[0]
    response = case.client.get(case.base, {"q": name}, headers=HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="token-table"')
    assert name in row_names(page)
    assert case.reads() == before  # no server call for a keystroke


def test_revoke_asks_in_the_systems_words_then_revokes(case: Case) -> None:
    name = sorted(case.demo)[0]
    asked = case.client.get(f"{case.base}{name}/revoke/")
    assert f"Are you certain that you want to revoke the API token, “{name}”?" in text(
        asked.content.decode()
    )
    assert case.words.revoke_one in asked.content.decode()
    response = case.client.post(f"{case.base}{name}/revoke/")
    assert response.status_code == 302
    assert name not in case.names()
    event = AuditEvent.objects.get(action="revoke")
    assert (event.outcome, event.token_names) == ("succeeded", [name])


def test_revoke_all_asks_the_systems_question_then_revokes_every_token(case: Case) -> None:
    asked = case.client.get(f"{case.base}revoke-all/")
    assert case.words.revoke_all_question in text(asked.content.decode())
    response = case.client.post(f"{case.base}revoke-all/", follow=True)
    assert f"{len(case.demo)} API tokens have been revoked." in text(response.content.decode())
    assert row_names(response.content.decode()) == []
    assert case.names() == set()


def test_revoke_selected_with_nothing_selected_says_so_and_revokes_nothing(case: Case) -> None:
    for send in (case.client.get, case.client.post):
        response = send(f"{case.base}revoke-selected/", follow=True)
        assert "Select at least one API token to revoke." in text(response.content.decode())
    assert case.names() == case.demo


def test_a_token_gone_since_the_page_is_404_and_the_refusal_recorded(case: Case) -> None:
    response = case.client.post(f"{case.base}no-such-token/revoke/")
    assert response.status_code == 404
    assert "The API token “no-such-token” does not exist." in text(response.content.decode())
    event = AuditEvent.objects.get(action="revoke")
    assert event.outcome == "refused"


def test_a_change_drops_the_kept_list_so_the_next_search_sees_it(case: Case) -> None:
    case.client.get(case.base)
    name = sorted(case.demo)[0]
    case.client.post(f"{case.base}{name}/revoke/")
    page = case.client.get(case.base, {"q": name}, headers=HTMX).content.decode()
    assert name not in row_names(page)


@pytest.mark.parametrize(
    ("mode", "status"),
    [("http-500", 502), ("http-503", 502), ("garbage", 502), ("html", 502), ("close", 503)],
)
def test_a_broken_server_is_named_on_the_table_with_its_status(
    case: Case, mode: str, status: int
) -> None:
    case.sim.set_fault(mode, functions=["api_token_list", "Tokens::list", "uapi_cpanel"])
    response = case.client.get(case.base)
    page = text(response.content.decode())
    assert response.status_code == status
    assert "The API tokens could not be loaded." in page
    assert "Traceback" not in page


def test_create_shows_the_secret_once_and_is_not_stored(case: Case) -> None:
    data = {"name": "made-here", "expiry": "never", "expires_on": ""}
    if case.system.caps.privileges:
        data["acls"] = ["list-accts"]
    response = form_post(case.client, f"{case.base}{case.system.pages.create_path}/", data)
    page = response.content.decode()
    assert response.status_code == 200, text(page)[:2000]
    assert case.words.created in page
    assert "no-store" in response["Cache-Control"]
    assert "made-here" in case.names()
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', page)
    assert secret is not None
    assert secret.group(1) not in str(list(AuditEvent.objects.values()))


def test_rotate_makes_a_successor_and_revoke_the_old_token_now_revokes_it(case: Case) -> None:
    old = "billing-bot" if case.system is WhmTokens else "deploy-script"
    form = case.client.get(f"{case.base}{old}/rotate/").content.decode()
    new = re.search(r'name="name"[^>]*value="([A-Za-z0-9_-]+)"', form)
    assert new is not None
    data = {"name": new.group(1), "expiry": "never", "expires_on": ""}
    made = form_post(case.client, f"{case.base}{old}/rotate/", data)
    assert made.status_code == 200
    assert {old, new.group(1)} <= case.names()
    case.client.post(f"{case.base}{old}/rotate/finish/", {"successor": new.group(1)})
    assert old not in case.names()
    assert new.group(1) in case.names()
