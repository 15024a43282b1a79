"""WHM's user sessions in the simulator: those `create_user_session` makes, signed in once through
their `/cpsessNNNNNNNNNN/login/?session=…` URL, then used with a cookie until they idle out.

After cPanel's Cpanel/Session.pm and Whostmgr/API/1/Session.pm (../shared/whm-api.md, *Acting as
a reseller*). Kept in the store's SQLite file, so simulators sharing a state dir share them; only
a hash of each session string is stored, as for token secrets.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass

from .database import Database

# Cpanel::Config::Session::PREAUTH_SESSION_DURATION: the login URL works for 5 minutes.
LOGIN_WINDOW_S = 5 * 60.0
# Cpanel::Config::Session::SESSION_EXPIRE_TIME (24 hours) is when cPanel sweeps an unused
# session's file away; a session left idle that long is gone. (cpsrvd's own idle limit is not
# in the sources read: this is the simulator's reading, and tests shorten it.)
IDLE_LIMIT_S = 24 * 60 * 60.0
SECURITY_TOKEN_PREFIX = "/cpsess"  # noqa: S105 - a path prefix, not a secret
# Cpanel::Session::Get::getsessionname: USER:RANDOM16:TAG, then _generate_ob_part's ",HEX".
_RANDOM_ALPHABET = string.ascii_letters + string.digits + "_"
_TAG = "create_user_session"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS user_sessions (
        session_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        service TEXT NOT NULL,
        security_token TEXT NOT NULL,
        login_by REAL NOT NULL,
        signed_in INTEGER NOT NULL,
        last_used REAL NOT NULL
    )""",
)


@dataclass(frozen=True, slots=True)
class UserSession:
    """A session as `create_user_session` answers it (the session string only this once)."""

    user: str
    service: str
    security_token: str
    session: str


def new_security_token() -> str:
    """Cpanel::Session::generate_new_security_token: `/cpsess` and ten digits."""
    return f"{SECURITY_TOKEN_PREFIX}{secrets.randbelow(10**10):010d}"


def _new_session(user: str) -> str:
    random = "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(16))
    return f"{user}:{random}:{_TAG},{secrets.token_hex(16)}"


def _hash(session: str) -> str:
    return hashlib.sha256(session.encode()).hexdigest()


class Sessions:
    """The sessions, and how long their login URL and their idleness may last (seconds; tests
    shorten them while the simulator runs, and reset() restores them)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)
        self.login_window_s = LOGIN_WINDOW_S
        self.idle_limit_s = IDLE_LIMIT_S

    def reset(self) -> None:
        """No sessions, and WHM's own time limits."""
        with self._db.connection() as conn:
            conn.execute("DELETE FROM user_sessions")
        self.login_window_s = LOGIN_WINDOW_S
        self.idle_limit_s = IDLE_LIMIT_S

    def create(self, user: str, service: str, now: float) -> UserSession:
        made = UserSession(user, service, new_security_token(), _new_session(user))
        with self._db.connection() as conn:
            conn.execute(
                "INSERT INTO user_sessions VALUES (?, ?, ?, ?, ?, 0, ?)",
                (
                    _hash(made.session),
                    user,
                    service,
                    made.security_token,
                    now + self.login_window_s,
                    now,
                ),
            )
        return made

    def sign_in(self, session: str, security_token: str, service: str, now: float) -> str | None:
        """Use a session's login URL: its user, once, within the login window, on the service
        and with the security token it was made for; None for anything else."""
        with self._db.connection() as conn:
            row = conn.execute(
                """UPDATE user_sessions SET signed_in = 1, last_used = ?
                WHERE session_hash = ? AND security_token = ? AND service = ?
                AND signed_in = 0 AND login_by >= ? RETURNING user""",
                (now, _hash(session), security_token, service, now),
            ).fetchone()
        return row[0] if row else None

    def user(self, session: str, security_token: str, service: str, now: float) -> str | None:
        """The user a signed-in session's cookie acts as, under the `/cpsess…` prefix it was
        made with, if it has not idled out (each use keeps it alive); None otherwise."""
        with self._db.connection() as conn:
            row = conn.execute(
                """UPDATE user_sessions SET last_used = ?
                WHERE session_hash = ? AND security_token = ? AND service = ?
                AND signed_in = 1 AND last_used >= ? RETURNING user""",
                (now, _hash(session), security_token, service, now - self.idle_limit_s),
            ).fetchone()
        return row[0] if row else None
