"""WHM API 1's uapi_cpanel: a UAPI function run as a cPanel account the caller owns, with the UAPI
result nested in WHM's envelope, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers import ACCESS_DENIED, Whm, get
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator, SimUser

RESULT_KEYS = {"status", "errors", "messages", "warnings", "metadata", "data"}
ROOTS_ACCOUNTS = ("acme", "bakery", "florist")
RESELLERS_ACCOUNTS = ("garage", "studio", "clinic")


def uapi(caller: Whm, user: str, module: str, function: str, **params: str) -> dict:
    """uapi_cpanel's whole reply, checked to be WHM's envelope."""
    response = caller.call(
        "uapi_cpanel",
        {"cpanel.user": user, "cpanel.module": module, "cpanel.function": function, **params},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"metadata", "data"}
    return body


def nested(caller: Whm, user: str, module: str, function: str, **params: str) -> dict:
    body = uapi(caller, user, module, function, **params)
    assert body["metadata"] == {
        "command": "uapi_cpanel",
        "reason": "OK",
        "result": 1,
        "version": 1,
    }
    assert set(body["data"]) == {"uapi"}
    assert set(body["data"]["uapi"]) == RESULT_KEYS
    return body["data"]["uapi"]


def test_the_uapi_result_is_nested_in_whms_envelope(root: Whm, simulator: Simulator) -> None:
    result = nested(root, "acme", "Tokens", "list")
    assert result["status"] == 1
    direct = get(
        f"{simulator.cpanel_url}/execute/Tokens/list",
        auth=next((a.user, a.password) for a in DEMO_CPANEL_ACCOUNTS if a.user == "acme"),
    ).json()
    assert result == direct


def test_create_rename_revoke_through_whm_act_on_the_accounts_tokens(
    reseller: Whm, simulator: Simulator
) -> None:
    created = nested(reseller, "garage", "Tokens", "create_full_access", name="support-made")
    secret = created["data"]["token"]
    listed = get(
        f"{simulator.cpanel_url}/execute/Tokens/list",
        headers={"Authorization": f"cpanel garage:{secret}"},
    ).json()
    assert "support-made" in {t["name"] for t in listed["data"]}
    renamed = nested(reseller, "garage", "Tokens", "rename", name="support-made", new_name="moved")
    assert (renamed["status"], renamed["data"]) == (1, None)
    assert nested(reseller, "garage", "Tokens", "revoke", name="moved")["data"] == 1
    assert nested(reseller, "garage", "Tokens", "revoke", name="moved")["data"] == 0


def test_a_failing_uapi_call_is_result_1_outside_and_status_0_inside(root: Whm) -> None:
    body = uapi(root, "acme", "Tokens", "rename", name="deploy-script", new_name="deploy-script")
    assert body["metadata"]["result"] == 1
    assert body["data"]["uapi"]["status"] == 0
    assert body["data"]["uapi"]["errors"] == ["“new_name” must be a different value from “name”."]


def test_an_account_without_apitokens_is_refused_inside_the_reply(root: Whm) -> None:
    result = nested(root, "bakery", "Tokens", "list")
    assert (result["status"], result["errors"]) == (0, ["You do not have the feature “apitokens”."])


@pytest.mark.parametrize("account", ROOTS_ACCOUNTS + RESELLERS_ACCOUNTS)
def test_root_owns_every_account(root: Whm, account: str) -> None:
    assert uapi(root, account, "Email", "list_pops")["metadata"]["result"] == 1


@pytest.mark.parametrize("account", RESELLERS_ACCOUNTS)
def test_a_reseller_reaches_its_own_accounts(reseller: Whm, account: str) -> None:
    assert nested(reseller, account, "Email", "list_pops")["status"] == 1


@pytest.mark.parametrize("account", [*ROOTS_ACCOUNTS, "nosuchuser"])
def test_a_reseller_is_refused_other_accounts_and_unknown_ones_alike(
    reseller: Whm, account: str, simulator: Simulator
) -> None:
    before = {a: len(simulator.store.cpanel_tokens(a)) for a in ROOTS_ACCOUNTS}
    assert reseller.reason(
        "uapi_cpanel",
        {
            "cpanel.user": account,
            "cpanel.module": "Tokens",
            "cpanel.function": "create_full_access",
            "name": "sneaky",
        },
    ) == (f"You do not have access to an account named “{account}”.")
    assert {a: len(simulator.store.cpanel_tokens(a)) for a in ROOTS_ACCOUNTS} == before


def test_accounts_made_by_createacct_belong_to_their_maker(reseller: Whm) -> None:
    reseller.ok("createacct", {"username": "newshop", "domain": "newshop.example"})
    result = nested(reseller, "newshop", "Tokens", "list")
    assert (result["status"], result["data"]) == (1, [])


@pytest.mark.parametrize("missing", ["cpanel.user", "cpanel.module", "cpanel.function"])
def test_each_cpanel_parameter_is_required_in_whms_words(root: Whm, missing: str) -> None:
    params = {"cpanel.user": "acme", "cpanel.module": "Tokens", "cpanel.function": "list"}
    del params[missing]
    # Utils.pm:46-55: MissingParameter names the API function it was raised for.
    assert root.reason("uapi_cpanel", params) == (
        f"Provide the “{missing}” parameter for the “Whostmgr::API::1::Cpanel::uapi_cpanel” "
        "function."
    )
    # Utils.pm:57-66: Cpanel::Exception::Empty.
    assert root.reason("uapi_cpanel", {**params, missing: ""}) == (
        f"The value of “{missing}” may not be empty."
    )


def test_root_is_told_an_account_does_not_exist(root: Whm) -> None:
    # Whostmgr::Authz::verify_account_access: hasroot() gets UserNotFound.
    params = {"cpanel.user": "nosuchuser", "cpanel.module": "Tokens", "cpanel.function": "list"}
    assert root.reason("uapi_cpanel", params) == "You do not have a user named “nosuchuser”."


def test_a_root_token_without_all_reaches_only_roots_own_accounts(
    root_token: Callable[..., Whm],
) -> None:
    # hasroot() is the `all` ACL of the call (Whostmgr/ACLS.pm), not the user's name.
    narrow = root_token("cpanel-api", name="narrow")
    assert nested(narrow, "acme", "Tokens", "list")["status"] == 1
    assert narrow.reason(
        "uapi_cpanel",
        {"cpanel.user": "garage", "cpanel.module": "Tokens", "cpanel.function": "list"},
    ) == ("You do not have access to an account named “garage”.")


def test_the_cpanel_parameters_are_not_passed_to_the_function(
    root: Whm, simulator: Simulator
) -> None:
    simulator.clear_requests()
    nested(root, "acme", "Tokens", "create_full_access", name="passed")
    (logged,) = simulator.requests()
    assert logged.function == "uapi_cpanel"
    assert "passed" in {t.name for t in simulator.store.cpanel_tokens("acme")}


def test_a_token_needs_cpanel_api_or_all(
    root_token: Callable[..., Whm], simulator: Simulator
) -> None:
    without = root_token("list-accts", name="no-cpanel-api").call(
        "uapi_cpanel",
        {"cpanel.user": "acme", "cpanel.module": "Tokens", "cpanel.function": "list"},
    )
    assert (without.status_code, without.text) == (403, ACCESS_DENIED)
    with_it = root_token("cpanel-api", name="with-cpanel-api")
    assert nested(with_it, "acme", "Tokens", "list")["status"] == 1
    full = root_token(name="full-access")
    assert nested(full, "acme", "Tokens", "list")["status"] == 1


def test_a_user_without_cpanel_api_is_refused(tmp_path) -> None:
    users = [SimUser("helper", "helper-pass", ("list-accts",))]
    with Simulator(tmp_path, users=users) as simulator:
        response = get(
            f"{simulator.url}/json-api/uapi_cpanel?api.version=1&cpanel.user=acme"
            "&cpanel.module=Tokens&cpanel.function=list",
            auth=("helper", "helper-pass"),
        )
        assert (response.status_code, response.text) == (403, ACCESS_DENIED)


def test_a_reseller_token_inherits_ownership_from_its_user(
    reseller: Whm, connect: Callable[..., Whm]
) -> None:
    secret = reseller.ok("api_token_create", {"token_name": "helpdesk", "acl-0": "cpanel-api"})[
        "token"
    ]
    helpdesk = connect(token=("reseller", secret))
    assert nested(helpdesk, "garage", "Tokens", "list")["status"] == 1
    assert helpdesk.reason(
        "uapi_cpanel",
        {"cpanel.user": "acme", "cpanel.module": "Tokens", "cpanel.function": "list"},
    ) == ("You do not have access to an account named “acme”.")


def test_uapi_cpanel_needs_api_version_1(root: Whm) -> None:
    response = root.http.get(
        "/json-api/uapi_cpanel",
        params={"cpanel.user": "acme", "cpanel.module": "Tokens", "cpanel.function": "list"},
    )
    assert response.json()["status"] == 0


@pytest.mark.parametrize("account", ["acme", "florist", "garage", "studio", "clinic"])
def test_every_demo_account_has_the_demo_cpanel_tokens(root: Whm, account: str) -> None:
    listed = nested(root, account, "Tokens", "list")["data"]
    assert {t["name"] for t in listed} == {
        "deploy-script",
        "wordpress-sync",
        "site-monitor",
        "old-backup",
        "stats-reader",
    }
