"""The fleet page's own steps, each before and after its change, timed in one process on the
simulators' real replies (the pattern of bench/steps.py: both versions interleaved round by
round, so that both meet the same load on this shared machine).

Run by bench.fleet in a subprocess with the dashboard's environment (WHM_SERVERS names the 20
simulators); prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import ipaddress
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.harness import LOOPBACK, free_port, wait_until

ROUNDS = 30

# What each change replaced, kept here to be timed against what replaced it.


def _old_is_wide_range(entry: str) -> bool:
    """risk.is_wide_range before: every entry parsed by ipaddress, lone addresses too."""
    try:
        network = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen < (16 if network.version == 4 else 48)


# The fleet table's flag cell before: the explanation in a title attribute on every flag, in a
# template loop.
OLD_FLEET_FLAG_CELL = (
    '<td data-label="Risk">{% for flag in row.flags %}<span class="flag flag-{{ flag.key }}" '
    'title="{{ flag.explanation }}" tabindex="0">⚠ {{ flag.words }}</span> '
    "{% empty %}None{% endfor %}</td>"
)
NEW_FLEET_FLAG_CELL = (
    '<td data-label="Risk" class="risk">{{ row.flags|as_flags|default:"None" }}</td>'
)
# The single-server table's flag before: an SVG icon and the explanation in every flag.
OLD_FLAG = (
    '<span class="flag flag-{key}" tabindex="0" aria-describedby="risk-{key}">'
    '<svg class="icon" aria-hidden="true" viewBox="0 0 24 24"><use href="{icon}"></use></svg> '
    '{words}<span class="flag-tip" aria-hidden="true">{explanation}</span></span>'
)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenui.settings")
    import django

    django.setup()


def _reply(url: str, user: str, password: str) -> bytes:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    with httpx.Client(base_url=url, timeout=60) as http:
        response = http.post(
            "/json-api/api_token_list",
            params={"api.version": "1"},
            headers={
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return response.raise_for_status().content


Step = tuple[str, str, str, Callable[[], Any], Callable[[], Any]]


def steps(bodies: list[bytes], redis_url: str | None) -> list[Step]:
    """(step, before, after, the step before, the step after): each pair does the same job."""
    from datetime import UTC, datetime
    from unittest import mock

    from django.template import engines
    from django.template.loader import get_template
    from django.test import RequestFactory

    from tokenui import risk
    from tokenui.fleet import inventory
    from tokenui.fleet.inventory import FleetToken
    from tokenui.fleet.table import rows
    from tokenui.kernel import display
    from tokenui.sessions.credentials import WhmSession
    from tokenui.whm import replies, transport
    from tokenui.whm.types import Credential

    typed = transport._typed(replies.ListedTokens)
    now = datetime.now(UTC)

    sessions = [
        WhmSession(f"whm{index:02}", "root", "password", None, Credential("root", "-", "password"))
        for index in range(len(bodies))
    ]

    def read_all() -> list[FleetToken]:
        # What read_one does with each server's reply once WHM has answered.
        return [
            token
            for session, body in zip(sessions, bodies, strict=True)
            for token in inventory.fleet_tokens(
                session, replies.token_summaries(typed.decode(body).data)
            )
        ]

    def read_all_before() -> list[FleetToken]:
        # read_one's loop as it was: keyword arguments, the flags' keys gathered per token.
        with mock.patch.object(risk, "is_wide_range", _old_is_wide_range):
            return [
                FleetToken(
                    server=session.server,
                    user=session.user,
                    name=token.name,
                    create_time=token.create_time,
                    expires_at=token.expires_at,
                    whitelist_ips=token.whitelist_ips,
                    privileges=inventory._privileges(token),
                    flags=tuple(flag.key for flag in risk.flags(token, now=now)),
                )
                for session, body in zip(sessions, bodies, strict=True)
                for token in replies.token_summaries(typed.decode(body).data)
            ]

    fleet = read_all()
    # The fleet table's partial, with only its flag cell as it was and as it is.
    source = get_template("fleet/index.html").template.source
    if NEW_FLEET_FLAG_CELL not in source:
        raise RuntimeError("templates/fleet/index.html no longer has the flag cell timed here.")
    start = source.index("{% partialdef fleet-table inline %}")
    end = source.index("{% endpartialdef %}", start)
    partial = "{% load static risk_flags %}" + source[start:end].split("%}", 1)[1]
    engine = engines["django"]
    old_fleet = engine.from_string(partial.replace(NEW_FLEET_FLAG_CELL, OLD_FLEET_FLAG_CELL))
    new_fleet = engine.from_string(partial)
    request = RequestFactory().get("/fleet/")
    page_rows = rows(sorted(fleet, key=lambda t: (t.server, t.name))[:50])
    context = {"rows": page_rows, "reads": [], "flag_legend": risk.ALL_FLAGS, "request": request}
    # The single-server table's 50 rows, its flags written the old way and the shared way.
    summaries = replies.token_summaries(typed.decode(bodies[0]).data)
    token_rows = [
        display.make_row(
            token,
            now=now,
            zone=ZoneInfo("UTC"),
            warning_days=7,
            urls=display.RowUrls(("/tokens/", "/edit/"), ("/tokens/", "/revoke/")),
        )
        for token in summaries[: display.PAGE_SIZE]
    ]
    tag = engine.from_string(
        "{% load token_rows %}{% token_rows rows highlight='' edit_query='' %}"
    )

    def old_flags(flags: Any) -> str:
        return " ".join(
            OLD_FLAG.format(
                key=f.key,
                icon="/static/icons.svg#risk",
                words=escape(f.words),
                explanation=escape(f.explanation),
            )
            for f in flags
        )

    def token_rows_before() -> str:
        with mock.patch("tokenui.tokens.templatetags.token_rows.flags_html", old_flags):
            return tag.render({"rows": token_rows})

    cache_steps: list[Step] = []
    if redis_url is not None:
        from django.core.cache.backends.redis import RedisCache

        redis = RedisCache(redis_url, {})
        reads = [
            inventory.ServerRead(session.server, "root", 0, inventory.fleet_tokens(session, listed))
            for session, listed in zip(
                sessions,
                (replies.token_summaries(typed.decode(body).data) for body in bodies),
                strict=True,
            )
        ]
        encoded = {f"fleet-step:{read.server}": inventory._ENCODER.encode(read) for read in reads}

        def one_by_one() -> None:
            for key, value in encoded.items():
                redis.set(key, value, 60)
            for key in encoded:
                redis.get(key)

        def all_at_once() -> None:
            redis.set_many(encoded, 60)
            redis.get_many(list(encoded))

        cache_steps.append(
            (
                f"Keep {len(reads)} servers' reads in Redis and read them back",
                "one `set` and one `get` per server: a round trip each",
                "one `set_many` and one `get_many` for all of them",
                one_by_one,
                all_at_once,
            )
        )

    return [
        *cache_steps,
        (
            f"Decode {len(bodies)} replies and flag their {len(fleet):,} tokens",
            "every IP allow-list entry parsed by `ipaddress`; each token's flag keys gathered",
            (
                "a lone address (no `/`) is never a wide range: only ranges are parsed, once "
                "each; the keys of each combination of flags gathered once"
            ),
            read_all_before,
            read_all,
        ),
        (
            "Write the fleet table's 50 rows (bytes: the partial)",
            "each flag a template loop, its explanation in `title`",
            "`as_flags`: the shared markup, the explanation once in the legend",
            lambda: old_fleet.render(context, request),
            lambda: new_fleet.render(context, request),
        ),
        (
            "Write the single-server table's 50 rows (bytes: the rows)",
            "each flag an SVG icon, words and its explanation",
            "the shared markup: words, the icon in CSS, the explanation once in the legend",
            token_rows_before,
            lambda: tag.render({"rows": token_rows}),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="demo-root-pass")
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    bodies = [_reply(url, args.user, args.password) for url in settings.WHM_SERVERS.values()]
    with _redis() as redis_url:
        results = _run(steps(bodies, redis_url), args.rounds)
    split = _split(args.user, args.password, args.rounds // 2)
    print(json.dumps({"rounds": args.rounds, "steps": results, "split": split}))
    return 0


def _split(user: str, password: str, rounds: int) -> dict[str, float]:
    """Where the read of every server goes, in this process against the live simulators: the
    dashboard's pooled clients' round trips alone, then `read_concurrently` (the same, plus
    decoding, risk flags and the fleet's tokens), interleaved round by round (medians, ms)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings

    from tokenui.fleet import inventory
    from tokenui.sessions.credentials import WhmSession
    from tokenui.whm.servers import client_for
    from tokenui.whm.types import Credential

    credential = Credential(user, password, "password")
    sessions = [
        WhmSession(name, user, "password", None, credential) for name in settings.WHM_SERVERS
    ]

    def round_trip(session: WhmSession) -> None:
        transport = client_for(session.server, session.credential)._transport
        transport._send("api_token_list", (), changes_state=False)

    times: dict[str, list[float]] = {"round_trips_ms": [], "read_concurrently_ms": []}
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        for round_ in range(rounds + 2):
            for name, run in (
                ("round_trips_ms", lambda: list(pool.map(round_trip, sessions))),
                ("read_concurrently_ms", lambda: inventory.read_concurrently(sessions)),
            ):
                started = time.perf_counter()
                run()
                if round_ >= 2:
                    times[name].append(time.perf_counter() - started)
    return {name: round(statistics.median(values) * 1000, 1) for name, values in times.items()}


@contextlib.contextmanager
def _redis() -> Iterator[str | None]:
    """A private redis-server on a free port for the cache step, when one is installed (CI and
    production keep the reads in Redis; the bench's dashboard uses locmem)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"redis://{LOOPBACK}:{port}/0"
        wait_until(lambda: _answers(port), what="redis-server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _run(pairs: list[Step], rounds: int) -> list[dict[str, Any]]:
    results = []
    for step, before_text, after_text, before, after in pairs:
        times: dict[str, list[float]] = {"before": [], "after": []}
        sizes: dict[str, int | None] = {}
        for round_ in range(rounds + 2):
            order = [("before", before), ("after", after)]
            for name, run in order if round_ % 2 else order[::-1]:
                gc.collect()
                started = time.perf_counter()
                made = run()
                elapsed = time.perf_counter() - started
                sizes[name] = len(made.encode()) if isinstance(made, str) else None
                if round_ >= 2:  # two warm-up rounds
                    times[name].append(elapsed)
        before_ms = statistics.median(times["before"]) * 1000
        after_ms = statistics.median(times["after"]) * 1000
        results.append(
            {
                "step": step,
                "before": before_text,
                "after": after_text,
                "before_ms": round(before_ms, 2),
                "after_ms": round(after_ms, 2),
                "ratio": round(after_ms / before_ms, 3) if before_ms else None,
                "before_bytes": sizes["before"],
                "after_bytes": sizes["after"],
            }
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
