"""Sign-in with malformed tokens, huge or odd passwords, odd usernames, forged `next` URLs and
server names: a clear error on the field at fault (or a safe redirect), never a 5xx, and nothing
sent to WHM unless the credential could be a real one."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import FORM_CHARS, OVER_HTTP
from tests.helpers import (
    DEMO_ROOT,
    checked,
    clear_cache,
    field_errors,
    form_post,
    input_value,
    non_field_errors,
    sign_in_data,
    text,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
REFUSED = "WHM refused these credentials."


def functions(whm: Simulator) -> list[str]:
    return [r.function for r in whm.requests()]


def fresh_attempt(whm: Simulator) -> None:
    """Each example is a first try: no request log, and no failures counted by the sign-in
    throttle (which would answer 429 without asking WHM, hiding what these tests look at)."""
    clear_cache()
    whm.clear_requests()


# --- API tokens ------------------------------------------------------------------------------

tokens = st.one_of(
    st.text(FORM_CHARS, max_size=40),
    st.text(ALNUM, min_size=30, max_size=34),
    st.text(ALNUM + " \t\n", min_size=32, max_size=40),
    st.text(ALNUM, min_size=250, max_size=300),
    st.sampled_from(
        ["\uff21" * 32, "A" * 31 + "é", "A" * 31 + "\x00", " " * 40, "A" * 16 + "-" * 16]
    ),
)


@OVER_HTTP
@given(token=tokens)
@example(token="A" * 32)
@example(token="AAAA BBBB CCCC DDDD EEEE FFFF GGGG HHHH")
@example(token="A" * 300)
@example(token="")
def test_a_token_reaches_whm_only_when_it_is_32_letters_and_digits(
    client: Client, whm: Simulator, token: str
) -> None:
    fresh_attempt(whm)
    joined = "".join(token.split())
    well_formed = len(token.strip()) <= 256 and re.fullmatch(r"[A-Za-z0-9]{32}", joined)

    response = form_post(client, SIGN_IN, sign_in_data("root", token, token=True))

    assert response.status_code == 422
    assert input_value(response.text, "username") == "root"
    assert checked(response.text, "method") == ["token"]
    if well_formed:
        assert functions(whm) == ["myprivs"]  # WHM says no to a made-up token
        assert non_field_errors(response.text) == [REFUSED]
        assert joined not in response.text  # never echoed
        return
    assert functions(whm) == []
    errors = field_errors(response.text, "api_token")
    assert len(errors) == 1, errors  # one plain reason, not a pile


# --- passwords -------------------------------------------------------------------------------

passwords = st.one_of(
    st.text(FORM_CHARS, max_size=40),
    st.integers(1000, 3000).map(lambda n: "p" * n),
    st.sampled_from(["pässwörd", "密码", "\x00", "a\x00b", " ", "\U0001f511" * 300, "a:b"]),
)


@OVER_HTTP
@given(password=passwords)
@example(password="p" * 1024)
@example(password="p" * 1025)
@example(password="")
def test_a_password_reaches_whm_only_when_the_form_can_carry_it(
    client: Client, whm: Simulator, password: str
) -> None:
    fresh_attempt(whm)
    carried = password != "" and len(password) <= 1024 and "\x00" not in password

    response = form_post(client, SIGN_IN, sign_in_data("root", password))

    assert response.status_code == 422
    assert input_value(response.text, "username") == "root"
    assert input_value(response.text, "password") == ""  # never echoed
    if carried:
        assert functions(whm) == ["myprivs"]
        assert non_field_errors(response.text) == [REFUSED]
        return
    assert functions(whm) == []
    errors = field_errors(response.text, "password")
    assert len(errors) == 1, errors


def test_a_long_password_is_told_its_limit_not_asked_for_again(
    client: Client, whm: Simulator
) -> None:
    response = form_post(client, SIGN_IN, sign_in_data("root", "p" * 2000))

    assert field_errors(response.text, "password") == [
        "Ensure this value has at most 1024 characters (it has 2000)."
    ]


def test_a_long_token_is_told_its_limit_not_asked_for_again(client: Client, whm: Simulator) -> None:
    response = form_post(client, SIGN_IN, sign_in_data("root", "A" * 300, token=True))

    assert field_errors(response.text, "api_token") == [
        "Ensure this value has at most 256 characters (it has 300)."
    ]


# --- usernames -------------------------------------------------------------------------------

usernames = st.one_of(
    st.text(FORM_CHARS, max_size=70),
    st.text("abcXYZ019._-:@ \t", max_size=70),
    st.sampled_from(
        ["rööt", "root\x00", "ro:ot", "root ", " root", "-root", ".", "a" * 64, "a" * 65]
    ),
)


@OVER_HTTP
@given(username=usernames.filter(lambda u: u.strip() not in {"root", "reseller"}))
def test_a_username_http_cannot_carry_never_reaches_whm(
    client: Client, whm: Simulator, username: str
) -> None:
    fresh_attempt(whm)

    response = form_post(client, SIGN_IN, sign_in_data(username, "a-password"))

    assert response.status_code == 422
    name = username.strip()
    if whm.requests():
        # A Basic header holds user:password: a colon, space, control or non-ASCII character
        # in the user would be read as something else, or could not be sent at all.
        assert name.isascii()
        assert name.isprintable()
        assert not re.search(r"[\s:]", name)
        assert non_field_errors(response.text) == [REFUSED]
    else:
        assert field_errors(response.text, "username")


# --- where sign-in goes next -----------------------------------------------------------------

AWAY = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    " //evil.example",
    "/\t/evil.example",
    "\x00//evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "https:/evil.example",
    "//testserver@evil.example",
    "/%2F/evil.example",
    "http://testserver.evil.example/",
]
next_urls = st.one_of(
    st.sampled_from(AWAY),
    st.text(FORM_CHARS, max_size=20),  # bare words too: redirect() once took them for URL names
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(
            ["/", "//", "/\\", "\\/", "http://", "https:/", " /", "\t/", "/tokens/", "."]
        ),
        st.text(FORM_CHARS, max_size=20),
    ),
    st.builds(
        lambda a, b: f"{a}.{b}", st.text(FORM_CHARS, max_size=10), st.text(FORM_CHARS, max_size=10)
    ),
)


def stays_on_this_site(location: str) -> bool:
    """Whether a browser following Location stays here: it drops tabs and line breaks, trims
    spaces, reads backslashes as slashes, and takes what follows two or more slashes as a host."""
    seen = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    if seen.startswith("//"):
        return not re.split(r"[/?#]", seen.lstrip("/"), maxsplit=1)[0]  # "//" alone goes nowhere
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc  # a path, maybe relative: still this site


@OVER_HTTP
@given(next_url=next_urls)
@example(next_url="/tokens/?q=bot")
# Found by hypothesis: Django's own check lets these through, and a browser reads "//%0D" as a host.
@example(next_url="//\r")
@example(next_url="/\t/evil.example/")
@example(next_url="//\n/evil.example/")
def test_sign_in_only_ever_returns_to_a_page_of_this_site(
    whm: Simulator, db: None, next_url: str
) -> None:
    client = Client()

    response = form_post(
        client, f"{SIGN_IN}?{urlencode({'next': next_url})}", sign_in_data(*DEMO_ROOT)
    )

    assert response.status_code == 302
    assert stays_on_this_site(response["Location"]), response["Location"]
    if next_url == "/tokens/?q=bot":
        assert response["Location"] == next_url


@pytest.mark.parametrize("next_url", ["0", "tokens", "sign-out", "évil"])
def test_a_next_that_is_not_a_path_lands_on_the_tokens_page(
    whm: Simulator, db: None, next_url: str
) -> None:
    client = Client()

    response = form_post(
        client, f"{SIGN_IN}?{urlencode({'next': next_url})}", sign_in_data(*DEMO_ROOT)
    )

    assert response.status_code == 302
    assert response["Location"] == "/tokens/"


# --- server names ----------------------------------------------------------------------------


@OVER_HTTP
@given(server=st.text(FORM_CHARS, max_size=30).filter(lambda s: s.strip() != "simulator"))
def test_an_unknown_server_with_one_configured_signs_in_to_that_one(
    client: Client, whm: Simulator, server: str
) -> None:
    fresh_attempt(whm)
    # One server: nothing to choose, so a forged choice cannot pick another.
    response = form_post(client, SIGN_IN, sign_in_data(*DEMO_ROOT) | {"server": server})

    assert response.status_code == 302
    assert "on <strong>simulator</strong>" in client.get("/tokens/").text


@OVER_HTTP
@given(
    server=st.text(FORM_CHARS, max_size=30).filter(
        lambda s: s.strip() not in {"simulator", "other"}
    )
)
def test_an_unknown_server_among_several_is_refused_on_its_field_without_calling_any(
    client: Client, whm: Simulator, settings, server: str
) -> None:
    settings.WHM_SERVERS = {"other": "http://127.0.0.1:9", "simulator": whm.url}
    fresh_attempt(whm)

    response = form_post(client, SIGN_IN, sign_in_data(*DEMO_ROOT) | {"server": server})

    assert response.status_code == 422
    assert field_errors(response.text, "server")
    assert input_value(response.text, "username") == "root"
    assert whm.requests() == []


# --- the method radios -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["", "Password", "cookie", "token\x00"])
def test_an_unknown_sign_in_method_is_named_on_its_field(
    client: Client, whm: Simulator, method: str
) -> None:
    response = form_post(client, SIGN_IN, sign_in_data(*DEMO_ROOT) | {"method": method})

    assert response.status_code == 422
    assert whm.requests() == []
    assert field_errors(response.text, "method")


def test_missing_fields_are_each_named_and_nothing_is_sent(client: Client, whm: Simulator) -> None:
    response = form_post(client, SIGN_IN, {"method": "token"})

    assert response.status_code == 422
    assert field_errors(response.text, "username") == ["This field is required."]
    assert field_errors(response.text, "api_token") == ["Enter the API token."]
    assert "Traceback" not in text(response.text)
    assert whm.requests() == []
