"""The sign-in throttle: per username and per client address, counted in the cache."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from django.test import Client

from tests.environment import clean_environment
from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.accounts.throttle import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USERNAME
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"


def fail(client: Client, user: str = "root", times: int = 1, **extra: str) -> None:
    for _ in range(times):
        response = client.post(SIGN_IN, sign_in_data(user, "wrong-password"), **extra)
        assert response.status_code == 422


def test_too_many_failures_for_a_username_pause_it_without_asking_whm(
    client: Client, whm: Simulator
) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME)
    whm.clear_requests()
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.text
    assert whm.requests() == []


def test_a_paused_username_does_not_pause_other_users(client: Client, whm: Simulator) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME)
    assert client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER)).status_code == 302


def test_usernames_are_counted_without_regard_to_case(client: Client, whm: Simulator) -> None:
    fail(client, "root", times=MAX_FAILURES_PER_USERNAME - 1)
    fail(client, "ROOT")
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 429


def test_a_success_clears_the_usernames_count(client: Client, whm: Simulator) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME - 1)
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302
    other = Client()
    fail(other, times=MAX_FAILURES_PER_USERNAME - 1)
    assert other.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_good_sign_ins_do_not_use_up_the_addresss_attempts(whm: Simulator) -> None:
    # Each attempt is reserved before WHM is asked; a good one gives its reservation back.
    for _ in range(MAX_FAILURES_PER_ADDRESS + 5):
        assert Client().post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_attempts_whm_could_not_judge_do_not_use_up_the_addresss_attempts(
    client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_SERVERS = {"simulator": "http://127.0.0.1:9"}  # unreachable
    for n in range(MAX_FAILURES_PER_ADDRESS + 5):
        assert client.post(SIGN_IN, sign_in_data(f"user{n}", "pw")).status_code == 503
    settings.WHM_SERVERS = {"simulator": whm.url}
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_too_many_failures_from_one_address_pause_every_username(
    client: Client, whm: Simulator
) -> None:
    for n in range(MAX_FAILURES_PER_ADDRESS):
        fail(client, f"user{n}")
    response = client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER))
    assert response.status_code == 429


def test_behind_a_proxy_addresses_come_from_x_forwarded_for(
    client: Client, whm: Simulator, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(MAX_FAILURES_PER_ADDRESS):
        fail(client, f"user{n}", headers={"X-Forwarded-For": "203.0.113.9"})
    blocked = client.post(
        SIGN_IN, sign_in_data(*DEMO_RESELLER), headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert blocked.status_code == 429
    # A spoofed entry to the left of the proxy's own is the client's claim, not its address.
    elsewhere = client.post(
        SIGN_IN,
        sign_in_data(*DEMO_RESELLER),
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.4"},
    )
    assert elsewhere.status_code == 302


def test_refusals_that_are_not_wrong_credentials_are_not_counted(
    client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_SERVERS = {"simulator": "http://127.0.0.1:9"}  # unreachable
    for _ in range(MAX_FAILURES_PER_USERNAME + 1):
        assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 503
    settings.WHM_SERVERS = {"simulator": whm.url}
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_with_the_cache_down_sign_in_pauses_with_a_plain_message(
    client: Client, whm: Simulator, settings
) -> None:
    # Failing open would let guessing go uncounted; failing with a traceback helps nobody.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    whm.clear_requests()

    response = client.post("/sign-in/", sign_in_data(*DEMO_ROOT))

    assert response.status_code == 503
    assert "TokenUI cannot reach its cache" in response.content.decode()
    assert 'value="root"' in response.content.decode()  # the username is kept
    assert whm.requests() == []


# --- concurrent attempts ---------------------------------------------------------------------
# Each attempt is counted before WHM is asked: a burst released at once must not all pass the
# check before any is counted. The dashboard runs under gunicorn, as in production: one worker
# of many threads on local memory, or two workers of many threads sharing Redis. The simulator
# answers slowly, so that the whole burst is in flight together, and its request log counts the
# password checks that reached WHM.

REDIS_SCHEMES = frozenset({"redis", "rediss"})
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
BURST_LATENCY_MS = 400
BASE_DIR = Path(__file__).resolve().parents[2]
# The suite's settings, with the cache's keys under a prefix of the test's own: Redis may be
# shared with other test runs, and clearing a DB would take their keys too.
PREFIXED_SETTINGS = """
import os
from tests.settings import *  # noqa: F403
CACHES["default"]["KEY_PREFIX"] = os.environ["TEST_KEY_PREFIX"]  # noqa: F405
"""


def _redis_url() -> str:
    """The suite's Redis (CACHE_URL) or this machine's; a skip without one, but a failure in CI
    (as tests/scaleout decides), where this test must run."""
    cache_url = os.environ.get("CACHE_URL", "")
    url = cache_url if urlsplit(cache_url).scheme in REDIS_SCHEMES else LOCAL_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis at {url} does not answer ({type(exc).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: in CI the throttle's Redis test must run, not skip.")
        pytest.skip(f"{message}; set CACHE_URL=redis://HOST:6379/0.")
    return url


@pytest.fixture(scope="module")
def _dashboard_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file for the gunicorn instances (the suite's test database is not
    reachable from another process)."""
    where = tmp_path_factory.mktemp("throttle")
    (where / "prefixed_settings.py").write_text(PREFIXED_SETTINGS)
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"sqlite:///{where / 'db.sqlite3'}",
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    return where


@pytest.fixture(scope="module", params=["locmem", "redis"])
def dashboard(
    request: pytest.FixtureRequest, _dashboard_database: Path, _simulator_server: Simulator
) -> Iterator[str]:
    """The dashboard under gunicorn behind one (pretended) proxy, pointed at the test simulator;
    its URL. Tests share it: each sends its own client address (X-Forwarded-For)."""
    prefix = f"tokenui-test-{secrets.token_hex(6)}"
    if request.param == "locmem":
        cache_url, workers, threads = f"locmemcache://{prefix}", 1, 40
    else:
        cache_url, workers, threads = _redis_url(), 2, 20
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="prefixed_settings",
        PYTHONPATH=f"{_dashboard_database}{os.pathsep}{BASE_DIR}",
        TEST_KEY_PREFIX=prefix,
        DATABASE_URL=f"sqlite:///{_dashboard_database / 'db.sqlite3'}",
        CACHE_URL=cache_url,
        WHM_URL="",  # tests.settings would otherwise put its placeholder here
        WHM_SERVERS=f"simulator={_simulator_server.url}",
        WHM_TIMEOUT="10",
        TRUSTED_PROXY_COUNT="1",
    )
    log = _dashboard_database / f"gunicorn-{request.param}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tokenui.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                "--worker-class=gthread",
                f"--threads={threads}",
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        if request.param == "redis":
            client = redis.Redis.from_url(cache_url)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited at start:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not serve within 30 s:\n{log.read_text(errors='replace')}")


def _post_sign_in(url: str, address: str, forms: list[dict[str, str]]) -> list[int]:
    """Post every form to the sign-in page at once, each from its own client at `address`;
    their statuses."""
    with httpx.Client(base_url=url) as first:
        first.get(SIGN_IN)
        csrf = first.cookies["tokenui_csrftoken"]
    start = threading.Barrier(len(forms))

    def attempt(form: dict[str, str]) -> int:
        cookies = {"tokenui_csrftoken": csrf}
        headers = {"X-Forwarded-For": address}
        with httpx.Client(base_url=url, cookies=cookies, headers=headers, timeout=30) as browser:
            start.wait()
            return browser.post(SIGN_IN, data=form | {"csrfmiddlewaretoken": csrf}).status_code

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(attempt, forms))


@pytest.mark.parametrize(
    ("username", "attempts", "limit", "then"),
    [
        pytest.param("root", 24, MAX_FAILURES_PER_USERNAME, DEMO_ROOT, id="one-username"),
        pytest.param("user{n}", 40, MAX_FAILURES_PER_ADDRESS, DEMO_RESELLER, id="one-address"),
    ],
)
def test_concurrent_attempts_never_reach_whm_more_often_than_the_limit(
    dashboard: str,
    whm: Simulator,
    username: str,
    attempts: int,
    limit: int,
    then: tuple[str, str],
) -> None:
    # Each case from an address of its own: the instance, and its counts, serve both.
    address = "198.51.100.1" if limit == MAX_FAILURES_PER_USERNAME else "198.51.100.2"
    whm.latency_ms = BURST_LATENCY_MS
    whm.clear_requests()
    forms = [sign_in_data(username.format(n=n), "wrong-password") for n in range(attempts)]

    statuses = _post_sign_in(dashboard, address, forms)

    checks = [r for r in whm.requests() if r.function == "myprivs"]
    assert len(checks) == limit, f"{len(checks)} password checks reached WHM (limit {limit})"
    assert sorted(statuses) == [422] * limit + [429] * (attempts - limit)
    # Every failure stayed counted: even the right password now waits, and WHM is not asked.
    whm.latency_ms = 0
    whm.clear_requests()
    assert _post_sign_in(dashboard, address, [sign_in_data(*then)]) == [429]
    assert whm.requests() == []
