"""Two runs of this suite on one machine, or one run's xdist workers, never meet: each test
process has its own test database, its own background tasks' queue, and keeps its cache keys
under a prefix of its own (tests/settings.py), and clears only those (tests.helpers.clear_cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.environment import clean_environment
from tests.helpers import clear_cache

BASE_DIR = Path(__file__).resolve().parent.parent
# Another run, reduced to what matters here (the suite's settings; the cache needs no apps): it
# caches a value under the name this test uses, and says under which key that went and which
# test database it would create.
ANOTHER_RUN = """
import json
from django.conf import settings
from django.core.cache import cache
cache.set("probe", "theirs", 60)
database = settings.DATABASES["default"]
test_db = database.get("TEST", {}).get("NAME") or "test_" + database["NAME"]  # Django's default
queue = settings.TASK_QUEUE
print(json.dumps({"key": cache.make_key("probe"), "test_db": test_db, "queue": queue}))
"""


@pytest.fixture(scope="module")
def another_run() -> Iterator[dict[str, str]]:
    """Another run, on the same DATABASE_URL and CACHE_URL as this one; its key is deleted
    afterwards (and expires in a minute regardless)."""
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="tests.settings",
        **{name: os.environ[name] for name in ("DATABASE_URL", "CACHE_URL") if name in os.environ},
    )
    run = _run(env)
    yield run
    if _on_redis():
        with _redis() as client:
            client.delete(run["key"])


def _run(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", ANOTHER_RUN],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _on_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


def test_each_run_has_cache_keys_and_a_test_database_of_its_own(
    another_run: dict[str, str], db: None
) -> None:
    assert cache.make_key("probe") != another_run["key"]
    assert connection.settings_dict["NAME"] != another_run["test_db"]
    assert another_run["queue"] != settings.TASK_QUEUE


def test_a_run_neither_reads_nor_clears_another_runs_keys_on_a_shared_redis(
    another_run: dict[str, str],
) -> None:
    if not _on_redis():
        message = "the suite's cache is not Redis (CACHE_URL), so no other run can share it"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: in CI it is, and this test must run.")
        pytest.skip(f"{message}; .ci/run sets CACHE_URL=redis://…")
    assert cache.get("probe") is None  # theirs, under the same name, is not ours to read
    cache.set("probe", "ours", 60)
    clear_cache()
    assert cache.get("probe") is None
    # Neither overwritten by our set nor deleted by our clear.
    with _redis() as client:
        assert client.exists(another_run["key"]) == 1
