"""The demo state of a new store: users, their accounts (cPanel accounts with passwords among
them), and WHM and cPanel tokens in every state the UI shows."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from tokenui.acls import ACL_KEYS, CATALOGUE

from .functions import SHARED_IP
from .store import Account, CpanelLogin, Seed, SimAccount, SimUser, StoredCpanelToken, StoredToken

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


# Each demo cPanel account's tokens: name, age in days, expiry in days from now (None: never),
# read-only. One expired, one expiring within a week, one far off, two that never expire.
_DEMO_CPANEL_TOKENS = (
    ("deploy-script", 90, None, False),
    ("wordpress-sync", 20, 200, False),
    ("site-monitor", 362, 2, False),
    ("old-backup", 400, -12, False),
    ("stats-reader", 5, None, True),
)
# Which demo account lacks the `apitokens` feature: root's second.
_WITHOUT_APITOKENS = 1


def demo_seed(
    users: Sequence[SimUser],
    token_count: int | None,
    now: int,
    accounts: Sequence[SimAccount] | None = None,
) -> Seed:
    """Users with a few accounts each and the demo tokens; with `token_count`, the first user
    and the first cPanel account with `apitokens` get that many tokens of mixed kinds instead
    (deterministic names, e.g. `expired-00002`).

    The cPanel accounts with a password are `demo_cpanel_accounts(users)`, each with the demo
    cPanel tokens, or else `accounts` alone (made beside the generated ones, without tokens).
    """
    tokens: list[StoredToken] = []
    for index, user in enumerate(users):
        if index == 0 and token_count is not None:
            tokens += _many_tokens(user, token_count, now)
        else:
            tokens += [
                _token_of_kind(user, name, kind, now - age * DAY, now, variation)
                for name, kind, age, variation in _DEMO_TOKENS
            ]
    generated = _accounts(users, now)
    if accounts is None:
        logins = demo_cpanel_accounts(users)
        with_tokens = [a.user for a in logins if a.apitokens]
        cpanel_tokens = _demo_cpanel_tokens(with_tokens, token_count, now)
    else:
        logins = tuple(accounts)
        taken = {a.user for a in logins}
        generated = [a for a in generated if a.user not in taken]
        generated += [_account_for(login, now) for login in logins]
        cpanel_tokens = []
    return Seed(
        users,
        tokens,
        generated,
        [CpanelLogin(a.user, a.password, () if a.apitokens else ("apitokens",)) for a in logins],
        cpanel_tokens,
    )


def demo_cpanel_accounts(users: Sequence[SimUser]) -> tuple[SimAccount, ...]:
    """The demo accounts that can sign in to cPanel: each user's accounts but the suspended one
    (cPanel lets no one into a suspended account); root's second one lacks `apitokens`."""
    logins = []
    for n, account in enumerate(_accounts(users, 0)):
        if account.suspend_reason is None:
            logins.append(
                SimAccount(
                    account.user,
                    f"demo-{account.user}-pass",
                    account.owner,
                    apitokens=n != _WITHOUT_APITOKENS,
                )
            )
    return tuple(logins)


def _demo_cpanel_tokens(
    users: Sequence[str], token_count: int | None, now: int
) -> list[StoredCpanelToken]:
    tokens = []
    for index, user in enumerate(users):
        if index == 0 and token_count is not None:
            tokens += _many_cpanel_tokens(user, token_count, now)
            continue
        for name, age, expires_in, read_only in _DEMO_CPANEL_TOKENS:
            expires_at = None if expires_in is None else now + expires_in * DAY
            tokens.append(StoredCpanelToken(user, name, now - age * DAY, expires_at, read_only))
    return tokens


def _many_cpanel_tokens(user: str, count: int, now: int) -> list[StoredCpanelToken]:
    spacing = min(MINUTE, 30 * DAY // max(count, 1))
    start = now - 60 * DAY
    tokens = []
    for n in range(1, count + 1):
        kind = (NO_EXPIRY, EXPIRED, EXPIRING)[(n - 1) % 3]
        expires_at = {
            NO_EXPIRY: None,
            EXPIRED: now - DAY * (1 + n % 30),
            EXPIRING: now + HOUR * (1 + n % 160),
        }[kind]
        tokens.append(StoredCpanelToken(user, f"{kind}-{n:05d}", start + n * spacing, expires_at))
    return tokens


def _account_for(login: SimAccount, now: int) -> Account:
    domain = f"{login.user}.example"
    return Account(
        user=login.user,
        domain=domain,
        email=f"admin@{domain}",
        plan="default",
        owner=login.owner,
        ip=SHARED_IP,
        create_time=now - 30 * DAY,
    )


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
