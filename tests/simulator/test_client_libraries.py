"""Functions that cPanel/WHM client libraries call, called as those libraries call them: WHM's
`cpanel` (pycpanel's `cpanel_api`), `suspendacct` and `removeacct` (cpanel-client's GETs with
api.version=1), and UAPI's Email::count_pops (cpanel-cli's sign-in check)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.helpers import ACCESS_DENIED, DEMO_RESELLER, DEMO_ROOT, Whm, cpanel_call
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator

PASSWORDS = {account.user: account.password for account in DEMO_CPANEL_ACCOUNTS}


def pycpanel_cpanel_api(
    simulator: Simulator, auth: tuple[str, str], module: str, function: str, user: str
) -> httpx.Response:
    """pycpanel's cpanel_api(module, function, user): a GET of json-api/cpanel, API 2, with
    no api.version, read as `json.loads(r.text)['cpanelresult']['data']`."""
    params = {
        "cpanel_jsonapi_user": user,
        "cpanel_jsonapi_module": module,
        "cpanel_jsonapi_func": function,
        "cpanel_jsonapi_apiversion": 2,
    }
    return httpx.get(f"{simulator.url}/json-api/cpanel", params=params, auth=auth)


def cpanel_client_query(
    simulator: Simulator, auth: tuple[str, str], resource: str, **kwargs: str
) -> dict:
    """cpanel-client's WHM.query(resource, kwargs): GET /json-api/RESOURCE with api.version=1."""
    response = httpx.get(
        f"{simulator.url}/json-api/{resource}", params={**kwargs, "api.version": 1}, auth=auth
    )
    assert response.status_code == 200, response.text
    return response.json()


def format_error(message: str) -> str:
    """Whostmgr::XMLUI::cPanel's _format_error for API 2."""
    return (
        f'{{"cpanelresult":{{"data":{{"reason":"{message}","result":"0"}},"type":"text",'
        f'"error":"{message}"}}\n}}'
    )


# --- cpanel (API 2 through WHM) ---------------------------------------------------------------


@pytest.mark.parametrize(("auth", "user"), [(DEMO_ROOT, "acme"), (DEMO_RESELLER, "garage")])
def test_cpanel_runs_api_2_as_an_account_the_caller_may_reach(
    simulator: Simulator, auth: tuple[str, str], user: str
) -> None:
    response = pycpanel_cpanel_api(simulator, auth, "Email", "listpops", user)

    assert response.status_code == 200
    assert isinstance(response.json()["cpanelresult"]["data"], list)
    assert response.json()["cpanelresult"]["event"] == {"result": 1}


def test_cpanel_lists_the_accounts_mailboxes(simulator: Simulator) -> None:
    simulator.store.add_pop("acme", "info", "acme.example")
    data = pycpanel_cpanel_api(simulator, DEMO_ROOT, "Email", "listpops", "acme").json()
    assert data["cpanelresult"]["data"] == [
        {"email": "info@acme.example", "login": "info@acme.example"}
    ]


@pytest.mark.parametrize(
    ("auth", "user", "message"),
    [
        (DEMO_RESELLER, "acme", "Access Denied to acme"),
        (DEMO_ROOT, "nosuchuser", "User parameter is invalid or was not supplied"),
        (
            DEMO_ROOT,
            "root",
            "The user “root” is not associated with a cPanel account and cannot call cPanel API 2",
        ),
    ],
)
def test_cpanel_refuses_in_whms_words_byte_for_byte(
    simulator: Simulator, auth: tuple[str, str], user: str, message: str
) -> None:
    response = pycpanel_cpanel_api(simulator, auth, "Email", "listpops", user)

    assert response.status_code == 200
    assert response.text == format_error(message)


def test_cpanel_needs_cpanel_api(root_token: Callable[..., Whm], simulator: Simulator) -> None:
    narrow = root_token("list-accts", name="no-cpanel-api")
    response = narrow.http.get(
        "/json-api/cpanel",
        params={
            "cpanel_jsonapi_user": "acme",
            "cpanel_jsonapi_module": "Email",
            "cpanel_jsonapi_func": "listpops",
            "cpanel_jsonapi_apiversion": "2",
        },
    )
    assert (response.status_code, response.text) == (403, ACCESS_DENIED)


# --- suspendacct and removeacct ---------------------------------------------------------------


def test_suspendacct_suspends_and_shuts_cpanel(simulator: Simulator) -> None:
    secret = simulator.store.add_cpanel_token("garage", "before", create_time=1, expires_at=None)
    assert cpanel_call(simulator, "garage", secret).status_code == 200

    body = cpanel_client_query(
        simulator, DEMO_RESELLER, "suspendacct", user="garage", reason="Overdue"
    )

    assert (body["metadata"]["result"], body["metadata"]["reason"]) == (1, "OK")
    assert body["metadata"]["output"]["raw"].endswith("garage's account has been suspended\n")
    listed = {a["user"]: a for a in _listaccts(simulator)}["garage"]
    assert (listed["suspended"], listed["suspendreason"]) == (1, "Overdue")
    assert cpanel_call(simulator, "garage", secret).status_code == 403
    refused = httpx.get(
        f"{simulator.cpanel_url}/execute/Tokens/list", auth=("garage", PASSWORDS["garage"])
    )
    assert refused.status_code == 403


def test_suspendacct_of_a_suspended_account_says_so_and_succeeds(simulator: Simulator) -> None:
    # scripts/suspendacct prints this and returns; the API reads that as success.
    cpanel_client_query(simulator, DEMO_ROOT, "suspendacct", user="acme", reason="first")
    body = cpanel_client_query(simulator, DEMO_ROOT, "suspendacct", user="acme", reason="again")

    assert body["metadata"]["result"] == 1
    assert body["metadata"]["output"]["raw"] == (
        "User 'acme' is already suspended. Provide '--force' argument if you wish to do this.\n"
    )
    assert {a["user"]: a for a in _listaccts(simulator)}["acme"]["suspendreason"] == "first"


@pytest.mark.parametrize(
    ("function", "acl"), [("suspendacct", "suspend-acct"), ("removeacct", "kill-acct")]
)
def test_account_functions_check_access_first_in_whms_words(
    root: Whm, root_token: Callable[..., Whm], simulator: Simulator, function: str, acl: str
) -> None:
    # Whostmgr::Authz::verify_account_access: root (the `all` ACL) hears that an account does
    # not exist; anyone else, a root token without `all` too, only that it is not theirs.
    narrow = root_token(acl, name="narrow")
    for user in ["garage", "nosuchuser"]:
        assert narrow.reason(function, {"user": user}) == (
            f"You do not have access to an account named “{user}”."
        )
    assert root.reason(function, {"user": "nosuchuser"}) == (
        "You do not have a user named “nosuchuser”."
    )
    assert {a["user"] for a in _listaccts(simulator)} >= {"garage"}


def test_removeacct_removes_the_account_and_its_tokens(simulator: Simulator) -> None:
    secret = simulator.store.add_cpanel_token("studio", "doomed", create_time=1, expires_at=None)

    body = cpanel_client_query(simulator, DEMO_ROOT, "removeacct", user="studio")

    assert (body["metadata"]["result"], body["metadata"]["reason"]) == (
        1,
        "studio account removed",
    )
    assert "studio" not in {a["user"] for a in _listaccts(simulator)}
    assert simulator.store.cpanel_tokens("studio") == []
    assert cpanel_call(simulator, "studio", secret).status_code == 403


def test_removeacct_takes_username_as_well_as_user(simulator: Simulator) -> None:
    body = cpanel_client_query(simulator, DEMO_ROOT, "removeacct", username="acme")
    assert body["metadata"]["reason"] == "acme account removed"


@pytest.mark.parametrize(
    ("function", "acl"), [("suspendacct", "suspend-acct"), ("removeacct", "kill-acct")]
)
def test_account_functions_need_their_privilege(
    root_token: Callable[..., Whm], function: str, acl: str
) -> None:
    without = root_token("list-accts", name="without").call(function, {"user": "acme"})
    assert (without.status_code, without.text) == (403, ACCESS_DENIED)
    assert root_token(acl, name="with").call(function, {"user": "acme"}).status_code == 200


# --- Email::count_pops ------------------------------------------------------------------------


def test_count_pops_answers_a_cpanel_token_with_the_number_of_mailboxes(
    simulator: Simulator,
) -> None:
    secret = simulator.store.add_cpanel_token("acme", "cli", create_time=1, expires_at=None)

    counted = cpanel_call(simulator, "acme", secret, "/execute/Email/count_pops").json()
    cpanel_call(simulator, "acme", secret, "/execute/Email/add_pop?email=new&password=x-1234")
    recounted = cpanel_call(simulator, "acme", secret, "/execute/Email/count_pops").json()

    assert (counted["status"], counted["data"], counted["metadata"]) == (1, 0, {})
    assert recounted["data"] == 1


def _listaccts(simulator: Simulator) -> list[dict]:
    return cpanel_client_query(simulator, DEMO_ROOT, "listaccts")["data"]["acct"]
