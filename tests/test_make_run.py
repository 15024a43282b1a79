"""`make run`'s wiring (manage.py rundashboard): the embedded simulator, or none for a real WHM."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.environment import clean_environment
from tests.helpers import DEMO_ROOT
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_simulator_port() -> int:
    """A free port for the simulator's WHM whose cPanel port, four below it, is free too."""
    while True:
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port - 4))
            except OSError:
                continue
        return port


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_environment(
        SECRET_KEY="s" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        WHM_SIMULATOR_DIR=str(tmp_path / "simulator"),
        WHM_SIMULATOR_PORT=str(free_port()),
        # Where the dashboard (and so the embedded simulator) puts cPanel: not 2083, which
        # another test run on this machine may hold.
        CPANEL_PORT=str(free_port()),
        **extra,
    )


def manage(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_serving(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rundashboard exited early:\n{process.stdout.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("rundashboard did not start serving within 60 s")


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def test_without_a_whm_server_it_starts_the_simulator_over_verified_tls(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    migrate(env)
    port, simulator_port = free_port(), int(env["WHM_SIMULATOR_PORT"])
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        assert listening(simulator_port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            sign_in_page = browser.get("/sign-in/").text
            user, password = DEMO_ROOT
            signed_in = browser.post(
                "/sign-in/",
                data={
                    "csrfmiddlewaretoken": browser.cookies["tokenui_csrftoken"],
                    "server": "simulator",
                    "username": user,
                    "method": "password",
                    "password": password,
                },
            )
            assert signed_in.status_code == 302, signed_in.text
            # The table came from the simulator, over TLS verified against its demo CA.
            assert "backup-script" in browser.get("/tokens/").text
    finally:
        output = stop(process)
    assert f"WHM simulator listening on https://127.0.0.1:{simulator_port}" in output
    assert f"Sign in as root with password {password}" in output
    # The sign-in page offers the demo users (rundashboard passed them to the server).
    assert f"<code>{user}</code> with password <code>{password}</code>" in sign_in_page
    assert "<code>reseller</code> with password <code>demo-reseller-pass</code>" in sign_in_page
    assert f"TokenUI dashboard: http://127.0.0.1:{port}/" in output
    assert (tmp_path / "simulator" / "ca.pem").is_file()
    assert not listening(simulator_port), "the simulator must stop with the dashboard"


def test_make_run_serves_cpanel_too_and_prints_the_cpanel_accounts(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        cpanel_url, announced = cpanel_url_announced(process)
        ca = ssl.create_default_context(cafile=str(tmp_path / "simulator" / "ca.pem"))
        # Every printed cPanel password works there, over TLS verified against the demo CA.
        for account in DEMO_CPANEL_ACCOUNTS:
            reply = httpx.get(
                f"{cpanel_url}/execute/Tokens/list",
                auth=(account.user, account.password),
                verify=ca,
            ).json()
            assert reply["status"] == (1 if account.apitokens else 0), account.user
        cpanel_port = int(cpanel_url.rpartition(":")[2])
    finally:
        stop(process)
    for account in DEMO_CPANEL_ACCOUNTS:
        assert f"cPanel account {account.user} with password {account.password}" in announced
    assert "(owned by reseller)" in announced
    assert "(owned by root)" in announced
    assert "without the apitokens feature" in announced
    assert not listening(cpanel_port), "cPanel must stop with the dashboard"


def test_a_taken_cpanel_port_moves_the_simulators_cpanel(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    port = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        env["CPANEL_PORT"] = str(taken)
        process = manage(env, "rundashboard", "--port", str(port), "--noreload")
        try:
            wait_until_serving(process, port)
            cpanel_url, before = cpanel_url_announced(process)
        finally:
            output = stop(process)
    output = before + output
    moved_to = int(cpanel_url.rpartition(":")[2])
    assert moved_to != taken
    assert f"Port {taken} is taken, so the simulator serves cPanel on port {moved_to}" in output


def cpanel_url_announced(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Read the process's output up to the end of the simulator's announcement: the cPanel URL
    it names, and the output read (stop() reads only what comes after)."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Press Ctrl-C to stop."):
            break
    output = "".join(seen)
    match = re.search(r"cPanel simulator listening on (https://\S+)", output)
    if match is None:
        pytest.fail(f"no cPanel line in:\n{output}")
    return match.group(1), output


def test_a_moved_simulator_takes_its_cpanel_along_four_ports_below(tmp_path: Path) -> None:
    """SIMULATOR_PORT=2088 puts cPanel on 2084, as a real server's 2087 has cPanel on 2083."""
    env = environment(tmp_path, DEBUG="true")
    env["WHM_SIMULATOR_PORT"] = str(free_simulator_port())
    del env["CPANEL_PORT"]  # as on a laptop: cPanel's port is not set
    cpanel_port = int(env["WHM_SIMULATOR_PORT"]) - 4
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        cpanel_url, _ = cpanel_url_announced(process)
    finally:
        stop(process)
    assert cpanel_url == f"https://127.0.0.1:{cpanel_port}"


def sign_in_as_root(port: int, server: str) -> httpx.Response:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
        browser.get("/sign-in/")
        return browser.post(
            "/sign-in/",
            data={
                "csrfmiddlewaretoken": browser.cookies["tokenui_csrftoken"],
                "server": server,
                "username": DEMO_ROOT[0],
                "method": "password",
                "password": DEMO_ROOT[1],
            },
        )


def test_whm_servers_naming_the_simulators_address_starts_it_and_trusts_its_ca(
    tmp_path: Path,
) -> None:
    """The demo beside other servers: WHM_SERVERS names https://127.0.0.1:WHM_SIMULATOR_PORT,
    so make run starts the simulator there and joins its CA to what the dashboard trusts; a
    local address where nothing answers is named, with the command that starts one there."""
    env = environment(tmp_path, DEBUG="true")
    simulator_port, elsewhere = int(env["WHM_SIMULATOR_PORT"]), free_port()
    env["WHM_SERVERS"] = (
        f"local=https://127.0.0.1:{simulator_port},second=https://127.0.0.1:{elsewhere}"
    )
    migrate(env)
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        assert listening(simulator_port)
        signed_in = sign_in_as_root(port, "local")
    finally:
        output = stop(process)
    # Verified against the simulator's demo CA, which make run added to the trusted ones.
    assert signed_in.status_code == 302, signed_in.text
    assert (
        f"Starting the embedded WHM simulator for local (https://127.0.0.1:{simulator_port})"
        in output
    )
    assert f"Nothing answers at https://127.0.0.1:{elsewhere} (second)" in output
    assert f"manage.py whm_simulator --tls --port {elsewhere}" in output
    assert not listening(simulator_port), "the simulator must stop with the dashboard"


def test_whm_servers_of_real_servers_start_no_simulator_and_say_so(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        DEBUG="true",
        WHM_SERVERS="main=https://whm1.example.com:2087,eu=https://whm2.example.com:2087",
    )
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
    finally:
        output = stop(process)
    assert (
        "WHM servers: main (https://whm1.example.com:2087), eu (https://whm2.example.com:2087)"
        in output
    )
    assert "No simulator started" in output
    assert "WHM simulator listening" not in output
    assert not listening(int(env["WHM_SIMULATOR_PORT"]))


def test_with_whm_url_set_it_starts_no_simulator_and_shows_no_demo_users(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        DEBUG="true",
        WHM_URL=f"https://127.0.0.1:{free_port()}",
        # Even if it came from elsewhere, a real WHM's sign-in page ignores it.
        TOKENUI_DEMO_SIGN_IN='[["root", "demo-root-pass"]]',
    )
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        assert not listening(int(env["WHM_SIMULATOR_PORT"]))
        sign_in_page = httpx.get(f"http://127.0.0.1:{port}/sign-in/").text
    finally:
        output = stop(process)
    assert "WHM simulator listening" not in output
    assert "No simulator started" in output
    assert not (tmp_path / "simulator").exists()
    assert "Sign in to WHM" in sign_in_page
    assert "Demo sign-in" not in sign_in_page
    assert "demo-root-pass" not in sign_in_page


def test_it_starts_one_background_worker_and_stops_it_with_the_dashboard(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true", WHM_URL=f"https://127.0.0.1:{free_port()}")
    migrate(env)
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        # The worker's scheduler claims the schedule's first slots in the dashboard's database.
        deadline = time.monotonic() + 30
        while not scheduled(tmp_path / "db.sqlite3") and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        output = stop(process)
    assert scheduled(tmp_path / "db.sqlite3"), output
    workers = re.findall(r"TokenUI worker \S+-(\d+)-\w+: database backend", output)
    assert len(workers) == 1, output
    with pytest.raises(ProcessLookupError):
        os.kill(int(workers[0]), 0)  # stopped with the dashboard


def scheduled(database: Path) -> set[str]:
    """The scheduled jobs a worker has claimed a slot of, read straight from the database."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        return {job for (job,) in db.execute("SELECT job FROM background_scheduledrun")}


def test_a_taken_simulator_port_is_a_clear_error(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(env["WHM_SIMULATOR_PORT"])))
        blocker.listen()
        result = subprocess.run(
            [sys.executable, "manage.py", "rundashboard", "--port", str(free_port())],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"Port {env['WHM_SIMULATOR_PORT']} is taken" in result.stderr


# --- make, as a newcomer runs it on a fresh clone ---------------------------------------------

DEV_ONLY = ("pytest", "playwright", "hypothesis", "pip_audit", "ruff")
# Set by an outer `make test` and wrong for a make of a fresh clone (its jobserver, its variables).
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "VIRTUAL_ENV")
NOT_COPIED = {".git", ".venv", ".tools", "var", ".env", "staticfiles", "__pycache__"}


def fresh_clone(tmp_path: Path) -> Path:
    """The checkout as a fresh clone has it: no .venv, .env or var/. uv itself is linked in
    from this checkout (installing it asks PyPI)."""
    clone = tmp_path / "clone"
    shutil.copytree(
        BASE_DIR,
        clone,
        ignore=lambda _, names: [n for n in names if n in NOT_COPIED or n.endswith("_cache")],
    )
    (clone / ".tools").symlink_to(BASE_DIR / ".tools")
    return clone


def make_environment() -> dict[str, str]:
    env = clean_environment(UV_OFFLINE="1")  # every locked package is in uv's cache already
    del env["TOKENUI_ENV_FILE"]  # a newcomer's make run reads the .env it writes
    for name in MAKE_VARIABLES:
        env.pop(name, None)
    return env


FIND_MODULES = (
    "import importlib.util, sys; "
    "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
)


def installed(clone: Path, modules: tuple[str, ...]) -> list[str]:
    found = subprocess.run(
        [
            str(clone / ".venv" / "bin" / "python"),
            "-c",
            FIND_MODULES,
            *modules,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.split()


def group_members(group: int) -> list[str]:
    """The live processes of a process group (zombies left out), as `ps` lists them."""
    listed = subprocess.run(
        ["ps", "-A", "-ww", "-o", "pgid=,stat=,pid=,ppid=,args="],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line.strip()
        for line in listed.splitlines()
        if line.split()[0] == str(group) and not line.split()[1].startswith("Z")
    ]


def stop_group(process: subprocess.Popen[bytes]) -> list[str]:
    """Stop `make run` and everything it started (its own session and process group: make, the
    dashboard, its reloader child, the simulator). make exits at once on SIGTERM while the
    others are still stopping, reparented to PID 1: wait for the whole group, not make alone,
    and kill what is left after 30 s. What had to be killed, as `ps` listed it."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (left := group_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return left


def test_make_run_on_a_fresh_clone_installs_only_the_dashboard_and_make_test_the_rest(
    tmp_path: Path,
) -> None:
    if not (BASE_DIR / ".tools" / "uv" / "bin" / "uv").is_file():
        pytest.fail("run the suite through make (make test), which installs uv in .tools")
    clone, env = fresh_clone(tmp_path), make_environment()
    port, simulator_port = free_port(), free_simulator_port()
    log = tmp_path / "make-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}", f"SIMULATOR_PORT={simulator_port}"],
            cwd=clone,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, the dashboard, its reloader child and the simulator
        )
    try:
        deadline = time.monotonic() + 180
        # Its own announcement first: a free port found before `make run` installed anything
        # may meanwhile serve another test's server (the suite runs in parallel).
        announced = f"TokenUI dashboard: http://127.0.0.1:{port}/"
        while announced not in log.read_text(errors="replace") or not listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make run did not serve:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/sign-in/", timeout=30).text
        assert listening(simulator_port), "SIMULATOR_PORT= moves the simulator"
        # ... and its cPanel with it, four ports below (unless taken meanwhile: then it says so).
        printed = log.read_text(errors="replace")
        cpanel_port = int(re.search(r"cPanel simulator listening on \S+:(\d+)", printed)[1])
        if f"Port {simulator_port - 4} is taken" not in printed:
            assert cpanel_port == simulator_port - 4, "SIMULATOR_PORT= moves cPanel too"
    finally:
        survivors = stop_group(process)
    assert survivors == [], "make run left processes running"
    for each in (port, simulator_port, cpanel_port):
        assert not listening(each), f"port {each} still answers after make run stopped"
    assert "WHM: <code>root</code> with password <code>demo-root-pass</code>" in page
    assert "cPanel: <code>acme</code> with password <code>demo-acme-pass</code>" in page
    assert (clone / ".env").is_file()
    assert installed(clone, ("django", "gunicorn", *DEV_ONLY)) == ["django", "gunicorn"]

    # make test's sync adds the dev group; make run's own sync must not take it away again.
    for target in (".venv/.synced", ".venv/.synced-app"):
        (clone / ".venv" / ".synced-app").unlink(missing_ok=True)
        synced = subprocess.run(
            ["make", target], cwd=clone, env=env, capture_output=True, text=True, check=False
        )
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert installed(clone, DEV_ONLY) == list(DEV_ONLY)


def test_make_help_lists_the_targets_without_internal_references() -> None:
    env = make_environment()
    result = subprocess.run(
        ["make", "help"], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert "make run" in result.stdout
    assert "make test" in result.stdout
    assert not re.search(r"\bissues?\b|#\d", result.stdout, re.IGNORECASE), result.stdout
