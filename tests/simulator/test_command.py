"""`manage.py whm_simulator` (and `python -m tokenui.simulator`) as a user runs it: a subprocess
that needs none of the dashboard's settings and prints how to reach it."""

from __future__ import annotations

import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.environment import clean_environment
from tests.helpers import DEMO_RESELLER, DEMO_ROOT, delete, get, post
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator, SimUser
from tokenui.simulator.cli import main

BASE_DIR = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop."
STOPPED = "WHM simulator stopped."


@dataclass
class Running:
    """A whm_simulator process and the lines it has printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def read_until(self, last: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not self.lines or self.lines[-1] != last:
            line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None:
                pytest.fail(f"whm_simulator ended early: {self.lines}")
            self.lines.append(line)

    def value(self, pattern: str) -> str:
        """The first group of the first printed line that matches `pattern`."""
        for line in self.lines:
            if match := re.fullmatch(pattern, line):
                return match[1]
        pytest.fail(f"no line matches {pattern!r} in {self.lines}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        self.read_until(STOPPED)
        return self.process.wait(timeout=10)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start `manage.py whm_simulator --port 0 --state-dir TMP ARGS…` and wait until it serves."""
    started: list[Running] = []

    def start(*args: str, command: tuple[str, ...] = ("manage.py", "whm_simulator")) -> Running:
        # None of the dashboard's settings (no SECRET_KEY, WHM_URL or DEBUG, no .env), and
        # settings that cannot load: the simulator must not read them.
        env = clean_environment(DJANGO_SETTINGS_MODULE="no.such.settings")
        process = subprocess.Popen(
            [
                *(sys.executable, *command, "--port", "0"),
                *("--state-dir", str(tmp_path / "state"), *args),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        running = Running(process)
        started.append(running)
        running.read_until(READY)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
        running.process.wait(timeout=10)
        assert running.process.stdout is not None
        running.process.stdout.close()


def test_command_serves_tls_prints_how_to_sign_in_and_stops_on_sigterm(
    run: Callable[..., Running], tmp_path: Path
) -> None:
    # A store left by an earlier run with other users: --reset seeds the demo users afresh.
    Simulator(tmp_path / "state", users=[SimUser("old", "old-pass", ("all",))]).close()
    simulator = run("--tls", "--reset")
    url = simulator.value(r"WHM simulator listening on (https://127\.0\.0\.1:\d+)")
    ca_path = simulator.value(r"CA certificate \(verify against it\): (.+)")
    assert Path(ca_path) == tmp_path / "state" / "ca.pem"
    for user, password in (DEMO_ROOT, DEMO_RESELLER):
        assert any(f"{user} with password {password}" in line for line in simulator.lines)

    # The seed documents' curl example, with a token made the way TokenUI makes one.
    verify = ssl.create_default_context(cafile=ca_path)
    created = post(
        f"{url}/json-api/api_token_create?api.version=1",
        data={"token_name": "curl-example", "acl-0": "list-accts"},
        auth=DEMO_ROOT,
        verify=verify,
    )
    secret = created.json()["data"]["token"]
    response = get(
        f"{url}/json-api/listaccts?api.version=1",
        headers={"Authorization": f"whm root:{secret}"},
        verify=verify,
    )
    assert response.json()["metadata"]["result"] == 1
    assert len(response.json()["data"]["acct"]) == 6

    assert simulator.stop() == 0


def test_command_seeds_given_users_and_applies_its_fault(run: Callable[..., Running]) -> None:
    simulator = run(
        "--user", "alice:pass:with:colons:list-accts,manage-api-tokens", "--tokens", "4",
        "--fault", "http-503",
    )  # fmt: skip
    url = simulator.value(r"WHM simulator listening on (http://127\.0\.0\.1:\d+)")
    assert any("alice with password pass:with:colons" in line for line in simulator.lines)
    alice = ("alice", "pass:with:colons")
    assert get(f"{url}/json-api/myprivs?api.version=1", auth=alice).status_code == 503
    delete(f"{url}/__simulator__/faults")
    tokens = get(f"{url}/json-api/api_token_list?api.version=1", auth=alice).json()
    assert sorted(tokens["data"]["tokens"]) == [
        "expired-00002",
        "expiring-00003",
        "ip-restricted-00004",
        "no-expiry-00001",
    ]
    assert simulator.stop(signal.SIGINT) == 0


def test_command_warns_when_the_state_dir_holds_other_users(
    run: Callable[..., Running], tmp_path: Path
) -> None:
    Simulator(tmp_path / "state").close()
    simulator = run("--user", "alice:alice-pass:all")
    assert not any("alice with password" in line for line in simulator.lines)
    assert any("--reset" in line for line in simulator.lines)
    assert simulator.stop() == 0


def test_python_m_tokenui_simulator_serves_without_the_dashboards_settings(
    run: Callable[..., Running],
) -> None:
    simulator = run(command=("-m", "tokenui.simulator"))
    url = simulator.value(r"WHM simulator listening on (http://127\.0\.0\.1:\d+)")
    assert get(f"{url}/json-api/myprivs?api.version=1", auth=DEMO_ROOT).status_code == 200
    assert simulator.stop() == 0


def test_command_loads_no_django(run: Callable[..., Running]) -> None:
    # What manage.py whm_simulator runs, and then a look at what it imported.
    script = (
        "import sys; from tokenui.simulator.cli import main; code = main(sys.argv[1:]);"
        "print('Django loaded:', any(m.split('.')[0] == 'django' for m in sys.modules));"
        "sys.exit(code)"
    )
    simulator = run(command=("-c", script))
    simulator.process.send_signal(signal.SIGTERM)
    simulator.read_until("Django loaded: False")
    assert simulator.process.wait(timeout=10) == 0


# The command, with a second SIGTERM sent from inside threading's Condition.notify_all (called
# by Event.set()) in the main thread while the command's own handler is installed: as when
# `make run` is stopped through its process group and the dashboard then stops the simulator
# too, the second signal lands while the first one's handler runs.
SECOND_SIGNAL_INSIDE_THE_FIRST = """
import os, signal, sys, threading
notify_all, install, armed = threading.Condition.notify_all, signal.signal, []
def noisy_notify_all(self):
    if armed and threading.current_thread() is threading.main_thread():
        armed.clear()
        os.kill(os.getpid(), signal.SIGTERM)
    notify_all(self)
def tracked_install(sig, handler):
    if sig == signal.SIGTERM:
        armed[:] = [True] if callable(handler) else []
    return install(sig, handler)
threading.Condition.notify_all, signal.signal = noisy_notify_all, tracked_install
from tokenui.simulator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_second_stop_signal_while_the_first_is_handled_still_stops_the_command(
    run: Callable[..., Running],
) -> None:
    simulator = run(command=("-c", SECOND_SIGNAL_INSIDE_THE_FIRST))
    simulator.process.send_signal(signal.SIGTERM)
    assert simulator.process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    "bad_user", ["alice", "alice:pass", ":pass:all", "alice::all", "alice:pass:no-such-acl"]
)
def test_command_rejects_a_malformed_user(
    bad_user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--user", bad_user])
    assert exited.value.code == 2
    assert "--user" in capsys.readouterr().err


def test_command_serves_cpanel_on_its_port_and_prints_the_demo_cpanel_accounts(
    run: Callable[..., Running],
) -> None:
    simulator = run("--tls", "--cpanel-port", "0")
    url = simulator.value(r"cPanel simulator listening on (https://127\.0\.0\.1:\d+)")
    ca_path = simulator.value(r"CA certificate \(verify against it\): (.+)")
    verify = ssl.create_default_context(cafile=ca_path)
    for account in DEMO_CPANEL_ACCOUNTS:
        line = simulator.value(rf"(cPanel account {account.user} with password .*)")
        assert f"with password {account.password} (owned by {account.owner}" in line
        assert ("without the apitokens feature" in line) is not account.apitokens
        listed = get(
            f"{url}/execute/Tokens/list", auth=(account.user, account.password), verify=verify
        )
        assert listed.json()["status"] == int(account.apitokens)
    assert simulator.stop() == 0


def test_command_seeds_the_given_cpanel_accounts_instead_of_the_demo_passwords(
    run: Callable[..., Running],
) -> None:
    simulator = run(
        "--cpanel-port", "0",
        "--account", "shop:shop:pass:reseller", "--account", "acme:new-acme-pass:root",
    )  # fmt: skip
    url = simulator.value(r"WHM simulator listening on (http://127\.0\.0\.1:\d+)")
    cpanel_url = simulator.value(r"cPanel simulator listening on (http://127\.0\.0\.1:\d+)")
    assert any("cPanel account shop with password shop:pass (owned by reseller)" in line
               for line in simulator.lines)  # fmt: skip
    assert not any("garage with password" in line for line in simulator.lines)
    shop = ("shop", "shop:pass")
    created = post(f"{cpanel_url}/execute/Tokens/create_full_access", data={"name": "t"}, auth=shop)
    assert created.json()["status"] == 1
    assert get(f"{cpanel_url}/execute/Tokens/list", auth=("acme", "new-acme-pass")).json() == {
        "status": 1, "errors": None, "messages": None, "warnings": None,
        "metadata": {"transformed": 1}, "data": [],
    }  # fmt: skip
    garage = next(a for a in DEMO_CPANEL_ACCOUNTS if a.user == "garage")
    refused = get(f"{cpanel_url}/execute/Tokens/list", auth=(garage.user, garage.password))
    assert refused.status_code == 403
    owners = {
        a["user"]: a["owner"]
        for a in get(f"{url}/json-api/listaccts?api.version=1", auth=DEMO_ROOT).json()["data"][
            "acct"
        ]
    }
    assert (owners["shop"], owners["acme"]) == ("reseller", "root")
    assert simulator.stop() == 0


def test_command_without_cpanel_port_serves_no_cpanel(run: Callable[..., Running]) -> None:
    simulator = run()
    assert not any("cPanel" in line for line in simulator.lines)
    assert simulator.stop() == 0


@pytest.mark.parametrize(
    "bad_account",
    ["shop", "shop:pass", ":pass:root", "shop:pass:", "Shop:pass:root", "1shop:p:root"],
)
def test_command_rejects_a_malformed_account(
    bad_account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--account", bad_account])
    assert exited.value.code == 2
    assert "--account" in capsys.readouterr().err


def test_command_rejects_an_account_owned_by_no_seeded_user(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--state-dir", str(tmp_path), "--account", "shop:pass:nobody"])
    assert code == 2
    assert "'nobody', who is not one of its WHM users" in capsys.readouterr().err


def test_command_names_the_resellers_tokens_and_ends_idle_sessions_after_session_idle(
    run: Callable[..., Running],
) -> None:
    simulator = run("--session-idle", "1")
    url = simulator.value(r"WHM simulator listening on (http://127\.0\.0\.1:\d+)")
    assert simulator.value(r"Reseller reseller owns (.*); root reaches them .*") == (
        "3 accounts and 6 API tokens of its own"
    )
    made = get(
        f"{url}/json-api/create_user_session?api.version=1&user=reseller&service=whostmgrd",
        auth=DEMO_ROOT,
    ).json()["data"]
    cookie = {"whostmgrsession": get(made["url"]).cookies["whostmgrsession"]}
    listing = f"{url}{made['cp_security_token']}/json-api/api_token_list?api.version=1"
    assert len(get(listing, cookies=cookie).json()["data"]["tokens"]) == 6
    time.sleep(2.1)
    assert get(listing, cookies=cookie).status_code == 401
    assert simulator.stop() == 0


def test_command_serves_n_servers_from_one_process_each_with_its_own_state(
    run: Callable[..., Running], tmp_path: Path
) -> None:
    simulator = run("--servers", "3", "--port-base", "0", "--tls")
    urls = [
        simulator.value(rf"WHM simulator server-{n} listening on (https://127\.0\.0\.1:\d+)")
        for n in (1, 2, 3)
    ]
    assert len(set(urls)) == 3
    # One CA for all of them; each server's store in a directory of its own.
    ca_path = simulator.value(r"CA certificate \(verify against it\): (.+)")
    assert Path(ca_path) == tmp_path / "state" / "ca.pem"
    assert all((tmp_path / "state" / f"server-{n}").is_dir() for n in (1, 2, 3))
    verify = ssl.create_default_context(cafile=ca_path)

    def names(url: str) -> set[str]:
        listed = get(f"{url}/json-api/api_token_list?api.version=1", auth=DEMO_ROOT, verify=verify)
        return set(listed.json()["data"]["tokens"])

    made = post(
        f"{urls[1]}/json-api/api_token_create?api.version=1",
        data={"token_name": "only-on-two", "acl-0": "list-accts"},
        auth=DEMO_ROOT,
        verify=verify,
    )
    assert made.json()["metadata"]["result"] == 1
    assert "only-on-two" in names(urls[1])
    assert "only-on-two" not in names(urls[0]) | names(urls[2])
    assert simulator.stop() == 0


def test_command_refuses_a_port_base_with_no_room_for_its_servers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--servers", "3", "--port-base", "65534", "--state-dir", str(tmp_path)])
    assert code == 2
    assert "no room for 3 servers" in capsys.readouterr().err
