"""`make bench`, the inventory section (issue 19, item 5): 1,000 servers of 50 tokens read by 1,
2 and 4 RQ workers on real Redis, and the charts' queries at 100,000 inventoried tokens.

One run, one machine state, so that the ratios hold:
- the simulator serves every server from one process (`--servers N --port-base 0 --tokens T`,
  plain HTTP, WHM answering at once): root with T tokens, the demo reseller and the demo cPanel
  accounts (the first with T cPanel tokens), so each read goes through WHM, a reseller's
  session and each account's UAPI, as on a real server;
- the dashboard's database is a scratch PostgreSQL database made for the run and dropped after
  it (several workers write at once); RQ uses Redis database 13 under a queue of the run's own,
  whose keys are deleted afterwards;
- the servers are connected through the connect path (`connect_server`, as `manage.py
  connect_server` does: a service token made on each, sealed), 8 at a time;
- for each worker count, the inventory is emptied, that many `manage.py worker` processes
  start, every server's read is asked for at once (as the schedule does), and the time runs
  until the last read has ended; the workers' and the simulator's CPU time is taken beside it.

Then the inventory is replaced by 100,000 synthetic tokens with histories (first seen up to
20 weeks ago, a quarter gone since, expiries spread over a year, risk flags) over the same
servers, and each chart's query, and the Charts page with its two pictures, are timed.

Run alone: `python -m bench.inventory [--servers 1000] [--tokens 50] [--workers 1,2,4]`;
writes bench/inventory-report.md and bench/inventory-results.json.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import random
import re
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench.harness import (
    BENCH_DIR,
    PYTHON,
    ROOT_USER,
    BenchError,
    Process,
    base_env,
    collect_static,
    commit,
    cpu_seconds,
    machine,
    ms,
    now_iso,
    run_checked,
    stop_on_sigterm,
    wait_until,
)

SERVERS = 1_000
TOKENS = 50
WORKERS = (1, 2, 4)
CHART_TOKENS = 100_000
CHART_ROUNDS = 15
CONNECTING = 8  # servers connected at once
POSTGRES = "postgres://postgres@127.0.0.1:5432"  # a scratch database is made on it
REDIS = "redis://127.0.0.1:6379/13"  # bench.fixed uses 12, the tests 15
READ_TIMEOUT_S = 3_600.0
WORKER_READY = "TokenUI worker"
LISTENING = re.compile(r"WHM simulator server-(\d+) listening on (\S+)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=SERVERS)
    parser.add_argument("--tokens", type=int, default=TOKENS, help="root's tokens per server")
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--chart-tokens", type=int, default=CHART_TOKENS)
    parser.add_argument("--chart-rounds", type=int, default=CHART_ROUNDS)
    parser.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL server, no database")
    parser.add_argument("--redis", default=REDIS, help="a Redis database for RQ's keys")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where the report goes")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    results: dict[str, Any] = {
        "date": now_iso(),
        **commit(),
        "machine": machine(),
        "config": {
            "servers": args.servers,
            "tokens": args.tokens,
            "workers": counts,
            "chart_tokens": args.chart_tokens,
        },
    }
    started = time.monotonic()
    with stop_on_sigterm(), ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tokenui-inv-")))
        env = stack.enter_context(bench_environment(args.postgres, args.redis))
        simulator, urls = start_simulators(stack, workdir, args.servers, args.tokens)
        results["setup"] = set_up(urls)
        results["reads"] = [read_all(env, workdir, n, simulator) for n in counts]
        results["charts"] = charts(args.chart_tokens, args.chart_rounds)
    results["machine"]["load_average_after"] = machine()["load_average"]
    results["duration_s"] = round(time.monotonic() - started, 1)
    write_report(results, args.out)
    failed = [r for r in results["reads"] if r["failed"]]
    return 1 if failed else 0


@contextmanager
def bench_environment(postgres: str, redis_url: str) -> Iterator[dict[str, str]]:
    """A scratch PostgreSQL database (migrated) and RQ queue; this process set up on them as the
    workers are. Both are removed on the way out."""
    import psycopg

    name = f"tokenui_bench_inventory_{os.getpid()}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = base_env() | {
        "DJANGO_SETTINGS_MODULE": "tokenui.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": f"{postgres}/{name}",
        "CACHE_URL": "locmemcache://",
        "TASK_BACKEND": "rq",
        "REDIS_URL": redis_url,
        "TASK_QUEUE": f"bench-inventory-{uuid.uuid4().hex[:12]}",
        "SERVICE_KEYS": f"bench:{Fernet.generate_key().decode()}",
        "INVENTORY_MINUTES": "1440",
        # Required by the settings; nothing here signs in to it (staff reach the servers).
        "WHM_URL": "https://whm.invalid:2087",
    }
    try:
        run_checked([PYTHON, "manage.py", "migrate", "-v0"], env=env, what="migrate")
        collect_static(env)  # DEBUG=false: the Charts page links hashed static files
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("tokenui.whm").setLevel(logging.WARNING)  # a line a call, else
        yield env
    finally:
        forget_queue(redis_url, env["TASK_QUEUE"])
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_queue(url: str, queue: str) -> None:
    """Delete the run's RQ keys: its queue, registries, jobs and their results."""
    import redis

    with redis.Redis.from_url(url, socket_timeout=10) as client:
        keys = list(client.scan_iter(match=f"rq:*{queue}*", count=1000))
        for key in client.scan_iter(match="rq:job:*", count=1000):
            if client.type(key) == b"hash" and client.hget(key, "origin") == queue.encode():
                keys += [key, f"rq:results:{key.decode().removeprefix('rq:job:')}"]
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.srem("rq:queues", f"rq:queue:{queue}")


def start_simulators(
    stack: ExitStack, workdir: Path, servers: int, tokens: int
) -> tuple[Process, list[str]]:
    """The simulator serving `servers` servers from one process, and their URLs in order."""
    argv = [PYTHON, "-m", "tokenui.simulator", "--servers", str(servers), "--port-base", "0"]
    argv += ["--state-dir", str(workdir / "simulator"), "--tokens", str(tokens), "--reset"]
    process = stack.enter_context(
        Process("WHM simulator", argv, env=base_env(), log=workdir / "simulator.log")
    )
    wait_until(
        lambda: "Press Ctrl-C" in process.log.read_text(errors="replace"),
        what=f"the simulator's {servers} servers",
        process=process,
    )
    found = LISTENING.findall(process.log.read_text(errors="replace"))
    urls = [url for _, url in sorted(found, key=lambda item: int(item[0]))]
    if len(urls) != servers:
        raise BenchError(f"the simulator announced {len(urls)} servers of {servers}")
    return process, urls


def set_up(urls: list[str]) -> dict[str, Any]:
    """Connect every server through the connect path; pre-claim the schedule's slots for the
    run (so no worker starts a scheduled read of its own); how long connecting took."""
    from django.db import connection

    from tokenui.background.models import ScheduledRun
    from tokenui.background.schedule import SCHEDULE
    from tokenui.servers.lifecycle import Connection, connect_server

    def connect(index: int, url: str) -> None:
        try:
            connect_server(Connection(f"server-{index}", url, ROOT_USER[0], ROOT_USER[1]))
        finally:
            connection.close()  # this thread's

    started = time.monotonic()
    with ThreadPoolExecutor(CONNECTING) as pool:
        list(pool.map(connect, range(1, len(urls) + 1), urls))
    connected_s = time.monotonic() - started
    now = int(time.time())
    ScheduledRun.objects.bulk_create(
        ScheduledRun(job=entry.job, slot=slot, worker="bench")
        for entry in SCHEDULE
        for slot in range(now // entry.seconds(), (now + 6 * 3600) // entry.seconds() + 1)
    )
    print(f"  connected {len(urls):,} servers in {connected_s:.1f} s", flush=True)
    return {"servers": len(urls), "connect_s": round(connected_s, 1)}


def read_all(env: dict[str, str], workdir: Path, count: int, simulator: Process) -> dict[str, Any]:
    """The inventory emptied, `count` workers started, every server's read asked for at once:
    the time until the last read ended, and the CPU time each side used meanwhile."""
    from django.utils import timezone

    from tokenui.inventory.models import InventoryRun, InventoryToken
    from tokenui.inventory.tasks import request
    from tokenui.servers.models import ConnectedServer

    InventoryToken.objects.all().delete()
    InventoryRun.objects.all().delete()
    print(f"  {count} worker(s) …", end=" ", flush=True)
    with ExitStack() as stack:
        workers = [
            start_worker(stack, env, workdir / f"worker-{count}-{i}.log") for i in range(count)
        ]
        servers = list(ConnectedServer.objects.values_list("pk", flat=True))
        cpu = [cpu_seconds([simulator.pid]), cpu_seconds([w.pid for w in workers])]
        asked, started = timezone.now(), time.monotonic()
        for server_id in servers:
            request(server_id)
        wait_until_read(len(servers), asked, workers)
        elapsed = time.monotonic() - started
        cpu = [
            cpu_seconds([simulator.pid]) - cpu[0],
            cpu_seconds([w.pid for w in workers]) - cpu[1],
        ]
    failed = list(InventoryRun.objects.exclude(error="").values_list("error", flat=True)[:3])
    figures = {
        "workers": count,
        "seconds": round(elapsed, 2),
        "servers": len(servers),
        "tokens": InventoryToken.objects.filter(gone__isnull=True).count(),
        "failed": InventoryRun.objects.exclude(error="").count(),
        "failures": failed,
        "simulator_cpu_s": round(cpu[0], 1),
        "workers_cpu_s": round(cpu[1], 1),
    }
    print(f"{elapsed:.1f} s, {figures['tokens']:,} tokens, {figures['failed']} failed", flush=True)
    return figures


def start_worker(stack: ExitStack, env: dict[str, str], log: Path) -> Process:
    worker = stack.enter_context(
        Process(log.stem, [PYTHON, "manage.py", "worker"], env=env, log=log)
    )
    wait_until(
        lambda: WORKER_READY in log.read_text(errors="replace"), what=log.stem, process=worker
    )
    return worker


def wait_until_read(servers: int, asked: Any, workers: list[Process]) -> None:
    """Until every server's read asked for at `asked` has ended (well or not)."""
    from tokenui.inventory.models import InventoryRun

    deadline = time.monotonic() + READ_TIMEOUT_S
    while InventoryRun.objects.filter(finished__gte=asked).count() < servers:
        if time.monotonic() > deadline:
            raise BenchError(f"the reads did not end within {READ_TIMEOUT_S:g} s")
        dead = [w for w in workers if not w.running()]
        if dead:
            raise BenchError(f"{dead[0].name} exited:\n{dead[0].log_tail()}")
        time.sleep(0.1)


def charts(total: int, rounds: int) -> list[dict[str, Any]]:
    """The inventory replaced by `total` tokens with histories; each chart's query, the Charts
    page and one picture timed, interleaved round by round (medians of `rounds`)."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from tokenui.charts import figures
    from tokenui.servers.models import ConnectedServer

    fill_inventory(total)
    now = timezone.now()
    some = list(ConnectedServer.objects.values_list("pk", flat=True)[:10])
    client = Client()
    client.force_login(User.objects.create_superuser("bench-charts"))
    cases: dict[str, Callable[[], Any]] = {
        "Expiry timeline by server, all servers": lambda: figures.expiry_timeline(
            None, "server", now
        ),
        "Expiry timeline by risk, all servers": lambda: figures.expiry_timeline(None, "risk", now),
        "Risky tokens over time, all servers": lambda: figures.risky_over_time(None, now),
        "Expiry timeline by server, a role on 10 servers": lambda: figures.expiry_timeline(
            some, "server", now
        ),
        "Risky tokens over time, a role on 10 servers": lambda: figures.risky_over_time(some, now),
        "The Charts page (GET /staff/charts/)": lambda: checked(client.get("/staff/charts/")),
        "The Charts page and its two pictures, as a browser loads them": lambda: with_pictures(
            client
        ),
        "One picture counted afresh (GET /staff/charts/expiry.svg)": lambda: checked(
            client.get("/staff/charts/expiry.svg")
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(rounds + 2):  # the first two warm the caches up and are not counted
        for name, run in cases.items():
            started = time.perf_counter()
            run()
            if round_ >= 2:
                times[name].append(time.perf_counter() - started)
    return [
        {"what": name, "median_ms": ms(statistics.median(t)), "max_ms": ms(max(t))}
        for name, t in times.items()
    ]


def checked(response: Any) -> str:
    if response.status_code != 200:
        raise BenchError(f"the Charts page answered {response.status_code}")
    return response.content.decode()


def with_pictures(client: Any) -> None:
    """The page, then the wide pictures it links to (their numbers kept by the page's)."""
    page = checked(client.get("/staff/charts/"))
    for url in re.findall(r'<img src="([^"]+)"', page):
        checked(client.get(html.unescape(url)))


def fill_inventory(total: int) -> None:
    """`total` tokens spread over the connected servers: first seen up to 20 weeks ago, a quarter
    gone since, a fifth without expiry and the rest expiring from 60 days ago to 300 ahead,
    each risk flag on about a third (the same seed every run)."""
    from django.db import connection
    from django.utils import timezone

    from tokenui.inventory.models import InventoryRun, InventoryToken, OwnerKind
    from tokenui.servers.models import ConnectedServer

    InventoryToken.objects.all().delete()
    InventoryRun.objects.all().delete()
    rng, now, day = random.Random(19), timezone.now(), timedelta(days=1)
    servers = list(ConnectedServer.objects.values_list("pk", "name"))
    batch = []
    for i in range(total):
        expires = None if rng.random() < 0.2 else now + rng.uniform(-60, 300) * day
        flags = [k for k in ("full-access", "bypass", "any-ip", "wide-range") if rng.random() < 0.3]
        flags += ["no-expiry"] if expires is None else ["expired"] if expires <= now else []
        first_seen = now - rng.uniform(0, 140) * day
        gone = first_seen + (now - first_seen) * rng.random() if rng.random() < 0.25 else None
        server_id, server_name = servers[i % len(servers)]
        kind = rng.choice(list(OwnerKind))
        token = InventoryToken(
            server_id=server_id,
            server_name=server_name,
            owner_kind=kind,
            owner="root" if kind == OwnerKind.WHM else f"owner{i % 7}",
            account_owner=f"reseller{i % 3}" if kind == OwnerKind.CPANEL else "",
            name=f"token-{i}",
            created=first_seen,
            expires=expires,
            privileges="",
            flags=flags,
            risky=bool(flags),
            first_seen=first_seen,
            last_seen=gone or now,
            gone=gone,
        )
        token.search = token.searched()
        batch.append(token)
        if len(batch) == 5_000:
            InventoryToken.objects.bulk_create(batch)
            batch = []
    InventoryToken.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {total:,} tokens in the inventory", flush=True)


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "inventory-results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "inventory-report.md").write_text(report(results))
    print(f"\nWrote {out / 'inventory-report.md'} in {results['duration_s']:.0f} s.")


def report(results: dict[str, Any]) -> str:
    config, box = results["config"], results["machine"]
    dirty = (
        " (with uncommitted changes outside bench/)"
        if results["uncommitted_changes_outside_bench"]
        else ""
    )
    lines = [
        "# Inventory bench (issue 19, item 5)",
        "",
        (
            f"{results['date']}, commit `{results['commit'][:10]}`{dirty}; {box['cores']} cores "
            f"({box['cpu']}), Python {box['python']}; load average {box['load_average']} before, "
            f"{box['load_average_after']} after; {results['duration_s']:.0f} s in all. "
            "`python -m bench.inventory` (part of `make bench`); how it measures: its docstring "
            "and bench/README.md."
        ),
        "",
        (
            f"## Reading {config['servers']:,} servers with {config['tokens']} tokens each "
            "(and the demo reseller's and cPanel accounts')"
        ),
        "",
        f"Connecting them through the connect path took {results['setup']['connect_s']} s.",
        "",
        (
            "| RQ workers | time to read every server | speed-up over 1 worker | servers read "
            "| tokens kept | failed reads | simulator CPU | workers' CPU | of the cores |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *read_rows(results["reads"], box["cores"]),
        "",
        (
            "Every figure of this table comes from one run. The simulator serves all the servers "
            "from one Python process, so it can use one core at most: when its CPU time comes "
            "close to the time of a round it, not the workers, sets the pace, and more workers "
            "than cores share the same cores with it and PostgreSQL. *Of the cores*: the "
            "simulator's and the workers' CPU time over the round's time on all the cores; "
            "what is left went to PostgreSQL, Redis, this process and other work on the "
            "machine (see the load average above). The workers' CPU time is about the same "
            "in every round (the same reads); a worker spends most of a read waiting for WHM "
            "and PostgreSQL, so more workers overlap those waits until the cores are full. "
            "On a machine shared with other work, a round that met a burst of it takes "
            "longer, and its ratio moves with it: compare the rounds' share of the cores."
        ),
        "",
        f"## The charts at {config['chart_tokens']:,} inventoried tokens",
        "",
        (
            "PostgreSQL, the same database; medians of the rounds, interleaved. No target is set "
            "for the charts; the issue's target for All servers at this size is 100 ms a page."
        ),
        "",
        "| what | median | slowest |",
        "|---|---:|---:|",
        *[f"| {c['what']} | {c['median_ms']} ms | {c['max_ms']} ms |" for c in results["charts"]],
        "",
    ]
    return "\n".join(lines)


def read_rows(reads: list[dict[str, Any]], cores: int) -> list[str]:
    one = next((r["seconds"] for r in reads if r["workers"] == 1), None)
    rows = []
    for r in reads:
        speedup = f"{one / r['seconds']:.2f}x" if one else "n/a"
        share = (r["simulator_cpu_s"] + r["workers_cpu_s"]) / (r["seconds"] * cores)
        rows.append(
            f"| {r['workers']} | {r['seconds']:.1f} s | {speedup} | {r['servers']:,} "
            f"| {r['tokens']:,} | {r['failed']} | {r['simulator_cpu_s']} s "
            f"| {r['workers_cpu_s']} s | {share:.0%} |"
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
