"""A small closed-loop HTTP load generator: processes of threads repeating one GET for a while."""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from bench.harness import median, percentile

MAX_REQUESTS_PER_THREAD = 200_000  # a bound on count as well as on time


def _thread_loop(
    host: str, port: int, path: str, headers: dict[str, str], until: float, out: dict[str, Any]
) -> None:
    conn: http.client.HTTPConnection | None = None
    latencies: list[float] = []
    errors: dict[str, int] = {}
    for _ in range(MAX_REQUESTS_PER_THREAD):
        if time.monotonic() >= until:
            break
        started = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.will_close:  # gunicorn's sync workers close after every response
                conn.close()
                conn = None
            if not 200 <= response.status < 400:
                errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                continue
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            if conn is not None:
                conn.close()
            conn = None
            continue
        latencies.append(time.perf_counter() - started)
    if conn is not None:
        conn.close()
    out["latencies"] = latencies
    out["errors"] = errors


def _process_main(
    url: str, path: str, headers: dict[str, str], seconds: float, threads: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    until = time.monotonic() + seconds
    results: list[dict[str, Any]] = [{} for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_thread_loop,
            args=(parts.hostname, parts.port, path, headers, until, results[i]),
            daemon=True,
        )
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 60)
    latencies = [x for r in results for x in r.get("latencies", [])]
    errors: dict[str, int] = {}
    for r in results:
        for kind, count in r.get("errors", {}).items():
            errors[kind] = errors.get(kind, 0) + count
    return {"latencies": latencies, "errors": errors}


def hammer(
    url: str,
    path: str,
    *,
    headers: dict[str, str],
    seconds: float,
    processes: int = 2,
    threads: int = 2,
) -> dict[str, Any]:
    """GET `path` from `processes` x `threads` closed loops for `seconds`; requests per second.

    Processes, not only threads: one interpreter's lock would cap the client below what a
    trivial view like /healthz can serve, and the baseline would measure the client.
    """
    context = multiprocessing.get_context("spawn")
    args = [(url, path, headers, seconds, threads)] * processes
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        parts = pool.starmap(_process_main, args)
    elapsed = time.perf_counter() - started
    latencies = [x for p in parts for x in p["latencies"]]
    errors: dict[str, int] = {}
    for p in parts:
        for kind, count in p["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(seconds, 1),
        "wall_seconds": round(elapsed, 1),
        "rps": round(len(latencies) / seconds, 1),
        "concurrency": processes * threads,
        "latency_ms": {
            "p50": round(median(latencies) * 1000, 1),
            "p90": round(percentile(latencies, 90) * 1000, 1),
            "p99": round(percentile(latencies, 99) * 1000, 1),
        },
    }
