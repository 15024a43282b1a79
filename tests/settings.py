"""Settings for the test suite: the real settings module, fed a fixed test environment.

The developer's .env is not read (TOKENUI_ENV_FILE=""), so a real WHM named there can never be
reached by a test. DATABASE_URL and CACHE_URL from the real environment are honoured: that is how
the suite runs against PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets

os.environ["TOKENUI_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks")
os.environ.setdefault("DEBUG", "false")
# A placeholder: tests that talk to WHM point the app at their own simulator.
os.environ.setdefault("WHM_URL", "https://127.0.0.1:9")
# A fixed key for connected servers' service tokens (tests/servers/ swap in others to rotate).
os.environ.setdefault("SERVICE_KEYS", "test-1:" + "VGVzdCBrZXkgZm9yIFRva2VuVUkncyB0ZXN0IHN1aXQ=")

# The background tasks' queue, of this process's own as its cache keys are (below): two runs on one
# Redis never take each other's tasks. TEST_TASK_QUEUE: the one queue of the worker processes a
# test starts, which take what that test asks for.
os.environ["TASK_QUEUE"] = os.environ.get("TEST_TASK_QUEUE") or (
    f"tokenui-test-{os.getpid()}-{secrets.token_hex(4)}"
)

from tokenui.settings import *  # noqa: F403

# Static files straight from the finders: the hashed manifest exists only after collectstatic.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # nothing is collected in tests; whitenoise serves from the finders
WHITENOISE_USE_FINDERS = True

# Staff passwords (the break-glass admin's) hashed with a fast hasher: Django's default PBKDF2 runs
# 1.2 million rounds, about 1 s of CPU per hash on the shared 2-core machine, for each user a test
# makes with a password and each sign-in that checks one. What the tests prove (a password is
# stored hashed, checked, refused when wrong, throttled) does not depend on the rounds; production
# keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# SQLite's test database is a file, not Django's shared in-memory database: the browser tests'
# live server answers from several threads at once, and the in-memory database is one connection
# shared by all of them, which SQLite refuses under load ("bad parameter or other API misuse").
# One database per test process (a run, or each of its xdist workers, which pytest-django also
# suffixes _gw0, _gw1…), so that two runs side by side never share one; Django drops it after.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile
    from pathlib import Path

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"tokenui-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20  # noqa: F405
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # PostgreSQL: test_tokenui_<pid>, not the one test_tokenui that a second run would drop.
    _name = DATABASES["default"]["NAME"]  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{_name}_{os.getpid()}"}  # noqa: F405

# The cache's keys under a prefix of this process's own: on a Redis that two runs (or one run's
# workers) share, neither reads nor clears the other's keys (tests.helpers.clear_cache deletes
# only these; RedisCache.clear() would flush the whole database). TEST_KEY_PREFIX: the one
# prefix that several app processes a test starts share, as one deployment's instances do.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("TEST_KEY_PREFIX") or (  # noqa: F405
    f"tokenui-test-{os.getpid()}-{secrets.token_hex(4)}"
)
