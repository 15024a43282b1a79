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
