"""What every token system's pages do alike, run once per system: the signed-in WHM user's own
tokens, a cPanel user's own, a cPanel account's through WHM (`uapi_cpanel`), and a staff
member's inside a reseller's session (the reseller's own WHM tokens, and an account it owns).
Each system's own words and capabilities are the system's (tokenui/systems), asserted here as
data."""

from __future__ import annotations

import dataclasses
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
from tokenui.staff.models import Role
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


SYSTEMS = ["whm", "cpanel", "cpanel-via-whm", "staff-reseller-whm", "staff-reseller-cpanel"]
# A staff operator's, through the connected server "main", inside the demo reseller's session.
STAFF_RESELLER = "/staff/servers/main/resellers/reseller/"


@pytest.fixture(params=SYSTEMS)
def case(request: pytest.FixtureRequest, cpanel: Simulator) -> Case:
    """Each system in turn, signed in, its simulator in the demo state."""
    if request.param.startswith("staff-"):
        return staff_case(request, cpanel)
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


def staff_case(request: pytest.FixtureRequest, cpanel: Simulator) -> Case:
    """A staff operator's case: the reseller's own WHM tokens, or an account it owns."""
    connected = request.getfixturevalue("connected")
    client = request.getfixturevalue("staff_client")(Role.OPERATOR, connected)
    if request.param == "staff-reseller-whm":
        base = f"{STAFF_RESELLER}tokens/"
        return Case(client, cpanel, base, WhmTokens, "reseller", DEMO_TOKEN_NAMES)
    user = CPANEL_RESELLERS[0][0]
    base = f"{STAFF_RESELLER}accounts/{user}/tokens/"
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


# --- rotation knows a token by its creation time, not its name (issue 17 item 1) -------------


def rename(case: Case, name: str, new_name: str) -> None:
    """Rename a token on the server itself, as another tool (or WHM's own page) would."""
    store = case.sim.store
    if case.system is WhmTokens:
        token = store.token(case.owner, name)
        store.replace_token(name, dataclasses.replace(token, name=new_name))
    else:
        assert store.rename_cpanel_token(case.owner, name, new_name)


def rotate(case: Case, old: str) -> str:
    """Rotate `old` with the form's default name, choosing **Later**; the successor's name."""
    form = case.client.get(f"{case.base}{old}/rotate/").content.decode()
    new = re.search(r'name="name"[^>]*value="([A-Za-z0-9_-]+)"', form).group(1)
    data = {"name": new, "expiry": "never", "expires_on": ""}
    assert form_post(case.client, f"{case.base}{old}/rotate/", data).status_code == 200
    return new


def finish(case: Case, old: str, successor: str) -> str:
    """**Revoke the old token now**, as the secret page posts it; the page's message."""
    url = f"{case.base}{old}/rotate/finish/"
    response = case.client.post(url, {"successor": successor}, follow=True)
    return text(response.content.decode())


def old_token(case: Case) -> str:
    return "billing-bot" if case.system is WhmTokens else "deploy-script"


def test_finishing_after_renames_revokes_the_replaced_token_under_its_new_name(case: Case):
    old = old_token(case)
    new = rotate(case, old)
    rename(case, old, f"{old}-legacy")
    rename(case, new, old)  # the successor takes the old token's name
    said = finish(case, old, new)
    assert f"{old}-legacy" not in case.names()  # the old credential is gone
    assert old in case.names()  # the successor, under the old name, is untouched
    assert f"The API token “{old}-legacy” has been revoked." in said
    assert f"Only “{new}” works now." not in said  # nothing is called that any more


def test_finish_revokes_no_token_without_a_rotation_to_finish(case: Case) -> None:
    victim = sorted(case.demo)[0]
    said = finish(case, victim, "anything")
    assert victim in case.names()
    assert f"There is no rotation of the API token “{victim}” to finish." in said
    assert not AuditEvent.objects.filter(action="revoke").exists()


def test_finishing_the_second_rotation_of_a_chain_says_the_first_token_still_works(
    case: Case,
) -> None:
    first = old_token(case)
    second = rotate(case, first)  # and Later
    third = rotate(case, second)
    said = finish(case, second, third)
    assert second not in case.names()
    assert first in case.names()
    assert f"“{first}”, which it replaced, still works: revoke it too." in said
    assert "works now" not in said
    # The first token keeps its mark, now pointing at the newest token.
    page = case.client.get(case.base).content.decode()
    row = re.search(rf'<tr id="token-{first}".*?</tr>', page, re.S)
    assert row is not None
    mark = re.search(r"badge-rotated[^>]*>.*?→</span> ([\w-]+)", row.group(0), re.S)
    assert mark is not None
    assert mark.group(1) == third


@pytest.mark.parametrize(("bad", "field"), [("name", "id_name"), ("expiry", "id_expires_on")])
def test_a_form_in_error_opens_on_its_first_field_in_error_without_javascript(
    case: Case, bad: str, field: str
) -> None:
    data = {"name": "focus-check", "expiry": "date", "expires_on": "2001-01-01"}
    if bad == "name":
        data |= {"name": "not a valid name!", "expiry": "never"}
    if case.system.caps.privileges:
        data["acls"] = ["list-accts"]
    url = f"{case.base}{case.system.pages.create_path}/"
    page = form_post(case.client, url, data).content.decode()

    focused = re.findall(r"<(?:input|select|textarea)\b[^>]*\bautofocus\b[^>]*>", page)
    assert len(focused) == 1, focused
    assert f'id="{field}"' in focused[0]
    assert 'aria-invalid="true"' in focused[0]
