"""The background work in real processes: `manage.py worker` on each backend (the database,
and RQ on real Redis), two of them at once, the schedule run once per slot, and a worker killed
by its PID in the middle of a read, after which the read runs again and nothing is lost.

The workers share this test's database (a transactional one: they see what it commits) and
take from this test process's own queue (tests/settings.py), so two runs never meet. RQ needs
REDIS_URL (or CACHE_URL) to name Redis: without it these tests skip, but in CI they fail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.environment import clean_environment
from tests.helpers import Whm
from tokenui.background.models import ScheduledRun
from tokenui.background.schedule import SCHEDULE, quiet_paths
from tokenui.inventory.models import InventoryRun, InventoryToken, OwnerKind
from tokenui.servers.models import ConnectedServer
from tokenui.simulator import Simulator

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_SCHEMES = frozenset({"redis", "rediss"})
RQ_DATABASE = 15  # the last of Redis's 16 databases
BACKENDS = ("database", "rq")
START_TIMEOUT = 30.0
READ_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# A worker's scheduler looks at the schedule this often (seconds).
TICK = "0.5"
# WHM_TIMEOUT of the workers: their reads' lease is 3 of it (6 s), so an abandoned read is
# taken up again within seconds.
WHM_TIMEOUT = "2"


@dataclass(frozen=True, slots=True)
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- worker {self.name}, its log ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Workers:
    """Starts `manage.py worker` processes on one backend, and `manage.py inventory` beside
    them; stops what is left of them afterwards."""

    env: dict[str, str]
    logs: Path
    started: list[Worker]

    def start(self, name: str, **env: str) -> Worker:
        log = self.logs / f"worker-{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--tick", TICK],
                cwd=BASE_DIR,
                env={**self.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name, process, log)
        self.started.append(worker)
        self._wait_until_ready(worker)
        return worker

    def _wait_until_ready(self, worker: Worker) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                pytest.fail(f"worker {worker.name} exited at start:\n{worker.log_tail()}")
            if "TokenUI worker" in worker.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        pytest.fail(f"worker {worker.name} did not start:\n{worker.log_tail()}")

    def inventory(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "inventory", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=READ_TIMEOUT + 30,
            check=False,
        )

    def logs_tail(self) -> str:
        return "\n".join(worker.log_tail() for worker in self.started)

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.terminate()
                try:
                    worker.process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.process.pid, signal.SIGKILL)
                    worker.process.wait(timeout=STOP_TIMEOUT)


def redis_url() -> str:
    """A Redis database for RQ's keys on the server that REDIS_URL, or CACHE_URL when it is
    Redis, names; a skip (locally) or a failure (in CI) without one."""
    cache_url = os.environ.get("CACHE_URL", "")
    url = os.environ.get("REDIS_URL") or (
        cache_url if urlsplit(cache_url).scheme in REDIS_SCHEMES else ""
    )
    if urlsplit(url).scheme not in REDIS_SCHEMES:
        message = "the RQ tests need REDIS_URL or CACHE_URL set to Redis (redis://…)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}. In CI they must run, not skip (.ci/run sets CACHE_URL).")
        pytest.skip(f"{message}; .ci/run sets CACHE_URL.")
    # Not the cache's database: RQ's keys are hashes, lists and sets, and the cache's holds only
    # the suite's own values (tests read all of it). This test process's queue keeps two runs
    # apart within RQ_DATABASE, and its keys are deleted afterwards.
    return urlunsplit(urlsplit(url)._replace(path=f"/{RQ_DATABASE}"))


def database_url() -> str:
    """This test's database (pytest-django's), as DATABASE_URL names it to another process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST']}{port}/{db['NAME']}"


def forget_queue(url: str, queue: str) -> None:
    """Delete RQ's keys of this test's queue: the queue, its registries, its jobs and their
    results."""
    with redis.Redis.from_url(url, socket_timeout=10) as client:
        keys = list(client.scan_iter(match=f"rq:*{queue}*", count=1000))
        for key in client.scan_iter(match="rq:job:*", count=1000):
            if client.type(key) == b"hash" and client.hget(key, "origin") == queue.encode():
                job = key.decode().removeprefix("rq:job:")
                keys += [key, f"rq:results:{job}"]
        if keys:
            client.delete(*keys)
        client.srem("rq:queues", f"rq:queue:{queue}")


@pytest.fixture(params=BACKENDS)
def workers(
    request: pytest.FixtureRequest,
    transactional_db: None,
    tmp_path: Path,
) -> Iterator[Workers]:
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url(),
        TEST_TASK_QUEUE=settings.TASK_QUEUE,
        TASK_BACKEND=request.param,
        WHM_TIMEOUT=WHM_TIMEOUT,
        # One slot for the whole test: a second scheduled read would be a second run.
        INVENTORY_MINUTES="60",
        INVENTORY_CONCURRENCY="1",
        SERVICE_KEYS=os.environ["SERVICE_KEYS"],
    )
    url = redis_url() if request.param == "rq" else ""
    if url:
        env["REDIS_URL"] = url
    started = Workers(env, tmp_path, [])
    try:
        yield started
    finally:
        started.stop_all()
        if url:
            forget_queue(url, settings.TASK_QUEUE)


def wait_for(what: str, done: Callable[[], bool], workers: Workers) -> None:
    deadline = time.monotonic() + READ_TIMEOUT
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {READ_TIMEOUT:.0f} s\n{workers.logs_tail()}")


def run_of(server: ConnectedServer) -> InventoryRun | None:
    return InventoryRun.objects.filter(server=server).first()


def read_once(server: ConnectedServer) -> bool:
    run = run_of(server)
    return run is not None and run.read is not None


def reads(simulator: Simulator) -> int:
    """How many reads reached WHM: each one lists the accounts once."""
    return sum(1 for logged in simulator.requests() if logged.function == "listaccts")


def test_two_workers_run_the_schedule_once_and_read_what_the_command_asks_for(
    workers: Workers, connected: ConnectedServer, server: Simulator
) -> None:
    server.clear_requests()
    workers.start("A")
    workers.start("B")

    # Both workers start in the same slot; the schedule's read at start runs once.
    wait_for("the scheduled read", lambda: read_once(connected), workers)
    time.sleep(3 * float(TICK))  # room for a second claim, were one possible
    assert ScheduledRun.objects.filter(job="inventory").count() == 1
    assert reads(server) == 1

    asked = workers.inventory("--server", "main", "--wait", "--timeout", str(READ_TIMEOUT))
    assert asked.returncode == 0, f"{asked.stdout}{asked.stderr}\n{workers.logs_tail()}"
    count = InventoryToken.objects.filter(server=connected, gone__isnull=True).count()
    assert f"main: {count} tokens" in asked.stdout
    assert reads(server) == 2, workers.logs_tail()
    assert count > 10
    kinds = set(InventoryToken.objects.values_list("owner_kind", flat=True))
    assert kinds == {OwnerKind.WHM, OwnerKind.RESELLER, OwnerKind.CPANEL}
    assert_the_quiet_jobs_ran_unlogged(workers)


def assert_the_quiet_jobs_ran_unlogged(workers: Workers) -> None:
    """The schedule's housekeeping (a look for abandoned reads, for notices due or to retry)
    ran, and the workers' log at INFO does not say so each time; the read does."""
    logged = "\n".join(worker.log.read_text(errors="replace") for worker in workers.started)
    for entry in SCHEDULE:
        assert ScheduledRun.objects.filter(job=entry.job).exists(), entry.job
        assert (f"scheduler: {entry.job} enqueued" in logged) is not entry.quiet, entry.job
    assert "path=tokenui.inventory.tasks.inventory_server state=SUCCESSFUL" in logged
    assert {entry.job for entry in SCHEDULE if entry.quiet} == {
        "inventory-resume",
        "notices",
        "notices-retry",
    }
    for path in quiet_paths():
        assert f"path={path} " not in logged, path
        if workers.env["TASK_BACKEND"] == "database":
            ran = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.SUCCESSFUL)
            assert ran.exists(), path  # it ran, unlogged


def test_a_worker_killed_mid_read_loses_nothing_and_the_read_runs_again(
    workers: Workers, connected: ConnectedServer, server: Simulator, root_whm: Whm
) -> None:
    root_whm.ok("api_token_create", {"token_name": "before", "acl-0": "list-accts"})
    root_whm.ok("api_token_create", {"token_name": "doomed", "acl-0": "list-accts"})
    made = max(token.create_time for token in server.store.tokens("root"))
    first = workers.start("A")
    wait_for("the first read", lambda: read_once(connected), workers)
    kept = dict(InventoryToken.objects.values_list("pk", "name"))
    read = run_of(connected).read

    # WHM changes; a slow read of the change is under way when its worker is killed.
    root_whm.ok("api_token_update", {"token_name": "before", "new_name": "after"})
    root_whm.ok("api_token_revoke", {"token_name-0": "doomed"})
    # WHM's creation times are whole seconds, and a token's identity is its creation time: a
    # newcomer made in the same second as "doomed" would be taken for it, renamed (storing's
    # _match; CI, once). Make it in a later second, as it would be in life.
    while time.time() < made + 1:
        time.sleep(0.05)
    root_whm.ok("api_token_create", {"token_name": "newcomer", "acl-0": "list-accts"})
    server.latency_ms = 700
    started = run_of(connected).started
    assert workers.inventory("--server", "main").returncode == 0
    wait_for("the second read to start", lambda: run_of(connected).started > started, workers)
    time.sleep(1.5)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=STOP_TIMEOUT)

    # Nothing of the unfinished read was kept: the inventory is the first read's, whole.
    assert dict(InventoryToken.objects.values_list("pk", "name")) == kept
    assert not InventoryToken.objects.filter(gone__isnull=False).exists()
    assert run_of(connected).read == read
    assert run_of(connected).lease_until is not None  # under way, as far as anyone knows

    # Another worker takes the abandoned read up once its lease runs out, and finishes it.
    server.latency_ms = 0
    workers.start("B")
    wait_for("the read again", lambda: run_of(connected).read > read, workers)
    rows = {row.name: row for row in InventoryToken.objects.filter(owner_kind=OwnerKind.WHM)}
    assert "before" not in rows
    assert kept[rows["after"].pk] == "before"  # the same token, renamed
    assert rows["doomed"].gone == run_of(connected).read
    assert rows["newcomer"].gone is None
    assert run_of(connected).error == ""
