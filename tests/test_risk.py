"""The risk rules, one test (or table of cases) per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from tokenui import risk
from tokenui.whm import replies
from tokenui.whm.types import ApiToken, CpanelToken, TokenSummary

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def whm_token(
    *,
    acls: frozenset[str] = frozenset({"list-accts"}),
    expires: datetime | None = LATER,
    ips: tuple[str, ...] = ("192.0.2.1",),
) -> ApiToken:
    return ApiToken("t", NOW - timedelta(days=1), expires, acls, ips)


def keys(token: object, **kwargs: object) -> set[str]:
    return {flag.key for flag in risk.flags(token, now=NOW, **kwargs)}  # type: ignore[arg-type]


def test_a_limited_token_has_no_flags() -> None:
    assert keys(whm_token()) == set()
    assert keys(TokenSummary.of(whm_token())) == set()


def test_all_features_is_full_access() -> None:
    assert keys(whm_token(acls=frozenset({"all"}))) == {"full-access"}


def test_a_token_made_without_privileges_is_full_access() -> None:
    # WHM stores no list for a token made without acl-N: it inherits all its owner holds.
    record = {"create_time": 1, "expires_at": 4102444800, "whitelist_ips": ["192.0.2.1"]}
    [token] = replies.token_list({"tokens": {"t": record}})
    assert keys(token) == {"full-access"}


def test_a_token_holding_everything_its_reseller_holds_is_full_access() -> None:
    held = frozenset({"list-accts", "create-acct"})
    assert keys(whm_token(acls=held), held_acls=held) == {"full-access"}
    assert keys(whm_token(acls=frozenset({"list-accts"})), held_acls=held) == set()


@pytest.mark.parametrize("acl", ["manage-api-tokens", "create-user-session", "cpanel-api"])
def test_a_privilege_whm_warns_bypasses_restrictions_is_flagged(acl: str) -> None:
    assert keys(whm_token(acls=frozenset({"list-accts", acl}))) == {"bypass"}
    assert keys(TokenSummary.of(whm_token(acls=frozenset({acl})))) == {"bypass"}


def test_passwd_warning_is_not_a_bypass() -> None:
    assert keys(whm_token(acls=frozenset({"passwd"}))) == set()


def test_no_expiry_is_flagged() -> None:
    assert keys(whm_token(expires=None)) == {"no-expiry"}
    assert keys(TokenSummary.of(whm_token(expires=None))) == {"no-expiry"}


def test_no_ip_restriction_is_any_ip() -> None:
    assert keys(whm_token(ips=())) == {"any-ip"}


@pytest.mark.parametrize(
    ("entry", "wide"),
    [
        ("10.0.0.0/15", True),
        ("10.0.0.0/16", False),
        ("10.1.2.0/24", False),
        ("0.0.0.0/0", True),
        ("2001:db8::/47", True),
        ("2001:db8::/48", False),
        ("2001:0db8:0000:0000:0000:0000:0000:0000/32", True),
        ("::/0", True),
        ("2001:db8::1", False),
        ("192.0.2.1", False),
        (" 10.0.0.0/8 ", True),
        ("10.0.0.0/x", False),  # no network at all: never flagged
        ("example", False),
    ],
)
def test_a_range_wider_than_16_or_48_is_wide_range(entry: str, wide: bool) -> None:
    assert risk.is_wide_range(entry) is wide
    token = whm_token(ips=("192.0.2.1", entry))
    assert keys(token) == ({"wide-range"} if wide else set())


def test_expired_but_not_revoked_is_flagged_from_the_moment_it_expires() -> None:
    assert keys(whm_token(expires=NOW)) == {"expired"}
    assert keys(whm_token(expires=NOW - timedelta(days=3))) == {"expired"}
    assert keys(whm_token(expires=NOW + timedelta(seconds=1))) == set()
    assert keys(TokenSummary.of(whm_token(expires=NOW - timedelta(days=3)))) == {"expired"}


def test_flags_come_in_the_legend_order() -> None:
    token = whm_token(acls=frozenset({"all"}), expires=None, ips=())
    assert [f.key for f in risk.flags(token, now=NOW)] == ["full-access", "no-expiry", "any-ip"]


def test_cpanel_tokens_get_only_the_flags_cpanel_has() -> None:
    token = CpanelToken("c", NOW, None, full_access=True, read_only=False, features=())
    assert keys(token) == {"full-access", "no-expiry"}
    expired = CpanelToken("c", NOW, NOW, full_access=False, read_only=True, features=("x",))
    assert keys(expired) == {"expired"}
    assert {f.key for f in risk.CPANEL_FLAGS} == {"full-access", "no-expiry", "expired"}


def test_every_flag_has_words_and_an_explanation() -> None:
    assert [f.words for f in risk.ALL_FLAGS] == [
        "Full access",
        "Can bypass limits",
        "No expiry",
        "Any IP",
        "Wide range",
        "Expired",
    ]
    assert all(f.explanation.endswith((".", "”.")) for f in risk.ALL_FLAGS)


@pytest.mark.parametrize(
    ("acls", "expected"),
    [
        ({"all": 0, "list-accts": 1}, set()),
        ({"all": 1, "list-accts": 1}, {"full-access"}),
        (None, {"full-access"}),  # no map: made without privileges
        # A reseller's map has no `all`: every listed key at 1 is a token made without privileges.
        ({"list-accts": 1, "manage-api-tokens": 1}, {"full-access"}),
        # Plugins' keys are not read: the list may overstate such a token, never understate it.
        ({"list-accts": 1, "software-x": 0}, {"full-access"}),
        ({"list-accts": 1, "create-acct": 0, "manage-api-tokens": 1}, {"bypass"}),
        ({"list-accts": "yes"}, set()),  # a shape list_tokens() refuses: no flags, no error
    ],
)
def test_the_table_summary_reads_the_acl_flags_from_whms_list(
    acls: object, expected: set[str]
) -> None:
    record: dict[str, object] = {
        "create_time": 1,
        "expires_at": 4102444800,
        "whitelist_ips": ["192.0.2.1"],
    }
    if acls is not None:
        record["acls"] = acls
    body = msgspec.json.encode({"tokens": {"t": record}})
    [summary] = replies.token_summaries(msgspec.json.Decoder(replies.ListedTokens).decode(body))
    assert keys(summary) == expected


def test_a_token_with_every_privilege_but_all_is_not_full_access_for_root() -> None:
    held = frozenset({"all", "list-accts", "manage-api-tokens"})
    token = whm_token(acls=frozenset({"list-accts", "manage-api-tokens"}))
    assert keys(token, held_acls=held) == {"bypass"}


def test_a_read_only_cpanel_token_is_not_flagged_full_access() -> None:
    # cPanel 11.137 lists a read-only token with has_full_access: 1 as well; it changes nothing.
    now = datetime.now(UTC)
    token = CpanelToken("stats-reader", now, None, full_access=True, read_only=True, features=())
    assert risk.FULL_ACCESS_FLAG not in risk.flags(token, now=now)
    writable = CpanelToken("deploy", now, None, full_access=True, read_only=False, features=())
    assert risk.FULL_ACCESS_FLAG in risk.flags(writable, now=now)
