"""cPanel's port: UAPI Tokens (list, create_full_access, rename, revoke) and Email, cPanel's two
ways to sign in, the `apitokens` feature, and what a cPanel token may reach, over real HTTP."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.helpers import (
    ACCESS_DENIED,
    DEMO_RESELLER,
    DEMO_ROOT,
    SYSTEM_TRUST,
    cpanel_call,
    get,
    post,
)
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator

DAY = 86400
RESULT_KEYS = {"status", "errors", "messages", "warnings", "metadata", "data"}
DEMO_CPANEL_TOKENS = {
    "deploy-script",
    "wordpress-sync",
    "site-monitor",
    "old-backup",
    "stats-reader",
}
TOKEN_SCOPE = "Token authentication allows access to UAPI or API 2 calls only.\n"
BAD_NAME = (
    "“{}” is not a valid API token name. An API token name must not be longer than 50 "
    "characters and may only contain the following characters: a-z A-Z 0-9 _ -"
)


def demo_account(user: str) -> tuple[str, str]:
    account = next(a for a in DEMO_CPANEL_ACCOUNTS if a.user == user)
    return account.user, account.password


ACME = demo_account("acme")  # root's, with apitokens
BAKERY = demo_account("bakery")  # root's, without apitokens
GARAGE = demo_account("garage")  # the reseller's


@dataclass
class Uapi:
    """UAPI calls to the simulator's cPanel port as one caller."""

    http: httpx.Client

    def call(
        self, module: str, function: str, params: dict[str, str] | None = None, *, method="POST"
    ) -> httpx.Response:
        url = f"/execute/{module}/{function}"
        if method == "GET":
            return self.http.get(url, params=params)
        return self.http.post(url, data=params)

    def result(self, module: str, function: str, params: dict[str, str] | None = None) -> Any:
        response = self.call(module, function, params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == RESULT_KEYS, body
        return body

    def ok(self, module: str, function: str, params: dict[str, str] | None = None) -> Any:
        body = self.result(module, function, params)
        assert body["status"] == 1, body
        assert body["errors"] is None
        return body["data"]

    def errors(self, module: str, function: str, params: dict[str, str] | None = None) -> list:
        body = self.result(module, function, params)
        assert body["status"] == 0, body
        assert body["data"] is None
        return body["errors"]


@pytest.fixture
def cpanel(simulator: Simulator) -> Iterator[Any]:
    """Open UAPI callers: cpanel(password=(user, pw)) or cpanel(token=(user, secret))."""
    clients: list[httpx.Client] = []

    def open_caller(
        *, password: tuple[str, str] | None = None, token: tuple[str, str] | None = None
    ) -> Uapi:
        headers = {"Authorization": f"cpanel {token[0]}:{token[1]}"} if token else {}
        client = httpx.Client(
            base_url=simulator.cpanel_url, auth=password, headers=headers, timeout=5
        )
        clients.append(client)
        return Uapi(client)

    yield open_caller
    for client in clients:
        client.close()


@pytest.fixture
def acme(cpanel: Any) -> Uapi:
    return cpanel(password=ACME)


def new_token(caller: Uapi, name: str = "new-token", **params: str) -> str:
    return caller.ok("Tokens", "create_full_access", {"name": name, **params})["token"]


# --- Tokens::list ------------------------------------------------------------------------------


def test_list_is_the_bare_result_with_each_token_in_cpanels_shape(acme: Uapi) -> None:
    body = acme.result("Tokens", "list")
    assert body["status"] == 1
    # An array result is transformed (filters, sorts, paging) and says so (Cpanel/API.pm:416).
    assert body["metadata"] == {"transformed": 1}
    assert (body["errors"], body["messages"], body["warnings"]) == (None, None, None)
    tokens = {token["name"]: token for token in body["data"]}
    assert set(tokens) == DEMO_CPANEL_TOKENS
    assert tokens["deploy-script"] == {
        "name": "deploy-script",
        "create_time": tokens["deploy-script"]["create_time"],
        "expires_at": None,
        "has_full_access": 1,
        "features": [],
    }
    assert tokens["stats-reader"]["readonly"] == 1
    assert tokens["stats-reader"]["has_full_access"] == 1
    assert all("readonly" not in t for n, t in tokens.items() if n != "stats-reader")


def test_demo_tokens_are_in_mixed_states(acme: Uapi) -> None:
    now = time.time()
    expiries = [token["expires_at"] for token in acme.ok("Tokens", "list")]
    assert None in expiries
    assert any(e is not None and e < now for e in expiries)
    assert any(e is not None and now < e < now + 7 * DAY for e in expiries)
    assert any(e is not None and e > now + 30 * DAY for e in expiries)


def test_list_answers_get_as_well_as_post(acme: Uapi) -> None:
    assert acme.call("Tokens", "list", method="GET").json() == acme.result("Tokens", "list")


# --- Tokens::create_full_access ----------------------------------------------------------------


def test_create_returns_only_create_time_and_a_secret_shown_once(acme: Uapi) -> None:
    before = int(time.time())
    body = acme.result("Tokens", "create_full_access", {"name": "ci-deploy"})
    data = body["data"]
    assert set(data) == {"create_time", "token"}
    # Only an array result is transformed (Cpanel/API.pm:267).
    assert body["metadata"] == {}
    assert before <= data["create_time"] <= time.time()
    assert len(data["token"]) == 32
    assert data["token"].isalnum()
    assert data["token"] == data["token"].upper()
    listed = {t["name"]: t for t in acme.ok("Tokens", "list")}["ci-deploy"]
    assert listed == {
        "name": "ci-deploy",
        "create_time": data["create_time"],
        "expires_at": None,
        "has_full_access": 1,
        "features": [],
    }
    assert data["token"] not in str(acme.ok("Tokens", "list"))


def test_create_with_a_future_expiry_keeps_it(acme: Uapi) -> None:
    expires_at = int(time.time()) + 30 * DAY
    acme.ok("Tokens", "create_full_access", {"name": "monthly", "expires_at": str(expires_at)})
    listed = {t["name"]: t for t in acme.ok("Tokens", "list")}["monthly"]
    assert listed["expires_at"] == expires_at


@pytest.mark.parametrize(("expires_at", "listed"), [("0", None), ("", "")])
def test_create_with_zero_or_empty_expiry_never_expires(
    acme: Uapi, simulator: Simulator, expires_at: str, listed: str | None
) -> None:
    # An empty value skips the check and is kept as it came (Validate.pm:104-105).
    secret = acme.ok("Tokens", "create_full_access", {"name": "forever", "expires_at": expires_at})[
        "token"
    ]
    assert {t["name"]: t for t in acme.ok("Tokens", "list")}["forever"]["expires_at"] == listed
    assert cpanel_call(simulator, "acme", secret).json()["status"] == 1


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "Provide the “name” argument."),
        ({"name": ""}, "The “name” argument cannot be empty."),
        ({"name": "has space"}, BAD_NAME.format("has space")),
        ({"name": "x" * 51}, BAD_NAME.format("x" * 51)),
        ({"name": "dots.not.allowed"}, BAD_NAME.format("dots.not.allowed")),
        ({"name": "ok", "expires_at": "soon"}, "“soon” is not a valid UNIX epoch timestamp."),
        (
            {"name": "ok", "expires_at": "1609372800"},
            "The “1609372800” value must be a future date.",
        ),
        (
            {"name": "deploy-script"},
            "A conflicting API token with the name “deploy-script” already exists.",
        ),
    ],
)
def test_create_refusals_in_cpanels_words(acme: Uapi, params: dict, error: str) -> None:
    assert acme.errors("Tokens", "create_full_access", params) == [error]


def test_create_accepts_a_name_of_exactly_50_allowed_characters(acme: Uapi) -> None:
    name = "aZ09_-" * 8 + "ab"
    new_token(acme, name)
    assert name in {t["name"] for t in acme.ok("Tokens", "list")}


def test_names_are_unique_per_account_not_per_server(cpanel: Any) -> None:
    garage = cpanel(password=GARAGE)
    # acme and garage both hold a "deploy-script"; each may make "shared-name" once.
    new_token(cpanel(password=ACME), "shared-name")
    new_token(garage, "shared-name")
    assert garage.errors("Tokens", "create_full_access", {"name": "shared-name"}) == [
        "A conflicting API token with the name “shared-name” already exists."
    ]


def test_an_account_sees_only_its_own_tokens(cpanel: Any) -> None:
    new_token(cpanel(password=ACME), "acme-only")
    assert "acme-only" not in {t["name"] for t in cpanel(password=GARAGE).ok("Tokens", "list")}


# --- Tokens::rename ----------------------------------------------------------------------------


def test_rename_keeps_the_token_and_its_secret(acme: Uapi, cpanel: Any) -> None:
    secret = new_token(acme, "before")
    assert acme.ok("Tokens", "rename", {"name": "before", "new_name": "after"}) is None
    names = {t["name"] for t in acme.ok("Tokens", "list")}
    assert "after" in names
    assert "before" not in names
    assert cpanel(token=(ACME[0], secret)).ok("Tokens", "list")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"name": "deploy-script"}, "Provide the “new_name” argument."),
        ({"new_name": "x"}, "Provide the “name” argument."),
        ({"name": "deploy-script", "new_name": ""}, "The “new_name” argument cannot be empty."),
        (
            {"name": "deploy-script", "new_name": "deploy-script"},
            "“new_name” must be a different value from “name”.",
        ),
        ({"name": "nope", "new_name": "bad name"}, "The API token “nope” does not exist."),
        ({"name": "deploy-script", "new_name": "bad name"}, BAD_NAME.format("bad name")),
        (
            {"name": "deploy-script", "new_name": "old-backup"},
            "An API token with the name “old-backup” already exists.",
        ),
    ],
)
def test_rename_refusals_in_cpanels_words(acme: Uapi, params: dict, error: str) -> None:
    assert acme.errors("Tokens", "rename", params) == [error]


# --- Tokens::revoke ----------------------------------------------------------------------------


def test_revoke_answers_1_and_the_token_stops_working(acme: Uapi, cpanel: Any) -> None:
    secret = new_token(acme, "short-lived")
    holder = cpanel(token=(ACME[0], secret))
    assert holder.ok("Tokens", "list")
    assert acme.ok("Tokens", "revoke", {"name": "short-lived"}) == 1
    assert "short-lived" not in {t["name"] for t in acme.ok("Tokens", "list")}
    refused = holder.call("Tokens", "list")
    assert (refused.status_code, refused.text) == (403, ACCESS_DENIED)


def test_revoke_of_an_unknown_name_succeeds_with_0_as_cpanel_does(acme: Uapi) -> None:
    before = acme.ok("Tokens", "list")
    assert acme.ok("Tokens", "revoke", {"name": "no-such-token"}) == 0
    assert acme.ok("Tokens", "list") == before


def test_revoke_without_a_name_is_refused(acme: Uapi) -> None:
    assert acme.errors("Tokens", "revoke") == ["Provide the “name” argument."]


# --- signing in --------------------------------------------------------------------------------


def test_a_token_works_as_cpanel_user_token_and_the_scheme_ignores_case(
    acme: Uapi, simulator: Simulator
) -> None:
    secret = new_token(acme)
    for word in ("cpanel", "CPANEL", "cPanel"):
        response = get(
            f"{simulator.cpanel_url}/execute/Tokens/list",
            headers={"Authorization": f"{word} {ACME[0]}:{secret}"},
        )
        assert response.json()["status"] == 1


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "cpanel acme:WRONGWRONGWRONGWRONGWRONGWRONG12",
        "cpanel acme",
        "cpanel garage:{secret}",  # acme's token under another account's name
        "whm acme:{secret}",
        "Basic YWNtZTp3cm9uZw==",  # acme:wrong
        "Basic !!!",
        "Bearer {secret}",
    ],
)
def test_refusals_say_access_denied_as_whm_does(
    acme: Uapi, simulator: Simulator, authorization: str | None
) -> None:
    secret = new_token(acme)
    headers = {"Authorization": authorization.format(secret=secret)} if authorization else {}
    response = get(f"{simulator.cpanel_url}/execute/Tokens/list", headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/plain"
    assert response.text == ACCESS_DENIED


def test_an_expired_token_is_refused_like_an_unknown_one(simulator: Simulator) -> None:
    secret = simulator.store.add_cpanel_token(
        "acme", "lapsed", create_time=int(time.time()) - DAY, expires_at=int(time.time()) - 1
    )
    response = get(
        f"{simulator.cpanel_url}/execute/Tokens/list",
        headers={"Authorization": f"cpanel acme:{secret}"},
    )
    assert (response.status_code, response.text) == (403, ACCESS_DENIED)


def test_whm_credentials_do_not_open_cpanel(simulator: Simulator) -> None:
    response = get(f"{simulator.cpanel_url}/execute/Tokens/list", auth=DEMO_ROOT)
    assert (response.status_code, response.text) == (403, ACCESS_DENIED)


def test_a_suspended_account_has_no_cpanel_password(simulator: Simulator) -> None:
    suspended = {a["user"] for a in listaccts(simulator) if a["suspended"]}
    assert suspended
    assert not suspended & {a.user for a in DEMO_CPANEL_ACCOUNTS}


def listaccts(simulator: Simulator) -> list[dict]:
    url = f"{simulator.url}/json-api/listaccts?api.version=1"
    return get(url, auth=DEMO_ROOT).json()["data"]["acct"]


# --- the apitokens feature ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "params"),
    [
        ("list", {}),
        ("create_full_access", {"name": "x"}),
        ("rename", {"name": "a", "new_name": "b"}),
        ("revoke", {"name": "a"}),
    ],
)
def test_an_account_without_apitokens_is_refused_every_tokens_call(
    cpanel: Any, function: str, params: dict
) -> None:
    bakery = cpanel(password=BAKERY)
    assert bakery.errors("Tokens", function, params) == ["You do not have the feature “apitokens”."]


def test_an_account_without_apitokens_still_reaches_other_modules(cpanel: Any) -> None:
    assert cpanel(password=BAKERY).ok("Email", "list_pops")


# --- what a cPanel token may reach -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/json-api/listaccts?api.version=1",
        "/json-api/api_token_list?api.version=1",
        "/json-api/uapi_cpanel?api.version=1&cpanel.user=acme&cpanel.module=Tokens&cpanel.function=list",
        "/",
        "/cpsess0000000000/frontend/jupiter/index.html",
    ],
)
def test_a_cpanel_token_gets_the_scope_refusal_on_whms_port(
    acme: Uapi, simulator: Simulator, path: str
) -> None:
    secret = new_token(acme)
    response = get(
        f"{simulator.url}{path}", headers={"Authorization": f"cpanel {ACME[0]}:{secret}"}
    )
    assert response.status_code == 403
    assert response.text == TOKEN_SCOPE


@pytest.mark.parametrize(
    "path", ["/json-api/listaccts?api.version=1", "/frontend/jupiter/index.html"]
)
def test_a_cpanel_token_gets_the_scope_refusal_off_uapi_on_cpanels_port(
    acme: Uapi, simulator: Simulator, path: str
) -> None:
    secret = new_token(acme)
    response = get(
        f"{simulator.cpanel_url}{path}", headers={"Authorization": f"cpanel {ACME[0]}:{secret}"}
    )
    assert (response.status_code, response.text) == (403, TOKEN_SCOPE)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (
            "/execute/Tokens",
            "Failed to load module “”: “Cpanel::API::” is not a valid name for a Perl module.",
        ),
        ("/execute/Tokens/list/extra", "Illegal function name: list/extra"),
    ],
)
def test_a_cpanel_token_is_admitted_to_any_execute_path(
    acme: Uapi, simulator: Simulator, path: str, error: str
) -> None:
    # cpsrvd admits a token to every ./execute/ path (Auth/HTTP.pm:65); UAPI judges the rest,
    # reading the names as Handlers/Api.pm:171 does.
    response = cpanel_call(simulator, "acme", new_token(acme), path)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["errors"]) == (0, [error])


@pytest.mark.parametrize("port", ["whm", "cpanel"])
@pytest.mark.parametrize("header", ["cpanel acme:", "cpanel :ABC", "cpanel acme"])
def test_a_cpanel_header_without_a_user_or_token_is_a_bad_password_on_any_path(
    simulator: Simulator, port: str, header: str
) -> None:
    # Auth/HTTP.pm's _handle calls badpass before the path is looked at.
    base = simulator.url if port == "whm" else simulator.cpanel_url
    for path in ["/execute/Tokens/list", "/json-api/listaccts?api.version=1"]:
        response = get(f"{base}{path}", headers={"Authorization": header})
        assert (response.status_code, response.text) == (403, ACCESS_DENIED)


def test_the_scope_refusal_comes_before_the_token_is_checked(simulator: Simulator) -> None:
    response = get(
        f"{simulator.url}/json-api/listaccts?api.version=1",
        headers={"Authorization": "cpanel nobody:NOTATOKEN"},
    )
    assert (response.status_code, response.text) == (403, TOKEN_SCOPE)


def test_a_cpanel_token_reaches_cpanel_api_2_but_not_api_1(
    acme: Uapi, simulator: Simulator
) -> None:
    secret = new_token(acme)
    acme.ok("Email", "add_pop", {"email": "info", "password": "12345luggage"})
    headers = {"Authorization": f"cpanel {ACME[0]}:{secret}"}
    url = f"{simulator.cpanel_url}/json-api/cpanel"
    api_2 = {"cpanel_jsonapi_module": "Email", "cpanel_jsonapi_func": "listpops"}
    response = get(url, params={**api_2, "cpanel_jsonapi_apiversion": "2"}, headers=headers)
    assert response.status_code == 200
    result = response.json()["cpanelresult"]
    assert (result["apiversion"], result["event"]) == (2, {"result": 1})
    assert result["data"] == [{"email": "info@acme.example", "login": "info@acme.example"}]
    api_1 = get(url, params={**api_2, "cpanel_jsonapi_apiversion": "1"}, headers=headers)
    assert (api_1.status_code, api_1.text) == (403, TOKEN_SCOPE)


def test_a_password_reaches_cpanels_port_but_not_whms_api_there(simulator: Simulator) -> None:
    response = get(f"{simulator.cpanel_url}/json-api/listaccts?api.version=1", auth=ACME)
    assert response.status_code == 404


def test_an_unknown_uapi_function_is_a_status_0_result_in_cpanels_words(acme: Uapi) -> None:
    # Cpanel/API.pm:377.
    assert acme.errors("Tokens", "create_limited", {"name": "x"}) == [
        "The system could not find the function “create_limited” in the module “Tokens”."
    ]


def test_an_unknown_uapi_module_is_a_status_0_result_in_cpanels_words(acme: Uapi) -> None:
    # Cpanel/API.pm:342 around Cpanel::Exception::ModuleLoadError and perl's own message.
    (error,) = acme.errors("Nosuch", "list")
    assert error.startswith(
        "Failed to load module “Nosuch”: The system failed to load the module "
        "“Cpanel::API::Nosuch” because of an error: Can't locate Cpanel/API/Nosuch.pm in @INC "
        "(you may need to install the Cpanel::API::Nosuch module) (@INC contains: "
    )
    assert error.endswith("BEGIN failed--compilation aborted at (eval 1) line 1.\n")


@pytest.mark.parametrize(
    ("module", "function", "error"),
    [
        ("Tokens", "_private", "Illegal function name: _private"),
        ("Tokens", "li-st", "Illegal function name: li-st"),
        (
            "To-kens",
            "list",
            (
                "Failed to load module “To-kens”: "
                "“Cpanel::API::To-kens” is not a valid name for a Perl module."
            ),
        ),
        (
            "To'kens",
            "list",
            (
                "Failed to load module “To'kens”: "
                "Module names with single-quotes are prohibited. (Cpanel::API::To'kens)"
            ),
        ),
    ],
)
def test_names_cpanel_will_not_look_up_are_refused_in_its_words(
    acme: Uapi, module: str, function: str, error: str
) -> None:
    assert acme.errors(module, function) == [error]


def test_the_feature_is_checked_before_the_function_exists(cpanel: Any) -> None:
    # Cpanel::API::execute checks the module's _needs_feature before it looks for the function.
    assert cpanel(password=BAKERY).errors("Tokens", "create_limited") == [
        "You do not have the feature “apitokens”."
    ]


READ_ONLY = "This API token is read-only. It cannot run this function."


def test_create_full_access_with_readonly_1_makes_a_read_only_token(
    acme: Uapi, cpanel: Any
) -> None:
    secret = new_token(acme, "reader", readonly="1")
    listed = {t["name"]: t for t in acme.ok("Tokens", "list")}["reader"]
    # 11.137's spec: readonly is orthogonal to has_full_access, present only when 1.
    assert (listed["has_full_access"], listed["readonly"]) == (1, 1)
    reader = cpanel(token=("acme", secret))
    assert {t["name"] for t in reader.ok("Tokens", "list")} >= {"reader"}
    for function, params in [
        ("create_full_access", {"name": "more"}),
        ("rename", {"name": "reader", "new_name": "writer"}),
        ("revoke", {"name": "deploy-script"}),
    ]:
        assert reader.errors("Tokens", function, params) == [READ_ONLY]
    assert {t["name"] for t in acme.ok("Tokens", "list")} == DEMO_CPANEL_TOKENS | {"reader"}


@pytest.mark.parametrize("readonly", ["0", ""])
def test_create_full_access_with_readonly_0_or_empty_makes_an_ordinary_token(
    acme: Uapi, readonly: str
) -> None:
    new_token(acme, "writer", readonly=readonly)
    assert "readonly" not in {t["name"]: t for t in acme.ok("Tokens", "list")}["writer"]


def test_a_read_only_token_may_read_but_not_write(simulator: Simulator, cpanel: Any) -> None:
    secret = simulator.store.add_cpanel_token(
        "acme", "reader", create_time=int(time.time()), expires_at=None, read_only=True
    )
    reader = cpanel(token=("acme", secret))
    assert reader.ok("Tokens", "list")
    assert reader.errors("Tokens", "create_full_access", {"name": "more"}) == [
        "This API token is read-only. It cannot run this function."
    ]
    assert reader.errors("Email", "add_pop", {"email": "a", "password": "b"}) == [
        "This API token is read-only. It cannot run this function."
    ]


# --- Email, and seed 004's own curl ------------------------------------------------------------


def test_seed_004s_curl_works_but_for_host_port_and_token(acme: Uapi, simulator: Simulator) -> None:
    secret = new_token(acme, "seed-004")
    host_port = simulator.cpanel_url.removeprefix("http://")
    completed = subprocess.run(
        [
            "curl",
            "--silent",
            f"-HAuthorization: cpanel {ACME[0]}:{secret}",
            f"http://{host_port}/execute/Email/add_pop?email=newuser&password=12345luggage",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert '"status":1' in completed.stdout
    assert '"data":"newuser+acme.example"' in completed.stdout
    boxes = acme.ok("Email", "list_pops")
    assert {
        "email": "newuser@acme.example",
        "login": "newuser@acme.example",
        "suspended_incoming": 0,
        "suspended_login": 0,
    } in boxes
    assert {"email": "acme", "login": "Main Account"} in boxes


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"password": "x"}, "Provide the “email” argument."),
        ({"email": "a"}, "Provide the “password” argument."),
        (
            {"email": "a@other.example", "password": "x"},
            "The domain “other.example” does not belong to this account.",
        ),
        (
            {"email": "@acme.example", "password": "x"},
            "“@acme.example” is not a valid email address.",
        ),
    ],
)
def test_add_pop_refusals(acme: Uapi, params: dict, error: str) -> None:
    assert acme.errors("Email", "add_pop", params) == [error]


def test_add_pop_twice_is_refused(acme: Uapi) -> None:
    acme.ok("Email", "add_pop", {"email": "sales@acme.example", "password": "x"})
    assert acme.errors("Email", "add_pop", {"email": "sales", "password": "x"}) == [
        "The account sales@acme.example already exists!"
    ]


# --- the log, faults, TLS, reset ---------------------------------------------------------------


def test_uapi_calls_are_logged_with_secrets_redacted(acme: Uapi, simulator: Simulator) -> None:
    simulator.clear_requests()
    new_token(acme, "logged")
    acme.ok("Email", "add_pop", {"email": "x", "password": "hunter2"})
    created, added = simulator.requests()
    assert (created.function, created.user, created.auth) == (
        "Tokens::create_full_access",
        "acme",
        "password",
    )
    assert created.params == {"name": "logged"}
    assert (created.status, created.result) == (200, 1)
    assert added.params["password"] == "[redacted]"


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        ("http-500", lambda r: r.status_code == 500),
        ("garbage", lambda r: r.status_code == 200 and not r.text.startswith('{"')),
        ("storage-error", lambda r: r.json()["status"] == 0 and r.json()["errors"]),
        ("wrong-shape", lambda r: "status" not in r.json() and "result" in r.json()),
    ],
)
def test_faults_reach_cpanels_port(acme: Uapi, simulator: Simulator, mode: str, check) -> None:
    simulator.set_fault(mode, functions=["Tokens::list"], count=1)
    assert check(acme.call("Tokens", "list"))
    assert acme.ok("Tokens", "list")


def test_truncated_fault_cuts_a_uapi_body(acme: Uapi, simulator: Simulator) -> None:
    simulator.set_fault("truncated", functions=["Tokens::list"], count=1)
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        acme.call("Tokens", "list").json()


def test_a_dropped_connection_on_cpanels_port(acme: Uapi, simulator: Simulator) -> None:
    simulator.set_fault("close", functions=["Tokens::revoke"], count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        acme.call("Tokens", "revoke", {"name": "deploy-script"})


def test_cpanels_port_speaks_tls_with_the_same_ca(tls_simulator: Simulator) -> None:
    import ssl

    assert tls_simulator.cpanel_url.startswith("https://127.0.0.1:")
    assert tls_simulator.ca_path is not None
    trust = ssl.create_default_context(cafile=str(tls_simulator.ca_path))
    response = get(f"{tls_simulator.cpanel_url}/execute/Tokens/list", auth=ACME, verify=trust)
    assert response.json()["status"] == 1
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(f"{tls_simulator.cpanel_url}/execute/Tokens/list", auth=ACME, verify=SYSTEM_TRUST)


def test_reset_restores_cpanel_tokens_and_mailboxes(acme: Uapi, simulator: Simulator) -> None:
    seeded = acme.ok("Tokens", "list")
    new_token(acme, "extra")
    acme.ok("Tokens", "revoke", {"name": "deploy-script"})
    acme.ok("Email", "add_pop", {"email": "x", "password": "y"})
    simulator.reset()
    assert acme.ok("Tokens", "list") == seeded
    assert acme.ok("Email", "list_pops") == [{"email": "acme", "login": "Main Account"}]


def test_a_simulator_without_a_cpanel_port_serves_none(tmp_path) -> None:
    with Simulator(tmp_path) as simulator:
        assert not simulator.serves_cpanel
        with pytest.raises(RuntimeError, match="cpanel_port"):
            _ = simulator.cpanel_url
        assert post(f"{simulator.url}/execute/Tokens/list", auth=ACME).status_code == 404


def test_an_account_made_with_createacct_signs_in_with_its_password(
    simulator: Simulator,
) -> None:
    created = post(
        f"{simulator.url}/json-api/createacct?api.version=1",
        data={"username": "newshop", "domain": "newshop.example", "password": "shop-pass-1"},
        auth=DEMO_RESELLER,
    )
    assert created.json()["metadata"]["result"] == 1
    url = f"{simulator.cpanel_url}/execute/Tokens/list"
    assert get(url, auth=("newshop", "shop-pass-1")).json()["data"] == []
    simulator.reset()
    assert get(url, auth=("newshop", "shop-pass-1")).status_code == 403


def test_tokens_n_also_gives_the_first_cpanel_account_n_tokens(tmp_path) -> None:
    with Simulator(tmp_path, tokens=4, cpanel_port=0) as simulator:
        listed = get(f"{simulator.cpanel_url}/execute/Tokens/list", auth=ACME).json()["data"]
        assert sorted(t["name"] for t in listed) == [
            "expired-00002",
            "expiring-00003",
            "no-expiry-00001",
            "no-expiry-00004",
        ]
        now = time.time()
        assert all(t["create_time"] < now for t in listed)
        garage = get(f"{simulator.cpanel_url}/execute/Tokens/list", auth=GARAGE).json()["data"]
        assert {t["name"] for t in garage} == DEMO_CPANEL_TOKENS
