"""Risk flags: which of a token's settings make it dangerous, each with its words and why.

A pure module over the tokens the tables show (WHM's ApiToken and TokenSummary, cPanel's
CpanelToken): the single-server table, the fleet view, the Generate/Edit form and the exports
all read these rules and no other.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tokenui.acls import BYPASS_ACLS
from tokenui.whm.types import ApiToken, CpanelToken, TokenSummary

# Ranges wider than these (shorter prefixes) let in whole networks.
WIDEST_IPV4_PREFIX = 16
WIDEST_IPV6_PREFIX = 48


@dataclass(frozen=True, slots=True)
class Flag:
    """One risk: a stable key (CSS, exports, filters), the table's short words and why."""

    key: str
    words: str
    explanation: str


FULL_ACCESS_FLAG = Flag(
    "full-access",
    "Full access",
    "Holds All Features, or was made without privileges and so inherits everything its owner "
    "holds, now and later.",
)
BYPASS_FLAG = Flag(
    "bypass",
    "Can bypass limits",
    "Holds a privilege that WHM warns “will allow an API token user to bypass any restrictions "
    "that you set on the API token”.",
)
NO_EXPIRY_FLAG = Flag("no-expiry", "No expiry", "Never expires: it works until it is revoked.")
ANY_IP_FLAG = Flag("any-ip", "Any IP", "No IP address restriction: it works from any IP address.")
WIDE_RANGE_FLAG = Flag(
    "wide-range",
    "Wide range",
    f"Its IP allow-list has a range wider than /{WIDEST_IPV4_PREFIX} (IPv4) or "
    f"/{WIDEST_IPV6_PREFIX} (IPv6), such as 0.0.0.0/0 or ::/0.",
)
EXPIRED_FLAG = Flag(
    "expired",
    "Expired",
    "Expired but not revoked: WHM keeps it listed until someone revokes it.",
)

# In the order the table shows them, and the legend explains them.
ALL_FLAGS: tuple[Flag, ...] = (
    FULL_ACCESS_FLAG,
    BYPASS_FLAG,
    NO_EXPIRY_FLAG,
    ANY_IP_FLAG,
    WIDE_RANGE_FLAG,
    EXPIRED_FLAG,
)
# cPanel's tokens have no privileges list and no IP allow-list: only these apply.
CPANEL_FLAGS: tuple[Flag, ...] = (FULL_ACCESS_FLAG, NO_EXPIRY_FLAG, EXPIRED_FLAG)

Token = ApiToken | TokenSummary | CpanelToken


def flags(
    token: Token, *, held_acls: Iterable[str] | None = None, now: datetime
) -> tuple[Flag, ...]:
    """The token's risk flags, in ALL_FLAGS' order.

    `held_acls`, the privileges of the token's owner when known, also marks as full access a
    token that holds every one of them (WHM lists a reseller's token made without privileges
    that way: the list cannot tell the two apart, and both can do all the owner can).
    """
    full, bypass, ips = _access(token, held_acls)
    expires_at = _expiry_seconds(token)
    found = []
    if full:
        found.append(FULL_ACCESS_FLAG)
    if bypass:
        found.append(BYPASS_FLAG)
    if expires_at is None:
        found.append(NO_EXPIRY_FLAG)
    if ips is not None:
        if not ips:
            found.append(ANY_IP_FLAG)
        elif any(map(is_wide_range, ips)):
            found.append(WIDE_RANGE_FLAG)
    if expires_at is not None and expires_at <= now.timestamp():
        found.append(EXPIRED_FLAG)
    return tuple(found)


def _access(
    token: Token, held_acls: Iterable[str] | None
) -> tuple[bool, bool, tuple[str, ...] | None]:
    """Whether the token has full access, whether it can bypass its limits, and its IP
    allow-list (None for cPanel's tokens, which have none)."""
    if isinstance(token, CpanelToken):
        # A read-only token lists has_full_access too (11.137), but it can change nothing.
        return token.full_access and not token.read_only, False, None
    if isinstance(token, TokenSummary):
        return token.full_access, token.bypass, token.whitelist_ips
    full = token.has_full_access or _holds_all(token.acls, held_acls)
    return full, not full and not BYPASS_ACLS.isdisjoint(token.acls), token.whitelist_ips


def is_wide_range(entry: str) -> bool:
    """An allow-list entry wider than /16 (IPv4) or /48 (IPv6); one that is no network at all
    (WHM never stores such) is not flagged."""
    if "/" not in entry:
        # A lone address (/32 or /128), most of every list: no need to parse it to know. The
        # fleet view asks this of every entry of every token of 20 servers in one request.
        return False
    return _is_wide_network(entry.strip())


@functools.lru_cache(maxsize=1024)  # the same few ranges recur across a list's tokens
def _is_wide_network(entry: str) -> bool:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    widest = WIDEST_IPV4_PREFIX if network.version == 4 else WIDEST_IPV6_PREFIX
    return network.prefixlen < widest


def _holds_all(acls: frozenset[str], held: Iterable[str] | None) -> bool:
    if held is None:
        return False
    # Root holds `all`, which a token has only when given it: every other box ticked is less.
    held = frozenset(held)
    return bool(held) and held <= acls


def _expiry_seconds(token: Token) -> float | None:
    if isinstance(token, TokenSummary):
        return token.expires_at
    return None if token.expires is None else token.expires.timestamp()
