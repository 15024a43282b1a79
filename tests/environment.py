"""The environment of an app process a test starts: the real one without any of the app's
settings, so that neither the developer's shell, nor .env, nor CI's variables leak into it."""

from __future__ import annotations

import os

# Every variable tokenui/settings.py reads (tests/test_settings.py checks each one).
VARIABLES = (
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CACHE_URL",
    "WHM_URL",
    "WHM_SERVERS",
    "WHM_VERIFY_TLS",
    "WHM_CA_BUNDLE",
    "WHM_TIMEOUT",
    "WHM_TIME_ZONE",
    "CPANEL_PORT",
    "WHM_SIMULATOR_PORT",
    "WHM_SIMULATOR_DIR",
    "EXPIRY_WARNING_DAYS",
    "SECRET_KEY_FALLBACKS",
    "SESSION_IDLE_MINUTES",
    "HTTPS",
    "HSTS_INCLUDE_SUBDOMAINS",
    "TRUSTED_PROXY_COUNT",
    "CSRF_TRUSTED_ORIGINS",
    "AUDIT_RETENTION_DAYS",
    "SERVICE_KEYS",
    "SERVICE_KEYS_DIR",
    "SERVICE_IP_ALLOWLIST",
    "SERVICE_TOKEN_DAYS",
    "SERVICE_ROTATE_DAYS",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_GROUPS_CLAIM",
    "TASK_BACKEND",
    "TASK_QUEUE",
    "REDIS_URL",
    "INVENTORY_MINUTES",
    "INVENTORY_CONCURRENCY",
    "INVENTORY_KEEP_DAYS",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "NOTICE_HOUR",
    "SITE_URL",
    "NOTICE_RETRY_SECONDS",
    "WEBHOOK_ALLOW_PRIVATE",
)
# Set for the test process itself, or by a developer's shell, and wrong for another process.
NOT_PASSED_ON = frozenset(
    {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "GUNICORN_CMD_ARGS",
        "TOKENUI_DEMO_SIGN_IN",  # set by rundashboard for its server (a test inside `make run`)
        "TOKENUI_DEMO_STAFF",  # the same, for the demo staff users
    }
)


def clean_environment(**settings: str) -> dict[str, str]:
    """The real environment less the app's settings, no .env, unbuffered output, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in VARIABLES and name not in NOT_PASSED_ON
    }
    env.update(TOKENUI_ENV_FILE="", PYTHONUNBUFFERED="1", **settings)
    return env
