"""WHM's and cPanel's state in the simulator: WHM users and their tokens, the cPanel accounts
(with their passwords, features, tokens and email accounts), and the seed to reset to.

The controls tests use (request log, counters, fault switches) live in controls.py; both keep
their tables in the one shared SQLite file (database.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import string
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .database import Database
from .sessions import Sessions

SECRET_ALPHABET = string.ascii_uppercase + string.digits
SECRET_LENGTH = 32

# A token's `expires_at` as WHM and cPanel keep it: Unix seconds, None for never, or "" when it
# was sent empty (`expires_at=`), which is kept as it came and never expires either.
type Expiry = int | str | None

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        acls TEXT NOT NULL
    )""",
    # acls is a JSON array ([] for a full-access token); whitelist_ips a JSON array or NULL (any).
    """CREATE TABLE IF NOT EXISTS tokens (
        id INTEGER PRIMARY KEY,
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        create_time INTEGER NOT NULL,
        expires_at INTEGER,
        full_access INTEGER NOT NULL,
        acls TEXT NOT NULL,
        whitelist_ips TEXT,
        UNIQUE (user, name)
    )""",
    """CREATE TABLE IF NOT EXISTS accounts (
        user TEXT PRIMARY KEY,
        domain TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        plan TEXT NOT NULL,
        owner TEXT NOT NULL,
        ip TEXT NOT NULL,
        create_time INTEGER NOT NULL,
        suspend_reason TEXT
    )""",
    # A cPanel account's own sign-in: only accounts with a row here have a password. An account
    # without a row has every feature (cPanel's default feature list includes `apitokens`).
    # disabled_features is a JSON array.
    """CREATE TABLE IF NOT EXISTS cpanel_logins (
        user TEXT PRIMARY KEY,
        password_hash TEXT,
        disabled_features TEXT NOT NULL
    )""",
    # A cPanel account's API tokens (UAPI Tokens): no ACLs and no IP list, only a name and an
    # expiry. read_only marks the read-only tokens newer cPanel versions can make.
    """CREATE TABLE IF NOT EXISTS cpanel_tokens (
        id INTEGER PRIMARY KEY,
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        create_time INTEGER NOT NULL,
        expires_at INTEGER,
        read_only INTEGER NOT NULL,
        UNIQUE (user, name)
    )""",
    # A cPanel account's email accounts (UAPI Email::add_pop), just enough for seed 004's curl.
    """CREATE TABLE IF NOT EXISTS pops (
        user TEXT NOT NULL,
        email TEXT NOT NULL,
        domain TEXT NOT NULL,
        PRIMARY KEY (email, domain)
    )""",
)
# The seeded state, copied back by reset(): faster than seeding again, and the same rows.
_SEEDED_TABLES = ("tokens", "accounts", "cpanel_logins", "cpanel_tokens", "pops")
_SCHEMA += tuple(
    f"CREATE TABLE IF NOT EXISTS seed_{table} AS SELECT * FROM {table} WHERE 0"  # noqa: S608
    for table in _SEEDED_TABLES
)
_INSERT_TOKEN = """INSERT INTO tokens
    (secret_hash, user, name, create_time, expires_at, full_access, acls, whitelist_ips)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""  # noqa: S105 - SQL, named for its table
_INSERT_ACCOUNT = """INSERT INTO accounts
    (user, domain, email, plan, owner, ip, create_time, suspend_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_CPANEL_TOKEN = """INSERT INTO cpanel_tokens
    (secret_hash, user, name, create_time, expires_at, read_only)
    VALUES (?, ?, ?, ?, ?, ?)"""  # noqa: S105 - SQL, named for its table
_SELECT_CPANEL_TOKENS = "SELECT user, name, create_time, expires_at, read_only FROM cpanel_tokens"
_SELECT_TOKENS = (
    "SELECT user, name, create_time, expires_at, full_access, acls, whitelist_ips FROM tokens"
)


class TokenNameTaken(Exception):
    """The user already has a token of that name."""


class AccountTaken(Exception):
    """An account already has that username or domain; `field` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True, slots=True)
class SimUser:
    """A simulated WHM user: sign-in name, password, and the ACLs it holds."""

    name: str
    password: str = field(repr=False)
    acls: tuple[str, ...]


def expired(expires_at: Expiry, now: int) -> bool:
    """Whether a token with this expiry no longer works at `now`: None and "" never expire,
    and a token still works in its last second (`$expires_at < time()`, APITokens.pm:142)."""
    return isinstance(expires_at, int) and expires_at < now


def holds(acls: Collection[str], acl: str) -> bool:
    """Whether `acls` grant `acl`: WHM's `all` grants everything."""
    return "all" in acls or acl in acls


@dataclass(frozen=True, slots=True)
class StoredUser:
    name: str
    acls: frozenset[str]

    def holds(self, acl: str) -> bool:
        return holds(self.acls, acl)


@dataclass(frozen=True, slots=True)
class StoredToken:
    user: str
    name: str
    create_time: int
    expires_at: Expiry
    full_access: bool
    acls: tuple[str, ...]
    whitelist_ips: tuple[str, ...]  # empty: any IP

    def expired(self, now: int) -> bool:
        return expired(self.expires_at, now)


@dataclass(frozen=True, slots=True)
class Account:
    user: str
    domain: str
    email: str
    plan: str
    owner: str
    ip: str
    create_time: int
    suspend_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SimAccount:
    """A cPanel account with a password, owned by the WHM user `owner`."""

    user: str
    password: str = field(repr=False)
    owner: str
    # The account's `apitokens` feature: without it, UAPI Tokens refuses every call.
    apitokens: bool = True


@dataclass(frozen=True, slots=True)
class CpanelLogin:
    """A seeded account's cPanel password and the features turned off for it."""

    user: str
    password: str | None = field(repr=False)
    disabled_features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredCpanelToken:
    user: str
    name: str
    create_time: int
    expires_at: Expiry
    read_only: bool = False

    def expired(self, now: int) -> bool:
        return expired(self.expires_at, now)


@dataclass(frozen=True, slots=True)
class Seed:
    """The initial state of an empty store."""

    users: Sequence[SimUser]
    tokens: Sequence[StoredToken]
    accounts: Sequence[Account]
    cpanel_logins: Sequence[CpanelLogin] = ()
    cpanel_tokens: Sequence[StoredCpanelToken] = ()


def _new_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def _secret_hash(secret: str) -> str:
    # A token secret carries 165 random bits: a plain digest is enough, no salt or stretching.
    return hashlib.sha256(secret.encode()).hexdigest()


def _password_hash(password: str, salt: bytes) -> str:
    # Salted SHA-256, not a slow KDF: these are demo passwords printed at start, and benchmarks
    # sign in on every call, so a KDF would only measure itself.
    return f"{salt.hex()}${hashlib.sha256(salt + password.encode()).hexdigest()}"


def _password_matches(stored: str, password: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    return hmac.compare_digest(_password_hash(password, bytes.fromhex(salt_hex)), stored)


class Store:
    """Users, tokens and accounts, and the seeded state reset() goes back to."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)
        # create_user_session's sessions: never seeded, none after a reset.
        self.sessions = Sessions(db)

    # --- seeding and reset ---------------------------------------------------------------------

    def seed_if_empty(self, build: Callable[[], Seed]) -> None:
        """Fill the store from `build()` if it is empty, and remember that state for reset()."""
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                return
            seed = build()
            conn.executemany(
                "INSERT INTO users VALUES (?, ?, ?)",
                (
                    (
                        u.name,
                        _password_hash(u.password, secrets.token_bytes(16)),
                        json.dumps(u.acls),
                    )
                    for u in seed.users
                ),
            )
            # Seeded tokens get random secrets that nobody keeps: only their hashes are stored.
            conn.executemany(
                _INSERT_TOKEN,
                ((_secret_hash(secrets.token_hex(20)), *_token_row(t)) for t in seed.tokens),
            )
            conn.executemany(_INSERT_ACCOUNT, (_account_row(a) for a in seed.accounts))
            conn.executemany(
                "INSERT INTO cpanel_logins VALUES (?, ?, ?)",
                (
                    (
                        login.user,
                        None
                        if login.password is None
                        else _password_hash(login.password, secrets.token_bytes(16)),
                        json.dumps(list(login.disabled_features)),
                    )
                    for login in seed.cpanel_logins
                ),
            )
            conn.executemany(
                _INSERT_CPANEL_TOKEN,
                (
                    (_secret_hash(secrets.token_hex(20)), *_cpanel_token_row(t))
                    for t in seed.cpanel_tokens
                ),
            )
            for table in _SEEDED_TABLES:
                conn.execute(f"INSERT INTO seed_{table} SELECT * FROM {table}")  # noqa: S608

    def reset(self) -> None:
        """Back to the seeded tokens, accounts, cPanel logins, cPanel tokens and mailboxes, with
        no user sessions."""
        with self._db.transaction() as conn:
            for table in _SEEDED_TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
                conn.execute(f"INSERT INTO {table} SELECT * FROM seed_{table}")  # noqa: S608
        self.sessions.reset()

    # --- users ---------------------------------------------------------------------------------

    def user(self, name: str) -> StoredUser | None:
        with self._db.connection() as conn:
            row = conn.execute("SELECT name, acls FROM users WHERE name = ?", (name,)).fetchone()
        return StoredUser(row[0], frozenset(json.loads(row[1]))) if row else None

    def check_password(self, name: str, password: str) -> StoredUser | None:
        """The user, if `password` is theirs."""
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT name, acls, password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None or not _password_matches(row[2], password):
            return None
        return StoredUser(row[0], frozenset(json.loads(row[1])))

    # --- tokens --------------------------------------------------------------------------------

    def add_token(
        self,
        user: str,
        name: str,
        *,
        acls: Iterable[str],
        create_time: int,
        expires_at: Expiry,
        whitelist_ips: Iterable[str] = (),
        full_access: bool = False,
    ) -> str:
        """Store a token as given, unchecked, and return its new secret.

        api_token_create validates first, then calls this; tests call it directly for states
        the API refuses to create (already expired, say). Raises TokenNameTaken.
        """
        secret = _new_secret()
        token = StoredToken(
            user, name, create_time, expires_at, full_access, tuple(acls), tuple(whitelist_ips)
        )
        with self._db.transaction() as conn:
            if _token_exists(conn, user, name):
                raise TokenNameTaken(name)
            conn.execute(_INSERT_TOKEN, (_secret_hash(secret), *_token_row(token)))
        return secret

    def token(self, user: str, name: str) -> StoredToken | None:
        with self._db.connection() as conn:
            row = conn.execute(
                f"{_SELECT_TOKENS} WHERE user = ? AND name = ?",
                (user, name),
            ).fetchone()
        return _token(row) if row else None

    def token_by_secret(self, user: str, secret: str) -> StoredToken | None:
        with self._db.connection() as conn:
            row = conn.execute(
                f"{_SELECT_TOKENS} WHERE user = ? AND secret_hash = ?",
                (user, _secret_hash(secret)),
            ).fetchone()
        return _token(row) if row else None

    def tokens(self, user: str) -> list[StoredToken]:
        """The user's tokens, newest first."""
        with self._db.connection() as conn:
            rows = conn.execute(
                f"{_SELECT_TOKENS} WHERE user = ? ORDER BY create_time DESC, name",
                (user,),
            ).fetchall()
        return [_token(row) for row in rows]

    def replace_token(self, name: str, updated: StoredToken) -> None:
        """Overwrite the user's token `name` with `updated` (which may rename it)."""
        with self._db.transaction() as conn:
            if updated.name != name and _token_exists(conn, updated.user, updated.name):
                raise TokenNameTaken(updated.name)
            conn.execute(
                "UPDATE tokens SET user = ?, name = ?, create_time = ?, expires_at = ?, "
                "full_access = ?, acls = ?, whitelist_ips = ? WHERE user = ? AND name = ?",
                (*_token_row(updated), updated.user, name),
            )

    def revoke_tokens(self, user: str, names: Iterable[str]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "DELETE FROM tokens WHERE user = ? AND name = ?", ((user, n) for n in names)
            )

    # --- accounts ------------------------------------------------------------------------------

    def accounts(self, owner: str | None = None) -> list[Account]:
        """Every account, or those `owner` owns; by username."""
        with self._db.connection() as conn:
            rows = conn.execute(
                """SELECT user, domain, email, plan, owner, ip, create_time, suspend_reason
                FROM accounts WHERE ? IS NULL OR owner = ? ORDER BY user""",
                (owner, owner),
            ).fetchall()
        return [Account(*row) for row in rows]

    def add_account(self, account: Account) -> None:
        """Store a new account; raises AccountTaken naming the clashing field."""
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE user = ?", (account.user,)).fetchone():
                raise AccountTaken("username")
            if conn.execute(
                "SELECT 1 FROM accounts WHERE domain = ?", (account.domain,)
            ).fetchone():
                raise AccountTaken("domain")
            conn.execute(_INSERT_ACCOUNT, _account_row(account))

    def account(self, user: str) -> Account | None:
        with self._db.connection() as conn:
            row = conn.execute(
                """SELECT user, domain, email, plan, owner, ip, create_time, suspend_reason
                FROM accounts WHERE user = ?""",
                (user,),
            ).fetchone()
        return Account(*row) if row else None

    def suspend_account(self, user: str, reason: str) -> bool:
        """Suspend the account; False when it was suspended already (and is left as it was)."""
        with self._db.connection() as conn:
            cursor = conn.execute(
                "UPDATE accounts SET suspend_reason = ? WHERE user = ? AND suspend_reason IS NULL",
                (reason, user),
            )
        return cursor.rowcount > 0

    def remove_account(self, user: str) -> None:
        """Remove the account and all it had: its cPanel sign-in, tokens and mailboxes (WHM
        revokes a removed account's API tokens)."""
        with self._db.transaction() as conn:
            for table in ("accounts", "cpanel_logins", "cpanel_tokens", "pops"):
                conn.execute(f"DELETE FROM {table} WHERE user = ?", (user,))  # noqa: S608

    # --- cPanel accounts -----------------------------------------------------------------------

    def check_cpanel_password(self, user: str, password: str) -> Account | None:
        """The account, if it has a cPanel password and `password` is it."""
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT password_hash FROM cpanel_logins WHERE user = ?", (user,)
            ).fetchone()
        if row is None or row[0] is None or not _password_matches(row[0], password):
            return None
        return self.account(user)

    def has_feature(self, user: str, feature: str) -> bool:
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT disabled_features FROM cpanel_logins WHERE user = ?", (user,)
            ).fetchone()
        return row is None or feature not in json.loads(row[0])

    def set_cpanel_password(self, user: str, password: str) -> None:
        """Give an account (createacct's) a cPanel password, keeping its features."""
        with self._db.connection() as conn:
            conn.execute(
                """INSERT INTO cpanel_logins VALUES (?, ?, '[]')
                ON CONFLICT (user) DO UPDATE SET password_hash = excluded.password_hash""",
                (user, _password_hash(password, secrets.token_bytes(16))),
            )

    # --- cPanel tokens -------------------------------------------------------------------------

    def add_cpanel_token(
        self,
        user: str,
        name: str,
        *,
        create_time: int,
        expires_at: Expiry,
        read_only: bool = False,
    ) -> str:
        """Store a cPanel token as given, unchecked, and return its new secret.

        UAPI's create_full_access validates first, then calls this; tests call it directly for
        states the API refuses to create (expired, read-only). Raises TokenNameTaken."""
        secret = _new_secret()
        token = StoredCpanelToken(user, name, create_time, expires_at, read_only)
        with self._db.transaction() as conn:
            if _cpanel_token_exists(conn, user, name):
                raise TokenNameTaken(name)
            conn.execute(_INSERT_CPANEL_TOKEN, (_secret_hash(secret), *_cpanel_token_row(token)))
        return secret

    def cpanel_token_by_secret(self, user: str, secret: str) -> StoredCpanelToken | None:
        with self._db.connection() as conn:
            row = conn.execute(
                f"{_SELECT_CPANEL_TOKENS} WHERE user = ? AND secret_hash = ?",
                (user, _secret_hash(secret)),
            ).fetchone()
        return StoredCpanelToken(*row[:4], bool(row[4])) if row else None

    def cpanel_token(self, user: str, name: str) -> StoredCpanelToken | None:
        with self._db.connection() as conn:
            row = conn.execute(
                f"{_SELECT_CPANEL_TOKENS} WHERE user = ? AND name = ?", (user, name)
            ).fetchone()
        return StoredCpanelToken(*row[:4], bool(row[4])) if row else None

    def cpanel_tokens(self, user: str) -> list[StoredCpanelToken]:
        """The account's tokens, by name (cPanel itself lists them in no particular order)."""
        with self._db.connection() as conn:
            rows = conn.execute(
                f"{_SELECT_CPANEL_TOKENS} WHERE user = ? ORDER BY name", (user,)
            ).fetchall()
        return [StoredCpanelToken(*row[:4], bool(row[4])) for row in rows]

    def rename_cpanel_token(self, user: str, name: str, new_name: str) -> bool:
        """Rename; False when `name` does not exist. Raises TokenNameTaken."""
        with self._db.transaction() as conn:
            if not _cpanel_token_exists(conn, user, name):
                return False
            if _cpanel_token_exists(conn, user, new_name):
                raise TokenNameTaken(new_name)
            conn.execute(
                "UPDATE cpanel_tokens SET name = ? WHERE user = ? AND name = ?",
                (new_name, user, name),
            )
        return True

    def revoke_cpanel_token(self, user: str, name: str) -> bool:
        """Delete the token; False when there was none of that name."""
        with self._db.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM cpanel_tokens WHERE user = ? AND name = ?", (user, name)
            )
        return cursor.rowcount > 0

    # --- email accounts ------------------------------------------------------------------------

    def add_pop(self, user: str, email: str, domain: str) -> bool:
        """Add a mailbox; False when that address exists already."""
        with self._db.connection() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO pops VALUES (?, ?, ?)", (user, email, domain)
            )
        return cursor.rowcount > 0

    def pops(self, user: str) -> list[tuple[str, str]]:
        """The account's mailboxes as (local part, domain), by address."""
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT email, domain FROM pops WHERE user = ? ORDER BY domain, email", (user,)
            ).fetchall()
        return [(email, domain) for email, domain in rows]


def _cpanel_token_exists(conn: sqlite3.Connection, user: str, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM cpanel_tokens WHERE user = ? AND name = ?", (user, name))
    return row.fetchone() is not None


def _cpanel_token_row(token: StoredCpanelToken) -> tuple[Any, ...]:
    return (token.user, token.name, token.create_time, token.expires_at, int(token.read_only))


def _token_exists(conn: sqlite3.Connection, user: str, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM tokens WHERE user = ? AND name = ?", (user, name))
    return row.fetchone() is not None


def _token_row(token: StoredToken) -> tuple[Any, ...]:
    return (
        token.user,
        token.name,
        token.create_time,
        token.expires_at,
        int(token.full_access),
        json.dumps(list(token.acls)),
        json.dumps(list(token.whitelist_ips)) if token.whitelist_ips else None,
    )


def _token(row: Sequence[Any]) -> StoredToken:
    user, name, create_time, expires_at, full_access, acls, whitelist_ips = row
    return StoredToken(
        user,
        name,
        create_time,
        expires_at,
        bool(full_access),
        tuple(json.loads(acls)),
        tuple(json.loads(whitelist_ips)) if whitelist_ips else (),
    )


def _account_row(account: Account) -> tuple[Any, ...]:
    return (
        account.user,
        account.domain,
        account.email,
        account.plan,
        account.owner,
        account.ip,
        account.create_time,
        account.suspend_reason,
    )
