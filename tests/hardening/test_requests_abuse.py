"""Requests no page sends: odd URLs, query strings, headers and bodies, forged or missing CSRF
tokens. Each gets a clear 4xx (or the page, ignoring what it does not know), never a 5xx, and
nothing reaches WHM that changes a token."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import FORM_CHARS, OVER_HTTP, names
from tests.helpers import (
    DEMO_ROOT,
    DEMO_TOKEN_NAMES,
    FORM,
    ROOT_HELD,
    assert_only_valid_writes,
    calls,
    csrf_token,
    form_post,
    numbered,
    sign_in_data,
    text,
    writes,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

TOKENS = "/tokens/"
NEW = "/tokens/new/"
HTMX = {"HX-Request": "true"}
VALID = {"name": "typed-name", "expiry": "never", "acls": ["list-accts"]}
anything = st.text(FORM_CHARS, max_size=30)


@pytest.fixture
def csrf_client(whm: Simulator, db: None) -> Client:
    """A browser-like client that CSRF protection is not switched off for, signed in as root."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/sign-in/").text
    data = sign_in_data(*DEMO_ROOT) | {"csrfmiddlewaretoken": csrf_token(page)}
    assert client.post("/sign-in/", data).status_code == 302
    whm.clear_requests()
    return client


# --- token names in URLs ---------------------------------------------------------------------


@OVER_HTTP
@given(
    name=names.filter(lambda n: n not in DEMO_TOKEN_NAMES), method=st.sampled_from(["GET", "POST"])
)
@example(name="no-such-token", method="POST")
@example(name="new", method="GET")
@example(name="..", method="POST")
@example(name="a/b", method="POST")
@example(name="x" * 51, method="GET")
def test_a_token_url_naming_no_token_is_404_and_changes_nothing(
    root_client: Client, whm: Simulator, name: str, method: str
) -> None:
    whm.reset()
    for action in ("edit", "revoke"):
        url = f"{TOKENS}{quote(name, safe='')}/{action}/"
        response = root_client.get(url) if method == "GET" else root_client.post(url, VALID)

        assert response.status_code == 404, (url, response.status_code)
    assert writes(whm) == []


def test_a_404_for_a_missing_token_says_which_one(root_client: Client) -> None:
    response = root_client.post("/tokens/no-such-token/revoke/")
    assert response.status_code == 404
    assert "The API token “no-such-token” does not exist." in text(response.text)


# --- the table's query string ----------------------------------------------------------------

params = st.dictionaries(
    st.one_of(st.sampled_from(["q", "sort", "page", "highlight"]), anything),
    st.one_of(
        anything,
        st.sampled_from(["name", "-name", "-created", "expires", "-expires", "--name", "NAME"]),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["0", "-1", "1e3", "2.0", "\u0661", "9" * 5000, "\x00", ""]),
    ),
    max_size=6,
)


@OVER_HTTP
@given(query=params, htmx=st.booleans())
@example(query={"page": "9" * 5000}, htmx=False)
@example(query={"sort": "\x00", "q": "\x00", "page": "-1"}, htmx=True)
def test_the_table_shows_whatever_it_is_asked_for_and_only_reads_from_whm(
    root_client: Client, whm: Simulator, query: dict[str, str], htmx: bool
) -> None:
    whm.clear_requests()

    response = root_client.get(TOKENS, query, headers=HTMX if htmx else {})

    assert response.status_code == 200
    called = {r.function for r in whm.requests()}
    # A full page reads WHM; a partial may redraw the list the page read a moment ago.
    assert called == {"api_token_list"} if not htmx else called <= {"api_token_list"}


@OVER_HTTP
@given(
    url=st.sampled_from(
        [NEW, "/tokens/billing-bot/edit/", "/tokens/reporting/revoke/", "/sign-in/"]
    ),
    query=st.dictionaries(anything, anything, max_size=4),
)
def test_other_pages_ignore_query_parameters_they_do_not_know(
    root_client: Client, whm: Simulator, url: str, query: dict[str, str]
) -> None:
    whm.clear_requests()

    response = root_client.get(url, query)

    # The sign-in page redirects nowhere: a signed-in user may sign in again.
    assert response.status_code == 200
    assert writes(whm) == []


@OVER_HTTP
@given(name=names, original=st.one_of(st.none(), names))
def test_the_name_check_answers_any_name_and_only_reads_from_whm(
    root_client: Client, whm: Simulator, name: str, original: str | None
) -> None:
    whm.clear_requests()
    query = {"name": name} | ({"original": original} if original is not None else {})

    response = root_client.get("/tokens/check-name/", query, headers=HTMX)

    assert response.status_code == 200
    assert 'id="name-check"' in response.text
    assert {r.function for r in whm.requests()} <= {"api_token_list"}


# --- Revoke Selected with forged names -------------------------------------------------------


@OVER_HTTP
@given(
    chosen=st.lists(st.one_of(st.sampled_from(sorted(DEMO_TOKEN_NAMES)), names), max_size=8),
    confirm=st.booleans(),
)
def test_revoke_selected_revokes_only_listed_tokens_among_those_chosen(
    root_client: Client, whm: Simulator, chosen: list[str], confirm: bool
) -> None:
    whm.reset()
    data = {"name": chosen}

    if confirm:
        response = form_post(root_client, "/tokens/revoke-selected/", data)
    else:
        response = root_client.get("/tokens/revoke-selected/", data)

    assert response.status_code in {200, 302}
    assert_only_valid_writes(whm.requests(), ROOT_HELD, names=DEMO_TOKEN_NAMES)
    revokes = calls(whm, "api_token_revoke")
    existing = [name for name in dict.fromkeys(chosen) if name in DEMO_TOKEN_NAMES]
    if confirm and existing:
        (revoke,) = revokes
        assert numbered(revoke.params, "token_name") == existing
    else:
        assert revokes == []


# --- htmx headers ----------------------------------------------------------------------------


@OVER_HTTP
@given(current_url=st.one_of(anything, st.just("http://testserver/tokens/?q=bot")))
@example(current_url="http://[oops/tokens/")
@example(current_url="http://\uff03/tokens/")
def test_an_htmx_revoke_with_any_current_url_header_still_answers_with_the_table(
    root_client: Client, whm: Simulator, current_url: str
) -> None:
    whm.reset()

    response = root_client.post(
        "/tokens/reporting/revoke/", headers=HTMX | {"HX-Current-URL": current_url}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="token-table"')


# --- oversized and malformed bodies ----------------------------------------------------------

BIG = 3 * 1024 * 1024  # beyond DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)
POSTS = [
    NEW,
    "/tokens/billing-bot/edit/",
    "/tokens/revoke-selected/",
    "/sign-in/",
    # These read no body themselves: only the CSRF check (below, with a browser's client) does.
    "/tokens/reporting/revoke/",
    "/tokens/revoke-all/",
    "/sign-out/",
]


def _multipart(parts: list[tuple[str, str, bytes]], boundary: str = "b0undary") -> bytes:
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


MULTIPART = "multipart/form-data; boundary=b0undary"
BODIES = {
    "too-big": (urlencode({"name": "x" * BIG}).encode(), FORM),
    "too-many-fields": (urlencode([("acls", str(n)) for n in range(1001)]).encode(), FORM),
    "too-big-multipart": (_multipart([("whitelist_ips", "", b"1" * BIG)]), MULTIPART),
    "too-many-files": (_multipart([(f"f{n}", f"f{n}.txt", b"x") for n in range(101)]), MULTIPART),
    "multipart-without-boundary": (b"--x\r\n\r\n", "multipart/form-data"),
}


@pytest.mark.parametrize("url", [NEW, "/sign-in/"])
@pytest.mark.parametrize("body", ["too-big", "too-many-fields", "multipart-without-boundary"])
def test_an_oversized_or_malformed_body_is_400_and_reaches_no_whm_write(
    root_client: Client, whm: Simulator, url: str, body: str
) -> None:
    content, content_type = BODIES[body]
    whm.clear_requests()

    response = root_client.post(url, content, content_type=content_type)

    assert response.status_code == 400
    assert writes(whm) == []
    if url == "/sign-in/":
        assert whm.requests() == []


@pytest.mark.parametrize("url", POSTS)
@pytest.mark.parametrize("body", BODIES)
def test_an_oversized_or_malformed_body_from_a_browser_is_400_before_any_view_runs(
    csrf_client: Client, whm: Simulator, url: str, body: str
) -> None:
    content, content_type = BODIES[body]
    token = csrf_token(csrf_client.get(TOKENS).text)
    whm.clear_requests()

    response = csrf_client.post(
        url, content, content_type=content_type, headers={"X-CSRFToken": token}
    )

    assert response.status_code == 400
    assert whm.requests() == []


@pytest.mark.parametrize("url", ["/sign-in/", NEW, "/tokens/reporting/revoke/"])
@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "utf8"])
def test_a_form_body_in_another_charset_is_400_not_500(
    csrf_client: Client, whm: Simulator, url: str, charset: str
) -> None:
    token = csrf_token(csrf_client.get(TOKENS).text)
    whm.clear_requests()

    response = csrf_client.post(
        url,
        f"name=abc&csrfmiddlewaretoken={token}",  # the test client encodes it in `charset`
        content_type=f"{FORM}; charset={charset}",
    )

    assert response.status_code == 400
    assert whm.requests() == []


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml"])
def test_a_body_that_is_not_a_form_is_an_invalid_form(
    root_client: Client, whm: Simulator, content_type: str
) -> None:
    whm.clear_requests()

    response = root_client.post(NEW, b'{"name": "x", "acls": ["all"]}', content_type=content_type)

    assert response.status_code == 422
    assert writes(whm) == []


# --- CSRF ------------------------------------------------------------------------------------

STATE_CHANGES = [
    (NEW, VALID),
    ("/tokens/billing-bot/edit/", VALID),
    ("/tokens/reporting/revoke/", {}),
    ("/tokens/revoke-selected/", {"name": ["reporting", "automation"]}),
    ("/tokens/revoke-all/", {}),
    ("/sign-out/", {}),
    ("/sign-in/", sign_in_data(*DEMO_ROOT)),
]


@pytest.mark.parametrize(("url", "data"), STATE_CHANGES)
def test_a_state_change_with_the_pages_csrf_token_is_accepted(
    csrf_client: Client, whm: Simulator, url: str, data: dict
) -> None:
    token = csrf_token(csrf_client.get(TOKENS).text)

    response = form_post(csrf_client, url, data | {"csrfmiddlewaretoken": token})

    assert response.status_code in {200, 302}


@pytest.mark.parametrize(("url", "data"), STATE_CHANGES)
def test_a_state_change_without_a_csrf_token_is_403_and_reaches_no_whm(
    csrf_client: Client, whm: Simulator, url: str, data: dict
) -> None:
    response = form_post(csrf_client, url, data)

    assert response.status_code == 403
    assert "CSRF" in response.text
    assert whm.requests() == []


@OVER_HTTP
@given(
    target=st.sampled_from(STATE_CHANGES),
    forged=st.one_of(anything, st.text("abcdefABCDEF0123456789", min_size=32, max_size=64)),
    in_header=st.booleans(),
)
def test_a_state_change_with_a_forged_csrf_token_is_403_and_reaches_no_whm(
    csrf_client: Client, whm: Simulator, target: tuple[str, dict], forged: str, in_header: bool
) -> None:
    url, data = target
    whm.clear_requests()
    if in_header:
        extra = {"headers": {"X-CSRFToken": forged}} if forged.isascii() else {}
    else:
        data = data | {"csrfmiddlewaretoken": forged}
        extra = {}

    response = form_post(csrf_client, url, data, **extra)

    assert response.status_code == 403
    assert whm.requests() == []


def test_a_csrf_token_from_another_browser_is_403(csrf_client: Client, whm: Simulator) -> None:
    other = Client(enforce_csrf_checks=True)
    token = csrf_token(other.get("/sign-in/").text)

    response = form_post(csrf_client, "/tokens/revoke-all/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 403
    assert whm.requests() == []


def test_a_state_change_without_the_csrf_cookie_is_403(whm: Simulator, db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client.get("/sign-in/").text)
    client.cookies.clear()

    response = form_post(
        client, "/sign-in/", sign_in_data(*DEMO_ROOT) | {"csrfmiddlewaretoken": token}
    )

    assert response.status_code == 403
    assert whm.requests() == []
