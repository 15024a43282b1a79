"""WhmClient acting as a reseller inside a WHM session (create_user_session, /cpsess…), against
the WHM simulator over real HTTP: the session, its refusals in WHM's words, the reseller's own
tokens listed, created, changed and revoked, an ended session named as such, nothing logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, calls
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmSessionExpired, WhmTLSError
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import Credential, SessionCookie, UserSession
from tokenui.whm.uapi import CpanelClient

ROOT_PASSWORD = Credential(DEMO_ROOT[0], DEMO_ROOT[1], "password")
RESELLER_PASSWORD = Credential(DEMO_RESELLER[0], DEMO_RESELLER[1], "password")
LEAST_PRIVILEGE = ("list-accts", "manage-api-tokens", "cpanel-api", "create-user-session")
RESELLERS_TOKENS = {
    "automation",
    "backup-script",
    "billing-bot",
    "monitoring",
    "old-migration",
    "reporting",
}

type Connect = Callable[..., WhmClient]


@pytest.fixture
def connect(simulator) -> Iterator[Connect]:
    """A WhmClient for the simulator; `sent` collects each request exactly as it left."""
    opened: list[httpx.Client] = []

    def _connect(
        credential: Credential | SessionCookie, *, sent: list[httpx.Request] | None = None
    ) -> WhmClient:
        http = make_http_client(simulator.url)
        if sent is not None:
            http.event_hooks = {"request": [sent.append], "response": []}
        opened.append(http)
        return WhmClient(http, credential)

    yield _connect
    for http in opened:
        http.close()


@pytest.fixture
def support(simulator) -> Credential:
    """Root's least-privilege token for support staff: no `all`, so not root to WHM."""
    secret = simulator.store.add_token(
        "root", "support", acls=LEAST_PRIVILEGE, create_time=1_700_000_000, expires_at=None
    )
    return Credential("root", secret, "token")


def test_create_user_session_returns_the_session_without_showing_its_secrets(
    connect: Connect,
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    session = connect(ROOT_PASSWORD).create_user_session("reseller")
    assert isinstance(session, UserSession)
    assert (session.user, session.service) == ("reseller", "whostmgrd")
    assert session.security_token.startswith("/cpsess")
    assert before + timedelta(minutes=5) <= session.expires <= before + timedelta(minutes=6)
    assert session.session.startswith("reseller:")
    assert session.session not in repr(session)
    assert "login" not in repr(session)


@pytest.mark.parametrize(
    ("credential", "user", "service", "reason"),
    [
        (
            RESELLER_PASSWORD,
            "acme",
            "cpaneld",
            "You do not have permission to create sessions for the user “acme”.",
        ),
        (
            ROOT_PASSWORD,
            "nobody",
            "whostmgrd",
            "You cannot create a session for the user “nobody” because they do not exist.",
        ),
        (
            ROOT_PASSWORD,
            "acme",
            "whostmgrd",
            (
                "You cannot create a “whostmgrd” session for the user “acme” because they are not "
                "a reseller."
            ),
        ),
    ],
)
def test_create_user_session_passes_whms_refusal_through(
    connect: Connect, credential: Credential, user: str, service: str, reason: str
) -> None:
    with pytest.raises(WhmApiError) as refused:
        connect(credential).create_user_session(user, service)
    assert refused.value.message == reason
    assert refused.value.function == "create_user_session"


def test_acting_as_the_reseller_lists_the_resellers_own_tokens(
    connect: Connect, support: Credential
) -> None:
    reseller = connect(support).acting_as("reseller")
    assert {token.name for token in reseller.list_tokens()} == RESELLERS_TOKENS
    assert {token.name for token in reseller.list_token_summaries()} == RESELLERS_TOKENS


def test_acting_as_the_reseller_creates_updates_and_revokes_its_tokens(
    connect: Connect, support: Credential, simulator
) -> None:
    reseller = connect(support).acting_as("reseller")
    created = reseller.create_token("made-by-support", acls=["list-accts"], expires=None)
    assert created.token.acls == frozenset({"list-accts"})
    renamed = reseller.update_token("made-by-support", new_name="support-renamed")
    assert renamed.name == "support-renamed"
    assert "support-renamed" in {token.name for token in simulator.store.tokens("reseller")}
    assert "support-renamed" not in {token.name for token in simulator.store.tokens("root")}
    reseller.revoke_tokens(["support-renamed"])
    assert {token.name for token in reseller.list_tokens()} == RESELLERS_TOKENS


def test_in_a_session_calls_go_under_its_prefix_with_its_cookie_and_no_authorization(
    connect: Connect, support: Credential
) -> None:
    session = connect(support).create_user_session("reseller")
    sent: list[httpx.Request] = []
    reseller = connect(support, sent=sent).in_session(session)
    reseller.my_privileges()
    login, call = sent
    assert login.method == "GET"
    assert login.url.path == f"{session.security_token}/login/"
    assert "authorization" not in login.headers
    assert call.url.path == f"{session.security_token}/json-api/myprivs"
    assert "authorization" not in call.headers
    assert call.headers["cookie"].startswith("whostmgrsession=reseller%3A")


def test_a_session_client_can_be_made_again_from_its_kept_cookie(
    connect: Connect, support: Credential
) -> None:
    cookie = connect(support).acting_as("reseller").session_cookie
    assert cookie is not None
    assert cookie.secret not in repr(cookie)
    assert {token.name for token in connect(cookie).list_tokens()} == RESELLERS_TOKENS
    assert connect(support).session_cookie is None


def test_a_used_sign_in_link_is_a_session_expired_error(
    connect: Connect, support: Credential
) -> None:
    client = connect(support)
    session = client.create_user_session("reseller")
    client.in_session(session)
    with pytest.raises(WhmSessionExpired) as ended:
        client.in_session(session)
    assert ended.value.user == "reseller"
    assert "Make a new session" in ended.value.message


def test_an_idled_out_session_is_a_session_expired_error_and_nothing_was_done(
    connect: Connect, support: Credential, simulator
) -> None:
    simulator.store.sessions.idle_limit_s = 0.2
    reseller = connect(support).acting_as("reseller")
    time.sleep(0.4)
    with pytest.raises(WhmSessionExpired) as ended:
        reseller.create_token("too-late", acls=["list-accts"], expires=None)
    assert isinstance(ended.value, WhmAuthError)
    assert not ended.value.may_have_run
    assert "too-late" not in {token.name for token in simulator.store.tokens("reseller")}
    # A new session goes on where the old one ended.
    simulator.store.sessions.idle_limit_s = 60
    fresh = connect(support).acting_as("reseller")
    fresh.create_token("in-time", acls=["list-accts"], expires=None)


def test_a_cookie_under_another_sessions_prefix_is_a_session_expired_error(
    connect: Connect, support: Credential
) -> None:
    client = connect(support)
    first = client.acting_as("reseller").session_cookie
    second = client.acting_as("reseller").session_cookie
    assert first is not None
    assert second is not None
    crossed = SessionCookie("reseller", second.security_token, first.secret)
    with pytest.raises(WhmSessionExpired):
        connect(crossed).list_tokens()


def test_inside_the_session_the_reseller_holds_its_own_privileges(
    connect: Connect, support: Credential
) -> None:
    privileges = connect(support).acting_as("reseller").my_privileges()
    assert privileges.holds("create-acct")
    assert not privileges.holds("all")


def test_only_a_whostmgrd_session_is_entered(connect: Connect) -> None:
    client = connect(ROOT_PASSWORD)
    with pytest.raises(ValueError, match="whostmgrd"):
        client.in_session(client.create_user_session("acme", "cpaneld"))


def test_nothing_of_the_session_is_logged(
    connect: Connect, support: Credential, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(support)
    session = client.create_user_session("reseller")
    reseller = client.in_session(session)
    reseller.list_tokens()
    cookie = reseller.session_cookie
    assert cookie is not None
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tokenui.whm"))
    assert "create_user_session sign-in" in ours
    # Nor in any other log of this process (the simulator's access log included).
    for secret in (session.session, cookie.secret, session.session.split(",")[1]):
        assert secret not in caplog.text


def test_acting_as_a_reseller_over_tls_verifies_whms_certificate(tls_simulator) -> None:
    trusted = make_http_client(tls_simulator.url, ca_bundle=str(tls_simulator.ca_path))
    untrusted = make_http_client(tls_simulator.url)
    try:
        reseller = WhmClient(trusted, ROOT_PASSWORD).acting_as("reseller")
        assert {token.name for token in reseller.list_tokens()} == RESELLERS_TOKENS
        with pytest.raises(WhmTLSError):
            WhmClient(untrusted, ROOT_PASSWORD).acting_as("reseller")
    finally:
        trusted.close()
        untrusted.close()


def test_a_read_in_a_lapsed_session_is_made_again_in_a_new_session(
    connect: Connect, support: Credential, simulator
) -> None:
    reseller = connect(support).acting_as("reseller")
    simulator.store.sessions.reset()  # WHM ends every session (as when they idle out)
    assert {token.name for token in reseller.list_tokens()} == RESELLERS_TOKENS
    assert len(calls(simulator, "create_user_session")) == 2


def test_a_change_in_a_lapsed_session_is_never_sent_again(
    connect: Connect, support: Credential, simulator
) -> None:
    reseller = connect(support).acting_as("reseller")
    simulator.store.sessions.reset()  # WHM ends every session (as when they idle out)
    with pytest.raises(WhmSessionExpired):
        reseller.revoke_tokens(["reporting"])
    assert len(calls(simulator, "create_user_session")) == 1
    assert len(calls(simulator, "api_token_revoke")) == 1
    assert "reporting" in {token.name for token in simulator.store.tokens("reseller")}


def test_a_read_of_an_accounts_cpanel_tokens_in_a_lapsed_session_is_made_again(
    connect: Connect, support: Credential, simulator
) -> None:
    account = next(a.user for a in simulator.store.accounts("reseller"))
    through = CpanelClient.through(connect(support).acting_as("reseller"), account)
    simulator.store.sessions.reset()  # WHM ends every session (as when they idle out)
    assert {token.name for token in through.list_tokens()} == {
        token.name for token in simulator.store.cpanel_tokens(account)
    }
    assert len(calls(simulator, "create_user_session")) == 2
