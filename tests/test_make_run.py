"""`make run`'s wiring (manage.py rundashboard): the embedded simulator, or none for a real WHM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.environment import clean_environment
from tests.helpers import DEMO_ROOT

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_environment(
        SECRET_KEY="s" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        WHM_SIMULATOR_DIR=str(tmp_path / "simulator"),
        WHM_SIMULATOR_PORT=str(free_port()),
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


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def test_without_a_whm_server_it_starts_the_simulator_over_verified_tls(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    port, simulator_port = free_port(), int(env["WHM_SIMULATOR_PORT"])
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        assert listening(simulator_port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            browser.get("/sign-in/")
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
    assert f"TokenUI dashboard: http://127.0.0.1:{port}/" in output
    assert (tmp_path / "simulator" / "ca.pem").is_file()
    assert not listening(simulator_port), "the simulator must stop with the dashboard"


def test_with_whm_url_set_it_starts_no_simulator(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true", WHM_URL=f"https://127.0.0.1:{free_port()}")
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        assert not listening(int(env["WHM_SIMULATOR_PORT"]))
    finally:
        output = stop(process)
    assert "WHM simulator" not in output
    assert not (tmp_path / "simulator").exists()


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
