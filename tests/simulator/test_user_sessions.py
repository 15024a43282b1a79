"""WHM API 1's create_user_session and the /cpsess… sessions it makes, over real HTTP: who may ask
for whom (each refusal in WHM's words), the reply, the login URL that answers with the cookie once,
the cookie under its own prefix until it idles out, and hasroot() decided by a token's `all`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.helpers import ACCESS_DENIED, DEMO_ROOT, Whm, get
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator

# What root's support staff are given instead of root's password (../shared/whm-api.md).
LEAST_PRIVILEGE = ("list-accts", "manage-api-tokens", "cpanel-api", "create-user-session")
RESELLERS_TOKENS = {
    "automation",
    "backup-script",
    "billing-bot",
    "monitoring",
    "old-migration",
    "reporting",
}
SECURITY_TOKEN = re.compile(r"/cpsess[0-9]{10}")
LIST = {"api.version": "1"}


def session_reply(caller: Whm, **params: str) -> dict[str, Any]:
    """create_user_session's whole reply, checked to be WHM's envelope."""
    response = caller.call("create_user_session", params)
    assert response.status_code == 200, response.text
    return response.json()


def new_session(caller: Whm, user: str = "reseller", service: str = "whostmgrd") -> dict[str, Any]:
    body = session_reply(caller, user=user, service=service)
    assert body["metadata"]["result"] == 1, body
    return body["data"]


def refusal(caller: Whm, **params: str) -> str:
    body = session_reply(caller, **params)
    assert body["metadata"]["result"] == 0, body
    assert body["data"] == {}
    return body["metadata"]["reason"]


def signed_in(data: dict[str, Any], cookie: str = "whostmgrsession") -> str:
    """Use the session's URL once, as a browser would; the cookie it answers with."""
    response = get(data["url"])
    assert response.status_code == 307, response.text
    return response.cookies[cookie]


def in_session(simulator: Simulator, prefix: str, cookie: str, function: str) -> httpx.Response:
    """A WHM API 1 call under `prefix` with the session cookie and no Authorization header."""
    return get(
        f"{simulator.url}{prefix}/json-api/{function}",
        params=LIST,
        cookies={"whostmgrsession": cookie},
    )


# --- the reply ---------------------------------------------------------------------------------


def test_create_user_session_answers_with_a_login_url_on_whms_port(
    root: Whm, simulator: Simulator
) -> None:
    before = int(time.time())
    body = session_reply(root, user="reseller", service="whostmgrd")
    assert body["metadata"] == {
        "command": "create_user_session",
        "reason": "Created session",
        "result": 1,
        "version": 1,
    }
    data = body["data"]
    assert set(data) == {"cp_security_token", "expires", "service", "session", "url"}
    assert SECURITY_TOKEN.fullmatch(data["cp_security_token"])
    assert data["service"] == "whostmgrd"
    # Cpanel::Session: USER:RANDOM:create_user_session,HEX.
    assert re.fullmatch(
        r"reseller:[A-Za-z0-9_]{16}:create_user_session,[0-9a-f]{32}", data["session"]
    )
    # A short pre-authentication window: Cpanel::Config::Session's 5 minutes.
    assert before + 300 <= data["expires"] <= int(time.time()) + 300
    session = quote(data["session"], safe="")
    assert data["url"] == f"{simulator.url}{data['cp_security_token']}/login/?session={session}"


def test_create_user_session_carries_the_locale_into_the_reply_and_the_url(root: Whm) -> None:
    data = session_reply(root, user="reseller", service="whostmgrd", locale="fr")["data"]
    assert data["locale"] == "fr"
    assert "/login/?locale=fr&session=" in data["url"]


def test_a_cpaneld_session_points_at_cpanels_port(root: Whm, simulator: Simulator) -> None:
    data = new_session(root, "acme", "cpaneld")
    assert data["url"].startswith(f"{simulator.cpanel_url}{data['cp_security_token']}/login/?")


def test_every_session_has_its_own_security_token_and_session(root: Whm) -> None:
    first, second = new_session(root), new_session(root)
    assert first["cp_security_token"] != second["cp_security_token"]
    assert first["session"] != second["session"]


# --- who may ask for whom ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"service": "whostmgrd"}, "The “user” parameter is required."),
        ({"user": "reseller"}, "The “service” parameter is required."),
        (
            {"user": "reseller", "service": "ftpd"},
            (
                "The “service” parameter is invalid. The only supported services for this API call "
                "are “cpaneld”, “webmaild”, and “whostmgrd”."
            ),
        ),
        (
            {"user": "nobody", "service": "whostmgrd"},
            "You cannot create a session for the user “nobody” because they do not exist.",
        ),
        (
            {"user": "florist", "service": "cpaneld"},
            (
                "You cannot create a session for the user “florist” because they are currently "
                "suspended."
            ),
        ),
        (
            {"user": "root", "service": "cpaneld"},
            "You do not have permission to create sessions for the user “root”.",
        ),
        (
            {"user": "acme", "service": "whostmgrd"},
            (
                "You cannot create a “whostmgrd” session for the user “acme” because they are not "
                "a reseller."
            ),
        ),
        (
            {"user": "reseller", "service": "whostmgrd", "locale": "x" * 17},
            (
                f"The “{'x' * 17}” parameter is invalid. The “{'x' * 17}” parameter may not be "
                "longer than 16 characters."
            ),
        ),
        (
            {"user": "acme", "service": "cpaneld", "app": "bad/app"},
            "The requested application, bad/app, is invalid.",
        ),
        (
            {"user": "acme", "service": "cpaneld", "preferred_domain": "not a domain"},
            (
                "The “not a domain” parameter is invalid. The “not a domain” parameter must be a "
                "valid domain name or IP address."
            ),
        ),
        (
            {"user": "acme", "service": "cpaneld", "preferred_domain": "elsewhere.example.org"},
            (
                "The “elsewhere.example.org” parameter is invalid. The “elsewhere.example.org” "
                "parameter must be a domain or IP address on this server."
            ),
        ),
    ],
)
def test_create_user_session_refuses_in_whms_words(
    root: Whm, params: dict[str, str], reason: str
) -> None:
    assert refusal(root, **params) == reason


@pytest.mark.parametrize("user", ["acme", "root"])
def test_a_reseller_may_not_create_sessions_for_users_it_does_not_own(
    reseller: Whm, user: str
) -> None:
    reason = refusal(reseller, user=user, service="whostmgrd")
    assert reason == f"You do not have permission to create sessions for the user “{user}”."


def test_a_reseller_may_create_sessions_for_itself_and_its_own_accounts(reseller: Whm) -> None:
    assert new_session(reseller, "reseller", "whostmgrd")["service"] == "whostmgrd"
    assert new_session(reseller, "garage", "cpaneld")["service"] == "cpaneld"


def test_a_preferred_domain_on_this_server_names_the_urls_host(
    root: Whm, simulator: Simulator
) -> None:
    data = session_reply(root, user="acme", service="cpaneld", preferred_domain="acme.example")
    port = simulator.cpanel_url.rpartition(":")[2]
    assert data["data"]["url"].startswith(f"http://acme.example:{port}/cpsess")


def test_a_caller_without_create_user_session_is_denied(root_token: Callable[..., Whm]) -> None:
    response = root_token("list-accts").call(
        "create_user_session", {"user": "reseller", "service": "whostmgrd"}
    )
    assert (response.status_code, response.text) == (403, ACCESS_DENIED)


# --- the login URL and the cookie --------------------------------------------------------------


def test_the_login_url_answers_with_the_session_cookie_and_a_redirect(
    root: Whm, simulator: Simulator
) -> None:
    data = new_session(root)
    response = get(data["url"])
    assert response.status_code == 307
    assert response.headers["Location"] == f"{data['cp_security_token']}/"
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith(f"whostmgrsession={quote(data['session'], safe='')};")
    assert "HttpOnly" in set_cookie
    assert "path=/" in set_cookie


def test_inside_the_session_api_token_list_lists_the_resellers_own_tokens(
    root: Whm, simulator: Simulator
) -> None:
    data = new_session(root)
    response = in_session(simulator, data["cp_security_token"], signed_in(data), "api_token_list")
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]["tokens"]) == RESELLERS_TOKENS


def test_a_token_made_inside_the_session_is_the_resellers(root: Whm, simulator: Simulator) -> None:
    data = new_session(root)
    response = httpx.post(
        f"{simulator.url}{data['cp_security_token']}/json-api/api_token_create",
        params=LIST,
        data={"token_name": "made-by-support", "acl-0": "list-accts"},
        cookies={"whostmgrsession": signed_in(data)},
    )
    assert response.json()["metadata"]["result"] == 1, response.text
    assert "made-by-support" in {token.name for token in simulator.store.tokens("reseller")}
    assert "made-by-support" not in {token.name for token in simulator.store.tokens("root")}
    [logged] = [r for r in simulator.requests() if r.function == "api_token_create"]
    assert (logged.user, logged.auth) == ("reseller", "session")


def test_the_login_url_works_only_once(root: Whm) -> None:
    data = new_session(root)
    signed_in(data)
    assert get(data["url"]).status_code == 401


def test_the_login_url_stops_working_after_its_window(root: Whm, simulator: Simulator) -> None:
    simulator.store.sessions.login_window_s = 0.2
    data = new_session(root)
    time.sleep(0.4)
    assert get(data["url"]).status_code == 401


def test_a_session_idles_out_and_each_use_keeps_it_alive(root: Whm, simulator: Simulator) -> None:
    simulator.store.sessions.idle_limit_s = 1.5
    data = new_session(root)
    cookie, prefix = signed_in(data), data["cp_security_token"]
    # Longer in all than the idle limit, but never idle that long.
    for _ in range(4):
        time.sleep(0.5)
        assert in_session(simulator, prefix, cookie, "api_token_list").status_code == 200
    time.sleep(2)
    assert in_session(simulator, prefix, cookie, "api_token_list").status_code == 401


def test_a_prefix_that_is_not_the_sessions_own_is_refused(root: Whm, simulator: Simulator) -> None:
    data, other = new_session(root), new_session(root)
    cookie = signed_in(data)
    signed_in(other)
    for prefix in (other["cp_security_token"], "/cpsess0000000000"):
        response = in_session(simulator, prefix, cookie, "api_token_list")
        assert (response.status_code, response.text) == (401, ACCESS_DENIED)


def test_the_session_string_is_no_cookie_until_the_login_url_is_used(
    root: Whm, simulator: Simulator
) -> None:
    data = new_session(root)
    response = in_session(simulator, data["cp_security_token"], data["session"], "myprivs")
    assert response.status_code == 401


def test_a_call_under_a_prefix_without_a_cookie_is_refused(root: Whm, simulator: Simulator) -> None:
    response = get(f"{simulator.url}{new_session(root)['cp_security_token']}/json-api/myprivs")
    assert response.status_code == 401


def test_an_authorization_header_under_a_prefix_signs_in_as_itself(
    simulator: Simulator,
) -> None:
    # cpsrvd prefers the header; WHM's own examples call /cpsess…/json-api/ with one.
    response = get(
        f"{simulator.url}/cpsess1234567890/json-api/myprivs", params=LIST, auth=DEMO_ROOT
    )
    assert response.json()["data"]["privileges"][0]["all"] == 1


def test_the_request_log_never_holds_the_session(root: Whm, simulator: Simulator) -> None:
    data = new_session(root)
    signed_in(data)
    [login] = [r for r in simulator.requests() if r.function == "login"]
    assert login.params == {"session": "[redacted]"}
    assert (login.user, login.auth, login.status) == ("reseller", "session", 307)


def test_a_whostmgrd_session_opens_nothing_on_cpanels_port(root: Whm, simulator: Simulator) -> None:
    data = new_session(root)
    path = data["url"].removeprefix(simulator.url)
    assert get(f"{simulator.cpanel_url}{path}").status_code == 401


# --- cPanel's port: cpsession --------------------------------------------------------------------


def test_a_cpaneld_session_acts_as_the_account_in_uapi(root: Whm, simulator: Simulator) -> None:
    data = new_session(root, "acme", "cpaneld")
    cookie = signed_in(data, "cpsession")
    response = get(
        f"{simulator.cpanel_url}{data['cp_security_token']}/execute/Tokens/list",
        cookies={"cpsession": cookie},
    )
    direct = get(
        f"{simulator.cpanel_url}/execute/Tokens/list",
        auth=next((a.user, a.password) for a in DEMO_CPANEL_ACCOUNTS if a.user == "acme"),
    )
    assert response.json() == direct.json()
    wrong_prefix = get(
        f"{simulator.cpanel_url}/cpsess0000000000/execute/Tokens/list",
        cookies={"cpsession": cookie},
    )
    assert wrong_prefix.status_code == 401


# --- hasroot() is the `all` ACL of the call -------------------------------------------------------


def uapi_reason(caller: Whm, account: str) -> str | None:
    """uapi_cpanel Tokens::list on `account`: None when WHM ran it, else its reason."""
    params = {"cpanel.user": account, "cpanel.module": "Tokens", "cpanel.function": "list"}
    body = caller.call("uapi_cpanel", params).json()
    return None if body["metadata"]["result"] == 1 else body["metadata"]["reason"]


def test_a_root_token_without_all_is_not_root_to_ownership_checks(
    root_token: Callable[..., Whm],
) -> None:
    least = root_token(*LEAST_PRIVILEGE)
    assert uapi_reason(least, "acme") is None
    assert uapi_reason(least, "garage") == "You do not have access to an account named “garage”."
    assert refusal(least, user="garage", service="cpaneld") == (
        "You do not have permission to create sessions for the user “garage”."
    )
    # The reseller itself is root's own, so root's session for it is within reach.
    assert new_session(least)["service"] == "whostmgrd"


def test_a_root_token_with_all_is_root(root_token: Callable[..., Whm]) -> None:
    full = root_token()  # made without ACLs: everything root holds, `all` included
    assert uapi_reason(full, "garage") is None
    assert new_session(full, "garage", "cpaneld")["service"] == "cpaneld"


def test_inside_the_resellers_session_the_reseller_owns_its_accounts(
    root_token: Callable[..., Whm], simulator: Simulator
) -> None:
    data = new_session(root_token(*LEAST_PRIVILEGE))
    response = httpx.post(
        f"{simulator.url}{data['cp_security_token']}/json-api/uapi_cpanel",
        params=LIST,
        data={"cpanel.user": "garage", "cpanel.module": "Tokens", "cpanel.function": "list"},
        cookies={"whostmgrsession": signed_in(data)},
    )
    body = response.json()
    assert body["metadata"]["result"] == 1, body
    assert body["data"]["uapi"]["status"] == 1


def test_listaccts_with_a_root_token_without_all_still_lists_every_account(
    root_token: Callable[..., Whm],
) -> None:
    # Whostmgr/Accounts/List.pm: root itself with list-accts sees every account.
    assert len(root_token(*LEAST_PRIVILEGE).ok("listaccts")["acct"]) == 6


# --- a third-party client, unchanged --------------------------------------------------------------


def test_a_whambampy_style_client_logs_in_with_the_url_and_uses_the_cookie(
    simulator: Simulator,
) -> None:
    """As WHM client libraries do (WhamBamPy's session login; PHP modules the same): create the
    session with root's credentials, GET its URL without following the redirect, keep the
    cookie, and call under the security token with it."""
    with httpx.Client(base_url=simulator.url, auth=DEMO_ROOT, timeout=5) as whm:
        data = whm.get(
            "/json-api/create_user_session",
            params={"api.version": "1", "user": "reseller", "service": "whostmgrd"},
        ).json()["data"]
    with httpx.Client(timeout=5) as browser:
        login = browser.get(data["url"])
        assert login.status_code == 307
        cookie = login.cookies["whostmgrsession"]
        tokens = browser.get(
            f"{simulator.url}{data['cp_security_token']}/json-api/api_token_list",
            params={"api.version": "1"},
            headers={"Cookie": f"whostmgrsession={cookie}"},
        ).json()["data"]["tokens"]
    assert set(tokens) == RESELLERS_TOKENS


def test_a_client_that_follows_the_redirect_keeps_the_cookie_in_its_jar(
    simulator: Simulator, root: Whm
) -> None:
    data = new_session(root)
    with httpx.Client(follow_redirects=True, timeout=5) as browser:
        home = browser.get(data["url"])
        assert (home.status_code, "Signed in as reseller." in home.text) == (200, True)
        listed = browser.get(
            f"{simulator.url}{data['cp_security_token']}/json-api/api_token_list", params=LIST
        )
    assert set(listed.json()["data"]["tokens"]) == RESELLERS_TOKENS
