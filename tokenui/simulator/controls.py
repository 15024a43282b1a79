"""What tests and benchmarks use to watch and steer the simulator, kept apart from WHM's state:
the request log, the counters and the fault switches (in the shared file, so every simulator
process on a state dir sees them)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container, Sequence
from dataclasses import dataclass

from .database import Database

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS requests (
        id INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        function TEXT NOT NULL,
        user TEXT,
        auth TEXT,
        token_name TEXT,
        method TEXT NOT NULL,
        params TEXT NOT NULL,
        status INTEGER,
        result INTEGER
    )""",
    # functions is a JSON array or NULL (every function); remaining NULL means until cleared.
    """CREATE TABLE IF NOT EXISTS faults (
        id INTEGER PRIMARY KEY,
        mode TEXT NOT NULL,
        functions TEXT,
        remaining INTEGER,
        skip INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO counters VALUES ('connections_accepted', 0), ('faults_cleared', 0)",
)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One call to /json-api/, as received (secret values already replaced by "[redacted]").

    `params` maps each key to its value, or to the list of its values when it was repeated.
    `status` is None when no reply was sent (a hang or close fault); `result` is the reply's
    result, None when the reply carried none (an auth failure, a fault).
    """

    function: str
    user: str | None
    auth: str | None
    token_name: str | None
    method: str
    params: dict[str, str | list[str]]
    status: int | None
    result: int | None
    time: float


@dataclass(frozen=True, slots=True)
class TakenFault:
    mode: str
    # faults_cleared when it was taken: a hung request waits until the faults are cleared again.
    cleared: int


class Controls:
    """The request log, the connection counter and the fault switches."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)
        with db.transaction() as conn:  # a file made before faults could skip calls
            if "skip" not in {row[1] for row in conn.execute("PRAGMA table_info(faults)")}:
                conn.execute("ALTER TABLE faults ADD COLUMN skip INTEGER NOT NULL DEFAULT 0")

    def reset(self) -> None:
        """An empty log, no faults, no connections counted."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM requests")
            _clear_faults(conn)
            conn.execute("UPDATE counters SET value = 0 WHERE name = 'connections_accepted'")

    # --- request log and counters --------------------------------------------------------------

    def log_request(self, entry: LoggedRequest) -> None:
        with self._db.connection() as conn:
            conn.execute(
                """INSERT INTO requests
                (function, user, auth, token_name, method, params, status, result, time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    entry.function,
                    entry.user,
                    entry.auth,
                    entry.token_name,
                    entry.method,
                    json.dumps(entry.params),
                    entry.status,
                    entry.result,
                    entry.time,
                ),
            )

    def requests(self) -> list[LoggedRequest]:
        """The request log, oldest first."""
        with self._db.connection() as conn:
            rows = conn.execute(
                """SELECT function, user, auth, token_name, method, params, status, result, time
                FROM requests ORDER BY id"""
            ).fetchall()
        return [
            LoggedRequest(fn, user, auth, token, method, json.loads(params), status, result, at)
            for fn, user, auth, token, method, params, status, result, at in rows
        ]

    def clear_requests(self) -> None:
        with self._db.connection() as conn:
            conn.execute("DELETE FROM requests")

    def count_connection(self) -> None:
        with self._db.connection() as conn:
            conn.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'connections_accepted'"
            )

    @property
    def connections_accepted(self) -> int:
        return self._counter("connections_accepted")

    @property
    def faults_cleared(self) -> int:
        """How many times the faults were cleared (reset() clears them too)."""
        return self._counter("faults_cleared")

    def _counter(self, name: str) -> int:
        with self._db.connection() as conn:
            return conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0]

    # --- fault switches ------------------------------------------------------------------------

    def add_fault(
        self, mode: str, functions: Sequence[str] | None, count: int | None, skip: int = 0
    ) -> None:
        with self._db.connection() as conn:
            conn.execute(
                "INSERT INTO faults (mode, functions, remaining, skip) VALUES (?, ?, ?, ?)",
                (mode, None if functions is None else json.dumps(list(functions)), count, skip),
            )

    def clear_faults(self) -> None:
        with self._db.transaction() as conn:
            _clear_faults(conn)

    def take_fault(self, function: str, modes: Container[str]) -> TakenFault | None:
        """The newest fault for `function` among `modes`, counted as used; the latest set wins."""
        with self._db.connection() as conn:
            if not conn.execute("SELECT 1 FROM faults LIMIT 1").fetchone():
                return None  # the common case, without taking the write lock
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT id, mode, functions, remaining, skip FROM faults ORDER BY id DESC"
            ).fetchall()
            for fault_id, mode, functions, remaining, skip in rows:
                if mode not in modes or (functions and function not in json.loads(functions)):
                    continue
                if skip:  # not yet: this call goes through, counted
                    conn.execute("UPDATE faults SET skip = skip - 1 WHERE id = ?", (fault_id,))
                    return None
                if remaining == 1:
                    conn.execute("DELETE FROM faults WHERE id = ?", (fault_id,))
                elif remaining is not None:
                    conn.execute(
                        "UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault_id,)
                    )
                cleared = conn.execute(
                    "SELECT value FROM counters WHERE name = 'faults_cleared'"
                ).fetchone()[0]
                return TakenFault(mode, cleared)
        return None


def _clear_faults(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM faults")
    conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'faults_cleared'")
