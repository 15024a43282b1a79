"""Two gunicorn instances of the dashboard on one fresh PostgreSQL database and one Redis, under
a key prefix of their own.

They need DATABASE_URL to name PostgreSQL and CACHE_URL Redis. Without them the tests skip, but
in CI (CI set) they fail instead: there a skip would hide the one part that proves scale-out.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

from tests.environment import clean_environment
from tokenui.audit.models import AuditEvent
from tokenui.simulator import Simulator

BASE_DIR = Path(__file__).resolve().parents[2]
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql", "psql"})
REDIS_SCHEMES = frozenset({"redis", "rediss"})
EXAMPLE = (
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/tokenui CACHE_URL=redis://127.0.0.1:6379/0"
)
# The name sign_in_data() in tests/conftest.py signs in to.
SERVER = "simulator"
HTTP_TIMEOUT = httpx.Timeout(10.0)
START_TIMEOUT = 30.0  # seconds for an instance to answer /healthz
MIGRATE_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10  # seconds, for PostgreSQL and Redis


@dataclass(frozen=True, slots=True)
class Backends:
    """The suite's own DATABASE_URL and CACHE_URL, known to be PostgreSQL and Redis."""

    database_url: str
    cache_url: str


@dataclass(frozen=True, slots=True)
class Instance:
    """One app server process: gunicorn with one worker on a loopback port."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, cookies: CookieJar | None = None) -> httpx.Client:
        """An HTTP client of this instance. Clients given one jar act as one browser (behind a
        load balancer, the instances share a host name, so the browser sends them one cookie)."""
        jar = CookieJar() if cookies is None else cookies
        return httpx.Client(base_url=self.url, cookies=jar, timeout=HTTP_TIMEOUT)

    def log_tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- instance {self.name} ({self.url}), its log ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """The instances' keys on the suite's Redis: all under one prefix, which no other test run
    (nor this run's own tests) uses, so clearing them touches nobody else's."""

    url: str
    prefix: str

    def clear(self) -> None:
        with _redis(self.url) as cache:
            keys = list(cache.scan_iter(match=f"{self.prefix}:*", count=1000))
            if keys:
                cache.delete(*keys)


@dataclass(frozen=True, slots=True)
class ScaleOut:
    """Instances A and B, the WHM simulator they both use, and their shared backends."""

    a: Instance
    b: Instance
    whm: Simulator
    database_url: str
    cache: RedisKeys

    def audit_events(self) -> list[tuple[str, str, list[str]]]:
        """(action, WHM user, token names) of every audit row, oldest first, read straight from
        the shared database rather than through either instance."""
        query = sql.SQL("SELECT action, whm_user, token_names FROM {} ORDER BY id").format(
            sql.Identifier(AuditEvent._meta.db_table)
        )
        with _connect(self.database_url) as conn:
            return [(action, user, names) for action, user, names in conn.execute(query)]

    def clear(self) -> None:
        """Empty the shared cache (the throttle's counters) and the audit trail."""
        self.cache.clear()
        query = sql.SQL("DELETE FROM {}").format(sql.Identifier(AuditEvent._meta.db_table))
        with _connect(self.database_url) as conn:
            conn.execute(query)

    def explain(self, response: httpx.Response) -> str:
        """For a failed assertion: the response, and what both instances logged."""
        return (
            f"{response.request.method} {response.request.url} -> {response.status_code}\n"
            f"{response.text[:2000]}\n{self.a.log_tail()}\n{self.b.log_tail()}"
        )


@pytest.fixture(scope="session")
def backends() -> Backends:
    """The gate: PostgreSQL and Redis named, or a skip (locally) or a failure (in CI)."""
    database_url = os.environ.get("DATABASE_URL", "")
    cache_url = os.environ.get("CACHE_URL", "")
    missing = []
    if urlsplit(database_url).scheme not in POSTGRES_SCHEMES:
        missing.append("DATABASE_URL set to PostgreSQL (postgres://…)")
    if urlsplit(cache_url).scheme not in REDIS_SCHEMES:
        missing.append("CACHE_URL set to Redis (redis://…)")
    if missing:
        message = f"the scale-out tests need {' and '.join(missing)}, e.g. {EXAMPLE}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}. In CI they must run, not skip (.ci/run sets both).")
        pytest.skip(f"{message}; .ci/run sets both.")
    return Backends(database_url, cache_url)


@pytest.fixture(scope="package")
def database_url(backends: Backends) -> Iterator[str]:
    """A fresh PostgreSQL database of these tests' own (the suite's test database stays the
    suite's), on the server DATABASE_URL names; dropped afterwards."""
    name = f"tokenui_scaleout_{secrets.token_hex(4)}"
    maintenance = _with_path(backends.database_url, "/postgres")  # as Django's own test setup
    with _connect(maintenance) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_path(backends.database_url, f"/{name}")
    finally:
        with _connect(maintenance) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="package")
def cache(backends: Backends) -> Iterator[RedisKeys]:
    """The suite's Redis, under a key prefix of these tests' own; its keys deleted afterwards."""
    keys = RedisKeys(backends.cache_url, f"tokenui-scaleout-{secrets.token_hex(6)}")
    try:
        yield keys
    finally:
        keys.clear()


@pytest.fixture(scope="package")
def _scaleout(
    database_url: str, cache: RedisKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScaleOut]:
    state = tmp_path_factory.mktemp("scaleout")
    with Simulator(state / "whm") as whm:
        env = _environment(database_url, cache, whm.url)
        _migrate(env)
        started: list[Instance] = []
        try:
            for name in ("A", "B"):
                started.append(_start(name, env, state))
            for instance in started:
                _wait_until_serving(instance)
            yield ScaleOut(started[0], started[1], whm, database_url, cache)
        finally:
            for instance in started:
                _stop(instance)


@pytest.fixture
def scaleout(_scaleout: ScaleOut) -> ScaleOut:
    """Instances A and B, with the simulator in its demo state, no throttle counts and an empty
    audit trail."""
    _scaleout.whm.reset()
    _scaleout.clear()
    return _scaleout


# --- helpers ---------------------------------------------------------------------------------


def _environment(database_url: str, cache: RedisKeys, whm_url: str) -> dict[str, str]:
    """What both instances run with: the same backends (the cache's keys under one prefix,
    tests/settings.py), SECRET_KEY and WHM, and no .env."""
    return clean_environment(
        # The real settings, with static files from the finders: the hashed manifest that
        # production's storage needs exists only after collectstatic.
        DJANGO_SETTINGS_MODULE="tests.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        DATABASE_URL=database_url,
        CACHE_URL=cache.url,
        TEST_KEY_PREFIX=cache.prefix,
        WHM_URL="",  # tests.settings would otherwise put its placeholder here
        WHM_SERVERS=f"{SERVER}={whm_url}",
        WHM_TIMEOUT="5",
    )


def _migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=MIGRATE_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py migrate failed:\n{result.stdout}\n{result.stderr}")


def _start(name: str, env: dict[str, str], logs: Path) -> Instance:
    port = _free_port()
    log = logs / f"gunicorn-{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tokenui.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--timeout=30",
                "--graceful-timeout=5",
                "--access-logfile=-",
                "--error-logfile=-",
                # Gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two
                # instances, or one beside a developer's own, would take it from each other.
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the worker goes with the master
        )
    return Instance(name, f"http://127.0.0.1:{port}", process, log)


def _wait_until_serving(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            pytest.fail(f"instance {instance.name} exited at start:\n{instance.log_tail()}")
        try:
            if httpx.get(f"{instance.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"instance {instance.name} did not serve within {START_TIMEOUT:.0f} s")


def _stop(instance: Instance) -> None:
    process = instance.process
    if process.poll() is None:
        process.terminate()  # gunicorn's graceful stop
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_path(url: str, path: str) -> str:
    """The URL with another path: another database name."""
    return urlunsplit(urlsplit(url)._replace(path=path))


def _connect(database_url: str) -> psycopg.Connection:
    # libpq reads postgres:// and postgresql:// URLs; Django's other aliases it does not.
    libpq_url = urlunsplit(urlsplit(database_url)._replace(scheme="postgresql"))
    return psycopg.connect(libpq_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


def _redis(cache_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        cache_url, socket_timeout=CONNECT_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT
    )
