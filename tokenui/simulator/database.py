"""The simulator's one SQLite file, which every simulator process on a state dir shares.

WHM's state (store.py) and the controls tests use (controls.py) keep their own tables in it;
this module only opens, pools and versions it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

STORE_FILE = "whm.sqlite3"
SCHEMA_VERSION = 1
# Long enough to ride out another process's write; short enough that a stuck lock shows up.
BUSY_TIMEOUT_S = 5.0


class StoreError(Exception):
    """The state dir holds something this simulator cannot use."""


def remove_store(state_dir: Path) -> None:
    """Delete the store in `state_dir` (TLS files stay, so clients keep trusting the CA)."""
    for suffix in ("", "-wal", "-shm"):
        (state_dir / f"{STORE_FILE}{suffix}").unlink(missing_ok=True)


class Database:
    """Pooled connections to the file: each is used by one thread at a time, and WAL mode plus
    a busy timeout let several threads and processes share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._lock = threading.Lock()
        try:
            self._check_version()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the pooled connections; the database still works after, unpooled."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def create(self, statements: Iterable[str]) -> None:
        """Create tables (IF NOT EXISTS) and mark the file with this simulator's version."""
        with self.transaction() as conn:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            self._release(conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once so read-then-write steps cannot interleave."""
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT: a pooled connection must not stay mid-transaction.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, autocommit=True, check_same_thread=False
        )
        # WAL with NORMAL sync survives a process crash; only a power cut could lose the tail.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def _check_version(self) -> None:
        with self.connection() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise StoreError(
                f"{self.path} was written by another version of the WHM simulator; "
                "start it with --reset to begin again."
            )
