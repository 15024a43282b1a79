"""The api_token_* functions' successful replies, shape by shape, as the reference shows them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, Whm, numbered_params
from tokenui.acls import ACL_KEYS
from tokenui.simulator import RESELLER_USER, Simulator

DAY = 86400
DEMO_USERS_BY_NAME = {"root": DEMO_ROOT, "reseller": DEMO_RESELLER}


def test_create_returns_the_record_and_the_secret_once(root: Whm) -> None:
    expires_at = int(time.time()) + 30 * DAY
    before = int(time.time())
    data = root.ok(
        "api_token_create",
        {
            "token_name": "billing-bot-2",
            **numbered_params("acl", ["list-accts", "create-acct"]),
            "expires_at": str(expires_at),
            **numbered_params("whitelist_ip", ["192.0.2.16/28", "192.0.2.10"]),
        },
    )
    assert list(data) == ["name", "create_time", "expires_at", "acls", "whitelist_ips", "token"]
    assert data["name"] == "billing-bot-2"
    assert before <= data["create_time"] <= int(time.time())
    assert data["expires_at"] == expires_at
    assert data["acls"] == ["create-acct", "list-accts"]
    assert data["whitelist_ips"] == ["192.0.2.10", "192.0.2.16/28"]
    assert re.fullmatch(r"[A-Z0-9]{32}", data["token"])


def test_create_without_acls_or_ips_leaves_them_out_and_sends_a_null_expiry(root: Whm) -> None:
    # WHM builds the record with a key slice (Write.pm:249-254): expires_at is always there,
    # null when not sent; acls and whitelist_ips are deleted when empty (Write/whostmgr.pm).
    data = root.ok("api_token_create", {"token_name": "bare"})
    assert list(data) == ["name", "create_time", "expires_at", "token"]
    assert data["expires_at"] is None
    assert root.ok("api_token_list")["tokens"]["bare"]["expires_at"] is None


def test_create_with_expires_at_0_never_expires(root: Whm) -> None:
    data = root.ok(
        "api_token_create", {"token_name": "forever", "acl": "list-accts", "expires_at": "0"}
    )
    # Write/whostmgr.pm:100-102 turns 0 into undef: null in the reply.
    assert data["expires_at"] is None
    assert root.ok("api_token_list")["tokens"]["forever"]["expires_at"] is None


def test_create_without_acls_gives_full_access(connect: Callable[..., Whm], reseller: Whm) -> None:
    secret = reseller.ok("api_token_create", {"token_name": "full"})["token"]
    privileges = connect(token=("reseller", secret)).ok("myprivs")["privileges"][0]
    assert {acl for acl, held in privileges.items() if held} == set(RESELLER_USER.acls)


def test_create_secrets_differ_each_time(root: Whm) -> None:
    secrets = {root.ok("api_token_create", {"token_name": f"t{n}"})["token"] for n in range(5)}
    assert len(secrets) == 5


def test_list_shows_root_every_acl_and_demo_as_a_0_or_1_map(root: Whm) -> None:
    root.ok(
        "api_token_create",
        {"token_name": "two", **numbered_params("acl", ["list-accts", "passwd"])},
    )
    entry = root.ok("api_token_list")["tokens"]["two"]
    assert entry["acls"] == {key: int(key in {"list-accts", "passwd"}) for key in ACL_KEYS} | {
        "demo": 0
    }


def test_list_shows_a_full_access_root_token_with_every_key_at_1(root: Whm) -> None:
    root.ok("api_token_create", {"token_name": "made-without-acls"})
    tokens = root.ok("api_token_list")["tokens"]
    for name in ("automation", "made-without-acls"):
        acls = tokens[name]["acls"]
        assert set(acls) == {*ACL_KEYS, "demo"}
        assert set(acls.values()) == {1}, name


def test_list_shows_a_full_access_reseller_token_with_every_held_acl_at_1(reseller: Whm) -> None:
    reseller.ok("api_token_create", {"token_name": "made-without-acls"})
    tokens = reseller.ok("api_token_list")["tokens"]
    for name in ("automation", "made-without-acls"):
        assert tokens[name]["acls"] == dict.fromkeys(RESELLER_USER.acls, 1), name


@pytest.mark.parametrize("user", ["root", "reseller"])
@pytest.mark.parametrize(
    "change",
    [
        {"new_name": "renamed"},
        {"expires_at": str(int(time.time()) + 30 * DAY)},
        {"whitelist_ip-0": "127.0.0.0/8"},  # the token stays usable from here
    ],
    ids=["rename", "expiry", "ips"],
)
def test_update_without_acls_keeps_a_token_full_access(
    connect: Callable[..., Whm], user: str, change: dict[str, str]
) -> None:
    caller = connect(password=DEMO_USERS_BY_NAME[user])
    secret = caller.ok("api_token_create", {"token_name": "full"})["token"]
    before = caller.ok("api_token_list")["tokens"]["full"]["acls"]

    caller.ok("api_token_update", {"token_name": "full", **change})

    name = change.get("new_name", "full")
    assert caller.ok("api_token_list")["tokens"][name]["acls"] == before
    # It still inherits: the token may do whatever its owner may.
    via_token = connect(token=(user, secret)).ok("myprivs")["privileges"][0]
    assert via_token == caller.ok("myprivs")["privileges"][0]


def test_update_of_a_root_token_to_all_keeps_every_key_at_1(root: Whm) -> None:
    root.ok("api_token_update", {"token_name": "automation", "acl-0": "all"})
    assert set(root.ok("api_token_list")["tokens"]["automation"]["acls"].values()) == {1}


def test_list_shows_a_reseller_only_its_own_acls(reseller: Whm) -> None:
    tokens = reseller.ok("api_token_list")["tokens"]
    assert set(tokens["reporting"]["acls"]) == set(RESELLER_USER.acls)
    assert tokens["reporting"]["acls"]["list-accts"] == 1
    assert tokens["reporting"]["acls"]["passwd"] == 0
    assert set(tokens["automation"]["acls"].values()) == {1}


def test_list_entry_shape(root: Whm) -> None:
    root.ok("api_token_create", {"token_name": "plain", "acl": "list-accts"})
    entry = root.ok("api_token_list")["tokens"]["plain"]
    assert list(entry) == ["name", "create_time", "expires_at", "acls"]
    assert entry["name"] == "plain"
    assert entry["expires_at"] is None


def test_list_includes_whitelist_only_when_set(root: Whm) -> None:
    tokens = root.ok("api_token_list")["tokens"]
    assert tokens["billing-bot"]["whitelist_ips"] == [
        "192.0.2.10",
        "198.51.100.0/24",
        "2001:0db8:0000:0000:0000:0000:0000:0000/32",
    ]
    assert "whitelist_ips" not in tokens["backup-script"]


def test_list_keeps_expired_tokens(root: Whm) -> None:
    expired = root.ok("api_token_list")["tokens"]["old-migration"]
    assert expired["expires_at"] < time.time()


def test_list_shows_only_the_callers_own_tokens(root: Whm, reseller: Whm) -> None:
    reseller.ok("api_token_create", {"token_name": "reseller-only"})
    assert "reseller-only" in reseller.ok("api_token_list")["tokens"]
    assert "reseller-only" not in root.ok("api_token_list")["tokens"]


def test_update_renames_and_returns_the_stored_record(root: Whm) -> None:
    root.ok("api_token_create", {"token_name": "old", "acl": "list-accts"})
    data = root.ok("api_token_update", {"token_name": "old", "new_name": "new"})
    assert list(data) == ["name", "create_time", "expires_at", "acls"]
    assert (data["name"], data["acls"]) == ("new", ["list-accts"])
    assert set(root.ok("api_token_list")["tokens"]) >= {"new"}
    assert "old" not in root.ok("api_token_list")["tokens"]


def test_update_to_its_own_name_is_allowed(root: Whm) -> None:
    data = root.ok("api_token_update", {"token_name": "reporting", "new_name": "reporting"})
    assert data["name"] == "reporting"


def test_update_replaces_the_whole_acl_list(root: Whm) -> None:
    data = root.ok(
        "api_token_update", {"token_name": "reporting", **numbered_params("acl", ["passwd", "ssl"])}
    )
    assert data["acls"] == ["passwd", "ssl"]


def test_update_gives_a_full_access_token_an_explicit_list(root: Whm) -> None:
    data = root.ok("api_token_update", {"token_name": "automation", "acl-0": "list-accts"})
    assert data["acls"] == ["list-accts"]
    assert root.ok("api_token_list")["tokens"]["automation"]["acls"]["all"] == 0


def test_update_sets_and_removes_the_expiry(root: Whm) -> None:
    later = int(time.time()) + DAY
    assert (
        root.ok("api_token_update", {"token_name": "reporting", "expires_at": str(later)})[
            "expires_at"
        ]
        == later
    )
    data = root.ok("api_token_update", {"token_name": "reporting", "expires_at": "0"})
    assert data["expires_at"] is None


def test_update_replaces_the_whitelist(root: Whm) -> None:
    data = root.ok(
        "api_token_update", {"token_name": "billing-bot", "whitelist_ip-0": "203.0.113.7"}
    )
    assert data["whitelist_ips"] == ["203.0.113.7"]


def test_update_with_whitelist_any_clears_it(root: Whm) -> None:
    data = root.ok("api_token_update", {"token_name": "billing-bot", "whitelist_ip": "any"})
    assert "whitelist_ips" not in data
    assert "whitelist_ips" not in root.ok("api_token_list")["tokens"]["billing-bot"]


def test_update_leaves_what_was_not_sent(root: Whm) -> None:
    before = root.ok("api_token_list")["tokens"]["billing-bot"]
    root.ok("api_token_update", {"token_name": "billing-bot", "new_name": "billing"})
    after = root.ok("api_token_list")["tokens"]["billing"]
    assert after == {**before, "name": "billing"}


def test_update_keeps_the_secret_working(root: Whm, root_token: Callable[..., Whm]) -> None:
    caller = root_token("list-accts", name="before")
    root.ok("api_token_update", {"token_name": "before", "new_name": "after"})
    caller.ok("listaccts")


@pytest.mark.parametrize(
    ("params", "revoked"),
    [
        pytest.param(numbered_params("token_name", ["reporting"]), {"reporting"}, id="one"),
        pytest.param(
            numbered_params("token_name", ["reporting", "monitoring"]),
            {"reporting", "monitoring"},
            id="numbered",
        ),
        pytest.param(
            {"token_name": ["reporting", "monitoring"]}, {"reporting", "monitoring"}, id="repeated"
        ),
    ],
)
def test_revoke_removes_the_named_tokens(
    root: Whm, params: dict[str, str | list[str]], revoked: set[str]
) -> None:
    before = set(root.ok("api_token_list")["tokens"])
    assert root.ok("api_token_revoke", params) == {}
    assert set(root.ok("api_token_list")["tokens"]) == before - revoked


def test_revoke_ignores_unknown_names(root: Whm) -> None:
    before = set(root.ok("api_token_list")["tokens"])
    assert root.ok("api_token_revoke", numbered_params("token_name", ["nope", "reporting"])) == {}
    assert set(root.ok("api_token_list")["tokens"]) == before - {"reporting"}


def test_revoke_acts_only_on_the_callers_own_tokens(root: Whm, reseller: Whm) -> None:
    root.ok("api_token_revoke", {"token_name-0": "reporting"})
    assert "reporting" in reseller.ok("api_token_list")["tokens"]


def test_get_details_returns_the_record_of_a_known_token(root: Whm) -> None:
    expires_at = int(time.time()) + DAY
    created = root.ok(
        "api_token_create",
        {"token_name": "mine", "acl": ["list-accts", "passwd"], "expires_at": str(expires_at)},
    )
    data = root.ok("api_token_get_details", {"token": created["token"]})
    assert data == {
        "name": "mine",
        "create_time": created["create_time"],
        "expires_at": expires_at,
        "acls": ["list-accts", "passwd"],
    }


def test_get_details_of_the_token_in_use_names_it(
    simulator: Simulator, root: Whm, connect: Callable[..., Whm]
) -> None:
    secret = root.ok("api_token_create", {"token_name": "signed-in"})["token"]
    caller = connect(token=("root", secret))
    assert caller.ok("api_token_get_details", {"token": secret})["name"] == "signed-in"


@pytest.mark.parametrize("state", ["unknown", "expired", "another user's"])
def test_get_details_has_no_data_unless_known_unexpired_and_own(
    simulator: Simulator, root: Whm, reseller: Whm, state: str
) -> None:
    now = int(time.time())
    match state:
        case "unknown":
            secret = "A" * 32
        case "expired":
            secret = simulator.store.add_token(
                "root", "lapsed", acls=["list-accts"], create_time=now - 9, expires_at=now - 1
            )
        case _:
            secret = reseller.ok("api_token_create", {"token_name": "theirs"})["token"]
    assert root.ok("api_token_get_details", {"token": secret}) is None
