"""WHM's state in the simulator: users, their tokens and accounts, and the seed to reset to.

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

SECRET_ALPHABET = string.ascii_uppercase + string.digits
SECRET_LENGTH = 32

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
    # The seeded state, copied back by reset(): faster than seeding again, and the same rows.
    "CREATE TABLE IF NOT EXISTS seed_tokens AS SELECT * FROM tokens WHERE 0",
    "CREATE TABLE IF NOT EXISTS seed_accounts AS SELECT * FROM accounts WHERE 0",
)
_INSERT_TOKEN = """INSERT INTO tokens
    (secret_hash, user, name, create_time, expires_at, full_access, acls, whitelist_ips)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""  # noqa: S105 - SQL, named for its table
_INSERT_ACCOUNT = """INSERT INTO accounts
    (user, domain, email, plan, owner, ip, create_time, suspend_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
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
    expires_at: int | None
    full_access: bool
    acls: tuple[str, ...]
    whitelist_ips: tuple[str, ...]  # empty: any IP

    def expired(self, now: int) -> bool:
        return self.expires_at is not None and self.expires_at <= now


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
class Seed:
    """The initial state of an empty store."""

    users: Sequence[SimUser]
    tokens: Sequence[StoredToken]
    accounts: Sequence[Account]


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
            conn.execute("INSERT INTO seed_tokens SELECT * FROM tokens")
            conn.execute("INSERT INTO seed_accounts SELECT * FROM accounts")

    def reset(self) -> None:
        """Back to the seeded tokens and accounts."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM tokens")
            conn.execute("INSERT INTO tokens SELECT * FROM seed_tokens")
            conn.execute("DELETE FROM accounts")
            conn.execute("INSERT INTO accounts SELECT * FROM seed_accounts")

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
        expires_at: int | None,
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
