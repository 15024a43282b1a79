"""The demo state of a new store: users, their accounts, and tokens in every state the UI shows."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from tokenui.acls import ACL_KEYS, CATALOGUE

from .functions import SHARED_IP
from .store import Account, Seed, SimUser, StoredToken

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_BASIC_PRIVILEGES = tuple(
    acl.key
    for group in CATALOGUE
    if group.title == "Basic Privileges"
    for section in group.sections
    for acl in section.acls
)
# What a hosting company typically grants a reseller: run its own accounts, DNS and packages.
RESELLER_ACLS = (
    *_BASIC_PRIVILEGES,
    "list-accts",
    "show-bandwidth",
    "create-acct",
    "suspend-acct",
    "passwd",
    "create-dns",
    "edit-dns",
    "add-pkg",
    "edit-pkg",
    "allow-parkedcreate",
    # A plugin's ACL, so the dashboard's "Additional Software" group has something to show.
    "software-ConfigServer-csf",
)
ROOT_USER = SimUser("root", "demo-root-pass", ("all",))
RESELLER_USER = SimUser("reseller", "demo-reseller-pass", RESELLER_ACLS)
DEMO_USERS = (ROOT_USER, RESELLER_USER)

NO_EXPIRY = "no-expiry"
EXPIRED = "expired"
EXPIRING = "expiring"
IP_RESTRICTED = "ip-restricted"
FULL_ACCESS = "full-access"
TWO_PRIVILEGES = "two-privileges"
TOKEN_KINDS = (NO_EXPIRY, EXPIRED, EXPIRING, IP_RESTRICTED, FULL_ACCESS, TWO_PRIVILEGES)
# Stored as WHM normalises them.
DEMO_WHITELIST = ("192.0.2.10", "198.51.100.0/24", "2001:0db8:0000:0000:0000:0000:0000:0000/32")
# Each user's demo tokens: name, kind, age in days, and a variation that sets the expiry
# (the expired one lapsed 5 days ago; the expiring one lapses in 3 days).
_DEMO_TOKENS = (
    ("backup-script", NO_EXPIRY, 120, 0),
    ("old-migration", EXPIRED, 400, 4),
    ("monitoring", EXPIRING, 362, 71),
    ("billing-bot", IP_RESTRICTED, 45, 0),
    ("automation", FULL_ACCESS, 10, 0),
    ("reporting", TWO_PRIVILEGES, 3, 0),
)
_SITES = ("acme", "bakery", "florist", "garage", "studio", "clinic", "travel", "books", "cafe")
ACCOUNTS_PER_USER = 3
# Preferred for the demo tokens' ACLs: what a script that reads or provisions accounts asks for.
_TOKEN_ACLS = ("list-accts", "show-bandwidth", "create-acct")


def demo_seed(users: Sequence[SimUser], token_count: int | None, now: int) -> Seed:
    """Users with a few accounts each and the demo tokens; with `token_count`, the first user
    gets that many tokens of mixed kinds instead (deterministic names, e.g. `expired-00002`)."""
    tokens: list[StoredToken] = []
    for index, user in enumerate(users):
        if index == 0 and token_count is not None:
            tokens += _many_tokens(user, token_count, now)
        else:
            tokens += [
                _token_of_kind(user, name, kind, now - age * DAY, now, variation)
                for name, kind, age, variation in _DEMO_TOKENS
            ]
    return Seed(users, tokens, _accounts(users, now))


def _many_tokens(user: SimUser, count: int, now: int) -> list[StoredToken]:
    # A minute apart from 60 days ago, closer together for huge counts so all are in the past
    # and each expired one was created before it lapsed.
    spacing = min(MINUTE, 30 * DAY // max(count, 1))
    start = now - 60 * DAY
    tokens = []
    for n in range(1, count + 1):
        kind = TOKEN_KINDS[(n - 1) % len(TOKEN_KINDS)]
        tokens.append(_token_of_kind(user, f"{kind}-{n:05d}", kind, start + n * spacing, now, n))
    return tokens


def _token_of_kind(
    user: SimUser, name: str, kind: str, create_time: int, now: int, variation: int
) -> StoredToken:
    if kind == FULL_ACCESS:
        return StoredToken(user.name, name, create_time, None, True, (), ())
    acls = _held_acls(user, 2 if kind == TWO_PRIVILEGES else 1)
    expires_at: int | None = None
    whitelist: tuple[str, ...] = ()
    if kind == EXPIRED:
        expires_at = now - DAY * (1 + variation % 30)
    elif kind == EXPIRING:
        expires_at = now + HOUR * (1 + variation % 160)  # always within 7 days
    elif kind == IP_RESTRICTED:
        expires_at = now + 180 * DAY
        whitelist = DEMO_WHITELIST
    return StoredToken(user.name, name, create_time, expires_at, False, acls, whitelist)


@functools.cache  # the same few answers for each of up to 10,000 seeded tokens
def _held_acls(user: SimUser, count: int) -> tuple[str, ...]:
    holds_all = "all" in user.acls
    candidates = dict.fromkeys((*_TOKEN_ACLS, *ACL_KEYS))
    held = [acl for acl in candidates if acl != "all" and (holds_all or acl in user.acls)]
    return tuple(sorted(held[:count]))


def _accounts(users: Sequence[SimUser], now: int) -> list[Account]:
    accounts = []
    for user_index, user in enumerate(users):
        plan = "default" if "all" in user.acls else f"{user.name}_basic"
        for k in range(ACCOUNTS_PER_USER):
            n = user_index * ACCOUNTS_PER_USER + k
            lap, site = divmod(n, len(_SITES))
            username = f"{_SITES[site]}{lap or ''}"
            domain = f"{username}.example"
            accounts.append(
                Account(
                    user=username,
                    domain=domain,
                    email=f"admin@{domain}",
                    plan=plan,
                    owner=user.name,
                    ip=SHARED_IP,
                    create_time=now - (90 + 30 * n) * DAY,
                    # The last account of each user is suspended, so that state shows too.
                    suspend_reason="Unpaid invoice" if k == ACCOUNTS_PER_USER - 1 else None,
                )
            )
    return accounts
