"""Authentication and privileges: who may call what, and the one 403 WHM gives for all refusals."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import httpx
import pytest

from tests.helpers import ACCESS_DENIED, DEMO_RESELLER, DEMO_ROOT, Whm, get, post
from tokenui.simulator import Simulator, SimUser


def assert_denied(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/plain"
    assert response.text == ACCESS_DENIED


def listaccts(simulator: Simulator, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return get(f"{simulator.url}/json-api/listaccts?api.version=1", headers=headers)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("credentials", [DEMO_ROOT, DEMO_RESELLER], ids=["root", "reseller"])
def test_password_authenticates(simulator: Simulator, credentials: tuple[str, str]) -> None:
    response = listaccts(simulator, basic(*credentials))
    assert response.json()["metadata"]["result"] == 1


@pytest.mark.parametrize("scheme", ["whm", "WHM", "Whm"])
def test_token_authenticates_with_any_case_of_scheme(
    simulator: Simulator, root: Whm, scheme: str
) -> None:
    secret = root.ok("api_token_create", {"token_name": "t", "acl": "list-accts"})["token"]
    response = listaccts(simulator, f"{scheme} root:{secret}")
    assert response.json()["metadata"]["result"] == 1


def test_reseller_token_authenticates_as_the_reseller(
    simulator: Simulator, reseller: Whm, connect: Callable[..., Whm]
) -> None:
    secret = reseller.ok("api_token_create", {"token_name": "r", "acl": "list-accts"})["token"]
    accounts = connect(token=("reseller", secret)).ok("listaccts")["acct"]
    assert {account["owner"] for account in accounts} == {"reseller"}


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no header"),
        pytest.param(basic("root", "wrong-password"), id="wrong password"),
        pytest.param(basic("nobody", "demo-root-pass"), id="unknown user"),
        pytest.param(basic("root", ""), id="empty password"),
        pytest.param("Basic not-base64!", id="malformed basic"),
        pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="basic without colon"),
        pytest.param("whm root:" + "A" * 32, id="unknown token"),
        pytest.param("whm root", id="token without colon"),
        pytest.param("Bearer something", id="unknown scheme"),
    ],
)
def test_bad_credentials_get_the_access_denied_body(
    simulator: Simulator, authorization: str | None
) -> None:
    assert_denied(listaccts(simulator, authorization))


def test_token_of_another_user_is_denied(simulator: Simulator, root: Whm) -> None:
    secret = root.ok("api_token_create", {"token_name": "mine", "acl": "list-accts"})["token"]
    assert_denied(listaccts(simulator, f"whm reseller:{secret}"))


def test_revoked_token_is_denied(simulator: Simulator, root: Whm) -> None:
    secret = root.ok("api_token_create", {"token_name": "gone", "acl": "list-accts"})["token"]
    root.ok("api_token_revoke", {"token_name-0": "gone"})
    assert_denied(listaccts(simulator, f"whm root:{secret}"))


def test_expired_token_is_denied(simulator: Simulator) -> None:
    now = int(time.time())
    secret = simulator.store.add_token(
        "root", "lapsed", acls=["list-accts"], create_time=now - 100, expires_at=now - 1
    )
    assert_denied(listaccts(simulator, f"whm root:{secret}"))


def test_token_expiring_later_is_accepted(simulator: Simulator) -> None:
    now = int(time.time())
    secret = simulator.store.add_token(
        "root", "fresh", acls=["list-accts"], create_time=now, expires_at=now + 60
    )
    assert listaccts(simulator, f"whm root:{secret}").status_code == 200


def test_token_used_from_an_address_outside_its_whitelist_is_denied(
    simulator: Simulator, root: Whm
) -> None:
    created = root.ok(
        "api_token_create",
        {"token_name": "office", "acl": "list-accts", "whitelist_ip": "192.0.2.10"},
    )
    assert_denied(listaccts(simulator, f"whm root:{created['token']}"))


@pytest.mark.parametrize("whitelist", ["127.0.0.1", "127.0.0.0/8", "::1"])
def test_token_whitelisted_for_the_caller_is_accepted_only_for_its_ip_version(
    simulator: Simulator, root: Whm, whitelist: str
) -> None:
    created = root.ok(
        "api_token_create", {"token_name": "local", "acl": "list-accts", "whitelist_ip": whitelist}
    )
    status = listaccts(simulator, f"whm root:{created['token']}").status_code
    # The test client calls from 127.0.0.1: an IPv6 list never admits it.
    assert status == (403 if whitelist == "::1" else 200)


def test_ipv6_caller_is_matched_against_ipv6_whitelists(tmp_path) -> None:
    with Simulator(tmp_path, host="::1") as simulator:
        assert simulator.url.startswith("http://[::1]:")
        now = int(time.time())
        add = simulator.store.add_token
        v6 = add(
            "root",
            "v6",
            acls=["list-accts"],
            create_time=now,
            expires_at=None,
            whitelist_ips=["0000:0000:0000:0000:0000:0000:0000:0001"],
        )
        v4 = add(
            "root",
            "v4",
            acls=["list-accts"],
            create_time=now,
            expires_at=None,
            whitelist_ips=["127.0.0.1"],
        )
        assert listaccts(simulator, f"whm root:{v6}").status_code == 200
        assert_denied(listaccts(simulator, f"whm root:{v4}"))


@pytest.mark.parametrize(
    ("acls", "function", "allowed"),
    [
        (["list-accts"], "listaccts", True),
        (["list-accts"], "createacct", False),
        (["list-accts"], "api_token_list", False),
        (["create-acct"], "createacct", True),
        (["create-acct"], "listaccts", False),
        (["manage-api-tokens"], "api_token_list", True),
        (["manage-api-tokens"], "listaccts", False),
        (["ssl-info"], "myprivs", True),
        (["ssl-info"], "applist", True),
        (["all"], "listaccts", True),
        (["all"], "api_token_list", True),
        ([], "createacct", True),  # no ACLs sent: full access
    ],
)
def test_token_acls_gate_functions(
    root_token: Callable[..., Whm], acls: list[str], function: str, allowed: bool
) -> None:
    response = root_token(*acls).call(function)
    if allowed:
        assert response.status_code == 200
    else:
        assert_denied(response)


def test_token_acls_are_limited_to_what_its_user_holds(
    simulator: Simulator, connect: Callable[..., Whm]
) -> None:
    # Written directly: the API would refuse kill-acct to a reseller that does not hold it.
    secret = simulator.store.add_token(
        "reseller", "wide", acls=["list-accts", "kill-acct"], create_time=0, expires_at=None
    )
    privileges = connect(token=("reseller", secret)).ok("myprivs")["privileges"][0]
    assert privileges["list-accts"] == 1
    assert privileges["kill-acct"] == 0


def test_user_without_a_privilege_is_denied_even_by_password(tmp_path) -> None:
    users = [SimUser("viewer", "viewer-pass", ("list-accts",))]
    with Simulator(tmp_path, users=users) as simulator:
        authorization = basic("viewer", "viewer-pass")
        assert listaccts(simulator, authorization).status_code == 200
        assert_denied(
            post(
                f"{simulator.url}/json-api/api_token_list?api.version=1",
                headers={"Authorization": authorization},
            )
        )


def test_applist_names_only_the_functions_the_caller_may_call(
    root: Whm, root_token: Callable[..., Whm]
) -> None:
    assert root_token("list-accts").ok("applist") == {"app": ["applist", "listaccts", "myprivs"]}
    assert root.ok("applist")["app"] == [
        "api_token_create",
        "api_token_get_details",
        "api_token_list",
        "api_token_revoke",
        "api_token_update",
        "applist",
        "create_user_session",
        "createacct",
        "listaccts",
        "myprivs",
        "removeacct",
        "suspendacct",
        "uapi_cpanel",
    ]
