"""Each step of issue 8's item 5, before and after, timed in one process on WHM's real reply.

The end-to-end figures (page ÷ direct) move with whatever else the machine is doing; a step's
own gain is measured here instead: both versions of the step run on the same input, interleaved
round by round, so that both meet the same load. Run by bench.run in a subprocess with a stack's
environment; it reads the simulator's api_token_list once and prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec

ROUNDS = 30
# The row loop as templates/tokens/index.html had it before the rows were written in Python.
TEMPLATE_ROWS = """{% for row in rows %}
<tr id="token-{{ row.name }}" class="row-{{ row.expiry }}{% if row.name == highlight %} row-highlight{% endif %}">
<td class="col-select"><input type="checkbox" name="name" value="{{ row.name }}" aria-label="Select {{ row.name }}"></td>
<th scope="row" class="token-name">{{ row.name }}{% if row.is_session_token %} <span class="badge">this session's token</span>{% endif %}</th>
<td><time datetime="{{ row.created_iso }}">{{ row.created }}</time></td>
<td>{% if row.expires %}<time datetime="{{ row.expires_iso }}">{{ row.expires }}</time>{% else %}Never{% endif %}{% if row.expiry_words %} <span class="notice"><svg class="icon" aria-hidden="true" viewBox="0 0 24 24"><use href="{{ notice_icon }}"></use></svg> {{ row.expiry_words }}</span>{% endif %}</td>
<td class="ips">{% if row.ips_shown %}{{ row.ips_shown|join:", " }}{% if row.ips_folded %} <details class="more-ips"><summary>and {{ row.ips_folded|length }} more</summary>{{ row.ips_folded|join:", " }}</details>{% endif %}{% else %}Any{% endif %}</td>
<td class="col-actions"><a href="{{ row.edit_url }}{{ edit_query }}" aria-label="Edit {{ row.name }}">Edit</a> <a href="{{ row.revoke_url }}" hx-get="{{ row.revoke_url }}" aria-label="Revoke {{ row.name }}" class="danger-link">Revoke</a></td>
</tr>{% endfor %}"""  # noqa: E501
TAG_ROWS = "{% load token_rows %}{% token_rows rows highlight=highlight edit_query=edit_query %}"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenui.settings")
    import django

    django.setup()


def _reply(url: str, ca: str | None, user: str, password: str) -> bytes:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    with httpx.Client(base_url=url, verify=ca or False, timeout=120) as http:
        response = http.post(
            "/json-api/api_token_list",
            params={"api.version": "1"},
            headers={
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return response.raise_for_status().content


def steps(body: bytes) -> list[tuple[str, str, str, Callable[[], Any], Callable[[], Any]]]:
    """(step, before, after, the step before, the step after): each pair does the same job."""
    from django.template import engines

    from tokenui.kernel import display
    from tokenui.tokens import listing
    from tokenui.whm import replies, transport

    tokens = replies.token_list(msgspec.json.decode(body)["data"])
    typed = transport._typed(replies.ListedTokens)
    summaries = replies.token_summaries(typed.decode(body).data)
    kept = listing._WHM_TOKENS  # the WHM table's kept list: its msgpack encoder and decoder
    engine = engines["django"]
    rows = {
        "rows": [
            display.make_row(
                token,
                now=datetime.now(UTC),
                zone=ZoneInfo("UTC"),
                warning_days=7,
                urls=display.RowUrls(("/tokens/", "/edit/"), ("/tokens/", "/revoke/")),
            )
            for token in summaries[: display.PAGE_SIZE]
        ],
        "highlight": "",
        "edit_query": "",
        "notice_icon": "/static/icons.svg#notice",
    }
    loop, tag = engine.from_string(TEMPLATE_ROWS), engine.from_string(TAG_ROWS)
    return [
        (
            "Decode WHM's reply into the list the table reads",
            (
                "the whole reply as JSON values, then an ApiToken per token with its ACL set "
                "(what list_tokens() still does)"
            ),
            "the envelope with `data` straight into TokenSummary, ACL maps unread, one pass",
            lambda: replies.token_list(msgspec.json.decode(body)["data"]),
            lambda: replies.token_summaries(typed.decode(body).data),
        ),
        (
            "Keep the list for search and read it back",
            "pickle the ApiTokens, unpickle them (by the constructor, as ApiToken.__reduce__ did)",
            "msgpack the TokenSummaries, decode them",
            lambda: _unpickled(pickle.dumps(_fields(tokens), pickle.HIGHEST_PROTOCOL)),
            lambda: kept._decoder.decode(kept._encoder.encode(summaries)),
        ),
        (
            "Write the page's 50 rows",
            "a `{% for %}` loop in the template language",
            "`{% token_rows %}`: one `str.format` per row",
            lambda: loop.render(rows),
            lambda: tag.render(rows),
        ),
    ]


def _fields(tokens: list[Any]) -> list[tuple[Any, ...]]:
    return [(t.name, t.created, t.expires, t.acls, t.whitelist_ips) for t in tokens]


def _unpickled(data: bytes) -> list[Any]:
    from tokenui.whm.types import ApiToken

    return [ApiToken(*fields) for fields in pickle.loads(data)]  # noqa: S301 - our own bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="demo-root-pass")
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    url = next(iter(settings.WHM_SERVERS.values()))
    body = _reply(url, settings.WHM_CA_BUNDLE or None, args.user, args.password)
    results = []
    for step, before_text, after_text, before, after in steps(body):
        times: dict[str, list[float]] = {"before": [], "after": []}
        for round_ in range(args.rounds + 2):
            order = [("before", before), ("after", after)]
            for name, run in order if round_ % 2 else order[::-1]:
                gc.collect()
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
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
                "saved_ms": round(before_ms - after_ms, 2),
                "ratio": round(after_ms / before_ms, 3) if before_ms else None,
            }
        )
    print(json.dumps({"reply_bytes": len(body), "rounds": args.rounds, "steps": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
