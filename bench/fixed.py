"""`make bench`, issue 16 item 9: the dashboard's fixed cost in the independent setup, and the
search partial under saturation against /healthz on the same workers.

The independent setup is the one the issue measured from outside: gunicorn with 2 sync
workers, DEBUG=false, SQLite, the simulator over plain HTTP answering at once, a WHM user with
2 privileges, a keep-alive client, medians of 25. Saturation: 50 connections against gunicorn
with 2 workers x 8 threads, a Redis cache (its own database and key prefix, removed afterwards),
100 tokens, WHM over TLS with 20 ms latency. Both also read the gunicorn workers' CPU time per
request, which moves far less than wall time when other work shares the cores.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import redis

from bench import loadgen
from bench.harness import (
    ROOT_USER,
    SESSION_COOKIE,
    Dashboard,
    Stack,
    Whm,
    cpu_seconds,
    dashboard_client,
    htmx_headers,
    in_process,
    median,
    ms,
    percentile,
    running_stack,
    sign_in,
)

# The independent setup's user: a WHM user holding 2 privileges, signed in by password.
OPS_USER = ("ops", "ops-bench-pass")
OPS_ACLS = "manage-api-tokens,list-accts"
INDEPENDENT_TOKENS = 10
INDEPENDENT_ROUNDS = 25
CPU_REQUESTS = 200  # per request kind, in 4 alternating blocks
# Saturation
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own; keys under a per-run prefix
SATURATION_TOKENS = 100
SATURATION_LATENCY_MS = 20
SATURATION_WORKERS, SATURATION_THREADS = 2, 8
CONNECTIONS = 50  # 2 load processes x 25 threads
SATURATION_SECONDS = 10.0  # per endpoint, in two alternating halves
SEARCH_PATH = "/tokens/?q=-0"  # a keystroke's partial: every seeded name matches, 50 shown


# ---------------------------------------------------------------------------------------------
# The independent setup
# ---------------------------------------------------------------------------------------------
def independent(rounds: int = INDEPENDENT_ROUNDS) -> dict[str, Any]:
    user = f"{OPS_USER[0]}:{OPS_USER[1]}:{OPS_ACLS}"
    with (
        running_stack(tokens=INDEPENDENT_TOKENS, latency_ms=0, tls=False, users=(user,)) as stack,
        Whm(stack.simulator) as whm,
    ):
        client = dashboard_client(stack.dashboard)
        sign_in(client, *OPS_USER)
        hx = htmx_headers(client)
        probes: dict[str, Callable[[], httpx.Response]] = {
            "direct": lambda: whm.api_token_list(*OPS_USER),
            "page": lambda: client.get("/tokens/"),
            "healthz": lambda: client.get("/healthz"),
        }
        search = lambda: client.get("/tokens/", params={"q": "-0"}, headers=hx)  # noqa: E731
        for _ in range(8):  # both workers warm: templates, pools, the kept list
            for probe in (*probes.values(), search):
                _ok(probe())
        times = _rotating(probes, rounds)
        cpu = {
            kind: worker_cpu_ms(stack.dashboard, probe, CPU_REQUESTS)
            for kind, probe in (*probes.items(), ("search", search))
            if kind != "direct"
        }
        client.close()
    summary: dict[str, Any] = {"rounds": rounds, "tokens": INDEPENDENT_TOKENS, "cpu_ms": cpu}
    for name, values in times.items():
        summary[name] = {"median_ms": ms(median(values)), "p95_ms": ms(percentile(values, 95))}
    page, direct, healthz = (median(times[n]) for n in ("page", "direct", "healthz"))
    summary["own_cost_ms"] = ms(page - direct - healthz)
    summary["page_ratio"] = round(page / direct, 2)
    return summary


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url.path} answered {response.status_code}")
    return response


def _rotating(
    probes: dict[str, Callable[[], httpx.Response]], rounds: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in probes}
    order = list(probes)
    for round_ in range(rounds):
        turn = round_ % len(order)
        for name in order[turn:] + order[:turn]:
            started = time.perf_counter()
            _ok(probes[name]())
            times[name].append(time.perf_counter() - started)
    return times


def worker_cpu_ms(
    dashboard: Dashboard, probe: Callable[[], httpx.Response], requests: int
) -> float:
    """The gunicorn workers' CPU ms per request of `probe`, median of 4 blocks."""
    pids = dashboard.worker_pids()
    per_block = max(1, requests // 4)
    blocks = []
    for _ in range(4):
        before = cpu_seconds(pids)
        for _ in range(per_block):
            _ok(probe())
        blocks.append((cpu_seconds(pids) - before) / per_block)
    return round(median(blocks) * 1000, 2)


# ---------------------------------------------------------------------------------------------
# Saturation
# ---------------------------------------------------------------------------------------------
def saturation(seconds: float = SATURATION_SECONDS) -> dict[str, Any]:
    """Search partial and /healthz, each from 50 connections, alternating halves; then the
    search partial profiled and each fixed-cost step timed in-process, in the same setup."""
    prefix = f"tokenui-bench-{secrets.token_hex(4)}"
    cache_url = f"{REDIS_URL}?key_prefix={prefix}"
    redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()  # no Redis: say so, run the rest
    try:
        with running_stack(
            tokens=SATURATION_TOKENS,
            latency_ms=SATURATION_LATENCY_MS,
            workers=SATURATION_WORKERS,
            threads=SATURATION_THREADS,
            cache_url=cache_url,
        ) as stack:
            summary = _saturate(stack, seconds)
            summary["profile"] = in_process(stack, "bench.profile", "--search", "--requests", "60")
            summary["steps"] = in_process(stack, "bench.fixed_steps")
    finally:
        _drop_keys(prefix)
    return summary


def _saturate(stack: Stack, seconds: float) -> dict[str, Any]:
    client = dashboard_client(stack.dashboard)
    sign_in(client, *ROOT_USER)
    _ok(client.get("/tokens/"))  # the page reads WHM and keeps the list search redraws
    cookie = f"{SESSION_COOKIE}={client.cookies.get(SESSION_COOKIE)}"
    client.close()
    targets = {
        "healthz": ("/healthz", {}),
        "search": (SEARCH_PATH, {"HX-Request": "true", "Cookie": cookie}),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    pids = stack.dashboard.worker_pids()
    for _half in range(2):  # alternate, so drift on a shared machine hits both alike
        for name, (path, headers) in targets.items():
            before = cpu_seconds(pids)
            run = loadgen.hammer(
                stack.dashboard.url,
                path,
                headers=headers,
                seconds=seconds / 2,
                processes=2,
                threads=CONNECTIONS // 2,
            )
            run["cpu_s"] = cpu_seconds(pids) - before
            runs[name].append(run)
    summary: dict[str, Any] = {
        "tokens": stack.tokens,
        "connections": CONNECTIONS,
        "workers": SATURATION_WORKERS,
        "threads": SATURATION_THREADS,
        "seconds": seconds,
    }
    for name, parts in runs.items():
        requests = sum(p["requests"] for p in parts)
        errors: dict[str, int] = {}
        for p in parts:
            for kind, count in p["errors"].items():
                errors[kind] = errors.get(kind, 0) + count
        summary[name] = {
            "requests": requests,
            "rps": round(requests / seconds, 1),
            "errors": errors,
            "latency_ms_p50": median([p["latency_ms"]["p50"] for p in parts]),
            "cpu_ms_per_request": round(sum(p["cpu_s"] for p in parts) / requests * 1000, 2)
            if requests
            else None,
        }
    summary["ratio"] = round(summary["search"]["rps"] / summary["healthz"]["rps"], 3)
    return summary


def _drop_keys(prefix: str) -> None:
    """The run's keys (kept lists, sessions, throttle counters), bounded in count."""
    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))[:100_000]
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
