"""The settings module: defaults, .env reading, and a clear failure naming each bad variable."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.environment import VARIABLES, clean_environment

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "tokenui" / "settings.py"
BASE_DIR = SETTINGS_FILE.parent.parent
GOOD = {"SECRET_KEY": "k" * 50, "WHM_URL": "https://whm.example.com:2087"}


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch):
    """Run settings.py afresh with exactly the given environment; return its namespace."""

    def _load(env_file: str = "", **env: str) -> dict[str, object]:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("TOKENUI_ENV_FILE", env_file)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        before = dict(os.environ)
        try:
            return runpy.run_path(str(SETTINGS_FILE))
        finally:
            # read_env writes into os.environ directly; put it back as it was.
            for name in set(os.environ) - set(before):
                del os.environ[name]

    return _load


def test_defaults_are_safe(load) -> None:
    ns = load(**GOOD)
    assert ns["DEBUG"] is False
    assert ns["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert ns["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert ns["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert ns["WHM_SERVERS"] == {"whm.example.com": "https://whm.example.com:2087"}
    assert ns["WHM_EMBEDDED_SIMULATOR"] is False
    assert ns["WHM_VERIFY_TLS"] is True
    assert ns["WHM_CA_BUNDLE"] == ""
    assert ns["WHM_TIMEOUT"] == 15.0
    assert ns["WHM_TIME_ZONE"] == "UTC"
    assert ns["CPANEL_PORT"] == 2083
    assert ns["EXPIRY_WARNING_DAYS"] == 7
    assert ns["SESSION_COOKIE_AGE"] == 30 * 60
    assert ns["SECRET_KEY_FALLBACKS"] == []
    assert ns["AUDIT_RETENTION_DAYS"] == 365


def test_reads_every_documented_variable(load, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not parsed here")
    ns = load(
        **GOOD,
        DEBUG="true",
        ALLOWED_HOSTS="tokens.example.com,admin.example.com",
        DATABASE_URL="postgres://tokenui@127.0.0.1:5432/tokenui",
        CACHE_URL="redis://127.0.0.1:6379/1",
        WHM_VERIFY_TLS="false",
        WHM_CA_BUNDLE=str(ca),
        WHM_TIMEOUT="2.5",
        WHM_TIME_ZONE="America/Chicago",
        CPANEL_PORT="12083",
        EXPIRY_WARNING_DAYS="14",
        SESSION_IDLE_MINUTES="5",
        SECRET_KEY_FALLBACKS="old-key-one,old-key-two",
        AUDIT_RETENTION_DAYS="90",
    )
    assert ns["DEBUG"] is True
    assert ns["ALLOWED_HOSTS"] == ["tokens.example.com", "admin.example.com"]
    assert ns["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert ns["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert ns["WHM_VERIFY_TLS"] is False
    assert ns["WHM_CA_BUNDLE"] == str(ca)
    assert ns["WHM_TIMEOUT"] == 2.5
    assert ns["WHM_TIME_ZONE"] == "America/Chicago"
    assert ns["CPANEL_PORT"] == 12083
    assert ns["EXPIRY_WARNING_DAYS"] == 14
    assert ns["SESSION_COOKIE_AGE"] == 5 * 60
    assert ns["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]
    assert ns["AUDIT_RETENTION_DAYS"] == 90


def test_whm_servers_lists_several_named_servers_in_order(load) -> None:
    ns = load(
        SECRET_KEY=GOOD["SECRET_KEY"],
        WHM_SERVERS="main=https://whm1.example.com:2087, eu=https://whm2.example.com:2087",
    )
    assert ns["WHM_SERVERS"] == {
        "main": "https://whm1.example.com:2087",
        "eu": "https://whm2.example.com:2087",
    }


def test_debug_without_a_server_uses_the_embedded_simulator_with_its_ca(load) -> None:
    ns = load(SECRET_KEY=GOOD["SECRET_KEY"], DEBUG="true")
    assert ns["WHM_EMBEDDED_SIMULATOR"] is True
    assert ns["WHM_SERVERS"] == {"simulator": "https://127.0.0.1:2087"}
    # TLS stays verified in the demo: against the simulator's own CA.
    assert ns["WHM_VERIFY_TLS"] is True
    assert ns["WHM_CA_BUNDLE"] == str(BASE_DIR / "var" / "simulator" / "ca.pem")


def test_env_file_is_read_and_the_real_environment_wins(load, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"SECRET_KEY={'f' * 40}\nWHM_URL=https://from-file.example.com:2087\nWHM_TIMEOUT=3\n"
    )
    ns = load(env_file=str(env_file), WHM_TIMEOUT="7")
    assert ns["SECRET_KEY"] == "f" * 40
    assert ns["WHM_SERVERS"] == {"from-file.example.com": "https://from-file.example.com:2087"}
    assert ns["WHM_TIMEOUT"] == 7.0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"WHM_URL": ""}, "WHM_URL"),
        ({"WHM_URL": "whm.example.com"}, "WHM_URL"),
        ({"WHM_URL": "ftp://whm.example.com"}, "WHM_URL"),
        ({"WHM_URL": "https://whm.example.com:2087/json-api"}, "WHM_URL"),
        ({"WHM_URL": "https://whm.example.com:99999"}, "WHM_URL"),
        ({"WHM_URL": "http://whm.example.com:2086"}, "WHM_URL"),
        ({"WHM_SERVERS": "main=https://a.example.com:2087"}, "WHM_SERVERS"),
        ({"WHM_URL": "", "WHM_SERVERS": "https://a.example.com:2087"}, "WHM_SERVERS"),
        ({"WHM_URL": "", "WHM_SERVERS": "a=https://a.example.com,a=https://b.example.com"}, "a"),
        ({"WHM_URL": "", "WHM_SERVERS": "main=nonsense"}, "WHM_SERVERS"),
        ({"WHM_VERIFY_TLS": "sometimes"}, "WHM_VERIFY_TLS"),
        ({"WHM_CA_BUNDLE": "/nonexistent/ca.pem"}, "WHM_CA_BUNDLE"),
        ({"WHM_TIMEOUT": "fast"}, "WHM_TIMEOUT"),
        ({"WHM_TIMEOUT": "0"}, "WHM_TIMEOUT"),
        ({"WHM_TIMEOUT": "-1"}, "WHM_TIMEOUT"),
        ({"WHM_TIME_ZONE": "Mars/Olympus_Mons"}, "WHM_TIME_ZONE"),
        ({"CPANEL_PORT": "cpanel"}, "CPANEL_PORT"),
        ({"CPANEL_PORT": "0"}, "CPANEL_PORT"),
        ({"CPANEL_PORT": "65536"}, "CPANEL_PORT"),
        ({"EXPIRY_WARNING_DAYS": "soon"}, "EXPIRY_WARNING_DAYS"),
        ({"EXPIRY_WARNING_DAYS": "-1"}, "EXPIRY_WARNING_DAYS"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"CACHE_URL": "nosuchcache://x"}, "CACHE_URL"),
        ({"WHM_SIMULATOR_PORT": "http"}, "WHM_SIMULATOR_PORT"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES"),
        ({"HTTPS": "yes please"}, "HTTPS"),
        ({"TRUSTED_PROXY_COUNT": "9"}, "TRUSTED_PROXY_COUNT"),
        ({"CSRF_TRUSTED_ORIGINS": "tokens.example.com"}, "CSRF_TRUSTED_ORIGINS"),
        ({"CSRF_TRUSTED_ORIGINS": "https://tokens.example.com/tokens/"}, "CSRF_TRUSTED_ORIGINS"),
        ({"CSRF_TRUSTED_ORIGINS": "https://[::1:8443"}, "CSRF_TRUSTED_ORIGINS"),
        ({"CSRF_TRUSTED_ORIGINS": "https://tokens.example.com:port"}, "CSRF_TRUSTED_ORIGINS"),
        ({"SESSION_IDLE_MINUTES": "half an hour"}, "SESSION_IDLE_MINUTES"),
        ({"WHM_URL": "https://[::1:2087"}, "WHM_URL"),
        ({"WHM_URL": "https://whm.example.com:port"}, "WHM_URL"),
        ({"WHM_URL": "", "WHM_SERVERS": "main=https://[::1:2087"}, "WHM_SERVERS"),
        ({"DATABASE_URL": "postgres://u:pw@[::1/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://u:pw@db.example.com:xx/db"}, "DATABASE_URL"),
        ({"CACHE_URL": "redis://host:xx/0"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://host:99999/0"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://a.example.com:6379,b.example.com:xx/0"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://[::1/0"}, "CACHE_URL"),
        ({"AUDIT_RETENTION_DAYS": "a year"}, "AUDIT_RETENTION_DAYS"),
        ({"AUDIT_RETENTION_DAYS": "0"}, "AUDIT_RETENTION_DAYS"),
        ({"TASK_BACKEND": "celery"}, "TASK_BACKEND"),
        ({"TASK_BACKEND": "rq"}, "REDIS_URL"),  # no Redis named anywhere
        ({"TASK_BACKEND": "rq", "REDIS_URL": "redis://host:xx/0"}, "REDIS_URL"),
        ({"TASK_QUEUE": "two words"}, "TASK_QUEUE"),
        ({"INVENTORY_MINUTES": "0"}, "INVENTORY_MINUTES"),
        ({"SERVICE_ROTATE_DAYS": "0"}, "SERVICE_ROTATE_DAYS"),
        ({"SERVICE_ROTATE_DAYS": "90"}, "SERVICE_ROTATE_DAYS"),  # as long as a token lives
        ({"SERVICE_TOKEN_DAYS": "10"}, "SERVICE_ROTATE_DAYS"),  # shorter than the default 14
        ({"INVENTORY_CONCURRENCY": "100"}, "INVENTORY_CONCURRENCY"),
        ({"INVENTORY_KEEP_DAYS": "0"}, "INVENTORY_KEEP_DAYS"),
    ],
)
def test_invalid_or_missing_setting_fails_naming_the_variable(
    load, env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        load(**{**GOOD, **env})


PASSWORD = "Hunter2-s3cret"


@pytest.mark.parametrize(
    "env",
    [
        {"WHM_URL": f"https://root:{PASSWORD}@whm.example.com:2087"},
        {"WHM_URL": f"https://root:{PASSWORD}@[::1:2087"},
        {"WHM_URL": f"https://root:{PASSWORD}@whm.example.com:2087/json-api"},
        {"WHM_URL": f"http://root:{PASSWORD}@whm.example.com:2086"},
        # An unescaped "/" ends the host part early: urlsplit would see no userinfo at all.
        {"WHM_URL": f"https://root:{PASSWORD}/x@whm.example.com:2087"},
        {"WHM_URL": f"root:{PASSWORD}@whm.example.com:2087"},
        {"WHM_URL": "", "WHM_SERVERS": f"main https://root:{PASSWORD}@whm.example.com:2087"},
        {"WHM_URL": "", "WHM_SERVERS": f"main=https://root:{PASSWORD}@whm.example.com:2087"},
        {"DATABASE_URL": f"postgres://tokenui:{PASSWORD}@[::1/tokenui"},
        {"DATABASE_URL": f"postgres://tokenui:{PASSWORD}/x@db.example.com/tokenui"},
        {"DATABASE_URL": f"postgres://tokenui:{PASSWORD}@db.example.com:xx/tokenui"},
        {"CACHE_URL": f"redis://default:{PASSWORD}/x@cache.example.com:6379/0"},
        {"CACHE_URL": f"redis://default:{PASSWORD}@cache.example.com:xx/0"},
    ],
    ids=repr,
)
def test_an_invalid_url_setting_never_shows_its_password(load, env: dict[str, str]) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        load(**{**GOOD, **env})

    variable = next(name for name, value in env.items() if value)
    assert variable in str(caught.value)
    # Nor in the traceback manage.py prints, with any parser error it chains.
    shown = "".join(traceback.format_exception(caught.value))
    assert PASSWORD not in shown


def test_plain_http_is_allowed_to_this_machine_only(load) -> None:
    ns = load(**{**GOOD, "WHM_URL": "http://127.0.0.1:2086"})
    assert ns["WHM_SERVERS"] == {"127.0.0.1": "http://127.0.0.1:2086"}


def test_manage_py_refuses_to_start_and_names_the_variable() -> None:
    env = clean_environment(SECRET_KEY="k" * 50, DEBUG="false")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "WHM_URL is not set" in result.stderr


def test_a_django_log_record_is_printed_once_with_debug_on() -> None:
    # Django's default config gave "django" a console handler of its own under DEBUG, beside the
    # root's: every django.* line (a worker's "Task id=…" under make run) came out twice.
    env = clean_environment(**{**GOOD, "DEBUG": "true"})
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.tasks').info('Task id=%s state=%s', 'abc', 'RUNNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "tokenui.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Task id=abc state=RUNNING") == 1, result.stderr


PRODUCTION = {
    "SECRET_KEY": "p" * 20 + "-production-secret-key-0123456789abcdef",
    "DEBUG": "false",
    "HTTPS": "true",
    "ALLOWED_HOSTS": "tokens.example.com",
    "WHM_URL": "https://whm.example.com:2087",
}


def test_csrf_trusted_origins_are_read_as_a_list(load) -> None:
    ns = load(
        **GOOD, CSRF_TRUSTED_ORIGINS="https://tokens.example.com:8443,https://tokens.internal"
    )
    assert ns["CSRF_TRUSTED_ORIGINS"] == [
        "https://tokens.example.com:8443",
        "https://tokens.internal",
    ]
    assert load(**GOOD)["CSRF_TRUSTED_ORIGINS"] == []


def test_https_turns_on_secure_cookies_hsts_and_the_redirect(load) -> None:
    ns = load(**PRODUCTION)
    assert ns["SESSION_COOKIE_SECURE"] is True
    assert ns["CSRF_COOKIE_SECURE"] is True
    assert ns["SECURE_SSL_REDIRECT"] is True
    assert ns["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert ns["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert ns["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$"]  # the probe is answered over HTTP too


def test_the_documented_production_settings_pass_check_deploy() -> None:
    env = clean_environment(**PRODUCTION)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_variable_the_settings_read_is_known_to_the_tests_and_documented() -> None:
    source = (BASE_DIR / "tokenui" / "settings.py").read_text()
    read = set(re.findall(r'(?:_read|_flag|_service)\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^#?([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))

    assert read == set(VARIABLES)  # so no test's subprocess inherits one from the shell
    assert read <= documented


DEMO = '[["root", "demo-root-pass"], ["reseller", "demo-reseller-pass"], ["acme", "a", "cpanel"]]'


def test_demo_users_are_read_only_for_the_embedded_simulator(load) -> None:
    assert load(SECRET_KEY=GOOD["SECRET_KEY"], DEBUG="true")["DEMO_SIGN_IN"] == ()
    embedded = load(SECRET_KEY=GOOD["SECRET_KEY"], DEBUG="true", TOKENUI_DEMO_SIGN_IN=DEMO)
    assert embedded["WHM_EMBEDDED_SIMULATOR"] is True
    assert embedded["DEMO_SIGN_IN"] == (
        ("root", "demo-root-pass", "whm"),
        ("reseller", "demo-reseller-pass", "whm"),
        ("acme", "a", "cpanel"),
    )
    # A real WHM's sign-in page never offers them, whatever the environment says.
    assert load(**GOOD, DEBUG="true", TOKENUI_DEMO_SIGN_IN=DEMO)["DEMO_SIGN_IN"] == ()


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("locmemcache://", "django.contrib.sessions.backends.db"),
        ("filecache:///tmp/tokenui-cache", "django.contrib.sessions.backends.db"),
        ("redis://127.0.0.1:6379/1", "tokenui.sessions.store"),
        ("pymemcache://127.0.0.1:11211", "tokenui.sessions.store"),
    ],
)
def test_sessions_are_read_through_a_cache_only_when_every_worker_shares_it(
    load, cache_url: str, engine: str
) -> None:
    assert load(**GOOD, CACHE_URL=cache_url)["SESSION_ENGINE"] == engine


def test_database_connections_are_kept_unless_the_url_says_otherwise(load) -> None:
    kept = load(**GOOD)["DATABASES"]["default"]
    assert (kept["CONN_MAX_AGE"], kept["CONN_HEALTH_CHECKS"]) == (600, True)
    url = "postgres://tokenui@127.0.0.1:5432/tokenui?conn_max_age=0"
    assert load(**GOOD, DATABASE_URL=url)["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_a_redis_cache_urls_key_prefix_reaches_django(load) -> None:
    cache = load(**GOOD, CACHE_URL="redis://127.0.0.1:6379/3?key_prefix=ci-run-7&timeout=30")
    default = cache["CACHES"]["default"]
    assert (default["KEY_PREFIX"], default["TIMEOUT"]) == ("ci-run-7", 30)
    assert "key_prefix" not in default


OIDC = {
    "OIDC_ISSUER": "https://sso.example.com/realms/staff/",
    "OIDC_CLIENT_ID": "tokenui",
    "OIDC_CLIENT_SECRET": "s3cret",
}


def test_single_sign_on_is_on_with_its_three_settings(load) -> None:
    assert load(**GOOD)["OIDC_ENABLED"] is False
    loaded = load(**GOOD, **OIDC)
    assert loaded["OIDC_ENABLED"] is True
    assert loaded["OIDC_ISSUER"] == "https://sso.example.com/realms/staff"  # no trailing /
    assert loaded["OIDC_GROUPS_CLAIM"] == "groups"


@pytest.mark.parametrize("missing", sorted(OIDC))
def test_single_sign_on_refuses_to_start_half_configured(load, missing: str) -> None:
    given = {name: value for name, value in OIDC.items() if name != missing}
    with pytest.raises(ImproperlyConfigured, match=f"needs {missing}"):
        load(**GOOD, **given)


def test_single_sign_on_refuses_a_plain_http_issuer_elsewhere_than_this_machine(load) -> None:
    with pytest.raises(ImproperlyConfigured, match="OIDC_ISSUER"):
        load(**GOOD, **{**OIDC, "OIDC_ISSUER": "http://sso.example.com"})
    assert load(**GOOD, **{**OIDC, "OIDC_ISSUER": "http://localhost:9000"})["OIDC_ENABLED"]


def test_demo_staff_are_read_only_for_the_embedded_simulator(load) -> None:
    staff = '[["admin", "pw-1"], ["viewer", "pw-2"]]'
    embedded = load(SECRET_KEY=GOOD["SECRET_KEY"], DEBUG="true", TOKENUI_DEMO_STAFF=staff)
    assert embedded["DEMO_STAFF"] == (("admin", "pw-1"), ("viewer", "pw-2"))
    assert load(**GOOD, DEBUG="true", TOKENUI_DEMO_STAFF=staff)["DEMO_STAFF"] == ()


def test_tasks_run_on_the_database_unless_rq_is_chosen(load) -> None:
    ns = load(**GOOD)
    assert ns["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert ns["TASKS"]["default"]["QUEUES"] == ["tokenui"]
    assert ns["INVENTORY_MINUTES"] == 15
    assert ns["SERVICE_ROTATE_DAYS"] == 14
    assert "django_rq" not in ns["INSTALLED_APPS"]


def test_rq_takes_the_redis_of_cache_url_unless_redis_url_names_one(load) -> None:
    ns = load(**GOOD, TASK_BACKEND="rq", CACHE_URL="redis://cache.example.com:6379/0")
    assert ns["TASKS"]["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert ns["RQ_QUEUES"] == {"tokenui": {"URL": "redis://cache.example.com:6379/0"}}
    assert "django_rq" in ns["INSTALLED_APPS"]

    ns = load(**GOOD, TASK_BACKEND="rq", TASK_QUEUE="eu", REDIS_URL="redis://q.example.com:6379/2")
    assert ns["RQ_QUEUES"] == {"eu": {"URL": "redis://q.example.com:6379/2"}}
