"""`make bench`, the inventory section's **All servers** part (issue 19, item 5): the staff table
at 100,000 inventoried tokens on 1,000 servers, on PostgreSQL (as bench/inventory.py uses) and on
SQLite (the embedded default). Target: at most 100 ms of server time for a page and for a search.

Each database runs in a process of its own (Django is set up once per process): a scratch
PostgreSQL database, made and dropped, or a scratch SQLite file; migrated; 1,000 connected
servers (rows only: nothing is called) each read a minute ago; and the same 100,000 tokens as
the charts' bench (bench.inventory.fill_inventory: a quarter gone, risk flags, expiries over a
year). Then, interleaved round by round (medians; the first two rounds warm up and are not
counted):
- `tokenui.inventory.query.page` (the count and the 50 rows the page shows, as the view asks),
  for pages in several sorts, deep pages, searches that match one token, thousands, or none,
  and a staff member with a role on 10 servers;
- the same searches by a LIKE over every row, as before the trigram index SQLite has since
  migration inventory 0004 (PostgreSQL searches that way still);
- the view itself through Django's test client (`GET /staff/fleet/`, with and without a
  search, and the htmx partial a search swaps in): the whole server time, template and
  middleware included, for a superuser (every server).

Run alone: `python -m bench.all_servers [--tokens 100000] [--servers 1000] [--rounds 15]
[--backends sqlite,postgres]`; writes bench/all-servers-report.md and all-servers-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench.harness import (
    BENCH_DIR,
    PYTHON,
    ROOT,
    BenchError,
    base_env,
    collect_static,
    commit,
    machine,
    ms,
    now_iso,
    stop_on_sigterm,
)

TOKENS = 100_000
SERVERS = 1_000
ROUNDS = 15
TARGET_MS = 100.0
POSTGRES = "postgres://postgres@127.0.0.1:5432"
BACKENDS = ("sqlite", "postgres")
ONE = "token-4242"  # matches token-4242 and token-42420 … 42429 (those still there)
MANY = "owner3"  # one owner in seven: about 10,000 of the tokens still there
NONE = "no-such-token"
VIEW_NOTE = (
    "What the full page's time is spent on: the query is a small part of it (the *page* and "
    "*search* rows); the rest is the page around the table. That part once grew with the "
    "servers, not the tokens: a line and a Server option for each of the 1,000 servers, and "
    "their reads fetched by a list of 1,000 ids (150-190 ms, a MISS). Past 12 servers the page "
    "now sums their reads up and names the failed ones (every server's read has a page of its "
    "own), past 40 the Server filter is a name typed, and a member with a role on every server "
    "has every read fetched without a list of ids. The htmx partial, which a search, a sort, "
    "a filter or a page swaps in, leaves the servers' part out; the full page is what a first "
    "visit and JavaScript off get."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=TOKENS)
    parser.add_argument("--servers", type=int, default=SERVERS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL server, no database")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where the report goes")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: this backend, into --json
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        with database(args.one, args.postgres):
            figures = measure(args.tokens, args.servers, args.rounds)
        args.json.write_text(json.dumps(figures))
        return 0
    results: dict[str, Any] = {
        "date": now_iso(),
        **commit(),
        "machine": machine(),
        "config": {"tokens": args.tokens, "servers": args.servers, "rounds": args.rounds},
    }
    started = time.monotonic()
    with stop_on_sigterm():
        collect_static(settings_env("sqlite:///:memory:"))
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        results["backends"] = {b: in_child(b, args) for b in backends}
    results["machine"]["load_average_after"] = machine()["load_average"]
    results["duration_s"] = round(time.monotonic() - started, 1)
    write_report(results, args.out)
    return 0


def in_child(backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One backend's figures, measured in a process of its own."""
    print(f"  All servers on {backend} …", flush=True)
    with tempfile.TemporaryDirectory(prefix="tokenui-all-servers-") as scratch:
        out = Path(scratch) / "figures.json"
        argv = [PYTHON, "-m", "bench.all_servers", "--one", backend, "--json", str(out)]
        argv += ["--tokens", str(args.tokens), "--servers", str(args.servers)]
        argv += ["--rounds", str(args.rounds), "--postgres", args.postgres]
        done = subprocess.run(argv, cwd=ROOT, env=base_env(), check=False)
        if done.returncode != 0:
            raise BenchError(f"the All servers bench on {backend} exited {done.returncode}")
        return json.loads(out.read_text())


def settings_env(database_url: str) -> dict[str, str]:
    return base_env() | {
        "DJANGO_SETTINGS_MODULE": "tokenui.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": database_url,
        "CACHE_URL": "locmemcache://",
        "SERVICE_KEYS": f"bench:{Fernet.generate_key().decode()}",
        # Required by the settings; nothing here signs in to it (staff reach the servers).
        "WHM_URL": "https://whm.invalid:2087",
    }


@contextmanager
def database(backend: str, postgres: str) -> Iterator[None]:
    """This process set up on a scratch database of `backend`, migrated; removed after."""
    with tempfile.TemporaryDirectory(prefix="tokenui-all-servers-db-") as scratch:
        if backend == "sqlite":
            url, drop = f"sqlite:///{scratch}/bench.sqlite3", None
        elif backend == "postgres":
            url, drop = scratch_postgres(postgres)
        else:
            raise BenchError(f"unknown backend {backend!r}: sqlite or postgres")
        os.environ.update(settings_env(url))
        try:
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0)
            yield
        finally:
            from django.db import connections

            connections.close_all()
            if drop:
                drop()


def scratch_postgres(server: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"tokenui_bench_all_servers_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def connect_servers(count: int) -> None:
    """`count` connected servers, as rows: nothing is called."""
    from django.utils import timezone

    from tokenui.servers.models import ConnectedServer

    now = timezone.now()
    ConnectedServer.objects.bulk_create(
        ConnectedServer(
            name=f"server-{i}",
            url=f"https://server-{i}.invalid:2087",
            username="root",
            token_name=f"tokenui-server-{i}",
            token_created=now,
            sealed_token="not a token: nothing is called",  # noqa: S106 - never opened
            key_id="bench",
        )
        for i in range(1, count + 1)
    )


def read_a_minute_ago() -> None:
    """Each server's inventory as read a minute ago (the page says *as of* for each)."""
    from datetime import timedelta

    from django.utils import timezone

    from tokenui.inventory.models import InventoryRun
    from tokenui.servers.models import ConnectedServer

    read = timezone.now() - timedelta(minutes=1)
    InventoryRun.objects.bulk_create(
        InventoryRun(server=server, read=read, finished=read)
        for server in ConnectedServer.objects.all()
    )


def cases() -> dict[str, Callable[[], Any]]:
    """What is timed: the query the page makes, in each case, and the view."""
    from django.contrib.auth.models import User
    from django.core.paginator import Paginator
    from django.test import Client

    from tokenui.inventory.query import PAGE_SIZE, Criteria, find, page
    from tokenui.servers.models import ConnectedServer

    def shown(number: int = 1, **criteria: Any) -> Callable[[], Any]:
        def run() -> Any:
            found = page(Criteria(**({"servers": None} | criteria)), number)
            return found.paginator.count, list(found.object_list)

        return run

    def scan(needle: str) -> Callable[[], Any]:
        """The search as it was before the trigram index (a LIKE over every row): on SQLite,
        the figure to compare with; on PostgreSQL, the same query as `search`."""

        def run() -> Any:
            tokens = find(Criteria(servers=None)).filter(search__contains=needle)
            found = Paginator(tokens, PAGE_SIZE).get_page(1)
            return found.paginator.count, list(found.object_list)

        return run

    ten = list(ConnectedServer.objects.order_by("pk").values_list("pk", flat=True)[:10])
    client = Client()
    client.force_login(User.objects.create_superuser("bench-all-servers"))
    htmx = {"HX-Request": "true"}
    return {
        "page: first page, by server (the default)": shown(),
        "page: first page, by expiry, latest first": shown(sort="-expires"),
        "page: first page, by name": shown(sort="name"),
        "page: page 500 by name (rows 24,951-25,000)": shown(500, sort="name"),
        "page: risky only, by created": shown(risky=True, sort="created"),
        "page: a role on 10 servers": shown(servers=ten),
        f"search: one token ('{ONE}')": shown(query=ONE),
        f"search: thousands ('{MANY}')": shown(query=MANY),
        f"search: nothing found ('{NONE}')": shown(query=NONE),
        f"search: one token, by expiry ('{ONE}')": shown(query=ONE, sort="expires"),
        f"search: a role on 10 servers ('{MANY}')": shown(query=MANY, servers=ten),
        f"search by LIKE scan, as before 0004: one token ('{ONE}')": scan(ONE),
        f"search by LIKE scan, as before 0004: thousands ('{MANY}')": scan(MANY),
        "view: GET /staff/fleet/": lambda: checked(client.get("/staff/fleet/")),
        f"view: GET /staff/fleet/?q={ONE}": lambda: checked(
            client.get("/staff/fleet/", {"q": ONE})
        ),
        f"view: GET /staff/fleet/?q={MANY}": lambda: checked(
            client.get("/staff/fleet/", {"q": MANY})
        ),
        f"view: the htmx partial of ?q={ONE}": lambda: checked(
            client.get("/staff/fleet/", {"q": ONE}, headers=htmx)
        ),
    }


def checked(response: Any) -> int:
    if response.status_code != 200:
        raise BenchError(f"All servers answered {response.status_code}")
    return len(response.content)


def measure(tokens: int, servers: int, rounds: int) -> list[dict[str, Any]]:
    from bench.inventory import fill_inventory

    connect_servers(servers)
    fill_inventory(tokens)
    read_a_minute_ago()
    timed = cases()
    times: dict[str, list[float]] = {name: [] for name in timed}
    for round_ in range(rounds + 2):  # the first two warm the caches up and are not counted
        for name, run in timed.items():
            started = time.perf_counter()
            run()
            if round_ >= 2:
                times[name].append(time.perf_counter() - started)
    return [
        {"what": name, "median_ms": ms(statistics.median(t)), "max_ms": ms(max(t))}
        for name, t in times.items()
    ]


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "all-servers-results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "all-servers-report.md").write_text(report(results))
    print(f"\nWrote {out / 'all-servers-report.md'} in {results['duration_s']:.0f} s.")


def report(results: dict[str, Any]) -> str:
    config, box = results["config"], results["machine"]
    dirty = ""
    if results["uncommitted_changes_outside_bench"]:
        dirty = " (with uncommitted changes outside bench/)"
    backends = results["backends"]
    names = [case["what"] for case in next(iter(backends.values()), [])]
    by = {b: {case["what"]: case for case in cases_} for b, cases_ in backends.items()}
    head = " | ".join(f"{b} median | {b} slowest" for b in backends)
    lines = [
        "# Inventory bench: All servers for staff (issue 19, item 5)",
        "",
        (
            f"{results['date']}, commit `{results['commit'][:10]}`{dirty}; {box['cores']} cores "
            f"({box['cpu']}), Python {box['python']}; load average {box['load_average']} before, "
            f"{box['load_average_after']} after; {results['duration_s']:.0f} s in all. "
            "`python -m bench.all_servers` (part of `make bench`); how it measures: its "
            "docstring."
        ),
        "",
        (
            f"{config['tokens']:,} inventoried tokens (about three in four still there) on "
            f"{config['servers']:,} servers; medians of {config['rounds']} interleaved rounds. "
            f"Target: {TARGET_MS:g} ms of server time for a page and for a search. *page* and "
            "*search* rows time `tokenui.inventory.query.page` (its count and the rows shown); "
            "*view* rows the whole request through Django's test client (middleware, session, "
            "the query, the template)."
        ),
        "",
        f"| what | {head} | target |",
        "|---|" + "---:|---:|" * len(backends) + ":---:|",
    ]
    for name in names:
        cells = " | ".join(
            f"{by[b][name]['median_ms']} ms | {by[b][name]['max_ms']} ms" for b in backends
        )
        worst = max(by[b][name]["median_ms"] for b in backends)
        lines.append(f"| {name} | {cells} | {'HIT' if worst <= TARGET_MS else 'MISS'} |")
    lines += ["", VIEW_NOTE, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
