"""Each step of issue 16's item 9 (the fixed cost of a request), before and after, in one process.

A step saves tens to hundreds of microseconds a request: far below what an end-to-end figure
can show on a shared machine. Here both versions of a step run in the same process, on the same
session and database, interleaved round by round, each a batch of REPS requests' worth. The
*before* code is kept below as it was. Run by bench.run in a subprocess with the saturation
stack's environment (SQLite, Redis); prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

_FERNETS: dict[str, Any] = {}
ROUNDS = 15
REPS = 200  # operations per timed batch


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenui.settings")
    import django

    django.setup()


# --- The code before each step, as it was ----------------------------------------------------
def _open_twice(session: Any) -> object:
    """credentials.load before: decrypted by MultiFernet, then again to see which key sealed it
    (the keys derived as credentials.py derives them)."""
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from django.conf import settings

    from tokenui.sessions import credentials

    if settings.SECRET_KEY not in _FERNETS:
        info = b"tokenui: WHM credential at rest, v1"
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
        key = base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))
        _FERNETS[settings.SECRET_KEY] = Fernet(key)
    current = _FERNETS[settings.SECRET_KEY]
    sealed = session[credentials.SESSION_KEY]["sealed"].encode("ascii")
    payload = json.loads(MultiFernet([current]).decrypt(sealed))
    with contextlib.suppress(InvalidToken):
        current.decrypt(sealed)
    return payload


def _marks_by_queryset(server: str, user: str, shown: dict[str, Any]) -> list[Any]:
    """rotation.successors' query before: a queryset built at every request, in a savepoint."""
    from django.db import transaction

    from tokenui.audit.models import Action, AuditEvent, Outcome, Service

    events = AuditEvent.objects.filter(
        action=Action.ROTATE, server=server, account="", outcome=Outcome.SUCCEEDED
    )
    events = events.filter(whm_user=user, service=Service.WHM)
    events = events.filter(at__gte=min(shown.values())).order_by("at")
    with transaction.atomic():
        return list(events.values_list("at", "token_names"))


# --- The steps -------------------------------------------------------------------------------
def steps() -> list[tuple[str, str, str, Callable[[], object], Callable[[], object]]]:
    """(step, before, after, run before, run after), each run one request's worth."""
    from django.conf import settings
    from django.contrib.sessions.backends import cached_db, db
    from django.db import connection
    from django.utils import timezone

    from tokenui.audit import rotations as rotation
    from tokenui.sessions import credentials
    from tokenui.whm.types import Credential

    server = next(iter(settings.WHM_SERVERS))
    store = db.SessionStore()
    credential = Credential(user="ops", secret=secrets.token_urlsafe(18), kind="password")
    credentials.store(store, server, credential, None)
    store.save()
    key = store.session_key
    now = timezone.now()
    shown = {f"token-{i}": now - timedelta(days=i) for i in range(50)}

    def session_new_connection() -> object:
        loaded = db.SessionStore(key).load()
        connection.close()  # CONN_MAX_AGE 0: Django closes it when the request ends
        return loaded

    from django.template import engines

    engine = engines["django"]
    twice = engine.from_string("{% url 'tokens:index' %} {% url 'tokens:index' %}")
    once = engine.from_string(
        "{% url 'tokens:index' as tokens_url %}{{ tokens_url }} {{ tokens_url }}"
    )
    found = [
        (
            "Read the session: the database connection",
            "a new SQLite connection for every request (CONN_MAX_AGE 0)",
            "the thread's connection kept (CONN_MAX_AGE 600)",
            session_new_connection,
            lambda: db.SessionStore(key).load(),
        ),
        (
            "Open the credential",
            "decrypted twice (to read it, then to see which key sealed it)",
            "decrypted once, under the current key first",
            lambda: _open_twice(store),
            lambda: credentials.load(store),
        ),
        (
            "Rotation marks (a user who never rotated)",
            "a queryset built at every request, in a savepoint",
            "one written SQL statement, a savepoint only inside a transaction",
            lambda: _marks_by_queryset(server, "ops", shown),
            lambda: rotation.successors(server=server, user="ops", listed=shown, shown=shown),
        ),
        (
            "The frame's links (base.html)",
            "the tokens page reversed twice (the brand and API Tokens)",
            "reversed once into a variable both links use",
            lambda: twice.render({}),
            lambda: once.render({}),
        ),
    ]
    if settings.SESSION_ENGINE.endswith("cached_db"):
        found.append(
            (
                "Read the session: where from (a shared cache configured)",
                "the database (sessions.backends.db), connection kept",
                "the shared cache first (sessions.backends.cached_db)",
                lambda: db.SessionStore(key).load(),
                lambda: cached_db.SessionStore(key).load(),
            )
        )
    return found


def _batch(run: Callable[[], object], reps: int) -> float:
    gc.collect()
    started = time.perf_counter()
    for _ in range(reps):
        run()
    return (time.perf_counter() - started) / reps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    _setup()
    results = []
    for step, before_text, after_text, before, after in steps():
        times: dict[str, list[float]] = {"before": [], "after": []}
        for round_ in range(args.rounds + 1):
            order = [("before", before), ("after", after)]
            for name, run in order if round_ % 2 else order[::-1]:
                elapsed = _batch(run, REPS)
                if round_:  # the first round warms up
                    times[name].append(elapsed)
        before_us = statistics.median(times["before"]) * 1e6
        after_us = statistics.median(times["after"]) * 1e6
        results.append(
            {
                "step": step,
                "before": before_text,
                "after": after_text,
                "before_us": round(before_us, 1),
                "after_us": round(after_us, 1),
                "saved_us": round(before_us - after_us, 1),
                "ratio": round(after_us / before_us, 3) if before_us else None,
            }
        )
    print(json.dumps({"rounds": args.rounds, "reps": REPS, "steps": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
