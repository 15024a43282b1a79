"""Search latency and first-visit page weight, measured in Debian's chromium through Playwright."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench.harness import CSRF_COOKIE, ROOT_USER, Stack, median, ms, percentile

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium reaches for Google's hosts at every start; all traffic stays on loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# After a warm-up "e": 20 keystrokes, each changing the query and none emptying it (an empty
# search box may also fire a `search` event): type on to "expiring-00", then delete back to "e".
WARM_UP_KEY = "e"
KEYSTROKES = [*"xpiring-00", *["Backspace"] * 10]
STEP_TIMEOUT_MS = 30_000

# Installed in the page once it has loaded. Per keystroke it records: the keydown; htmx issuing
# the request; the response arriving; the new #token-table in the
# DOM (the outerHTML swap); and the first moment after the next frame was painted.
_INSTRUMENT = """
() => {
  const bench = (window.__bench = {marks: [], current: null});
  const input = document.querySelector('#search-q');
  const now = () => performance.now();
  input.addEventListener('keydown', () => { bench.current = {key: now()}; }, true);
  document.addEventListener('htmx:beforeRequest', () => {
    if (bench.current && bench.current.request === undefined) bench.current.request = now();
  });
  document.addEventListener('htmx:beforeOnLoad', () => {
    if (bench.current) bench.current.response = now();
  });
  const parent = document.querySelector('#token-table').parentNode;
  new MutationObserver((records) => {
    const mark = bench.current;
    if (!mark || mark.swapped !== undefined) return;
    const added = records.some((r) => Array.from(r.addedNodes).some((n) => n.id === 'token-table'));
    if (!added) return;
    mark.swapped = now();
    mark.rows = document.querySelectorAll('#token-table tbody tr:not(.empty)').length;
    requestAnimationFrame(() => setTimeout(() => {
      mark.painted = now();
      bench.marks.push(mark);
      bench.current = null;
    }, 0));
  }).observe(parent, {childList: true});
}
"""


@contextmanager
def chromium() -> Iterator[Browser | None]:
    """Debian's chromium under Playwright, or None (the browser figures are skipped) without it."""
    if not Path(CHROMIUM).exists():
        yield None
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _signed_in_context(browser: Browser, stack: Stack) -> BrowserContext:
    """A fresh context (empty cache) holding a signed-in session; the sign-in page itself is
    fetched outside the page, so none of its assets land in the browser's cache."""
    base = stack.dashboard.url
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.request.get(f"{base}/sign-in/")
    server = re.search(r'name="server"[^>]*value="([^"]*)"', page.text())
    csrf = next(c["value"] for c in context.cookies() if c["name"] == CSRF_COOKIE)
    response = context.request.post(
        f"{base}/sign-in/",
        form={
            "csrfmiddlewaretoken": csrf,
            "server": server.group(1) if server else "",
            "username": ROOT_USER[0],
            "method": "password",
            "password": ROOT_USER[1],
        },
        max_redirects=0,
    )
    if response.status != 302:
        context.close()
        raise RuntimeError(f"Browser sign-in answered {response.status}, not 302.")
    return context


def first_visit(browser: Browser, stack: Stack) -> dict[str, Any]:
    """Bytes on the wire for a first visit to /tokens/ with an empty cache, as chromium saw them."""
    context = _signed_in_context(browser, stack)
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        started = time.perf_counter()
        page.goto("/tokens/", wait_until="networkidle")
        load_s = time.perf_counter() - started
        resources = []
        for request in finished:
            sizes = request.sizes()
            response = request.response()
            resources.append(
                {
                    "url": urlsplit(request.url).path,
                    "type": request.resource_type,
                    "status": response.status if response else None,
                    "encoding": (response.headers.get("content-encoding", "") if response else ""),
                    "body_bytes": sizes["responseBodySize"],
                    "header_bytes": sizes["responseHeadersSize"],
                }
            )
        html = page.content()
        assets = _assets_in(html)
        fetched = {r["url"] for r in resources}
        # Headless chromium may skip the favicon; fetch whatever it skipped as it would.
        missing = [a for a in assets if a not in fetched]
        resources += _fetch_like_a_browser(stack.dashboard.url, missing, context)
        return {
            "resources": resources,
            "body_bytes": sum(r["body_bytes"] for r in resources),
            "total_bytes": sum(r["body_bytes"] + r["header_bytes"] for r in resources),
            "load_ms": ms(load_s),
        }
    finally:
        context.close()


def _assets_in(html: str) -> list[str]:
    """Static files the page refers to: stylesheet, scripts, favicon, the SVG sprite."""
    found = re.findall(r'(?:href|src)="(/static/[^"#]+)', html)
    return list(dict.fromkeys(found))


def _fetch_like_a_browser(base: str, paths: list[str], context: BrowserContext) -> list[dict]:
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    rows = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        for path in paths:
            with client.stream("GET", path, headers={"Accept-Encoding": "gzip, br"}) as response:
                body = sum(len(chunk) for chunk in response.iter_raw())
                head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + sum(
                    len(k) + len(v) + 4 for k, v in response.headers.raw
                )
                rows.append(
                    {
                        "url": urlsplit(urljoin(base, path)).path,
                        "type": "fetched separately (chromium did not request it)",
                        "status": response.status_code,
                        "encoding": response.headers.get("content-encoding", ""),
                        "body_bytes": body,
                        "header_bytes": head,
                    }
                )
    return rows


def search_latency(browser: Browser, stack: Stack) -> dict[str, Any]:
    """From a keystroke in #search-q to the filtered table painted, for each of KEYSTROKES."""
    context = _signed_in_context(browser, stack)
    try:
        page = context.new_page()
        page.goto("/tokens/", wait_until="networkidle")
        page.evaluate(_INSTRUMENT)
        page.focus("#search-q")
        # One keystroke, not measured, so the first measured one meets warm connections.
        _keystroke(page, WARM_UP_KEY, 1)
        page.evaluate("() => { window.__bench.marks = []; }")
        for index, key in enumerate(KEYSTROKES, start=1):
            _keystroke(page, key, index)
        marks: list[dict[str, float]] = page.evaluate("() => window.__bench.marks")
        query = page.input_value("#search-q")
        floor: dict[str, float] = page.evaluate(_SWAP_FLOOR, query)
    finally:
        context.close()
    total = [m["painted"] - m["key"] for m in marks]
    after_debounce = [m["painted"] - m["request"] for m in marks]
    debounce = [m["request"] - m["key"] for m in marks]
    server = [m["response"] - m["request"] for m in marks]
    swap_paint = [m["painted"] - m["response"] for m in marks]
    to_dom = [m["swapped"] - m["response"] for m in marks]
    to_paint = [m["painted"] - m["swapped"] for m in marks]
    return {
        "keystrokes": len(marks),
        "final_query": query,
        "rows_shown": [m.get("rows", 0) for m in marks],
        "total_ms": _summary(total),
        "excluding_debounce_ms": _summary(after_debounce),
        "debounce_ms": _summary(debounce),
        "request_to_response_ms": _summary(server),
        "response_to_painted_ms": _summary(swap_paint),
        "response_to_dom_ms": _summary(to_dom),
        "dom_to_painted_ms": _summary(to_paint),
        "browser_floor_ms": {
            "swap": round(floor["swap_ms"], 1),
            "next_frame": round(floor["paint_ms"], 1),
            "total": round(floor["swap_ms"] + floor["paint_ms"], 1),
            "partial_bytes": floor["bytes"],
        },
        "samples_total_ms": [round(x, 1) for x in total],
        "samples_excluding_debounce_ms": [round(x, 1) for x in after_debounce],
    }


# The browser's share alone: the partial for the final query, already in memory, swapped in by
# htmx exactly as a search response is (outerHTML on #token-table), then the next frame.
_SWAP_FLOOR = """
async (query) => {
  const url = '/tokens/?q=' + encodeURIComponent(query);
  const html = await (await fetch(url, {headers: {'HX-Request': 'true'}})).text();
  const swap = [], paint = [];
  for (let i = 0; i < 8; i++) {
    const start = performance.now();
    htmx.swap('#token-table', html, {swapStyle: 'outerHTML'});
    const swapped = performance.now();
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    swap.push(swapped - start);
    paint.push(performance.now() - swapped);
    await new Promise((done) => setTimeout(done, 50));
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  return {swap_ms: median(swap), paint_ms: median(paint), bytes: html.length};
}
"""


def _keystroke(page: Page, key: str, expected_marks: int) -> None:
    page.keyboard.press(key)
    page.wait_for_function(
        "n => window.__bench.marks.length >= n", arg=expected_marks, timeout=STEP_TIMEOUT_MS
    )
    page.wait_for_timeout(50)  # let htmx settle before the next key


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(median(values), 1),
        "p90": round(percentile(values, 90), 1),
        "min": round(min(values), 1) if values else float("nan"),
        "max": round(max(values), 1) if values else float("nan"),
    }
