"""`make bench`: proxy overhead, upstream calls, search latency, throughput and page weight."""

from __future__ import annotations

import argparse
import html
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import browser as browser_bench
from bench import fixed, loadgen
from bench.harness import (
    BENCH_DIR,
    CPANEL_USER,
    ROOT_USER,
    SESSION_COOKIE,
    BenchError,
    Cpanel,
    Stack,
    Whm,
    commit,
    csrf_token,
    dashboard_client,
    htmx_headers,
    in_process,
    machine,
    median,
    ms,
    now_iso,
    percentile,
    running_stack,
    sign_in,
    stop_on_sigterm,
)
from bench.report import write_report
from tokenui.kernel.kept import REFRESH_HEADER

SIZES = (10, 1_000, 10_000)  # issue 8's targets are judged at these
LATENCY_MS = 20
SAMPLES = 40  # interleaved rounds of (direct, page, partials, healthz); a third at 10,000 tokens
# The second setup: plain HTTP, WHM answering at once, so that the dashboard's own cost is not
# hidden in TLS and latency. Only the proxy overhead is measured there.
PLAIN_SIZES = (10, 1_000)
PLAIN_SAMPLES = 100  # the 10-token figure is a few ms: more rounds steady its median
CONNECTION_REQUESTS = 100  # dashboard requests watched for new WHM connections (30 at 10,000)
THROUGHPUT_TOKENS = 1_000
THROUGHPUT_SECONDS = 10.0  # per endpoint, in two alternating halves
PROFILE_SIZES = (10_000,)  # the plain-HTTP setup profiles its own sizes
PROFILE_REQUESTS = 20
STEP_SIZES = (1_000, 10_000)  # bench.steps: each change before and after, in one process
STEP_ROUNDS = 30  # a third at 10,000
CPANEL_TOKENS = 1_000  # the cPanel tokens page (issue 10) is measured at this size
ROW_MARK = '<tr id="token-'
REFRESH_LINK = re.compile(r'hx-get="([^"]*)"[^>]*>Refresh List<')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="token counts")
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument(
        "--plain-sizes",
        default=",".join(map(str, PLAIN_SIZES)),
        help="token counts for the plain-HTTP, no-latency setup ('' for none)",
    )
    parser.add_argument("--plain-samples", type=int, default=PLAIN_SAMPLES)
    parser.add_argument("--throughput-seconds", type=float, default=THROUGHPUT_SECONDS)
    parser.add_argument("--no-browser", action="store_true", help="skip the chromium figures")
    parser.add_argument(
        "--no-fixed",
        action="store_true",
        help="skip issue 16's independent setup and saturation run (bench.fixed)",
    )
    parser.add_argument("--saturation-seconds", type=float, default=fixed.SATURATION_SECONDS)
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where the reports go")
    args = parser.parse_args(argv)
    sizes = _counts(args.sizes)
    plain_sizes = _counts(args.plain_sizes)

    started = time.monotonic()
    results: dict[str, Any] = {
        "date": now_iso(),
        **commit(),
        "machine": machine(),
        "config": {
            "sizes": sizes,
            "latency_ms": args.latency_ms,
            "samples": args.samples,
            "plain_sizes": plain_sizes,
            "plain_samples": args.plain_samples,
            "gunicorn_workers": 2,
            "throughput_seconds": args.throughput_seconds,
        },
        "sizes": {},
        "plain": {},
    }
    with stop_on_sigterm(), browser_bench.chromium() as chromium:
        if chromium is None or args.no_browser:
            results["browser"] = None
            chromium = None
        else:
            results["browser"] = {"chromium": chromium.version}
        if not args.no_fixed:
            results["fixed"] = _measure_fixed(args)
        for n in plain_sizes:
            print(f"\n== {n:,} tokens, plain HTTP, no latency ==", flush=True)
            results["plain"][str(n)] = _measure_plain(n, args)
        for n in sizes:
            print(f"\n== {n:,} tokens, TLS, {args.latency_ms} ms latency ==", flush=True)
            results["sizes"][str(n)] = _measure_size(n, args, chromium, results)
    results["machine"]["load_average_after"] = machine()["load_average"]
    results["duration_s"] = round(time.monotonic() - started, 1)
    table = write_report(results, args.out)
    print("\n" + table)
    print(f"\nWrote {args.out / 'report.md'} and {args.out / 'results.json'}", end="")
    print(f" in {results['duration_s']:.0f} s.")
    # A MISS is a result; a measurement that could not be taken is not.
    setups = [*results["sizes"].values(), *results["plain"].values(), results.get("fixed", {})]
    failed = [e for figures in setups for e in figures.get("errors", [])]
    return 1 if failed else 0


def _counts(text: str) -> list[int]:
    return [int(n.replace("_", "")) for n in text.split(",") if n.strip()]


def _stepper(figures: dict[str, Any]) -> Callable[[str, Callable[[], None]], None]:
    def step(what: str, run: Callable[[], None]) -> None:
        """Run one measurement; one that fails is recorded and the others still run."""
        print(f"  {what} …", end=" ", flush=True)
        started = time.monotonic()
        try:
            run()
        except Exception as exc:  # reported below, and the other measurements still run
            figures["errors"].append(f"{what}: {type(exc).__name__}: {exc}")
            print(f"FAILED ({type(exc).__name__}: {exc})", flush=True)
            return
        print(f"{time.monotonic() - started:.1f} s", flush=True)

    return step


def _measure_fixed(args: argparse.Namespace) -> dict[str, Any]:
    """Issue 16 item 9: the independent setup, then saturation (each starts its own stack)."""
    figures: dict[str, Any] = {"errors": []}
    step = _stepper(figures)
    print("\n== the fixed cost: independent setup, saturation ==", flush=True)
    step(
        f"independent setup ({fixed.INDEPENDENT_ROUNDS} rounds)",
        lambda: figures.update(independent=fixed.independent()),
    )
    step(
        f"saturation ({fixed.CONNECTIONS} connections, {args.saturation_seconds:g} s per endpoint)",
        lambda: figures.update(saturation=fixed.saturation(args.saturation_seconds)),
    )
    return figures


def _measure_plain(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """The proxy overhead (and the profile) with plain HTTP and WHM answering at once."""
    figures: dict[str, Any] = {"errors": []}
    step = _stepper(figures)
    try:
        with (
            running_stack(tokens=n, latency_ms=0, tls=False) as stack,
            Whm(stack.simulator) as whm,
        ):
            # The 10-token figure is a few ms and needs many rounds; a larger list fewer.
            samples = args.plain_samples if n <= 100 else max(10, args.plain_samples // 3)
            step(
                f"proxy overhead ({samples} rounds)",
                lambda: figures.update(overhead=proxy_overhead(stack, whm, samples)),
            )
            step("profile of GET /tokens/", lambda: figures.update(profile=profile(stack)))
    except (BenchError, OSError) as exc:
        figures["errors"].append(f"starting the simulator and gunicorn: {exc}")
        print(f"  could not start: {exc}", flush=True)
    return figures


def _measure_size(
    n: int, args: argparse.Namespace, chromium: Any, results: dict[str, Any]
) -> dict[str, Any]:
    figures: dict[str, Any] = {"errors": []}
    step = _stepper(figures)
    try:
        with (
            running_stack(tokens=n, latency_ms=args.latency_ms) as stack,
            Whm(stack.simulator) as whm,
        ):
            step(
                "upstream calls per action",
                lambda: figures.update(calls=upstream_calls(stack, whm)),
            )
            step(
                "connection reuse", lambda: figures.update(connections=connection_reuse(stack, whm))
            )
            samples = args.samples if n <= 1_000 else max(10, args.samples // 3)
            step(
                f"proxy overhead ({samples} rounds)",
                lambda: figures.update(overhead=proxy_overhead(stack, whm, samples)),
            )
            if n == CPANEL_TOKENS:
                step(
                    f"cPanel tokens page, both ways in ({samples} rounds)",
                    lambda: figures.update(cpanel=cpanel_overhead(stack, whm, samples)),
                )
            if n in STEP_SIZES:
                step("each step, before and after", lambda: figures.update(steps=steps(stack)))
            if n in PROFILE_SIZES:
                step("profile of GET /tokens/", lambda: figures.update(profile=profile(stack)))
            if n == THROUGHPUT_TOKENS:
                step(
                    "throughput",
                    lambda: results.update(throughput=throughput(stack, args.throughput_seconds)),
                )
            if chromium is not None:
                step(
                    "search latency in chromium",
                    lambda: figures.update(search=browser_bench.search_latency(chromium, stack)),
                )
                step(
                    "page weight (first visit)",
                    lambda: figures.update(page_weight=browser_bench.first_visit(chromium, stack)),
                )
    except (BenchError, OSError) as exc:
        figures["errors"].append(f"starting the simulator and gunicorn: {exc}")
        print(f"  could not start: {exc}", flush=True)
    return figures


def _signed_in(stack: Stack) -> httpx.Client:
    client = dashboard_client(stack.dashboard)
    sign_in(client, *ROOT_USER)
    return client


# ---------------------------------------------------------------------------------------------
# 1. Proxy overhead: the page against a direct api_token_list, interleaved
# ---------------------------------------------------------------------------------------------
def proxy_overhead(stack: Stack, whm: Whm, samples: int) -> dict[str, Any]:
    client = _signed_in(stack)
    hx = htmx_headers(client)
    # The partial as Refresh List fetches it (a fresh read of WHM), and as search, sort and
    # paging fetch it (the list the page read moments ago, kept for the session).
    refresh = hx | {REFRESH_HEADER: "true"}
    probes: dict[str, Callable[[], httpx.Response]] = {
        "direct": lambda: whm.api_token_list(*ROOT_USER),
        "page": lambda: client.get("/tokens/"),
        "partial": lambda: client.get("/tokens/", headers=refresh),
        "search": lambda: client.get("/tokens/", params={"q": "-0"}, headers=hx),
        # A view that touches nothing, on the same connection: what any request costs.
        "healthz": lambda: client.get("/healthz"),
    }
    _warm_both_workers(client, hx)
    times: dict[str, list[float]] = {name: [] for name in probes}
    sizes: dict[str, int] = {}
    rows: dict[str, int] = {}
    order = list(probes)
    for round_ in range(samples):
        # Rotate who goes first, so no probe always meets the other's aftermath.
        turn = round_ % len(order)
        for name in order[turn:] + order[:turn]:
            started = time.perf_counter()
            response = probes[name]()
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
            times[name].append(elapsed)
            sizes[name] = len(response.content)
            rows[name] = response.text.count(ROW_MARK) if name not in {"direct", "healthz"} else 0
    client.close()
    summary: dict[str, Any] = {"samples": samples}
    for name, values in times.items():
        summary[name] = {
            "median_ms": ms(median(values)),
            "p95_ms": ms(percentile(values, 95)),
            "bytes": sizes[name],
            "rows": rows[name],
        }
    direct = median(times["direct"])
    direct_p95 = percentile(times["direct"], 95)
    healthz = median(times["healthz"])
    for name in ("page", "partial", "search"):
        summary[name]["ratio_median"] = round(median(times[name]) / direct, 3)
        summary[name]["ratio_p95"] = round(percentile(times[name], 95) / direct_p95, 3)
        summary[name]["overhead_median_ms"] = ms(median(times[name]) - direct)
    # The dashboard's own cost: the page less WHM's answer and less what any request costs.
    summary["page"]["own_cost_ms"] = ms(median(times["page"]) - direct - healthz)
    return summary


def _warm_both_workers(client: httpx.Client, hx: dict[str, str]) -> None:
    """A few requests two at a time, so both gunicorn workers have loaded everything."""

    def hit() -> None:
        for _ in range(3):
            client.get("/tokens/")
            client.get("/tokens/", headers=hx)

    threads = [threading.Thread(target=hit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


# ---------------------------------------------------------------------------------------------
# 1b. The cPanel tokens page (issue 10), both ways in, against the direct UAPI call
# ---------------------------------------------------------------------------------------------
def cpanel_overhead(stack: Stack, whm: Whm, samples: int) -> dict[str, Any]:
    """The cPanel account's tokens page and its search partial, as the cPanel user signed in
    directly (against UAPI `Tokens::list` on cPanel's port) and as a WHM operator through
    `uapi_cpanel` (against a direct `uapi_cpanel` to WHM's port), interleaved in one run."""
    account, password = CPANEL_USER
    user = dashboard_client(stack.dashboard)
    sign_in(user, account, password, service="cpanel")
    operator = _signed_in(stack)
    own_path, via_path = "/cpanel/tokens/", f"/cpanel/accounts/{account}/tokens/"
    own_hx = htmx_headers(user, own_path)
    via_hx = htmx_headers(operator, via_path)
    with Cpanel(stack.simulator) as cpanel:
        probes: dict[str, Callable[[], httpx.Response]] = {
            "user_direct": lambda: cpanel.tokens_list(account, password),
            "user_page": lambda: user.get(own_path),
            "user_search": lambda: user.get(own_path, params={"q": "-0"}, headers=own_hx),
            "operator_direct": lambda: whm.uapi_cpanel_list(*ROOT_USER, account),
            "operator_page": lambda: operator.get(via_path),
            "operator_search": lambda: operator.get(via_path, params={"q": "-0"}, headers=via_hx),
            "healthz": lambda: user.get("/healthz"),
        }
        for _ in range(3):  # warm-up: templates, pools, the kept list
            for probe in probes.values():
                probe()
        # What one search keystroke costs upstream, each way in (the simulator logs both ports).
        calls = {}
        for way, hx, path in (("user", own_hx, own_path), ("operator", via_hx, via_path)):
            client = user if way == "user" else operator
            client.get(path)  # the page read the list, as a person's search follows it
            before = len(whm.log()[1])
            for keystroke in ("e", "ex", "exp"):
                client.get(path, params={"q": keystroke}, headers=hx)
            calls[way] = [entry["function"] for entry in whm.log()[1][before:]]
        times = _interleaved(probes, samples)
    user.close()
    operator.close()
    summary: dict[str, Any] = {"samples": samples, "tokens": stack.tokens, "search_calls": calls}
    for name, values in times.items():
        summary[name] = {"median_ms": ms(median(values)), "p95_ms": ms(percentile(values, 95))}
    for way in ("user", "operator"):
        direct = median(times[f"{way}_direct"])
        for kind in ("page", "search"):
            figure = summary[f"{way}_{kind}"]
            figure["ratio_median"] = round(median(times[f"{way}_{kind}"]) / direct, 3)
            figure["overhead_median_ms"] = ms(median(times[f"{way}_{kind}"]) - direct)
    return summary


def _interleaved(
    probes: dict[str, Callable[[], httpx.Response]], samples: int
) -> dict[str, list[float]]:
    """Each probe `samples` times, in rotating order; any answer but 200 stops the measurement."""
    times: dict[str, list[float]] = {name: [] for name in probes}
    order = list(probes)
    for round_ in range(samples):
        turn = round_ % len(order)
        for name in order[turn:] + order[:turn]:
            started = time.perf_counter()
            response = probes[name]()
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
            times[name].append(elapsed)
    return times


# ---------------------------------------------------------------------------------------------
# 2. Upstream calls per action, and connection reuse
# ---------------------------------------------------------------------------------------------
# What each kind of request may cost: a page (or form, or dialog) at most 2 calls; a search or
# refresh at most 1; an action its own call plus at most one api_token_list.
CALL_RULES = {
    "page": "≤ 2 calls",
    "search": "0 or 1 call",
    "action": "1 call + ≤ 1 api_token_list",
}


def upstream_calls(stack: Stack, whm: Whm) -> list[dict[str, Any]]:
    """Each step of each action as the browser sends it; WHM's calls behind each request."""
    client = _signed_in(stack)
    name = f"bench-calls-{int(time.time())}"
    acl = {"acls": ["list-accts"]}
    rows: list[dict[str, Any]] = []

    def step(
        action: str,
        request: str,
        kind: str,
        send: Callable[[], httpx.Response],
        expect: int,
    ) -> httpx.Response:
        before = len(whm.log()[1])
        response = send()
        functions = [entry["function"] for entry in whm.log()[1][before:]]
        rows.append(
            {
                "action": action,
                "request": request,
                "kind": kind,
                "status": response.status_code,
                "expected_status": expect,
                "calls": functions,
                "ok": response.status_code == expect and _calls_ok(kind, functions),
            }
        )
        return response

    def form(**fields: object) -> dict[str, object]:
        return {"csrfmiddlewaretoken": csrf_token(client), **fields}

    hx = lambda: htmx_headers(client)  # noqa: E731 - the CSRF cookie may change between steps
    opened = step("Open the page", "GET /tokens/", "page", lambda: client.get("/tokens/"), 200)
    # The gear menu's own link, whatever it carries (a cache-busting parameter, say).
    found = REFRESH_LINK.search(opened.text)
    refresh = html.unescape(found.group(1)) if found else "/tokens/"
    step(
        "Search",
        "GET /tokens/?q=expired (htmx)",
        "search",
        lambda: client.get("/tokens/", params={"q": "expired"}, headers=hx()),
        200,
    )
    step(
        "Refresh List",
        f"GET {refresh} (htmx)",
        "search",
        lambda: client.get(refresh, headers=hx() | {REFRESH_HEADER: "true"}),
        200,
    )
    step("Generate", "GET /tokens/new/", "page", lambda: client.get("/tokens/new/"), 200)
    created = step(
        "Generate",
        "POST /tokens/new/",
        "action",
        lambda: client.post(
            "/tokens/new/", data=form(name=name, expiry="never", whitelist_ips="", **acl)
        ),
        200,
    )
    if name not in created.text:
        raise RuntimeError("Generate did not show the new token.")
    step(
        "Generate",
        "GET /tokens/?highlight= (back to the list)",
        "page",
        lambda: client.get("/tokens/", params={"highlight": name}),
        200,
    )
    step("Edit", "GET /tokens/NAME/edit/", "page", lambda: client.get(f"/tokens/{name}/edit/"), 200)
    edited = step(
        "Edit",
        "POST /tokens/NAME/edit/",
        "action",
        lambda: client.post(
            f"/tokens/{name}/edit/",
            data=form(name=name, expiry="never", whitelist_ips="192.0.2.1", **acl),
        ),
        302,
    )
    step(
        "Edit",
        "GET /tokens/?highlight= (the redirect)",
        "page",
        lambda: client.get(edited.headers.get("location", "/tokens/")),
        200,
    )
    step(
        "Revoke",
        "GET /tokens/NAME/revoke/ (htmx dialog)",
        "page",
        lambda: client.get(f"/tokens/{name}/revoke/", headers=hx()),
        200,
    )
    step(
        "Revoke",
        "POST /tokens/NAME/revoke/ (htmx)",
        "action",
        lambda: client.post(f"/tokens/{name}/revoke/", headers=hx()),
        200,
    )
    client.close()
    if name in whm.token_names(*ROOT_USER):
        raise RuntimeError(f"The bench's token {name} is still there after Revoke.")
    return rows


def _calls_ok(kind: str, functions: list[str]) -> bool:
    counts = Counter(functions)
    if any(count > 1 for count in counts.values()):
        return False  # no call repeated within a request
    if kind == "page":
        return len(functions) <= 2
    if kind == "search":
        return len(functions) <= 1
    others = [f for f in functions if f != "api_token_list"]
    return len(others) == 1


def connection_reuse(stack: Stack, whm: Whm) -> dict[str, Any]:
    """New connections the simulator accepts per 100 WHM calls, after warm-up, two at a time."""
    client = _signed_in(stack)
    hx = htmx_headers(client)
    _warm_both_workers(client, hx)
    total = CONNECTION_REQUESTS if stack.tokens <= 1_000 else 30
    connections_before, log_before = whm.log()
    statuses: list[int] = []

    def hit(count: int) -> None:
        for i in range(count):
            response = client.get("/tokens/", headers=hx if i % 2 else None)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=hit, args=(total // 2,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    connections_after, log_after = whm.log()
    client.close()
    calls = len(log_after) - len(log_before)
    new = connections_after - connections_before
    return {
        "dashboard_requests": len(statuses),
        "non_200": sum(1 for s in statuses if s != 200),
        "whm_calls": calls,
        "new_connections": new,
        "per_100_calls": round(new / calls * 100, 2) if calls else None,
    }


# ---------------------------------------------------------------------------------------------
# 4. Throughput: the table partial against /healthz on the same gunicorn
# ---------------------------------------------------------------------------------------------
def throughput(stack: Stack, seconds: float) -> dict[str, Any]:
    client = _signed_in(stack)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items() if k == SESSION_COOKIE)
    client.close()
    targets = {
        "healthz": ("/healthz", {}),
        # What search, sort and paging fetch (the kept list), and what Refresh List fetches.
        "partial": ("/tokens/?sort=name", {"HX-Request": "true", "Cookie": cookie}),
        "refresh": (
            "/tokens/",
            {"HX-Request": "true", "Cookie": cookie, REFRESH_HEADER: "true"},
        ),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for _half in range(2):  # alternate, so drift on a shared machine hits both alike
        for name, (path, headers) in targets.items():
            runs[name].append(
                loadgen.hammer(stack.dashboard.url, path, headers=headers, seconds=seconds / 2)
            )
    summary: dict[str, Any] = {"tokens": stack.tokens}
    for name, parts in runs.items():
        requests = sum(p["requests"] for p in parts)
        errors: Counter[str] = Counter()
        for p in parts:
            errors.update(p["errors"])
        summary[name] = {
            "requests": requests,
            "rps": round(requests / seconds, 1),
            "errors": dict(errors),
            "concurrency": parts[0]["concurrency"],
            "latency_ms_p50": median([p["latency_ms"]["p50"] for p in parts]),
        }
    summary["ratio"] = round(summary["partial"]["rps"] / summary["healthz"]["rps"], 4)
    summary["refresh_ratio"] = round(summary["refresh"]["rps"] / summary["healthz"]["rps"], 4)
    return summary


# ---------------------------------------------------------------------------------------------
# Profile (cProfile, in a subprocess with the stack's settings)
# ---------------------------------------------------------------------------------------------
def profile(stack: Stack) -> dict[str, Any]:
    requests = PROFILE_REQUESTS if stack.tokens <= 1_000 else PROFILE_REQUESTS // 2
    return in_process(stack, "bench.profile", "--requests", str(requests))


def steps(stack: Stack) -> dict[str, Any]:
    rounds = STEP_ROUNDS if stack.tokens <= 1_000 else STEP_ROUNDS // 3
    return in_process(stack, "bench.steps", "--rounds", str(rounds))


if __name__ == "__main__":
    sys.exit(main())
