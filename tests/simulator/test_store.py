"""The store: seeding, reset, restarts, sharing between servers, and no secrets kept in clear."""

from __future__ import annotations

import collections
import sqlite3
import time
from pathlib import Path

import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, Whm, get, post
from tokenui.simulator import Database, Simulator, SimUser, StoreError

WEEK = 7 * 86400


def call(simulator: Simulator, function: str, auth: object, **params: str) -> dict:
    response = post(
        f"{simulator.url}/json-api/{function}?api.version=1",
        data=params,
        **({"headers": auth} if isinstance(auth, dict) else {"auth": auth}),
    )
    return response.json()


def token_header(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": f"whm {user}:{secret}"}


def test_demo_seed_covers_every_token_state(root: Whm) -> None:
    now = time.time()
    tokens = root.ok("api_token_list")["tokens"]
    never = [t for t in tokens.values() if t["expires_at"] is None]
    expired = [t for t in tokens.values() if t["expires_at"] and t["expires_at"] < now]
    soon = [t for t in tokens.values() if t["expires_at"] and now < t["expires_at"] < now + WEEK]
    assert never
    assert expired
    assert soon
    assert any("whitelist_ips" in t for t in tokens.values())
    assert any(t["acls"]["all"] for t in tokens.values())
    assert any(sum(t["acls"].values()) == 2 for t in tokens.values())


def test_demo_seed_gives_each_user_tokens_and_accounts(root: Whm, reseller: Whm) -> None:
    assert len(root.ok("api_token_list")["tokens"]) == 6
    assert len(reseller.ok("api_token_list")["tokens"]) == 6
    assert len(reseller.ok("listaccts")["acct"]) == 3


def test_reset_restores_the_seed_state_quickly(simulator: Simulator, root: Whm) -> None:
    seeded = root.ok("api_token_list")
    root.ok("api_token_create", {"token_name": "extra"})
    root.ok("api_token_revoke", {"token_name-0": "reporting"})
    root.ok("createacct", {"username": "extra", "domain": "extra.example"})
    simulator.set_fault("http-500", functions=["applist"])
    started = time.perf_counter()
    simulator.reset()
    assert time.perf_counter() - started < 0.05
    assert root.ok("api_token_list") == seeded
    assert "extra" not in {a["user"] for a in root.ok("listaccts")["acct"]}
    assert root.call("applist").status_code == 200
    assert [r.function for r in simulator.requests()] == ["api_token_list", "listaccts", "applist"]


def test_reset_zeroes_the_connection_count(simulator: Simulator, root: Whm) -> None:
    root.ok("myprivs")
    simulator.reset()
    assert simulator.connections_accepted == 0


def test_add_token_stores_states_the_api_refuses(simulator: Simulator) -> None:
    now = int(time.time())
    secret = simulator.store.add_token(
        "reseller",
        "hand-made",
        acls=["list-accts"],
        create_time=now - 10 * 86400,
        expires_at=now - 86400,
        whitelist_ips=["192.0.2.10"],
    )
    assert len(secret) == 32
    listed = call(simulator, "api_token_list", DEMO_RESELLER)["data"]["tokens"]["hand-made"]
    assert listed["expires_at"] == now - 86400
    assert listed["whitelist_ips"] == ["192.0.2.10"]


def test_add_token_full_access(simulator: Simulator) -> None:
    secret = simulator.store.add_token(
        "root", "everything", acls=[], create_time=0, expires_at=None, full_access=True
    )
    privileges = call(simulator, "myprivs", token_header("root", secret))["data"]["privileges"]
    assert privileges[0]["all"] == 1


def test_store_survives_a_restart(tmp_path: Path) -> None:
    with Simulator(tmp_path) as first:
        secret = call(first, "api_token_create", DEMO_ROOT, token_name="kept")["data"]["token"]
    with Simulator(tmp_path) as second:
        reply = call(second, "listaccts", token_header("root", secret))
        assert reply["metadata"]["result"] == 1
        # Not seeded again: the demo tokens are there once, beside the new one.
        assert len(call(second, "api_token_list", DEMO_ROOT)["data"]["tokens"]) == 7


def test_restart_with_other_users_keeps_the_seeded_ones(tmp_path: Path) -> None:
    Simulator(tmp_path).close()
    users = [SimUser("alice", "alice-pass", ("all",))]
    with Simulator(tmp_path, users=users) as simulator:
        assert call(simulator, "myprivs", DEMO_ROOT)["metadata"]["result"] == 1
        assert (
            get(
                f"{simulator.url}/json-api/myprivs?api.version=1", auth=("alice", "alice-pass")
            ).status_code
            == 403
        )


def test_two_servers_share_one_state_dir(tmp_path: Path) -> None:
    with Simulator(tmp_path) as one, Simulator(tmp_path) as two:
        secret = call(one, "api_token_create", DEMO_ROOT, token_name="shared")["data"]["token"]
        assert call(two, "listaccts", token_header("root", secret))["metadata"]["result"] == 1
        one.set_fault("http-503", count=1)
        assert get(f"{two.url}/json-api/myprivs", auth=DEMO_ROOT).status_code == 503
        assert [r.function for r in one.requests()] == [
            "api_token_create",
            "listaccts",
            "myprivs",
        ]


def test_no_secret_or_password_is_stored_in_clear(simulator: Simulator, root: Whm) -> None:
    secret = root.ok("api_token_create", {"token_name": "hidden"})["token"]
    root.ok("api_token_get_details", {"token": secret})
    files = sorted(simulator.state_dir.glob("whm.sqlite3*"))
    stored = b"".join(path.read_bytes() for path in files)
    assert files
    for clear in (secret, DEMO_ROOT[1], DEMO_RESELLER[1]):
        assert clear.encode() not in stored


def test_custom_users_are_seeded_with_accounts_and_demo_tokens(tmp_path: Path) -> None:
    users = [
        SimUser("alice", "alice-pass", ("list-accts", "manage-api-tokens")),
        SimUser("bob", "bob-pass", ("all",)),
    ]
    with Simulator(tmp_path, users=users) as simulator:
        alice = ("alice", "alice-pass")
        tokens = call(simulator, "api_token_list", alice)["data"]["tokens"]
        assert len(tokens) == 6
        # A token's ACLs come from what its user holds.
        assert all(set(t["acls"]) == {"list-accts", "manage-api-tokens"} for t in tokens.values())
        assert len(call(simulator, "listaccts", alice)["data"]["acct"]) == 3
        assert len(call(simulator, "listaccts", ("bob", "bob-pass"))["data"]["acct"]) == 6


def test_many_tokens_are_seeded_with_mixed_states(tmp_path: Path) -> None:
    # How fast this is belongs in bench/, not in a timed test.
    simulator = Simulator(tmp_path, tokens=10_000)
    tokens = simulator.store.tokens("root")
    simulator.close()
    assert len(tokens) == 10_000
    kinds = collections.Counter(token.name.rsplit("-", 1)[0] for token in tokens)
    assert set(kinds) == {
        "no-expiry",
        "expired",
        "expiring",
        "ip-restricted",
        "full-access",
        "two-privileges",
    }
    assert min(kinds.values()) >= 1666
    assert {token.name for token in tokens} >= {"no-expiry-00001", "ip-restricted-10000"}


def test_many_tokens_replace_only_the_first_users_demo_tokens(tmp_path: Path) -> None:
    simulator = Simulator(tmp_path, tokens=3)
    assert [t.name for t in simulator.store.tokens("root")] == [
        "expiring-00003",
        "expired-00002",
        "no-expiry-00001",
    ]
    assert len(simulator.store.tokens("reseller")) == 6
    simulator.close()


def test_store_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "whm.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="--reset"):
        Database(path)
