"""The check the property tests lean on: it passes what WHM accepts and catches each thing WHM
would refuse (so "nothing invalid reached WHM" can fail)."""

from __future__ import annotations

import time

import pytest

from tests.helpers import RESELLER_HELD, assert_only_valid_writes
from tokenui.simulator import LoggedRequest

FUTURE = str(int(time.time()) + 86_400)
GOOD = {
    "api.version": "1",
    "token_name": "ci-deploy",
    "acl-0": "list-accts",
    "acl-1": "create-acct",
    "expires_at": FUTURE,
    "whitelist_ip-0": "192.0.2.0/24",
    "whitelist_ip-1": "2001:db8::1",
}


def sent(function: str, params: dict[str, str | list[str]]) -> LoggedRequest:
    return LoggedRequest(function, "reseller", "password", None, "POST", params, 200, 1, 0.0)


@pytest.mark.parametrize("function", ["api_token_create", "api_token_update"])
def test_a_valid_token_passes(function: str) -> None:
    assert_only_valid_writes([sent(function, GOOD)], RESELLER_HELD)


def test_an_update_may_clear_the_expiry_and_the_ip_list() -> None:
    params = GOOD | {"expires_at": "0", "whitelist_ip": "any"}
    del params["whitelist_ip-0"], params["whitelist_ip-1"]
    assert_only_valid_writes([sent("api_token_update", params)], RESELLER_HELD)


@pytest.mark.parametrize(
    "change",
    [
        {"token_name": "has space"},
        {"token_name": "x" * 51},
        {"token_name": "b\u0456lling"},  # a Cyrillic i
        {"new_name": ""},
        {"acl-1": "kill-acct"},  # the reseller does not hold it
        {"acl-0": "all"},
        {"acl-0": "list-accts", "acl-1": "list-accts", "acl-7": "demo"},
        {"expires_at": "1609372800"},  # in the past
        {"expires_at": "0"},  # "never" is only for an update
        {"expires_at": "soon"},
        {"whitelist_ip-0": "10.0.0.5/24"},  # host bits
        {"whitelist_ip-0": "300.1.1.1"},
        {"whitelist_ip-0": ""},
        {f"whitelist_ip-{n}": f"10.0.{n // 256}.{n % 256}" for n in range(101)},
        {"token_name": ["a", "b"]},
    ],
)
def test_each_thing_whm_would_refuse_is_caught(change: dict[str, str | list[str]]) -> None:
    with pytest.raises(AssertionError):
        assert_only_valid_writes([sent("api_token_create", GOOD | change)], RESELLER_HELD)


def test_a_create_without_acls_is_caught() -> None:
    params = {k: v for k, v in GOOD.items() if not k.startswith("acl-")}
    with pytest.raises(AssertionError):
        assert_only_valid_writes([sent("api_token_create", params)], RESELLER_HELD)


@pytest.mark.parametrize("names", [["bad name"], [], ["not-listed"]])
def test_a_revoke_of_invalid_or_unlisted_names_is_caught(names: list[str]) -> None:
    params = {f"token_name-{n}": name for n, name in enumerate(names)}
    with pytest.raises(AssertionError):
        assert_only_valid_writes(
            [sent("api_token_revoke", params)], RESELLER_HELD, names={"reporting"}
        )
