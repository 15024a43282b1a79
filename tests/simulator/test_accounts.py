"""myprivs, listaccts and createacct: the calls a token makes once TokenUI has created it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers import Params, Whm
from tokenui.acls import ACL_KEYS
from tokenui.simulator import RESELLER_USER

BAD_USERNAME = (
    "“{}” is not a valid username: use 1 to 16 lowercase letters and digits, "
    "starting with a letter and not with “test”."
)
ACCOUNT_FIELDS = {
    "user",
    "domain",
    "email",
    "plan",
    "owner",
    "ip",
    "suspended",
    "suspendreason",
    "unix_startdate",
    "startdate",
    "partition",
    "theme",
    "diskused",
    "disklimit",
}


def test_myprivs_gives_root_all_and_every_other_acl_0(root: Whm) -> None:
    [privileges] = root.ok("myprivs")["privileges"]
    assert set(privileges) == set(ACL_KEYS)
    assert {acl for acl, held in privileges.items() if held} == {"all"}


def test_myprivs_gives_a_reseller_its_own_acls(reseller: Whm) -> None:
    [privileges] = reseller.ok("myprivs")["privileges"]
    assert set(privileges) == set(ACL_KEYS) | {"software-ConfigServer-csf"}
    assert {acl for acl, held in privileges.items() if held} == set(RESELLER_USER.acls)


def test_myprivs_with_a_token_gives_the_tokens_privileges(
    root_token: Callable[..., Whm],
) -> None:
    [privileges] = root_token("list-accts", "passwd").ok("myprivs")["privileges"]
    assert {acl for acl, held in privileges.items() if held} == {"list-accts", "passwd"}


def test_listaccts_shows_root_every_account(root: Whm) -> None:
    accounts = root.ok("listaccts")["acct"]
    assert {account["owner"] for account in accounts} == {"root", "reseller"}
    assert len(accounts) == 6


def test_listaccts_shows_a_reseller_only_the_accounts_it_owns(reseller: Whm) -> None:
    accounts = reseller.ok("listaccts")["acct"]
    assert len(accounts) == 3
    assert {account["owner"] for account in accounts} == {"reseller"}


def test_listaccts_with_a_limited_root_token_still_sees_every_account(
    root_token: Callable[..., Whm],
) -> None:
    # Visibility follows the user; the token's ACLs only decide whether it may call.
    assert len(root_token("list-accts").ok("listaccts")["acct"]) == 6


def test_listaccts_account_shape(root: Whm) -> None:
    accounts = {account["user"]: account for account in root.ok("listaccts")["acct"]}
    acme = accounts["acme"]
    assert set(acme) == ACCOUNT_FIELDS
    assert (acme["domain"], acme["email"], acme["plan"]) == (
        "acme.example",
        "admin@acme.example",
        "default",
    )
    assert (acme["suspended"], acme["suspendreason"]) == (0, "not suspended")
    suspended = [account for account in accounts.values() if account["suspended"]]
    assert {account["suspendreason"] for account in suspended} == {"Unpaid invoice"}


def test_createacct_creates_an_account_owned_by_the_caller(reseller: Whm, root: Whm) -> None:
    data = reseller.ok(
        "createacct", {"username": "newsite", "domain": "NewSite.example", "plan": "gold"}
    )
    assert data == {
        "ip": "192.0.2.1",
        "nameserver": "ns1.simulator.example",
        "nameserver2": "ns2.simulator.example",
        "nameserver3": "",
        "nameserver4": "",
        "package": "gold",
    }
    [account] = [a for a in root.ok("listaccts")["acct"] if a["user"] == "newsite"]
    assert (account["owner"], account["domain"], account["plan"]) == (
        "reseller",
        "newsite.example",
        "gold",
    )
    assert "newsite" in {a["user"] for a in reseller.ok("listaccts")["acct"]}


def test_createacct_reports_its_log_in_metadata_output_raw(root: Whm) -> None:
    response = root.call("createacct", {"username": "logged", "domain": "logged.example"})
    metadata = response.json()["metadata"]
    assert (metadata["result"], metadata["reason"]) == (1, "OK")
    raw = metadata["output"]["raw"]
    assert isinstance(raw, str)
    assert "| UserName: logged" in raw
    assert "| Domain: logged.example" in raw


def test_createacct_defaults_the_plan(root: Whm) -> None:
    assert root.ok("createacct", {"username": "plain", "domain": "plain.example"})["package"] == (
        "default"
    )


def test_createacct_works_with_a_token_holding_create_acct(
    root_token: Callable[..., Whm],
) -> None:
    data = root_token("create-acct").ok(
        "createacct", {"username": "viatoken", "domain": "viatoken.example"}
    )
    assert data["package"] == "default"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"domain": "a.example"}, "The parameter “username” is required."),
        ({"username": "", "domain": "a.example"}, "The parameter “username” is required."),
        ({"username": "newsite"}, "The parameter “domain” is required."),
        (
            {"username": "9lives", "domain": "a.example"},
            BAD_USERNAME.format("9lives"),
        ),
        (
            {"username": "testsite", "domain": "a.example"},
            BAD_USERNAME.format("testsite"),
        ),
        (
            {"username": "newsite", "domain": "not a domain"},
            "“not a domain” is not a valid domain name.",
        ),
        (
            {"username": "acme", "domain": "a.example"},
            "An account with the username “acme” already exists.",
        ),
        (
            {"username": "newsite", "domain": "acme.example"},
            "An account with the domain “acme.example” already exists.",
        ),
    ],
)
def test_createacct_refuses_with_a_plain_reason(root: Whm, params: Params, reason: str) -> None:
    assert root.reason("createacct", params) == reason
