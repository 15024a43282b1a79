"""Every way WHM can fail, on every page that talks to it: named plainly, with a fitting status.

Real HTTP throughout: the simulator's fault switches, and where the simulator cannot stage a case,
a socket that is not WHM (a closed port, an `.invalid` host, a listener that never accepts, the
TLS simulator without its CA) or a stub that refuses one call while the others succeed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.helpers import (
    ACCESS_DENIED_REPLY,
    CONNECT_SHORT,
    LOGIN_TOKEN,
    SHORT,
    StubWhm,
    api_reply,
    calls,
    checked,
    form_post,
    input_value,
    non_field_errors,
    sign_in_data,
    text,
    textarea_value,
)
from tokenui.sessions import credentials
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

TOKENS = "/tokens/"
NEW = "/tokens/new/"
EDIT = "/tokens/billing-bot/edit/"
REVOKE = "/tokens/reporting/revoke/"
SIGN_IN = "/sign-in/"
HTMX = {"HX-Request": "true"}
IN_30_DAYS = (date.today() + timedelta(days=30)).isoformat()
TYPED = {
    "name": "kept-name",
    "expiry": "date",
    "expires_on": IN_30_DAYS,
    "whitelist_ips": "192.0.2.77\n10.9.0.0/16",
    "acls": ["list-accts", "create-acct"],
}
SIGNED_OUT = "WHM no longer accepts your credentials. Sign in again."
OUTCOME_UNKNOWN = "WHM did not answer in time, so it may or may not have carried this out."
MAY_HAVE_RUN = "WHM may still have carried out the request"

# --- the table: each failure, the status it gets, and the sentence the page must show --------
# {function} is the WHM call that failed; {failure} is WHM's own words for what it could not do.
FAILURES: list[tuple[str, int, str]] = [
    ("refused", 503, "TokenUI could not connect to WHM: nothing answered at its address."),
    ("dns", 503, "TokenUI could not find WHM's host name; check the server URL."),
    ("tls", 502, "WHM's TLS certificate could not be verified."),
    ("connect-timeout", 504, f"WHM did not accept a connection within {CONNECT_SHORT:g} seconds."),
    ("read-timeout", 504, f"WHM did not answer within {SHORT:g} seconds."),
    ("http-500", 502, "WHM answered with a server error (HTTP 500)."),
    ("http-503", 502, "WHM answered with a server error (HTTP 503)."),
    ("access-denied", 302, SIGNED_OUT),
    ("result-0", 502, "The system failed to {failure}: Disk quota exceeded"),
    ("garbage", 502, "WHM's reply is not valid JSON."),
    ("truncated", 502, "WHM's reply is not valid JSON."),
    ("html", 502, "WHM answered with a web page, not an API reply; check the server URL."),
    ("wrong-shape", 502, "WHM's reply to {function} has no API 1 metadata."),
    ("close", 503, "WHM closed the connection without answering."),
]
# Where a page rightly differs from the table.
OVERRIDES: dict[tuple[str, str], tuple[int, str]] = {
    # A write that timed out may have happened: the page says so instead of the bare timeout.
    ("generate", "read-timeout"): (504, OUTCOME_UNKNOWN),
    ("edit", "read-timeout"): (504, OUTCOME_UNKNOWN),
    ("revoke", "read-timeout"): (504, OUTCOME_UNKNOWN),
    # WHM refused the form it was sent: re-rendered with WHM's reason.
    ("generate", "result-0"): (422, "The system failed to {failure}: Disk quota exceeded"),
    ("edit", "result-0"): (422, "The system failed to {failure}: Disk quota exceeded"),
    # At sign-in, a refused credential is the user's input being wrong.
    ("sign-in", "access-denied"): (422, "WHM refused these credentials."),
}
TRANSPORT = ("refused", "dns", "tls", "connect-timeout")  # every call fails, the first one first
FORMS = ("generate", "edit", "sign-in")


@dataclass(frozen=True)
class Page:
    name: str
    function: str  # the call a simulator fault is aimed at
    failure: str  # WHM's words for that call's storage failure

    def target(self, fault: str) -> str:
        # myprivs has no storage to fail; a token sign-in's next call (get_details) has.
        if self.name == "sign-in" and fault == "result-0":
            return "api_token_get_details"
        return self.function


PAGES = {
    "table": Page("table", "api_token_list", "read the API tokens"),
    "generate": Page("generate", "api_token_create", "create the API token"),
    "edit": Page("edit", "api_token_update", "update the API token"),
    "revoke": Page("revoke", "api_token_revoke", "revoke the API token"),
    "sign-in": Page("sign-in", "myprivs", "read the API tokens"),
}


def expected(page: Page, fault: str) -> tuple[int, str]:
    status, words = next((s, w) for f, s, w in FAILURES if f == fault)
    status, words = OVERRIDES.get((page.name, fault), (status, words))
    function = page.target(fault)
    return status, words.format(function=function, failure=page.failure)


class Scenario:
    """One signed-in user on one page, and the ways to break WHM under them."""

    def __init__(
        self, page: Page, client: Client, whm: Simulator, settings, request: pytest.FixtureRequest
    ) -> None:
        self.page, self.client, self.whm = page, client, whm
        self.settings, self.request = settings, request

    def open(self) -> None:
        """What the user did before the failing request: opened the form, if there is one."""
        if self.page.name == "generate":
            assert self.client.get(NEW).status_code == 200
        elif self.page.name == "edit":
            assert self.client.get(EDIT).status_code == 200
        elif self.page.name == "sign-in":
            self.client.post("/sign-out/")

    def break_whm(self, fault: str) -> None:
        function = self.page.target(fault)
        match fault:
            case "refused":
                self._point_at(self.request.getfixturevalue("closed_port"))
            case "dns":
                self._point_at("https://whm.invalid:2087")
            case "tls":
                self._point_at(self.request.getfixturevalue("tls_simulator").url)
            case "connect-timeout":
                self.settings.WHM_TIMEOUT = CONNECT_SHORT
                self._point_at(self.request.getfixturevalue("full_backlog"))
            case "read-timeout":
                self.settings.WHM_TIMEOUT = SHORT
                self.whm.set_fault("hang", functions=[function], count=1)
            case "access-denied":  # the signed-in token is revoked elsewhere
                self.whm.store.revoke_tokens("reseller", [LOGIN_TOKEN])
            case "result-0":
                self.whm.set_fault("storage-error", functions=[function], count=1)
            case _:
                self.whm.set_fault(fault, functions=[function], count=1)
        self.whm.clear_requests()

    def _point_at(self, url: str) -> None:
        # The session stays bound to the server named "simulator"; only its address changes.
        self.settings.WHM_SERVERS = {"simulator": url}

    def act(self, *, htmx: bool = False) -> HttpResponse:
        headers = HTMX if htmx else {}
        match self.page.name:
            case "table":
                return self.client.get(TOKENS, headers=headers)
            case "generate":
                return form_post(self.client, NEW, TYPED, headers=headers)
            case "edit":
                return form_post(
                    self.client, EDIT, TYPED | {"name": "renamed-bot"}, headers=headers
                )
            case "revoke":
                return self.client.post(REVOKE, headers=headers)
            case _:
                data = sign_in_data("reseller", self.client.login_token, token=True)
                return form_post(self.client, SIGN_IN, data)


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest, token_client: Client, whm: Simulator, settings
) -> Callable[[str], Scenario]:
    """Scenario("table"), Scenario("generate"), …: the signed-in reseller on that page."""

    def make(view: str) -> Scenario:
        return Scenario(PAGES[view], token_client, whm, settings, request)

    return make


def assert_named_plainly(page: str, words: str, fault: str) -> None:
    shown = text(page)
    assert words in shown
    assert "Traceback" not in shown
    assert not re.search(r"\b(httpx|httpcore|Whm[A-Z]\w+|Exception|Error:)", shown)
    # Its own words: no other failure's sentence is on the page.
    for other, _, other_words in FAILURES:
        if other != fault and "{" not in other_words and other_words != words:
            assert other_words not in shown, f"{fault} is shown as {other}"


CASES = [
    pytest.param(view, fault, id=f"{view}-{fault}") for view in PAGES for fault, _, _ in FAILURES
]


@pytest.mark.parametrize(("view", "fault"), CASES)
def test_whm_failure_is_named_on_the_page_with_its_status(scenario, view: str, fault: str) -> None:
    case = scenario(view)
    case.open()
    case.break_whm(fault)

    response = case.act()

    status, words = expected(case.page, fault)
    assert response.status_code == status, text(response.text)[:3000]
    if status == 302:
        # Told, and sent to sign in again: the credential is gone from the session.
        assert response["Location"] == SIGN_IN
        assert credentials.SESSION_KEY not in case.client.session
        assert_named_plainly(case.client.get(SIGN_IN).text, words, fault)
        assert case.client.get(TOKENS).status_code == 302
        return
    assert_named_plainly(response.text, words, fault)
    if view in FORMS:
        assert any(words in error for error in non_field_errors(response.text))
        assert_kept_what_was_typed(case, response.text)


def assert_kept_what_was_typed(case: Scenario, page: str) -> None:
    if case.page.name == "sign-in":
        assert input_value(page, "username") == "reseller"
        assert checked(page, "method") == ["token"]
        assert case.client.login_token not in page  # kept, but never echoed
        return
    name = "kept-name" if case.page.name == "generate" else "renamed-bot"
    assert input_value(page, "name") == name
    assert checked(page, "expiry") == ["date"]
    assert input_value(page, "expires_on") == IN_30_DAYS
    assert textarea_value(page, "whitelist_ips") == TYPED["whitelist_ips"]
    assert sorted(checked(page, "acls")) == sorted(TYPED["acls"])


@pytest.mark.parametrize("fault", ["refused", "read-timeout", "http-500", "html", "result-0"])
@pytest.mark.parametrize("view", ["table", "revoke"])
def test_whm_failure_in_an_htmx_swap_is_named_in_the_swapped_table(
    scenario, view: str, fault: str
) -> None:
    case = scenario(view)
    case.break_whm(fault)

    response = case.act(htmx=True)

    status, words = expected(case.page, fault)
    assert response.status_code == status
    assert response.text.lstrip().startswith('<div id="token-table"')
    # The message rides along out of band, into the page's message area.
    oob = re.search(r'<div id="messages"[^>]*hx-swap-oob[^>]*>(.*?)<form', response.text, re.S)
    assert oob is not None
    assert words in text(oob.group(1))


@pytest.mark.parametrize("view", ["table", "revoke"])
def test_access_denied_in_an_htmx_swap_redirects_the_whole_page_to_sign_in(
    scenario, view: str
) -> None:
    case = scenario(view)
    case.break_whm("access-denied")

    response = case.act(htmx=True)

    assert response["HX-Redirect"] == SIGN_IN
    assert SIGNED_OUT in text(case.client.get(SIGN_IN).text)


# --- the form keeps what the user typed ------------------------------------------------------


@pytest.mark.parametrize("fault", TRANSPORT)
@pytest.mark.parametrize("view", ["generate", "edit"])
def test_form_keeps_what_the_user_typed_when_whm_cannot_be_reached(
    scenario, view: str, fault: str
) -> None:
    case = scenario(view)
    case.open()
    case.break_whm(fault)

    response = case.act()

    status, words = expected(case.page, fault)
    assert response.status_code == status
    assert any(words in error for error in non_field_errors(response.text))
    assert_kept_what_was_typed(case, response.text)


# --- a write that may or may not have happened -----------------------------------------------

WRITE_FAULTS = {"hang": (504, OUTCOME_UNKNOWN), "close": (503, MAY_HAVE_RUN)}


@pytest.mark.parametrize("fault", WRITE_FAULTS)
@pytest.mark.parametrize("view", ["generate", "edit", "revoke"])
def test_unanswered_write_is_sent_once_and_said_to_be_unknown(
    scenario, view: str, fault: str
) -> None:
    case = scenario(view)
    case.open()
    if fault == "hang":
        case.settings.WHM_TIMEOUT = SHORT
    case.whm.set_fault(fault, functions=[case.page.function], count=1)
    case.whm.clear_requests()

    response = case.act()

    status, words = WRITE_FAULTS[fault]
    assert response.status_code == status
    assert words in text(response.text)
    assert len(calls(case.whm, case.page.function)) == 1  # sent once, never retried
    if view != "revoke":
        assert input_value(response.text, "name") in {"kept-name", "renamed-bot"}


@pytest.mark.parametrize("fault", WRITE_FAULTS)
@pytest.mark.parametrize(
    "view",
    ["generate", "edit", "revoke"],
)
def test_unanswered_write_offers_refresh_list(scenario, view: str, fault: str) -> None:
    case = scenario(view)
    case.open()
    if fault == "hang":
        case.settings.WHM_TIMEOUT = SHORT
    case.whm.set_fault(fault, functions=[case.page.function], count=1)

    response = case.act()

    assert re.search(r'<a href="/tokens/(\?[^"]*)?"[^>]*>Refresh List</a>', response.text)


# --- WHM refuses the credential on the write itself ------------------------------------------


@pytest.mark.parametrize(
    ("view", "function"),
    [
        ("generate", "api_token_create"),
        ("edit", "api_token_update"),
        ("revoke", "api_token_revoke"),
    ],
)
def test_access_denied_on_the_write_itself_signs_out_and_says_why(
    client: Client, stub_whm: StubWhm, settings, db: None, view: str, function: str
) -> None:
    settings.WHM_SERVERS = {"simulator": stub_whm.url}
    stub_whm.replies = {
        "myprivs": api_reply("myprivs", {"privileges": [{"all": 1}]}),
        "api_token_list": api_reply(
            "api_token_list",
            {
                "tokens": {
                    name: {
                        "name": name,
                        "create_time": 1_700_000_000,
                        "expires_at": None,
                        "acls": {"all": 0, "list-accts": 1},
                    }
                    for name in ("billing-bot", "reporting")
                }
            },
        ),
        function: ACCESS_DENIED_REPLY,
    }
    assert form_post(client, SIGN_IN, sign_in_data("root", "any-password")).status_code == 302
    if view != "revoke":
        client.get(NEW if view == "generate" else EDIT)
    stub_whm.log.clear()

    if view == "revoke":
        response = client.post(REVOKE)
    else:
        response = form_post(client, NEW if view == "generate" else EDIT, TYPED)

    assert response.status_code == 302
    assert response["Location"] == SIGN_IN
    assert stub_whm.log.count(function) == 1
    assert credentials.SESSION_KEY not in client.session
    assert SIGNED_OUT in text(client.get(SIGN_IN).text)


# --- a hostile WHM ---------------------------------------------------------------------------

HOSTILE_SECRET = "X'; touch pwned; echo '"


def test_a_secret_outside_whms_alphabet_is_never_shown_or_offered_in_a_command(
    client: Client, stub_whm: StubWhm, settings, db: None
) -> None:
    settings.WHM_SERVERS = {"simulator": stub_whm.url}
    stub_whm.replies = {
        "myprivs": api_reply("myprivs", {"privileges": [{"all": 1}]}),
        "api_token_list": api_reply("api_token_list", {"tokens": {}}),
        "api_token_create": api_reply(
            "api_token_create",
            {"name": "kept-name", "create_time": 1_700_000_000, "token": HOSTILE_SECRET},
        ),
    }
    assert form_post(client, SIGN_IN, sign_in_data("root", "any-password")).status_code == 302
    client.get(NEW)

    response = form_post(client, NEW, TYPED)

    assert stub_whm.log.count("api_token_create") == 1
    # A malformed reply to a write: named as such, the form kept, nothing of the secret shown.
    assert response.status_code == 502
    assert "touch pwned" not in text(response.text)
    assert "pwned" not in response.text
    assert input_value(response.text, "name") == "kept-name"
