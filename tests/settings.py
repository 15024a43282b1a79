"""Settings for the test suite: the real settings module, fed a fixed test environment.

The developer's .env is not read (TOKENUI_ENV_FILE=""), so a real WHM named there can never be
reached by a test. DATABASE_URL and CACHE_URL from the real environment are honoured: that is how
the suite runs against PostgreSQL and Redis.
"""

from __future__ import annotations

import os

os.environ["TOKENUI_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks")
os.environ.setdefault("DEBUG", "false")
# A placeholder: tests that talk to WHM point the app at their own simulator.
os.environ.setdefault("WHM_URL", "https://127.0.0.1:9")

from tokenui.settings import *  # noqa: F403

# Static files straight from the finders: the hashed manifest exists only after collectstatic.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # nothing is collected in tests; whitenoise serves from the finders
WHITENOISE_USE_FINDERS = True

# SQLite's test database is a file, not Django's shared in-memory database: the browser tests'
# live server answers from several threads at once, and the in-memory database is one connection
# shared by all of them, which SQLite refuses under load ("bad parameter or other API misuse").
# One file per test process, so two runs side by side never share it; Django removes it after.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile
    from pathlib import Path

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"tokenui-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20  # noqa: F405
