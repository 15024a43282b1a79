"""What WHM enforces on tokens, with its exact reasons, and how it normalises IP lists."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.helpers import Params, Whm, numbered_params
from tokenui.simulator import Simulator
from tokenui.simulator.functions import FunctionFailed, expiry

PAST = "1609372800"
# Cpanel/Validate/Time.pm:64: "the largest value that will not cause EOVERFLOW on most systems".
MAX_EPOCH = "67767976233521999"
TOO_BIG = "67767976233522000"
# Validate.pm:157-158: MissingParameters names the validator it was raised in.
MISSING_NAME = (
    "Provide the “name” parameter for the "
    "“Cpanel::Security::Authn::APITokens::Validate::validate_creation” function."
)
BAD_NAME = (
    "“{}” is not a valid API token name. An API token name must not be longer than 50 "
    "characters and may only contain the following characters: a-z A-Z 0-9 _ -"
)


# Every reason of a token function carries WHM's prefix before the detail.
CREATE_FAILED = "The system failed to create the API token: "
UPDATE_FAILED = "The system failed to update the API token: "
REVOKE_FAILED = "The system failed to revoke the API token: "
READ_FAILED = "The system failed to read the API tokens: "


def future() -> str:
    return str(int(time.time()) + 3600)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "The parameter “token_name” is required."),
        ({"token_name": ""}, MISSING_NAME),
        ({"token_name": "has space"}, BAD_NAME.format("has space")),
        ({"token_name": "dot.ted"}, BAD_NAME.format("dot.ted")),
        ({"token_name": "ünïcode"}, BAD_NAME.format("ünïcode")),
        ({"token_name": "x" * 51}, BAD_NAME.format("x" * 51)),
        (
            {"token_name": "backup-script"},
            "A conflicting API token with the name “backup-script” already exists.",
        ),
        ({"token_name": "t", "acl": "foo"}, "Invalid or unauthorized ACL specified: foo"),
        (
            {"token_name": "t", **numbered_params("acl", ["list-accts", "foo", "bar"])},
            "Invalid or unauthorized ACLs specified: foo and bar",
        ),
        (
            {"token_name": "t", **numbered_params("acl", ["a", "b", "c"])},
            "Invalid or unauthorized ACLs specified: a, b, and c",
        ),
        ({"token_name": "t", "acl": "demo"}, "Invalid or unauthorized ACL specified: demo"),
        (
            {"token_name": "t", "acl": "software-unregistered"},
            "Invalid or unauthorized ACL specified: software-unregistered",
        ),
        ({"token_name": "t", "expires_at": "abc"}, "“abc” is not a valid UNIX epoch timestamp."),
        ({"token_name": "t", "expires_at": "-5"}, "“-5” is not a valid UNIX epoch timestamp."),
        ({"token_name": "t", "expires_at": PAST}, f"The “{PAST}” value must be a future date."),
        (
            {"token_name": "t", "expires_at": TOO_BIG},
            f"“{TOO_BIG}” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "t", "expires_at": "99999999999999999999"},
            "“99999999999999999999” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "t", "expires_at": "9" * 5000},
            f"“{'9' * 5000}” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "t", "whitelist_ip": "300.1.1.1"},
            "Invalid IP address or CIDR range specified: 300.1.1.1",
        ),
        (
            {"token_name": "t", "whitelist_ip": "192.0.2.1/24"},
            "Invalid IP address or CIDR range specified: 192.0.2.1/24",
        ),
        (
            {"token_name": "t", "whitelist_ip": "192.0.2.0/255.255.255.0"},
            "Invalid IP address or CIDR range specified: 192.0.2.0/255.255.255.0",
        ),
        (
            {"token_name": "t", "whitelist_ip": "fe80::1%eth0"},
            "Invalid IP address or CIDR range specified: fe80::1%eth0",
        ),
        (
            {"token_name": "t", "whitelist_ip": "192.0.2.0/33"},
            "Invalid IP address or CIDR range specified: 192.0.2.0/33",
        ),
        (
            {"token_name": "t", "whitelist_ip": "example.com"},
            "Invalid IP address or CIDR range specified: example.com",
        ),
        (
            {"token_name": "t", **numbered_params("whitelist_ip", ["192.0.2.1", ""])},
            "The “whitelist_ip” arguments cannot be empty.",
        ),
        # Only a value without length is empty (Utils.pm:97): a space is a bad address.
        (
            {"token_name": "t", "whitelist_ip": " "},
            "Invalid IP address or CIDR range specified:  ",
        ),
    ],
)
def test_create_refuses_with_whms_reason(root: Whm, params: Params, reason: str) -> None:
    assert root.reason("api_token_create", params) == CREATE_FAILED + reason


def test_an_empty_expiry_is_kept_as_whm_keeps_it_and_never_expires(
    root: Whm, connect: Callable[..., Whm]
) -> None:
    # Validate.pm:104-105 returns at once for a value without length; Tokens.pm:591 passes it on.
    params = {"token_name": "blank", "acl-0": "list-accts", "expires_at": ""}
    created = root.ok("api_token_create", params)
    assert created["expires_at"] == ""
    assert root.ok("api_token_list")["tokens"]["blank"]["expires_at"] == ""
    assert connect(token=("root", created["token"])).ok("listaccts")["acct"]
    updated = root.ok("api_token_update", {"token_name": "reporting", "expires_at": ""})
    assert updated["expires_at"] == ""


def test_create_rejects_name_over_50_chars_and_accepts_50(root: Whm) -> None:
    assert root.reason("api_token_create", {"token_name": "n" * 51}) == CREATE_FAILED + (
        BAD_NAME.format("n" * 51)
    )
    assert root.ok("api_token_create", {"token_name": "n" * 50})["name"] == "n" * 50


@pytest.mark.parametrize(
    "expires_at",
    ["300000000000", MAX_EPOCH, "00300000000000", f"0{MAX_EPOCH}"],
    ids=["year-11476", "max", "zeros", "max-with-a-zero"],
)
def test_create_and_update_keep_any_future_expiry_up_to_whms_cap(
    root: Whm, expires_at: str
) -> None:
    stored = int(expires_at)
    created = root.ok("api_token_create", {"token_name": "far", "expires_at": expires_at})
    assert created["expires_at"] == stored
    assert root.ok("api_token_list")["tokens"]["far"]["expires_at"] == stored
    updated = root.ok("api_token_update", {"token_name": "reporting", "expires_at": expires_at})
    assert updated["expires_at"] == stored


def test_an_expiry_of_now_is_accepted_and_the_second_before_refused(root: Whm) -> None:
    # Validate.pm:109 refuses only `$time < time()`: this very second is still accepted. Over
    # HTTP the server's clock may have ticked on, so "now" is checked at the rule itself.
    assert expiry("1732312345", 1732312345) == 1732312345
    with pytest.raises(FunctionFailed, match="must be a future date"):
        expiry("1732312344", 1732312345)
    before = str(int(time.time()) - 1)
    assert root.reason("api_token_create", {"token_name": "t", "expires_at": before}) == (
        f"{CREATE_FAILED}The “{before}” value must be a future date."
    )


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        # The ACLs are checked before anything but the name's presence (Tokens.pm:573)…
        (
            {"token_name": "", "acl": "foo", "whitelist_ip": "", "expires_at": "x"},
            "Invalid or unauthorized ACL specified: foo",
        ),
        # …then empty IPs (Tokens.pm:574)…
        (
            {"token_name": "", "whitelist_ip": "", "expires_at": "x"},
            "The “whitelist_ip” arguments cannot be empty.",
        ),
        # …then an empty name (Validate.pm:157)…
        ({"token_name": "", "expires_at": "x", "whitelist_ip": "bad"}, MISSING_NAME),
        # …then expiry, name and IPs, in the order of their keys (Validate.pm:180).
        (
            {"token_name": "bad name", "expires_at": "x", "whitelist_ip": "bad"},
            "“x” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "bad name", "whitelist_ip": "bad"},
            BAD_NAME.format("bad name"),
        ),
    ],
    ids=["acls", "empty-ips", "empty-name", "expiry", "name"],
)
def test_create_checks_in_whms_order(root: Whm, params: Params, reason: str) -> None:
    assert root.reason("api_token_create", params) == CREATE_FAILED + reason


def test_any_among_the_ips_clears_the_list(root: Whm) -> None:
    # Tokens.pm:579-582: `any` anywhere in the list wins over the addresses beside it.
    params = {"token_name": "anywhere", **numbered_params("whitelist_ip", ["192.0.2.1", "any"])}
    assert "whitelist_ips" not in root.ok("api_token_create", params)
    assert "whitelist_ips" not in root.ok("api_token_list")["tokens"]["anywhere"]


@pytest.mark.parametrize("acl", ["kill-acct", "all", "software-other-plugin"])
def test_create_refuses_a_reseller_acls_it_does_not_hold(reseller: Whm, acl: str) -> None:
    assert reseller.reason("api_token_create", {"token_name": "t", "acl": acl}) == (
        f"{CREATE_FAILED}Invalid or unauthorized ACL specified: {acl}"
    )


def test_create_grants_a_reseller_its_registered_software_acl(reseller: Whm) -> None:
    created = reseller.ok(
        "api_token_create", {"token_name": "csf", "acl": "software-ConfigServer-csf"}
    )
    assert created["acls"] == ["software-ConfigServer-csf"]


def test_create_refuses_a_limited_token_acls_beyond_its_own(
    root_token: Callable[..., Whm],
) -> None:
    caller = root_token("manage-api-tokens", "list-accts")
    assert caller.reason("api_token_create", {"token_name": "t", "acl": "passwd"}) == (
        f"{CREATE_FAILED}Invalid or unauthorized ACL specified: passwd"
    )
    assert caller.ok("api_token_create", {"token_name": "t", "acl": "list-accts"})


def test_create_accepts_100_ips_and_refuses_101(root: Whm) -> None:
    ips = [f"192.0.2.{n}" for n in range(101)]
    assert root.reason(
        "api_token_create", {"token_name": "many", **numbered_params("whitelist_ip", ips)}
    ) == (CREATE_FAILED + "You have entered “101” IP addresses, which is above the limit of 100.")
    created = root.ok(
        "api_token_create", {"token_name": "many", **numbered_params("whitelist_ip", ips[:100])}
    )
    assert len(created["whitelist_ips"]) == 100


def test_create_counts_the_ips_sent_not_the_distinct_ones(root: Whm) -> None:
    ips = ["192.0.2.1"] * 101
    assert root.reason(
        "api_token_create", {"token_name": "t", **numbered_params("whitelist_ip", ips)}
    ) == (CREATE_FAILED + "You have entered “101” IP addresses, which is above the limit of 100.")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (["192.0.2.10"], ["192.0.2.10"]),
        (["192.0.2.10/32"], ["192.0.2.10"]),
        (["192.0.2.10", "192.0.2.10/32", "192.0.2.10"], ["192.0.2.10"]),
        (["192.0.2.100", "192.0.2.20", "10.0.0.0/8"], ["10.0.0.0/8", "192.0.2.20", "192.0.2.100"]),
        (["192.0.2.0/25", "192.0.2.0/24"], ["192.0.2.0/24", "192.0.2.0/25"]),
        (["fc00:abcd::f"], ["fc00:abcd:0000:0000:0000:0000:0000:000f"]),
        (["FC00:ABCD::F/128"], ["fc00:abcd:0000:0000:0000:0000:0000:000f"]),
        (["2001:db8::/32"], ["2001:0db8:0000:0000:0000:0000:0000:0000/32"]),
        (
            ["2001:db8::2", "::1", "192.0.2.1"],
            [
                "192.0.2.1",
                "0000:0000:0000:0000:0000:0000:0000:0001",
                "2001:0db8:0000:0000:0000:0000:0000:0002",
            ],
        ),
        (["any"], None),
    ],
)
def test_create_normalises_the_ip_list(
    root: Whm, sent: list[str], stored: list[str] | None
) -> None:
    created = root.ok(
        "api_token_create", {"token_name": "ips", **numbered_params("whitelist_ip", sent)}
    )
    assert created.get("whitelist_ips") == stored
    assert root.ok("api_token_list")["tokens"]["ips"].get("whitelist_ips") == stored


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "The parameter “token_name” is required."),
        ({"new_name": "x"}, "The parameter “token_name” is required."),
        ({"token_name": "reporting"}, "Specify a new name, updated ACLs, or IPs."),
        ({"token_name": "nope", "new_name": "x"}, "The API token “nope” does not exist."),
        # The token is looked up before anything else is checked (Write.pm:423-452).
        ({"token_name": "nope"}, "The API token “nope” does not exist."),
        ({"token_name": "nope", "expires_at": "soon"}, "The API token “nope” does not exist."),
        ({"token_name": ""}, "The API token “” does not exist."),
        # An expiry is checked before the new name, both before "nothing to change".
        (
            {"token_name": "reporting", "new_name": "bad name", "expires_at": "soon"},
            "“soon” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "reporting", "new_name": "monitoring"},
            "An API token with the name “monitoring” already exists.",
        ),
        ({"token_name": "reporting", "new_name": "bad name"}, BAD_NAME.format("bad name")),
        ({"token_name": "reporting", "new_name": ""}, BAD_NAME.format("")),
        ({"token_name": "reporting", "acl": "foo"}, "Invalid or unauthorized ACL specified: foo"),
        (
            {"token_name": "reporting", "expires_at": "soon"},
            "“soon” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "reporting", "expires_at": PAST},
            f"The “{PAST}” value must be a future date.",
        ),
        (
            {"token_name": "reporting", "expires_at": TOO_BIG},
            f"“{TOO_BIG}” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "reporting", "expires_at": "99999999999999999999"},
            "“99999999999999999999” is not a valid UNIX epoch timestamp.",
        ),
        (
            {"token_name": "reporting", "whitelist_ip": "1.2.3"},
            "Invalid IP address or CIDR range specified: 1.2.3",
        ),
        (
            {"token_name": "reporting", "whitelist_ip-0": ""},
            "The “whitelist_ip” arguments cannot be empty.",
        ),
    ],
)
def test_update_refuses_with_whms_reason(root: Whm, params: Params, reason: str) -> None:
    assert root.reason("api_token_update", params) == UPDATE_FAILED + reason


def test_update_refuses_101_ips(root: Whm) -> None:
    ips = [f"192.0.2.{n}" for n in range(101)]
    params = {"token_name": "reporting", **numbered_params("whitelist_ip", ips)}
    assert root.reason("api_token_update", params) == (
        f"{UPDATE_FAILED}You have entered “101” IP addresses, which is above the limit of 100."
    )


def test_refused_update_changes_nothing(root: Whm) -> None:
    before = root.ok("api_token_list")["tokens"]
    root.reason("api_token_update", {"token_name": "reporting", "new_name": "x", "acl": "foo"})
    assert root.ok("api_token_list")["tokens"] == before


def test_update_cannot_reach_another_users_token(root: Whm, reseller: Whm) -> None:
    reseller.ok("api_token_create", {"token_name": "theirs"})
    assert root.reason("api_token_update", {"token_name": "theirs", "new_name": "x"}) == (
        f"{UPDATE_FAILED}The API token “theirs” does not exist."
    )


def test_revoke_without_names_is_refused(root: Whm) -> None:
    assert root.reason("api_token_revoke", {}) == (
        f"{REVOKE_FAILED}Provide at least one “token_name” argument."
    )


@pytest.mark.parametrize(
    "params", [{"token_name": ""}, numbered_params("token_name", ["", ""])], ids=str
)
def test_revoke_of_an_empty_name_succeeds_and_revokes_nothing(root: Whm, params: Params) -> None:
    # Tokens.pm:461-463 refuses only when no token_name key was sent at all.
    before = set(root.ok("api_token_list")["tokens"])
    assert root.ok("api_token_revoke", params) == {}
    assert set(root.ok("api_token_list")["tokens"]) == before


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {},
            (
                "Provide the “token” parameter for the "
                "“Whostmgr::API::1::Tokens::api_token_get_details” function."
            ),
        ),
        ({"token": ""}, "The value of “token” may not be empty."),
    ],
    ids=["missing", "empty"],
)
def test_get_details_requires_the_token_without_the_prefix(
    root: Whm, params: Params, reason: str
) -> None:
    # Tokens.pm:184 reads `token` outside the try that adds "The system failed to …".
    assert root.reason("api_token_get_details", params) == reason


@pytest.mark.parametrize(
    ("function", "params", "reason"),
    [
        (
            "api_token_create",
            {"token_name": "t"},
            "The system failed to create the API token: Disk quota exceeded",
        ),
        (
            "api_token_update",
            {"token_name": "reporting", "new_name": "x"},
            "The system failed to update the API token: Disk quota exceeded",
        ),
        (
            "api_token_revoke",
            {"token_name-0": "reporting"},
            "The system failed to revoke the API token: Disk quota exceeded",
        ),
        ("api_token_list", {}, "The system failed to read the API tokens: Disk quota exceeded"),
    ],
)
def test_storage_failure_gives_the_system_failed_reason(
    simulator: Simulator, root: Whm, function: str, params: Params, reason: str
) -> None:
    simulator.set_fault("storage-error")
    assert root.reason(function, params) == reason
