"""A token secret is shown once and kept nowhere: not in the database, cache, session or logs."""

from __future__ import annotations

import contextlib
import logging
import pickle
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client

from tests.helpers import DEMO_ROOT, own_cache_values, sign_in_data
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

LOGGERS = ("", "django", "django.template", "tokenui", "tokenui.whm", "httpx", "httpcore")


def database_dump() -> str:
    """Every row of every table as text, with sessions decoded (their data is signed base64)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.append(repr(cursor.fetchall()))
    parts += [repr(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(parts)


def cache_dump() -> str:
    """Every value in the cache, whichever backend the suite runs on."""
    backend = caches["default"]
    if not isinstance(backend, LocMemCache | RedisCache):
        pytest.fail(f"no dump for cache backend {type(backend).__name__}")
    raw = own_cache_values()
    values = []
    for value in raw:
        values.append(repr(value))
        # A value that is not a pickle is still searched raw, above.
        with contextlib.suppress(Exception):
            values.append(repr(pickle.loads(value)))  # noqa: S301 - our own test cache
    return "\n".join(values)


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    # DEBUG everywhere, including the HTTP libraries: nothing may leak even at the chattiest level.
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_generated_secret_is_kept_nowhere(
    client: Client, whm: Simulator, every_log_line: pytest.LogCaptureFixture
) -> None:
    client.post("/sign-in/", sign_in_data(*DEMO_ROOT))
    shown = client.post(
        "/tokens/new/",
        {"name": "scan-me", "expiry": "never", "acls": ["list-accts"], "whitelist_ips": ""},
    )
    secret = re.search(r'id="secret"[^>]*value="([A-Z0-9]{32})"', shown.text).group(1)
    assert "no-store" in shown["Cache-Control"]

    # Every page the user might visit next.
    visited = [
        client.get(url).text
        for url in (
            "/tokens/?highlight=scan-me",
            "/tokens/?q=scan",
            "/tokens/scan-me/edit/",
            "/tokens/scan-me/revoke/",
            "/tokens/new/",
        )
    ]
    visited.append(client.get("/tokens/", headers={"HX-Request": "true"}).text)
    for page in visited:
        assert secret not in page

    assert secret not in database_dump()
    assert secret not in cache_dump()
    assert secret not in repr(dict(client.session.items()))
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in every_log_line.records
    )
    assert every_log_line.records, "the flow should have logged something to scan"
    assert secret not in logged
    # The same holds for the credential the user signed in with.
    password = DEMO_ROOT[1]
    assert password not in logged
    assert password not in database_dump()
    assert password not in cache_dump()


def test_token_used_to_sign_in_is_kept_only_encrypted(
    client: Client, whm: Simulator, every_log_line: pytest.LogCaptureFixture
) -> None:
    secret = whm.store.add_token(
        "root", "login-token", acls=("all",), create_time=1_700_000_000, expires_at=None
    )
    client.post("/sign-in/", sign_in_data("root", secret, token=True))
    assert client.get("/tokens/").status_code == 200
    assert secret not in database_dump()
    assert secret not in cache_dump()
    assert all(secret not in r.getMessage() for r in every_log_line.records)
