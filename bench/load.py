"""`make load`: signed-in users drive list, search, generate, edit and revoke for a bounded time."""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    BENCH_DIR,
    RESELLER_USER,
    ROOT_USER,
    BenchError,
    Stack,
    Whm,
    commit,
    csrf_token,
    dashboard_client,
    htmx_headers,
    machine,
    median,
    now_iso,
    percentile,
    pss_kib,
    rss_kib,
    running_stack,
    sign_in,
    stop_on_sigterm,
)

USERS = 50
SECONDS = 60.0
TOKENS = 100  # seeded for root; the reseller has the demo set
LATENCY_MS = 20
THINK_MS = (50, 250)  # a pause between one user's requests, uniform in this range
MAX_ITERATIONS = 1_000  # per user: a bound on count as well as on time
REQUEST_TIMEOUT_S = 60.0
MEMORY_GROWTH_TARGET = 0.10
SEARCHES = ("exp", "load", "ip-", "backup", "monitor", "full", "two", "zz-none")
ACTIONS = (
    "list",
    "search",
    "generate form",
    "generate",
    "edit form",
    "edit",
    "list after edit",
    "revoke dialog",
    "revoke",
)


@dataclass
class Tally:
    """One user's record: latencies per action, errors by kind, failed checks by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    failed_checks: Counter[str] = field(default_factory=Counter)
    iterations: int = 0
    tokens_created: int = 0
    tokens_revoked: int = 0

    def merge(self, other: Tally) -> None:
        for action, values in other.latencies.items():
            self.latencies.setdefault(action, []).extend(values)
        self.errors.update(other.errors)
        self.failed_checks.update(other.failed_checks)
        self.iterations += other.iterations
        self.tokens_created += other.tokens_created
        self.tokens_revoked += other.tokens_revoked


class VirtualUser:
    """One person at the dashboard: their own session, their own uniquely named tokens."""

    def __init__(self, stack: Stack, index: int, run_id: str, think_ms: tuple[int, int]) -> None:
        self.index = index
        self.user, self.password = ROOT_USER if index % 2 == 0 else RESELLER_USER
        self.prefix = f"load-{run_id}-u{index:02d}"
        self.client = dashboard_client(stack.dashboard, timeout=REQUEST_TIMEOUT_S)
        self.think_ms = think_ms
        self.random = random.Random(index)  # reproducible pauses and searches
        self.tally = Tally()
        self.outstanding: str | None = None  # a token generated and not yet revoked
        self._seq = 0

    def sign_in(self) -> None:
        sign_in(self.client, self.user, self.password)

    def close(self) -> None:
        self.client.close()

    # --- one request ---------------------------------------------------------------------------

    def _request(
        self,
        action: str,
        send: Callable[[], httpx.Response],
        *,
        expect: int,
        check: Callable[[httpx.Response], bool] | None = None,
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = send()
        except httpx.HTTPError as exc:
            self.tally.errors[f"{action}: {type(exc).__name__}"] += 1
            return None
        self.tally.latencies.setdefault(action, []).append(time.perf_counter() - started)
        if not 200 <= response.status_code < 400:
            self.tally.errors[f"{action}: HTTP {response.status_code}"] += 1
            return None
        if response.status_code != expect:
            where = response.headers.get("location", "")
            self.tally.failed_checks[f"{action}: {response.status_code} {where}".strip()] += 1
            return None
        if check is not None and not check(response):
            self.tally.failed_checks[f"{action}: unexpected content"] += 1
            return None
        return response

    def _pause(self) -> None:
        low, high = self.think_ms
        time.sleep(self.random.uniform(low, high) / 1000)

    def _form(self, **fields: object) -> dict[str, object]:
        return {"csrfmiddlewaretoken": csrf_token(self.client), **fields}

    # --- one pass through the dashboard --------------------------------------------------------

    def iterate(self, until: float) -> None:
        """List, search, generate, edit, revoke; stops early (cleaning up) once `until` passes."""
        steps: list[Callable[[], bool]] = [
            lambda: self._list(),
            lambda: self._search(),
            lambda: self._generate(),
            lambda: self._edit(),
            lambda: self._revoke(),
        ]
        for step in steps:
            if time.monotonic() >= until or not step():
                break
            self._pause()
        self.tally.iterations += 1

    def _list(self) -> bool:
        return self._request("list", lambda: self.client.get("/tokens/"), expect=200) is not None

    def _search(self) -> bool:
        query = self.random.choice((*SEARCHES, self.prefix))
        response = self._request(
            "search",
            lambda: self.client.get(
                "/tokens/", params={"q": query}, headers=htmx_headers(self.client)
            ),
            expect=200,
            check=lambda r: 'id="token-table"' in r.text,
        )
        return response is not None

    def _generate(self) -> bool:
        self._seq += 1
        name = f"{self.prefix}-{self._seq:04d}"
        if (
            self._request("generate form", lambda: self.client.get("/tokens/new/"), expect=200)
            is None
        ):
            return False
        self._pause()
        data = self._form(name=name, expiry="never", whitelist_ips="", acls=["list-accts"])
        response = self._request(
            "generate",
            lambda: self.client.post("/tokens/new/", data=data),
            expect=200,
            check=lambda r: name in r.text,
        )
        if response is None:
            return False
        self.outstanding = name
        self.tally.tokens_created += 1
        return True

    def _edit(self) -> bool:
        name = self.outstanding
        if name is None:
            return False
        url = f"/tokens/{name}/edit/"
        if self._request("edit form", lambda: self.client.get(url), expect=200) is None:
            return False
        self._pause()
        expires_on = (date.today() + timedelta(days=30)).isoformat()
        data = self._form(
            name=name,
            expiry="date",
            expires_on=expires_on,
            whitelist_ips="127.0.0.1\n192.0.2.0/24",
            acls=["list-accts"],
        )
        response = self._request("edit", lambda: self.client.post(url, data=data), expect=302)
        if response is None:
            return False
        location = response.headers.get("location", "/tokens/")
        return (
            self._request("list after edit", lambda: self.client.get(location), expect=200)
            is not None
        )

    def _revoke(self) -> bool:
        name = self.outstanding
        if name is None:
            return False
        url = f"/tokens/{name}/revoke/"
        dialog = self._request(
            "revoke dialog",
            lambda: self.client.get(url, headers=htmx_headers(self.client)),
            expect=200,
        )
        if dialog is None:
            return False
        self._pause()
        response = self._request(
            "revoke",
            lambda: self.client.post(url, headers=htmx_headers(self.client)),
            expect=200,
            check=lambda r: f'id="token-{name}"' not in r.text,
        )
        if response is None:
            return False
        self.outstanding = None
        self.tally.tokens_revoked += 1
        return True

    def clean_up(self) -> None:
        """Revoke a token left over from a pass the deadline cut short (not in the figures)."""
        if self.outstanding is None:
            return
        name = self.outstanding
        try:
            response = self.client.post(
                f"/tokens/{name}/revoke/", headers=htmx_headers(self.client)
            )
        except httpx.HTTPError as exc:
            self.tally.errors[f"clean-up: {type(exc).__name__}"] += 1
            return
        if response.status_code == 200:
            self.outstanding = None
            self.tally.tokens_revoked += 1
        else:
            self.tally.errors[f"clean-up: HTTP {response.status_code}"] += 1


def _run_users(users: list[VirtualUser], seconds: float, *, passes: int | None) -> float:
    """Every user loops (at most `passes` passes, else MAX_ITERATIONS) until `seconds` pass."""
    until = time.monotonic() + seconds
    limit = passes or MAX_ITERATIONS

    def loop(user: VirtualUser) -> None:
        for _ in range(limit):
            if time.monotonic() >= until:
                break
            user.iterate(until)
        user.clean_up()

    threads = [threading.Thread(target=loop, args=(u,), daemon=True) for u in users]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * REQUEST_TIMEOUT_S + 30)
    if any(thread.is_alive() for thread in threads):
        raise BenchError("Some virtual users did not finish in time.")
    return time.monotonic() - started


def _memory(stack: Stack) -> dict[str, Any]:
    workers = stack.dashboard.worker_pids()
    return {
        "workers": {
            str(pid): {"rss_kib": rss_kib(pid), "pss_kib": pss_kib(pid)} for pid in workers
        },
        "rss_kib": sum(rss_kib(pid) for pid in workers),
        "pss_kib": sum(pss_kib(pid) for pid in workers),
        "master_rss_kib": rss_kib(stack.dashboard.process.pid),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--tokens", type=int, default=TOKENS)
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS)
    parser.add_argument("--think-ms", default=f"{THINK_MS[0]},{THINK_MS[1]}", help="LOW,HIGH")
    parser.add_argument("--out", type=Path, default=BENCH_DIR)
    args = parser.parse_args(argv)
    low, high = (int(x) for x in args.think_ms.split(","))
    run_id = secrets.token_hex(2)

    results: dict[str, Any] = {
        "date": now_iso(),
        **commit(),
        "machine": machine(),
        "config": {
            "users": args.users,
            "seconds": args.seconds,
            "tokens": args.tokens,
            "latency_ms": args.latency_ms,
            "think_ms": [low, high],
            "gunicorn_workers": 2,
        },
    }
    with stop_on_sigterm(), running_stack(tokens=args.tokens, latency_ms=args.latency_ms) as stack:
        results["memory_at_boot"] = _memory(stack)
        users = [VirtualUser(stack, i, run_id, (low, high)) for i in range(args.users)]
        try:
            with Whm(stack.simulator) as whm:
                print(f"Signing in {len(users)} users …", flush=True)
                sign_in_errors = _sign_in_all(users)
                print("Warm-up: one pass each …", flush=True)
                warm = Tally()
                warm_s = _run_users(users, args.seconds, passes=1)
                for user in users:
                    warm.merge(user.tally)
                    user.tally = Tally()
                results["memory_before"] = _memory(stack)
                calls_before = len(whm.log()[1])
                print(f"Load: {len(users)} users for {args.seconds:g} s …", flush=True)
                elapsed = _run_users(users, args.seconds, passes=None)
                results["memory_after"] = _memory(stack)
                calls = len(whm.log()[1]) - calls_before
                leftovers = [
                    name
                    for user, password in (ROOT_USER, RESELLER_USER)
                    for name in whm.token_names(user, password)
                    if name.startswith(f"load-{run_id}-")
                ]
        finally:
            for user in users:
                user.close()
    total = Tally()
    for user in users:
        total.merge(user.tally)
    results |= _summarise(total, elapsed, calls, leftovers, sign_in_errors, warm, warm_s)
    _write(results, args.out)
    print("\n" + _table(results))
    print(f"\nWrote {args.out / 'load-report.md'} and {args.out / 'load-results.json'}.")
    return 0


def _sign_in_all(users: list[VirtualUser]) -> list[str]:
    errors = []
    for user in users:
        try:
            user.sign_in()
        except (BenchError, httpx.HTTPError) as exc:
            errors.append(f"user {user.index} ({user.user}): {exc}")
    return errors


def _summarise(
    total: Tally,
    elapsed: float,
    whm_calls: int,
    leftovers: list[str],
    sign_in_errors: list[str],
    warm: Tally,
    warm_s: float,
) -> dict[str, Any]:
    requests = sum(len(v) for v in total.latencies.values()) + sum(total.errors.values())
    per_action = {}
    for action in ACTIONS:
        values = total.latencies.get(action, [])
        errors = sum(c for k, c in total.errors.items() if k.startswith(f"{action}:"))
        per_action[action] = {
            "requests": len(values) + errors,
            "errors": errors,
            "p50_ms": round(median(values) * 1000, 1),
            "p90_ms": round(percentile(values, 90) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1) if values else float("nan"),
        }
    every = [x for v in total.latencies.values() for x in v]
    return {
        "elapsed_s": round(elapsed, 1),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1) if elapsed else 0,
        "errors": sum(total.errors.values()) + len(sign_in_errors),
        "error_breakdown": dict(total.errors) | dict.fromkeys(sign_in_errors, 1),
        "failed_checks": sum(total.failed_checks.values()),
        "failed_check_breakdown": dict(total.failed_checks),
        "iterations": total.iterations,
        "tokens_created": total.tokens_created,
        "tokens_revoked": total.tokens_revoked,
        "tokens_left_behind": leftovers,
        "whm_calls": whm_calls,
        "whm_calls_per_request": round(whm_calls / requests, 2) if requests else None,
        "latency_ms": {
            "p50": round(median(every) * 1000, 1),
            "p90": round(percentile(every, 90) * 1000, 1),
            "p99": round(percentile(every, 99) * 1000, 1),
            "max": round(max(every) * 1000, 1) if every else float("nan"),
        },
        "per_action": per_action,
        "warm_up": {
            "seconds": round(warm_s, 1),
            "requests": sum(len(v) for v in warm.latencies.values()),
            "errors": dict(warm.errors),
            "failed_checks": dict(warm.failed_checks),
        },
    }


def _growth(results: dict[str, Any], key: str) -> float:
    before = results["memory_before"][key]
    return (results["memory_after"][key] - before) / before if before else float("nan")


def _table(results: dict[str, Any]) -> str:
    growth = _growth(results, "rss_kib")
    before = results["memory_before"]["rss_kib"] / 1024
    after = results["memory_after"]["rss_kib"] / 1024
    lat = results["latency_ms"]
    users, seconds = results["config"]["users"], results["config"]["seconds"]
    rows = [
        "| measure | figure | target | result |",
        "|---|---|---|---|",
        (
            f"| requests in {seconds:g} s, {users} users | {results['requests']:,} "
            f"({results['requests_per_s']} req/s, {results['iterations']} passes) | — | info |"
        ),
        (
            f"| errors (non-2xx/3xx or transport) | {results['errors']} | 0 | "
            f"{'PASS' if results['errors'] == 0 else '**MISS**'} |"
        ),
        (
            f"| failed checks (wrong status or content) | {results['failed_checks']} | 0 | "
            f"{'PASS' if results['failed_checks'] == 0 else '**MISS**'} |"
        ),
        (
            f"| tokens left behind | {len(results['tokens_left_behind'])} | 0 | "
            f"{'PASS' if not results['tokens_left_behind'] else '**MISS**'} |"
        ),
        (
            f"| latency p50 / p90 / p99 / max | {lat['p50']} / {lat['p90']} / {lat['p99']} / "
            f"{lat['max']} ms | — | info |"
        ),
        (
            f"| gunicorn workers' RSS, before → after | {before:.1f} → {after:.1f} MiB "
            f"({growth:+.1%}) | < +10 % | "
            f"{'PASS' if growth < MEMORY_GROWTH_TARGET else '**MISS**'} |"
        ),
    ]
    return "\n".join(rows)


def _write(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "load-results.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    c = results["config"]
    changed = results.get("uncommitted_changes_outside_bench") or []
    pss_growth = _growth(results, "pss_kib")
    lines = [
        "# TokenUI load and soak run",
        "",
        (
            "Written by `make load` (`bench/load.py`); the figures are also in "
            "`load-results.json`. How to read them: [README](README.md)."
        ),
        "",
        f"- Date: {results['date']} · commit `{results['commit'][:12]}`"
        + (f" plus uncommitted changes to {len(changed)} file(s)" if changed else ""),
        (
            f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
            f"Python {m['python']}; load average {m['load_average']} at the start"
        ),
        (
            f"- Setup: gunicorn with {c['gunicorn_workers']} sync workers (DEBUG=false, SQLite "
            f"sessions) and the WHM simulator over TLS ({c['latency_ms']} ms latency, "
            f"{c['tokens']} tokens seeded for root), all on 127.0.0.1."
        ),
        (
            f"- Load: {c['users']} virtual users, each with its own session (even-numbered root, "
            f"odd-numbered reseller), for {c['seconds']:g} s after a warm-up pass each. A pass: "
            f"open the list, search (htmx), open Generate and generate a uniquely named token, "
            f"open Edit and save it (expiry, IP list), follow the redirect, open the Revoke dialog "
            f"and revoke it (htmx). A pause of {c['think_ms'][0]} to {c['think_ms'][1]} ms between "
            f"a user's requests. A pass the deadline cuts short revokes its token (not counted)."
        ),
        "",
        "## Summary",
        "",
        _table(results),
        "",
        (
            f"WHM calls during the run: {results['whm_calls']:,} "
            f"({results['whm_calls_per_request']} per dashboard request)."
        ),
        "",
        "## Latency per action",
        "",
        "| action | requests | errors | p50 | p90 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for action, a in results["per_action"].items():
        lines.append(
            f"| {action} | {a['requests']} | {a['errors']} | {a['p50_ms']} ms | {a['p90_ms']} ms | "
            f"{a['p99_ms']} ms | {a['max_ms']} ms |"
        )
    lines += ["", "## Errors and failed checks", ""]
    breakdown = results["error_breakdown"] | results["failed_check_breakdown"]
    if breakdown:
        lines += ["| kind | count |", "|---|---:|"]
        lines += [f"| {kind} | {count} |" for kind, count in sorted(breakdown.items())]
    else:
        lines.append("None.")
    warm = results["warm_up"]
    lines += [
        "",
        (
            f"Warm-up (not in the figures above): {warm['requests']} requests in "
            f"{warm['seconds']} s; errors {warm['errors'] or 'none'}, failed checks "
            f"{warm['failed_checks'] or 'none'}."
        ),
        "",
        "## Memory of the gunicorn workers",
        "",
        (
            "From `/proc/PID/status` (VmRSS) and `/proc/PID/smaps_rollup` (Pss: shared pages split "
            "among the processes sharing them). *Before* is after the warm-up pass, once every "
            "worker has loaded its templates, URL map and WHM connection pool; the growth target "
            "is judged from there to the end of the run."
        ),
        "",
        "| when | RSS (workers) | PSS (workers) | master RSS |",
        "|---|---:|---:|---:|",
    ]
    for label, key in (
        ("at boot", "memory_at_boot"),
        ("before (after warm-up)", "memory_before"),
        ("after the run", "memory_after"),
    ):
        mem = results[key]
        lines.append(
            f"| {label} | {mem['rss_kib'] / 1024:.1f} MiB | {mem['pss_kib'] / 1024:.1f} MiB | "
            f"{mem['master_rss_kib'] / 1024:.1f} MiB |"
        )
    lines += ["", f"PSS growth before → after: {pss_growth:+.1%}.", ""]
    (out / "load-report.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
