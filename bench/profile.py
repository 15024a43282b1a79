"""Where a tokens-page request spends its time: cProfile of the view in-process, as JSON lines.

Run by bench.run in a subprocess with a stack's environment (Django is set up from it); not a
command to run by hand, though `python -m bench.profile --requests 20` works with that env set.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
from typing import Any

from bench.harness import ROOT

# The phases of GET /tokens/ worth naming, each as (label, (file suffix, function name), ...);
# a phase's figure is the cumulative time of those functions per request (whichever of them the
# code at hand has: the names changed as the code did).
PHASES = (
    ("whole request (Django handler)", ("django/core/handlers/base.py", "get_response")),
    (
        "read the session (database or cache)",
        ("django/contrib/sessions/backends/db.py", "load"),
        ("django/contrib/sessions/backends/cached_db.py", "load"),
    ),
    (
        "load the credential (with the session's first read)",
        ("tokenui/sessions/credentials.py", "load"),
    ),
    ("WHM round trip (httpx send + read)", ("tokenui/whm/transport.py", "_send")),
    (
        "decode WHM's JSON (orjson / msgspec)",
        ("~", "<orjson.loads>"),
        ("~", "<method 'decode' of 'msgspec.json.Decoder' objects>"),
    ),
    (
        "decode and build the list (replies)",
        ("tokenui/whm/replies.py", "token_list"),
        ("tokenui/whm/replies.py", "token_summaries"),
    ),
    (
        "keep the list for search (cache set)",
        ("django/core/cache/backends/locmem.py", "set"),
        ("django/core/cache/backends/redis.py", "set"),
    ),
    ("read the kept list (cache get, decode)", ("tokenui/tokens/listing.py", "get")),
    (
        "search, sort, paginate, rows",
        ("tokenui/tokens/views.py", "_table_context"),
        ("tokenui/tables.py", "context"),
    ),
    ("  of which the rows (display.rows)", ("tokenui/tokens/display.py", "rows")),
    ("  of which the rotation marks (query)", ("tokenui/audit/rotations.py", "successors")),
    ("render the template", ("django/template/backends/django.py", "render")),
    (
        "  of which the rows' HTML ({% token_rows %})",
        ("tokenui/tokens/templatetags/token_rows.py", "token_rows"),
    ),
    ("  of which {% url %} (reverse)", ("django/urls/base.py", "reverse")),
    ("  of which {% static %}", ("django/templatetags/static.py", "handle_simple")),
    ("save the session", ("django/contrib/sessions/backends/db.py", "save")),
)
TOP = 25


def _setup() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenui.settings")
    import django

    django.setup()
    from django.test import Client

    return Client(HTTP_ACCEPT_ENCODING="gzip, br")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="demo-root-pass")
    parser.add_argument("--path", default="/tokens/")
    parser.add_argument(
        "--search", action="store_true", help="the search partial (htmx, ?q=-0) instead"
    )
    args = parser.parse_args(argv)
    # A search keystroke: the htmx partial, redrawn from the list the page read.
    headers = {"HTTP_HX_REQUEST": "true"} if args.search else {}
    query = {"q": "-0"} if args.search else {}

    client = _setup()
    from django.conf import settings

    server = next(iter(settings.WHM_SERVERS))
    signed = client.post(
        "/sign-in/",
        {"server": server, "username": args.user, "method": "password", "password": args.password},
    )
    if signed.status_code != 302:
        print(json.dumps({"error": f"sign-in answered {signed.status_code}"}))
        return 1
    client.get(args.path)  # the page: reads WHM, keeps the list
    for _ in range(3):  # warm: templates compiled, the WHM connection open
        client.get(args.path, query, **headers)

    plain = []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.get(args.path, query, **headers)
        plain.append(time.perf_counter() - started)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        client.get(args.path, query, **headers)
    profiler.disable()

    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    phases = []
    for label, *functions in PHASES:
        total = sum(
            value[3]
            for (file, _line, func), value in entries.items()
            if any(func == name and file.endswith(suffix) for suffix, name in functions)
        )
        phases.append({"phase": label, "ms_per_request": round(total / args.requests * 1000, 2)})
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:TOP]
    own_time = [
        {
            "function": f"{_short(file)}:{line}({func})",
            "calls_per_request": round(value[1] / args.requests, 1),
            "own_ms_per_request": round(value[2] / args.requests * 1000, 2),
            "cumulative_ms_per_request": round(value[3] / args.requests * 1000, 2),
        }
        for (file, line, func), value in top
    ]
    plain.sort()
    print(
        json.dumps(
            {
                "path": args.path + ("?q=-0 (htmx)" if args.search else ""),
                "requests": args.requests,
                "unprofiled_median_ms": round(plain[len(plain) // 2] * 1000, 1),
                "phases": phases,
                "top_own_time": own_time,
            }
        )
    )
    return 0


def _short(file: str) -> str:
    """A path relative to site-packages, the stdlib or the checkout."""
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    if file.startswith(f"{ROOT}/"):
        return file.removeprefix(f"{ROOT}/")
    return re.sub(r"^.*/lib/python3\.\d+/", "", file)


if __name__ == "__main__":
    sys.exit(main())
