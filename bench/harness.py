"""Start the WHM simulator and the dashboard (gunicorn) on loopback, sign in, and stop it all."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
# The simulator's demo users (README): root holds every ACL, reseller a typical 31.
ROOT_USER = ("root", "demo-root-pass")
RESELLER_USER = ("reseller", "demo-reseller-pass")
# The demo cPanel account root owns; `--tokens N` gives it N tokens too (simulator/seed.py).
CPANEL_USER = ("acme", "demo-acme-pass")
CSRF_COOKIE = "tokenui_csrftoken"
SESSION_COOKIE = "tokenui_session"
START_TIMEOUT_S = 120.0  # seeding 10,000 tokens and booting gunicorn fit well inside this
STOP_TIMEOUT_S = 10.0
_SERVER_FIELD = re.compile(r'name="server"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="server"')


class BenchError(RuntimeError):
    """Something the bench needs did not start or answer; the message says what."""


# ---------------------------------------------------------------------------------------------
# Processes: each in its own process group, always stopped by its own PID
# ---------------------------------------------------------------------------------------------
class Process:
    """A child process in its own session, logging to a file; stop() ends its whole group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        log: Path,
        root: Path = ROOT,
    ) -> None:
        self.name = name
        self.log = log
        with log.open("ab") as out:
            self._popen = subprocess.Popen(
                list(argv),
                cwd=root,  # another checkout of TokenUI when bench.compare runs an older commit
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() reaches its children too
            )

    @property
    def pid(self) -> int:
        return self._popen.pid

    def running(self) -> bool:
        return self._popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL if it has not ended within STOP_TIMEOUT_S."""
        if self._popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, signal.SIGTERM)
        try:
            self._popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, signal.SIGKILL)
            self._popen.wait(STOP_TIMEOUT_S)

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def wait_until(check: Callable[[], bool], *, what: str, process: Process | None = None) -> None:
    """Poll `check` until it holds, the process dies, or START_TIMEOUT_S pass."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and not process.running():
            raise BenchError(
                f"{process.name} exited while waiting for {what}:\n{process.log_tail()}"
            )
        time.sleep(0.05)
    tail = process.log_tail() if process else ""
    raise BenchError(f"Timed out after {START_TIMEOUT_S:g} s waiting for {what}.\n{tail}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def run_checked(argv: Sequence[str], *, env: dict[str, str], what: str, root: Path = ROOT) -> None:
    done = subprocess.run(
        list(argv), cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so every `finally` (and so every stop()) still runs."""

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------------------------
# The WHM simulator and the dashboard
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Simulator:
    url: str
    state_dir: Path
    ca_path: Path | None  # None: plain HTTP
    process: Process
    cpanel_url: str  # the same simulator's cPanel port (UAPI), same scheme

    def tls_context(self) -> ssl.SSLContext | bool:
        if self.ca_path is None:
            return False
        return ssl.create_default_context(cafile=str(self.ca_path))


@dataclass(frozen=True)
class Dashboard:
    url: str
    process: Process
    env: dict[str, str]

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children."""
        return children_of(self.process.pid)


@dataclass(frozen=True)
class Stack:
    """A simulator with N seeded tokens and the dashboard pointed at it, in a scratch dir."""

    simulator: Simulator
    dashboard: Dashboard
    workdir: Path
    tokens: int
    latency_ms: int
    tls: bool


def base_env() -> dict[str, str]:
    """A clean environment: nothing from a developer's .env or shell leaks into the settings."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["TOKENUI_ENV_FILE"] = ""  # read no .env file
    return env


def start_simulator(
    stack: ExitStack,
    workdir: Path,
    *,
    tokens: int,
    latency_ms: int,
    tls: bool = True,
    users: Sequence[str] = (),
) -> Simulator:
    """`users` (NAME:PASSWORD:ACL,ACL) replaces the demo users; the first gets the N tokens."""
    state_dir = workdir / "simulator"
    port, cpanel_port = free_port(), free_port()
    env = base_env() | {"SECRET_KEY": secrets.token_urlsafe(40), "DEBUG": "true"}
    argv = [PYTHON, "manage.py", "whm_simulator", "--port", str(port)]
    argv += ["--cpanel-port", str(cpanel_port)]
    argv += ["--tls"] if tls else []
    argv += ["--state-dir", str(state_dir), "--tokens", str(tokens)]
    argv += ["--latency-ms", str(latency_ms), "--reset"]
    for user in users:
        argv += ["--user", user]
    process = stack.enter_context(
        Process("WHM simulator", argv, env=env, log=workdir / "simulator.log")
    )
    wait_until(
        lambda: "listening on" in process.log.read_text(errors="replace"),
        what="the WHM simulator",
        process=process,
    )
    scheme = "https" if tls else "http"
    ca_path = state_dir / "ca.pem" if tls else None
    return Simulator(
        f"{scheme}://{LOOPBACK}:{port}",
        state_dir,
        ca_path,
        process,
        f"{scheme}://{LOOPBACK}:{cpanel_port}",
    )


def dashboard_env(
    simulator: Simulator, workdir: Path, *, cache_url: str = "locmemcache://"
) -> dict[str, str]:
    env = base_env() | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WHM_URL": simulator.url,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "CACHE_URL": cache_url,
        "CPANEL_PORT": str(httpx.URL(simulator.cpanel_url).port),
    }
    if simulator.ca_path is not None:
        env["WHM_CA_BUNDLE"] = str(simulator.ca_path)
    return env


_static_collected: set[Path] = set()


def collect_static(env: dict[str, str], root: Path = ROOT) -> None:
    """Once per run and checkout: whitenoise serves the hashed, compressed files from
    staticfiles/."""
    if root not in _static_collected:
        argv = [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"]
        run_checked(argv, env=env, what="collectstatic", root=root)
        _static_collected.add(root)


def start_dashboard(
    stack: ExitStack,
    simulator: Simulator,
    workdir: Path,
    *,
    workers: int = 2,
    threads: int = 1,
    cache_url: str = "locmemcache://",
    root: Path = ROOT,
    name: str = "gunicorn",
) -> Dashboard:
    """gunicorn: sync workers, or gthread workers when `threads` > 1; `root` is the checkout
    it serves (bench.compare serves two)."""
    env = dashboard_env(simulator, workdir, cache_url=cache_url)
    migrate = [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"]
    run_checked(migrate, env=env, what="migrate", root=root)
    collect_static(env, root)
    port = free_port()
    argv = [PYTHON, "-m", "gunicorn", "tokenui.wsgi", "-w", str(workers)]
    argv += ["--threads", str(threads)] if threads > 1 else []
    argv += ["-b", f"{LOOPBACK}:{port}", "--timeout", "60", "--graceful-timeout", "5"]
    # gunicorn's control socket defaults to one path per user: a second run would take it.
    argv += ["--no-control-socket"]
    log = workdir / f"{name}.log"
    process = stack.enter_context(Process(name, argv, env=env, log=log, root=root))
    url = f"http://{LOOPBACK}:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, what="gunicorn", process=process)
    # Both workers up: each answers /healthz only once it has loaded Django.
    wait_until(lambda: len(children_of(process.pid)) >= workers, what="gunicorn's workers")
    return Dashboard(url, process, env)


@contextmanager
def running_stack(
    *,
    tokens: int,
    latency_ms: int,
    workers: int = 2,
    tls: bool = True,
    users: Sequence[str] = (),
    threads: int = 1,
    cache_url: str = "locmemcache://",
) -> Iterator[Stack]:
    """The simulator (fresh state dir, N tokens) and the dashboard; both stopped on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix=f"tokenui-bench-{tokens}-"))
    try:
        with ExitStack() as stack:
            simulator = start_simulator(
                stack, workdir, tokens=tokens, latency_ms=latency_ms, tls=tls, users=users
            )
            dashboard = start_dashboard(
                stack, simulator, workdir, workers=workers, threads=threads, cache_url=cache_url
            )
            yield Stack(simulator, dashboard, workdir, tokens, latency_ms, tls)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def in_process(stack: Stack, module: str, *args: str) -> dict[str, Any]:
    """Run a bench module in a subprocess with the stack's settings; its last JSON line."""
    env = stack.dashboard.env | {"ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"}
    argv = [PYTHON, "-m", module, *args]
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return dict(json.loads(lines[-1]))


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return sorted(set(found))


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time these processes (all their threads) have used, from
    /proc/PID/stat; a process that is gone counts 0."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def rss_kib(pid: int) -> int:
    """Resident set size of one process, from /proc/PID/status (VmRSS, KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split among sharers), from smaps_rollup; 0 if absent."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------------------------
# Talking to the dashboard and to WHM
# ---------------------------------------------------------------------------------------------
def dashboard_client(dashboard: Dashboard, *, timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(
        base_url=dashboard.url,
        timeout=timeout,
        follow_redirects=False,
        headers={"Accept-Encoding": "gzip, br"},
    )


def csrf_token(client: httpx.Client) -> str:
    return client.cookies.get(CSRF_COOKIE) or ""


def sign_in(client: httpx.Client, user: str, password: str, *, service: str = "whm") -> None:
    """Sign in by password, as the form does, to WHM or (`service="cpanel"`) to cPanel; raises
    BenchError unless the dashboard accepts."""
    page = client.get("/sign-in/")
    match = _SERVER_FIELD.search(page.text)
    if page.status_code != 200 or match is None:
        raise BenchError(f"The sign-in page answered {page.status_code} without a server field.")
    data = {
        "csrfmiddlewaretoken": csrf_token(client),
        "service": service,
        "server": match.group(1) or match.group(2),
        "username": user,
        "method": "password",
        "password": password,
    }
    response = client.post("/sign-in/", data=data)
    if response.status_code != 302:
        raise BenchError(f"Sign-in as {user} answered {response.status_code}, not 302.")


def htmx_headers(client: httpx.Client, current_url: str = "/tokens/") -> dict[str, str]:
    """What htmx sends with its requests (base.html puts the CSRF token in hx-headers)."""
    return {
        "HX-Request": "true",
        "HX-Current-URL": f"{client.base_url}{current_url}",
        "X-CSRFToken": csrf_token(client),
    }


class Whm:
    """Direct calls to the simulator (the baseline) and its loopback control endpoints."""

    def __init__(self, simulator: Simulator) -> None:
        # Kept alive well past any pause in a measurement, so this client's own connection is
        # counted once in connections_accepted and never again.
        self._http = httpx.Client(
            base_url=simulator.url,
            verify=simulator.tls_context(),
            timeout=60,
            limits=httpx.Limits(max_connections=1, keepalive_expiry=50),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Whm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def api_token_list(self, user: str, password: str) -> httpx.Response:
        """api_token_list as the dashboard's client sends it: POST, Basic auth, api.version=1."""
        auth = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        response = self._http.post(
            "/json-api/api_token_list",
            params={"api.version": "1"},
            headers={
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=b"",
        )
        response.raise_for_status()
        return response

    def uapi_cpanel_list(self, user: str, password: str, account: str) -> httpx.Response:
        """WHM API 1 `uapi_cpanel` running `Tokens::list` for `account`, as the dashboard's
        client sends it (POST, Basic auth, the call's parameters in the form body)."""
        body = f"cpanel.user={account}&cpanel.module=Tokens&cpanel.function=list"
        return self._post("/json-api/uapi_cpanel", user, password, body, {"api.version": "1"})

    def _post(
        self, path: str, user: str, password: str, body: str, params: dict[str, str]
    ) -> httpx.Response:
        auth = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        response = self._http.post(
            path,
            params=params,
            headers={
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=body.encode(),
        )
        response.raise_for_status()
        return response

    def log(self) -> tuple[int, list[dict[str, Any]]]:
        """(connections accepted so far, every API request logged so far)."""
        body = self._http.get("/__simulator__/requests").raise_for_status().json()
        return int(body["connections_accepted"]), list(body["requests"])

    def token_names(self, user: str, password: str) -> list[str]:
        return list(self.api_token_list(user, password).json()["data"]["tokens"])


class Cpanel(Whm):
    """Direct UAPI calls to the simulator's cPanel port (a cPanel user's baseline)."""

    def __init__(self, simulator: Simulator) -> None:
        self._http = httpx.Client(
            base_url=simulator.cpanel_url,
            verify=simulator.tls_context(),
            timeout=60,
            limits=httpx.Limits(max_connections=1, keepalive_expiry=50),
        )

    def tokens_list(self, user: str, password: str) -> httpx.Response:
        """UAPI `Tokens::list` as the dashboard's client sends it: POST, Basic auth."""
        return self._post("/execute/Tokens/list", user, password, "", {})


# ---------------------------------------------------------------------------------------------
# Figures and the machine they came from
# ---------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout

    # Porcelain lines are "XY path": the status columns may start with a space, so no strip().
    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith("bench/")
    ]
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_changes_outside_bench": changed,
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
