"""`python -m tokenui.simulator` (and `manage.py whm_simulator`): serve the simulator until
Ctrl-C or SIGTERM.

It is a WHM, not a dashboard: it reads none of the dashboard's settings and never loads Django,
so it starts with no SECRET_KEY, WHM_URL or DEBUG, and in a fraction of the time.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tokenui.acls import ACLS_BY_KEY, SOFTWARE_PREFIX

from .database import StoreError, remove_store
from .faults import FAULT_MODES
from .functions import USERNAME
from .seed import DEMO_USERS, demo_cpanel_accounts
from .server import Simulator
from .store import SimAccount, SimUser

DEFAULT_PORT = 2087
DEFAULT_CPANEL_PORT = 2083
# The checkout's var/simulator, where `make run` keeps it too.
DEFAULT_STATE_DIR = Path(__file__).resolve().parents[2] / "var" / "simulator"
READY = "Press Ctrl-C to stop."
# How often the main thread looks whether a stop signal has come (its handler only notes it).
STOP_POLL_S = 0.2
STOPPED = "WHM simulator stopped."
MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class _Place:
    """Where one of the simulated servers keeps its state and listens."""

    state_dir: Path
    port: int
    cpanel_port: int | None


def _places(state_dir: Path, options: argparse.Namespace) -> list[_Place]:
    """One server in `state_dir` on --port; or with --servers N, server-1 … server-N, each in
    its own directory under it (its own users, tokens and accounts), on --port-base + 0 … N-1
    (0: each on a free port), cPanel's on --cpanel-port + 0 … N-1."""
    if options.servers == 1:
        return [_Place(state_dir, options.port, options.cpanel_port)]

    def offset(base: int | None, index: int) -> int | None:
        return base if not base else base + index

    return [
        _Place(
            state_dir / f"server-{index + 1}",
            offset(options.port_base, index) or 0,
            offset(options.cpanel_port, index),
        )
        for index in range(options.servers)
    ]


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m tokenui.simulator") -> int:
    """Serve until Ctrl-C or SIGTERM; the exit status (argparse exits 2 on bad arguments)."""
    options = _parser(prog).parse_args(argv)
    # The server logs failures (a function that raised, a connection that broke) here.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    state_dir: Path = options.state_dir.resolve()
    users: list[SimUser] | None = options.users
    accounts: list[SimAccount] | None = options.accounts
    seed_users = DEMO_USERS if users is None else users
    owners = {user.name for user in seed_users}
    for account in accounts or ():
        if account.owner not in owners:
            sys.stderr.write(
                f"The WHM simulator cannot start: --account {account.user} names the owner "
                f"{account.owner!r}, who is not one of its WHM users.\n"
            )
            return 2
    if options.servers > 1 and options.port_base + options.servers - 1 > MAX_PORT:
        sys.stderr.write(
            f"The WHM simulator cannot start: --port-base {options.port_base} leaves no room "
            f"for {options.servers} servers below port {MAX_PORT + 1}.\n"
        )
        return 2
    places = _places(state_dir, options)
    if options.reset:
        for place in places:
            remove_store(place.state_dir)
    simulators: list[Simulator] = []
    try:
        for place in places:
            simulator = Simulator(
                place.state_dir,
                users=users,
                host=options.host,
                port=place.port,
                tls=options.tls,
                latency_ms=options.latency_ms,
                tokens=options.tokens,
                accounts=accounts,
                cpanel_port=place.cpanel_port,
                tls_dir=state_dir,
            )
            simulators.append(simulator)
            if options.session_idle is not None:
                simulator.store.sessions.idle_limit_s = options.session_idle
            # Faults left in the store by an earlier run give way to this run's --fault.
            simulator.clear_faults()
            if options.fault:
                simulator.set_fault(options.fault)
            simulator.start()
    except (StoreError, OSError) as exc:
        for simulator in simulators:
            simulator.stop()
        sys.stderr.write(f"The WHM simulator cannot start: {exc}\n")
        return 1
    stop: list[int] = []
    try:
        # Handlers first: whoever reads the announcement may signal at once.
        with _set_on_signals(stop, signal.SIGINT, signal.SIGTERM):
            logins = demo_cpanel_accounts(seed_users) if accounts is None else accounts
            if len(simulators) == 1:
                _announce(simulators[0], seed_users, logins)
            else:
                _announce_many(simulators, seed_users, logins)
            while not stop:
                time.sleep(STOP_POLL_S)
    finally:
        for simulator in simulators:
            simulator.stop()
    _say(STOPPED)
    return 0


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve the WHM simulator: WHM API 1's token functions, listaccts, createacct, "
            "applist, myprivs, uapi_cpanel and create_user_session (whose /cpsess… sessions "
            "act as a reseller), and with --cpanel-port cPanel's UAPI Tokens and Email "
            "functions, with state kept in --state-dir across restarts."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--servers",
        type=_positive,
        default=1,
        metavar="N",
        help=(
            "Serve N independent WHM servers from this one process (tests, the bench), each "
            "with its own state in STATE_DIR/server-1 … server-N and one demo CA."
        ),
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT,
        metavar="P",
        help="With --servers: server K listens on P + K - 1 (0: each on a free port).",
    )
    parser.add_argument(
        "--cpanel-port",
        type=int,
        metavar="PORT",
        help=f"Also serve cPanel (UAPI) on this port, {DEFAULT_CPANEL_PORT} on a real server.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls", action="store_true", help="Serve HTTPS with a demo CA.")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="Where the store and TLS files live (default: var/simulator).",
    )
    parser.add_argument(
        "--user",
        dest="users",
        action="append",
        type=_sim_user,
        metavar="NAME:PASSWORD:ACL,ACL",
        help="A user to seed, instead of the demo users (repeatable).",
    )
    parser.add_argument(
        "--account",
        dest="accounts",
        action="append",
        type=_sim_account,
        metavar="USER:PASSWORD:OWNER",
        help=(
            "A cPanel account to seed, with the apitokens feature and owned by the WHM user "
            "OWNER, instead of the demo accounts' passwords (repeatable)."
        ),
    )
    parser.add_argument(
        "--tokens",
        type=_non_negative,
        metavar="N",
        help=(
            "Seed N tokens of mixed states for the first user (and the first demo cPanel "
            "account), instead of the demo ones."
        ),
    )
    parser.add_argument("--latency-ms", type=_non_negative, default=0)
    parser.add_argument(
        "--session-idle",
        type=_non_negative,
        metavar="SECONDS",
        help="End a create_user_session session left idle this long (default: 24 hours).",
    )
    parser.add_argument("--fault", choices=FAULT_MODES, help="Answer every call with this fault.")
    parser.add_argument(
        "--reset", action="store_true", help="Start from a fresh store (keeps the TLS files)."
    )
    return parser


def _announce(
    simulator: Simulator, users: Sequence[SimUser], accounts: Sequence[SimAccount]
) -> None:
    lines = [f"WHM simulator listening on {simulator.url}"]
    if simulator.serves_cpanel:
        lines.append(f"cPanel simulator listening on {simulator.cpanel_url}")
    if simulator.ca_path is not None:
        lines.append(f"CA certificate (verify against it): {simulator.ca_path}")
    lines.append(f"State: {simulator.state_dir}")
    # The store keeps only password hashes: print just the credentials that still work.
    working = [u for u in users if simulator.store.check_password(u.name, u.password)]
    for user in working:
        scope = "all privileges" if "all" in user.acls else f"{len(user.acls)} privileges"
        lines.append(f"Sign in as {user.name} with password {user.password} ({scope})")
    lines += _resellers(simulator, working)
    if len(working) < len(users):
        lines.append(
            "The state dir was seeded with other users in an earlier run; "
            "start with --reset to seed these."
        )
    working_accounts = [
        a for a in accounts if simulator.store.check_cpanel_password(a.user, a.password)
    ]
    for account in working_accounts if simulator.serves_cpanel else ():
        feature = "" if account.apitokens else ", without the apitokens feature"
        lines.append(
            f"cPanel account {account.user} with password {account.password} "
            f"(owned by {account.owner}{feature})"
        )
    if simulator.serves_cpanel and len(working_accounts) < len(accounts):
        lines.append(
            "The state dir was seeded without these cPanel accounts in an earlier run; "
            "start with --reset to seed them."
        )
    lines.append(READY)
    _say(*lines)


def _announce_many(
    simulators: Sequence[Simulator], users: Sequence[SimUser], accounts: Sequence[SimAccount]
) -> None:
    """Every server's address, then the sign-ins, which each server was seeded with alike."""
    lines = []
    for index, simulator in enumerate(simulators, start=1):
        lines.append(f"WHM simulator server-{index} listening on {simulator.url}")
        if simulator.serves_cpanel:
            lines.append(f"cPanel simulator server-{index} listening on {simulator.cpanel_url}")
    first = simulators[0]
    if first.ca_path is not None:
        lines.append(f"CA certificate (verify against it): {first.ca_path}")
    lines.append(f"State: {first.state_dir.parent} (one directory per server)")
    working = [u for u in users if first.store.check_password(u.name, u.password)]
    for user in working:
        scope = "all privileges" if "all" in user.acls else f"{len(user.acls)} privileges"
        lines.append(f"Sign in to each as {user.name} with password {user.password} ({scope})")
    if first.serves_cpanel:
        lines += [
            f"cPanel account {a.user} with password {a.password} on each (owned by {a.owner})"
            for a in accounts
            if first.store.check_cpanel_password(a.user, a.password)
        ]
    lines.append(READY)
    _say(*lines)


def _resellers(simulator: Simulator, users: Sequence[SimUser]) -> list[str]:
    """How to reach each reseller's own tokens without its password: root's session for it."""
    lines = []
    for user in users:
        if "all" in user.acls:
            continue
        tokens = len(simulator.store.tokens(user.name))
        accounts = len(simulator.store.accounts(user.name))
        lines.append(
            f"Reseller {user.name} owns {accounts} accounts and {tokens} API tokens of its own; "
            f"root reaches them with create_user_session (user={user.name}, service=whostmgrd)"
        )
    return lines


def _say(*lines: str) -> None:
    # Flushed at once: whoever started the simulator waits for these lines.
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


@contextmanager
def _set_on_signals(arrived: list[int], *signals: signal.Signals) -> Iterator[None]:
    """Note in `arrived` each of `signals` that comes, instead of dying of it. A list, not a
    threading.Event: Event.set() takes a lock, and a second signal whose handler runs while the
    first handler holds it (`make run` stopped by a signal to its process group, then by the
    dashboard) deadlocked the simulator for good."""
    previous = {sig: signal.signal(sig, lambda sig, _: arrived.append(sig)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _sim_user(value: str) -> SimUser:
    """NAME:PASSWORD:ACL,ACL; the password may itself contain colons."""
    name, _, rest = value.partition(":")
    password, _, acl_list = rest.rpartition(":")
    acls = tuple(acl.strip() for acl in acl_list.split(",") if acl.strip())
    if not name or not password or not acls:
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME:PASSWORD:ACL,ACL")
    unknown = [a for a in acls if a not in ACLS_BY_KEY and not a.startswith(SOFTWARE_PREFIX)]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown ACLs for {name}: {', '.join(unknown)}")
    return SimUser(name, password, acls)


def _sim_account(value: str) -> SimAccount:
    """USER:PASSWORD:OWNER; the password may itself contain colons."""
    user, _, rest = value.partition(":")
    password, _, owner = rest.rpartition(":")
    if not user or not password or not owner:
        raise argparse.ArgumentTypeError(f"{value!r} is not USER:PASSWORD:OWNER")
    if not USERNAME.fullmatch(user):
        raise argparse.ArgumentTypeError(
            f"{user!r} is not a cPanel username: 1 to 16 lowercase letters and digits, "
            "starting with a letter"
        )
    return SimAccount(user, password, owner)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return number
