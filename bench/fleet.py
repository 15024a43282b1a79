"""`make bench`, the fleet section: the All servers page over 20 WHM servers (issue 11).

20 simulators (plain HTTP, 100 ms latency, 100 tokens each, one process each as 20 machines
would be; all in one process, their replies queued on one GIL and cost more than the page)
and the dashboard under gunicorn, signed in to all 20. The figure is the fleet page's median
time divided by one direct `api_token_list` to one of them (target <= 1.3x: the servers are read
concurrently, so the page costs about the slowest one). Then one simulator hangs (fault `hang`)
and the page must still answer within WHM_TIMEOUT + 1 s, listing the other 19.

Writes bench/fleet-report.md and bench/fleet-results.json; run alone with `python -m bench.fleet`.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    BENCH_DIR,
    LOOPBACK,
    PYTHON,
    ROOT_USER,
    BenchError,
    Process,
    base_env,
    children_of,
    collect_static,
    commit,
    csrf_token,
    free_port,
    machine,
    now_iso,
    run_checked,
    start_simulator,
    stop_on_sigterm,
    wait_until,
)

SERVERS = 20
LATENCY_MS = 100
TOKENS = 100
SAMPLES = 15
WHM_TIMEOUT = 5.0
TARGET_RATIO = 1.3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=SERVERS)
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS)
    parser.add_argument("--tokens", type=int, default=TOKENS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--out", type=Path, default=BENCH_DIR)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tokenui-bench-fleet-"))
    try:
        with stop_on_sigterm(), ExitStack() as stack:
            results = _measure(stack, workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = _report(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fleet-results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "fleet-report.md").write_text(report)
    print(report)
    return 0


def _measure(stack: ExitStack, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    simulators = []
    for index in range(args.servers):
        home = workdir / f"whm-{index:02}"
        home.mkdir()
        simulators.append(
            start_simulator(stack, home, tokens=args.tokens, latency_ms=args.latency_ms, tls=False)
        )
    names = [f"whm{index + 1:02}" for index in range(args.servers)]
    servers = dict(zip(names, (s.url for s in simulators), strict=True))
    url = _start_dashboard(stack, workdir, servers)
    client = stack.enter_context(httpx.Client(base_url=url, timeout=60, follow_redirects=False))
    _sign_in_everywhere(client, names)

    directs = [stack.enter_context(httpx.Client(base_url=s.url, timeout=60)) for s in simulators]
    direct = directs[0]
    pool = stack.enter_context(ThreadPoolExecutor(max_workers=len(directs)))

    def all_directly() -> None:
        list(pool.map(_api_token_list, directs))

    baseline, page, floor = [], [], []
    for _ in range(args.samples):  # interleaved: a drifting machine drifts all three
        baseline.append(_timed(lambda: _api_token_list(direct)))
        page.append(_timed(lambda: _fleet_page(client, expect_read=args.servers)))
        floor.append(_timed(all_directly))
    control = stack.enter_context(httpx.Client(base_url=simulators[-1].url, timeout=10))
    control.post("/__simulator__/faults", json={"mode": "hang"}).raise_for_status()
    hung = [_timed(lambda: _fleet_page(client, expect_read=args.servers - 1)) for _ in range(3)]
    ratio = statistics.median(page) / statistics.median(baseline)
    return {
        "date": now_iso(),
        **commit(),
        "machine": machine(),
        "config": {
            "servers": args.servers,
            "latency_ms": args.latency_ms,
            "tokens_per_server": args.tokens,
            "samples": args.samples,
            "whm_timeout_s": WHM_TIMEOUT,
        },
        "direct_api_token_list_ms": _ms(statistics.median(baseline)),
        "fleet_page_ms": _ms(statistics.median(page)),
        "all_servers_directly_ms": _ms(statistics.median(floor)),
        "fleet_page_p90_ms": _ms(sorted(page)[int(len(page) * 0.9) - 1]),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "hung_page_ms": [_ms(t) for t in hung],
        "hung_limit_ms": _ms(WHM_TIMEOUT + 1),
    }


def _start_dashboard(stack: ExitStack, workdir: Path, servers: dict[str, str]) -> str:
    env = base_env() | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WHM_SERVERS": ",".join(f"{name}={url}" for name, url in servers.items()),
        "WHM_TIMEOUT": str(WHM_TIMEOUT),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "CACHE_URL": "locmemcache://",
    }
    run_checked([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env=env, what="migrate")
    collect_static(env)
    port = free_port()
    argv = [PYTHON, "-m", "gunicorn", "tokenui.wsgi", "-w", "2", "-b", f"{LOOPBACK}:{port}"]
    argv += ["--timeout", "60", "--graceful-timeout", "5", "--no-control-socket"]
    process = stack.enter_context(Process("gunicorn", argv, env=env, log=workdir / "gunicorn.log"))
    url = f"http://{LOOPBACK}:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, what="gunicorn", process=process)
    wait_until(lambda: len(children_of(process.pid)) >= 2, what="gunicorn's workers")
    return url


def _sign_in_everywhere(client: httpx.Client, names: list[str]) -> None:
    first, *others = names
    for path, name in [("/sign-in/", first), *(("/servers/add/", n) for n in others)]:
        client.get(path if path == "/sign-in/" else "/tokens/")
        data = {
            "csrfmiddlewaretoken": csrf_token(client),
            "service": "whm",
            "server": name,
            "username": ROOT_USER[0],
            "method": "password",
            "password": ROOT_USER[1],
        }
        response = client.post(path, data=data)
        if response.status_code != 302:
            raise BenchError(f"Signing in to {name} answered {response.status_code}, not 302.")


def _api_token_list(client: httpx.Client) -> None:
    response = client.post(
        "/json-api/api_token_list",
        params={"api.version": "1"},
        auth=ROOT_USER,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response.raise_for_status()


def _fleet_page(client: httpx.Client, *, expect_read: int) -> None:
    response = client.get("/fleet/")
    if response.status_code != 200:
        raise BenchError(f"The fleet page answered {response.status_code}.")
    read = len(re.findall(r"read at <time", response.text))
    if read != expect_read:
        raise BenchError(f"The fleet page read {read} servers, not {expect_read}.")


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _report(results: dict[str, Any]) -> str:
    config = results["config"]
    ratio_ok = "PASS" if results["ratio"] <= results["target_ratio"] else "MISS"
    hung_ok = "PASS" if max(results["hung_page_ms"]) <= results["hung_limit_ms"] else "MISS"
    n, floor = config["servers"], results["all_servers_directly_ms"]
    hung = ", ".join(f"{t} ms" for t in results["hung_page_ms"])
    limit = f"{results['hung_limit_ms']} ms (WHM_TIMEOUT {config['whm_timeout_s']:g} s + 1 s)"
    return f"""# Fleet benchmark (issue 11)

{results["date"]}, commit {results.get("commit", "?")}. {config["servers"]} simulated WHM servers
(plain HTTP, {config["latency_ms"]} ms latency, {config["tokens_per_server"]} tokens each), the
dashboard under gunicorn (2 workers) signed in to all of them; {config["samples"]} interleaved
samples; `python -m bench.fleet` (part of `make bench`).

| Figure | Value | Target | |
|---|---|---|---|
| One direct `api_token_list` (median) | {results["direct_api_token_list_ms"]} ms | | |
| All servers page, {config["servers"]} servers (median) | {results["fleet_page_ms"]} ms | | |
| All {n} `api_token_list` at once, no dashboard (median) | {floor} ms | | |
| Page ÷ one direct call | {results["ratio"]}x | ≤ {results["target_ratio"]}x | {ratio_ok} |
| One server hung: page ({config["servers"] - 1} listed) | {hung} | ≤ {limit} | {hung_ok} |

The third line is the floor this machine sets: the 20 simulators share its cores, so their
replies cost more at once than one alone, with no dashboard involved.
"""


if __name__ == "__main__":
    raise SystemExit(main())
