"""One change, before and after, in one run: two commits served side by side, timed in turns.

`python -m bench.compare --before REV --after REV` exports both commits (`git archive`), starts
one simulator (plain HTTP, answering at once, a WHM user with 2 privileges: the independent
setup) and one gunicorn (2 sync workers) per commit, and times, in rotating order, each
commit's tokens page, its search partial and its /healthz, with the direct `api_token_list`
beside them. It also reads the gunicorn workers' CPU time over blocks of each request, which
moves far less than wall time when other work shares the cores. Prints a Markdown table and
writes JSON to --out. Bounded: a fixed number of rounds, each request with a timeout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    ROOT,
    Dashboard,
    Whm,
    cpu_seconds,
    dashboard_client,
    htmx_headers,
    median,
    ms,
    sign_in,
    start_dashboard,
    start_simulator,
    stop_on_sigterm,
)

# The independent setup's user: a WHM user holding 2 privileges, signed in by password.
OPS_USER = ("ops", "ops-bench-pass")
OPS_ACLS = "manage-api-tokens,list-accts"
ROUNDS = 60
CPU_BLOCKS = 5  # blocks per commit and request kind, alternating between the commits
CPU_BLOCK_REQUESTS = 100  # CPU time is counted in 10 ms ticks: enough requests a block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="HEAD~1", help="a commit (default HEAD~1)")
    parser.add_argument("--after", default="HEAD", help="a commit (default HEAD)")
    parser.add_argument("--tokens", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    with stop_on_sigterm(), tempfile.TemporaryDirectory(prefix="tokenui-compare-") as tmp:
        work = Path(tmp)
        revs = {"before": _rev(args.before), "after": _rev(args.after)}
        trees = {side: _export(rev, work / f"tree-{side}") for side, rev in revs.items()}
        figures = compare(trees, work, tokens=args.tokens, rounds=args.rounds)
    figures["commits"] = revs
    print(table(figures))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _rev(name: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short=12", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def _export(rev: str, into: Path) -> Path:
    """The commit's files (no .git, no venv: the bench's interpreter and packages serve both)."""
    into.mkdir(parents=True)
    archive = into.with_suffix(".tar")
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), rev],
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def compare(trees: dict[str, Path], work: Path, *, tokens: int, rounds: int) -> dict[str, Any]:
    with ExitStack() as stack:
        user = f"{OPS_USER[0]}:{OPS_USER[1]}:{OPS_ACLS}"
        simulator = start_simulator(
            stack, work, tokens=tokens, latency_ms=0, tls=False, users=(user,)
        )
        dashboards: dict[str, Dashboard] = {}
        for side, tree in trees.items():
            (work / side).mkdir()
            dashboards[side] = start_dashboard(
                stack, simulator, work / side, root=tree, name=f"gunicorn-{side}"
            )
        whm = stack.enter_context(Whm(simulator))
        clients = {side: _signed_in(dashboard) for side, dashboard in dashboards.items()}
        probes = _probes(clients, whm)
        for probe in probes.values():  # warm both workers of both commits
            for _ in range(6):
                probe()
        times = _timed(probes, rounds)
        cpu = _worker_cpu(dashboards, probes)
    summary: dict[str, Any] = {"tokens": tokens, "rounds": rounds, "direct_ms": ms(times["direct"])}
    for side in trees:
        page, healthz = times[f"{side} page"], times[f"{side} healthz"]
        summary[side] = {
            "page_ms": ms(page),
            "search_ms": ms(times[f"{side} search"]),
            "healthz_ms": ms(healthz),
            "own_cost_ms": ms(page - times["direct"] - healthz),
            "cpu_ms": cpu[side],
        }
    return summary


def _signed_in(dashboard: Dashboard) -> httpx.Client:
    client = dashboard_client(dashboard, timeout=30)
    sign_in(client, *OPS_USER)
    return client


def _probes(clients: dict[str, httpx.Client], whm: Whm) -> dict[str, Callable[[], None]]:
    def get(client: httpx.Client, path: str, **kwargs: Any) -> Callable[[], None]:
        def probe() -> None:
            response = client.get(path, **kwargs)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")

        return probe

    probes: dict[str, Callable[[], None]] = {"direct": lambda: whm.api_token_list(*OPS_USER)}
    for side, client in clients.items():
        hx = htmx_headers(client)
        probes[f"{side} page"] = get(client, "/tokens/")
        probes[f"{side} search"] = get(client, "/tokens/", params={"q": "-0"}, headers=hx)
        probes[f"{side} healthz"] = get(client, "/healthz")
    return probes


def _timed(probes: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median seconds of each probe over `rounds`, who goes first rotating round by round."""
    times: dict[str, list[float]] = {name: [] for name in probes}
    order = list(probes)
    for round_ in range(rounds):
        turn = round_ % len(order)
        for name in order[turn:] + order[:turn]:
            started = time.perf_counter()
            probes[name]()
            times[name].append(time.perf_counter() - started)
    return {name: median(values) for name, values in times.items()}


def _worker_cpu(
    dashboards: dict[str, Dashboard], probes: dict[str, Callable[[], None]]
) -> dict[str, dict[str, float]]:
    """Median CPU ms per request of the gunicorn workers, by request kind, over blocks that
    alternate between the commits."""
    blocks: dict[str, dict[str, list[float]]] = {side: {} for side in dashboards}
    for kind in ("page", "search", "healthz"):
        for _ in range(CPU_BLOCKS):
            for side, dashboard in dashboards.items():
                pids = dashboard.worker_pids()
                before = cpu_seconds(pids)
                for _ in range(CPU_BLOCK_REQUESTS):
                    probes[f"{side} {kind}"]()
                spent = cpu_seconds(pids) - before
                blocks[side].setdefault(kind, []).append(spent / CPU_BLOCK_REQUESTS)
    return {
        side: {kind: round(median(values) * 1000, 2) for kind, values in kinds.items()}
        for side, kinds in blocks.items()
    }


def table(figures: dict[str, Any]) -> str:
    head = f"{figures['tokens']} tokens, {figures['rounds']} rounds"
    lines = [
        f"{head}; direct api_token_list {figures['direct_ms']} ms",
        "",
        "| commit | page | own cost | search | /healthz | CPU page | CPU search | CPU /healthz |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for side in ("before", "after"):
        f = figures[side]
        cpu = f["cpu_ms"]
        lines.append(
            f"| {side} `{figures.get('commits', {}).get(side, '')}` | {f['page_ms']} ms | "
            f"{f['own_cost_ms']} ms | {f['search_ms']} ms | {f['healthz_ms']} ms | "
            f"{cpu['page']} ms | {cpu['search']} ms | {cpu['healthz']} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
