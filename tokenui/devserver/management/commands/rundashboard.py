"""`make run`'s command: serve the dashboard, starting the embedded WHM simulator (WHM's port and
cPanel's) when no WHM server is named, or when one is named at the simulator's own address."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# `make run`'s wiring: beside the simulator's own command, the one module that imports it.
from tokenui.devserver import sso
from tokenui.devserver.staff import offer_demo_staff
from tokenui.devserver.worker import start_worker, stop_worker
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, DEMO_USERS, ROOT_USER

SIMULATOR_START_SECONDS = 30
CPANEL_PORT_VARIABLE = "CPANEL_PORT"
CA_BUNDLE_VARIABLE = "WHM_CA_BUNDLE"
# What the dashboard trusts when it runs on named servers beside the simulator: its demo CA and
# the CAs trusted before (WHM_CA_BUNDLE's, or the system's), joined in the simulator's state dir.
JOINED_CA_FILE = "trusted-cas.pem"


class Command(BaseCommand):
    help = (
        "Serve the dashboard on 127.0.0.1. With no WHM server configured (DEBUG and no WHM_URL), "
        "also start the embedded WHM simulator over HTTPS, with cPanel on a second port, and "
        "point the dashboard at both."
    )
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own class attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--noreload", action="store_true", help="Do not restart on code changes."
        )

    def handle(self, *args: Any, port: int, noreload: bool, **options: Any) -> None:
        # runserver's autoreloader re-runs this command in a child process (RUN_MAIN=true):
        # only the outer process owns the simulator.
        outer = os.environ.get("RUN_MAIN") != "true"
        simulator = self._simulator() if outer else None
        if simulator is not None:
            # A plain `kill` must also stop the simulator: turn SIGTERM into a normal exit.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        # One background worker beside the dashboard (the schedule, the inventory).
        worker = start_worker() if outer else None
        if worker is not None:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        stack = ExitStack()
        try:
            if outer and simulator is not None and sso.wanted():
                sso.apply(sso.start_demo_provider(stack, self.stdout))
            if outer:
                url = f"http://127.0.0.1:{port}/"
                self.stdout.write(self.style.SUCCESS(f"TokenUI dashboard: {url}"))
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=not noreload)
        finally:
            stack.close()
            if worker is not None:
                stop_worker(worker)
            if simulator is not None:
                simulator.terminate()
                simulator.wait(timeout=10)

    def _simulator(self) -> subprocess.Popen[bytes] | None:
        """The embedded simulator, started: the demo when no WHM server is named; for named
        servers, only when one of them is at the simulator's address (and nothing answers
        there yet). Says which servers the dashboard uses either way."""
        if settings.WHM_EMBEDDED_SIMULATOR:
            process = self._start_simulator()
            _offer_demo_sign_in()
            offer_demo_staff((ROOT_USER.name, ROOT_USER.password), self.stdout)
            return process
        names = self._describe_servers()
        if not names:
            self.stdout.write(_NO_SIMULATOR.format(port=settings.WHM_SIMULATOR_PORT))
            return None
        address = f"https://127.0.0.1:{settings.WHM_SIMULATOR_PORT}"
        if _port_in_use(settings.WHM_SIMULATOR_PORT):
            self.stdout.write(f"Something answers at {address} already: no simulator started.")
            return None
        self.stdout.write(
            f"Starting the embedded WHM simulator for {', '.join(names)} ({address})."
        )
        process = self._start_simulator()
        _trust_simulator_ca(Path(settings.WHM_SIMULATOR_DIR))
        return process

    def _describe_servers(self) -> list[str]:
        """Name the configured servers and any local one where nothing answers; the names of
        those at the embedded simulator's address."""
        servers = settings.WHM_SERVERS
        listed = ", ".join(f"{name} ({url})" for name, url in servers.items())
        self.stdout.write(f"WHM servers: {listed}")
        at_simulator = []
        for name, url in servers.items():
            port = _local_port(url)
            if port == settings.WHM_SIMULATOR_PORT:
                at_simulator.append(name)
            elif port is not None and not _port_in_use(port):
                self.stdout.write(_NOTHING_ANSWERS.format(url=url, name=name, port=port))
        return at_simulator

    def _start_simulator(self) -> subprocess.Popen[bytes]:
        sim_port = settings.WHM_SIMULATOR_PORT
        if _port_in_use(sim_port):
            raise CommandError(
                f"Port {sim_port} is taken, so the embedded WHM simulator cannot start. Stop what "
                "uses it (another `make run`?) or move the simulator: `make run "
                "SIMULATOR_PORT=2088`, or WHM_SIMULATOR_PORT in .env."
            )
        cpanel_port = self._cpanel_port()
        state_dir = Path(settings.WHM_SIMULATOR_DIR)
        process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            _simulator_command(sim_port, cpanel_port, state_dir)
        )
        _wait_until_serving(process, sim_port, cpanel_port, state_dir)
        _point_dashboard_at_cpanel(cpanel_port)
        return process

    def _cpanel_port(self) -> int:
        """WHM_SIMULATOR_CPANEL_PORT (CPANEL_PORT if set, else four below the simulator's WHM
        port) if free, else any free port: the simulator's cPanel gives way, since the
        dashboard is told where it went."""
        wanted = settings.WHM_SIMULATOR_CPANEL_PORT
        if 1 <= wanted <= 65535 and not _port_in_use(wanted):
            return wanted
        port = _free_port()
        self.stdout.write(
            f"Port {wanted} is taken, so the simulator serves cPanel on port {port} instead."
        )
        return port


_NO_SIMULATOR = (
    "No simulator started: make run starts the embedded WHM simulator only when neither "
    "WHM_URL nor WHM_SERVERS is set, or for a server named at its address, "
    "https://127.0.0.1:{port} (WHM_SIMULATOR_PORT)."
)
_NOTHING_ANSWERS = (
    "Nothing answers at {url} ({name}). To run another simulator there: "
    ".venv/bin/python manage.py whm_simulator --tls --port {port} "
    "--state-dir var/simulator-{port}, and join its var/simulator-{port}/ca.pem into "
    "WHM_CA_BUNDLE (README, Quick start)."
)


def _local_port(url: str) -> int | None:
    """The port of an https URL on this machine (loopback), else None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        return None
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    return (parts.port or 443) if local else None


def _trust_simulator_ca(state_dir: Path) -> None:
    """Have the dashboard trust the simulator's demo CA beside the CAs it trusted already
    (WHM_CA_BUNDLE's, else the system's), through one joined file: in the environment for the
    server process runserver's autoreloader starts, and in this process's settings."""
    system = ssl.get_default_verify_paths().cafile
    trusted = settings.WHM_CA_BUNDLE or (system if system and Path(system).is_file() else None)
    joined = state_dir / JOINED_CA_FILE
    parts = [Path(trusted or certifi.where()).read_text(), (state_dir / "ca.pem").read_text()]
    joined.write_text("\n".join(parts))
    os.environ[CA_BUNDLE_VARIABLE] = str(joined)
    settings.WHM_CA_BUNDLE = str(joined)


def _simulator_command(sim_port: int, cpanel_port: int, state_dir: Path) -> list[str]:
    """The embedded simulator's command line: this project's own manage.py whm_simulator."""
    return [
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "whm_simulator",
        "--tls",
        "--port",
        str(sim_port),
        "--cpanel-port",
        str(cpanel_port),
        "--state-dir",
        str(state_dir),
    ]


def _wait_until_serving(
    process: subprocess.Popen[bytes], sim_port: int, cpanel_port: int, state_dir: Path
) -> None:
    """Wait until the simulator answers on both ports and has written its CA; raise
    CommandError if it stops or does not start in time (stopping it then)."""
    deadline = time.monotonic() + SIMULATOR_START_SECONDS
    while not (
        _port_in_use(sim_port) and _port_in_use(cpanel_port) and (state_dir / "ca.pem").is_file()
    ):
        if process.poll() is not None:
            raise CommandError("The embedded WHM simulator stopped at start; see its output.")
        if time.monotonic() > deadline:
            process.terminate()
            raise CommandError(f"The embedded WHM simulator did not start on port {sim_port}.")
        time.sleep(0.1)


def _offer_demo_sign_in() -> None:
    """Have the sign-in page show the simulator's demo users, WHM's and cPanel accounts':
    through the environment for the server process runserver's autoreloader starts (its
    settings read it), and in this process's settings for --noreload. Only this command knows
    them: the product never imports the simulator, and settings ignore the variable unless the
    dashboard runs on it."""
    users = [(user.name, user.password, "whm") for user in DEMO_USERS]
    users += [
        (account.user, account.password, "cpanel")
        for account in DEMO_CPANEL_ACCOUNTS
        if account.apitokens  # one that cannot reach its API Tokens page shows nothing to try
    ]
    os.environ[settings.DEMO_SIGN_IN_VARIABLE] = json.dumps(users)
    settings.DEMO_SIGN_IN = tuple(users)


def _point_dashboard_at_cpanel(port: int) -> None:
    """The dashboard finds a server's cPanel at CPANEL_PORT: through the environment for the
    server process runserver's autoreloader starts, and in this process's settings for
    --noreload."""
    os.environ[CPANEL_PORT_VARIABLE] = str(port)
    setattr(settings, CPANEL_PORT_VARIABLE, port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
