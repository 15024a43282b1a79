"""TokenUI's one settings module: all comes from the environment (and .env), checked at start."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import zoneinfo
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# .env is read when present; a variable already in the real environment wins over it.
# TOKENUI_ENV_FILE names another file, or "" for none (the test suite uses that).
_env_file = os.environ.get("TOKENUI_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file, overwrite=False)
# The .env file read ("" when none is): `make run` adds a demo service key to it.
ENV_FILE = _env_file if _env_file and Path(_env_file).is_file() else ""


def _read(name: str, cast: type, default: object = environ.Env.NOTSET) -> object:
    """Read one variable, turning a parse failure into a message that names the variable."""
    try:
        return env.get_value(name, cast=cast, default=default)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(f"{name} is not set; see .env.example.") from None
    except (ValueError, TypeError) as exc:
        raw = os.environ.get(name, "")
        raise ImproperlyConfigured(
            f"{name} has an invalid value {raw!r}: {exc}; see .env.example."
        ) from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo such as DEBUG=ture must not quietly mean False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"{name} has an invalid value {raw!r}: use true or false; see .env.example."
        )
    return value in _TRUE


def _shown(url: str) -> str:
    """`url` quoted for an error message, anything before an "@" blanked: a user:password."""
    # Split by hand, not by urlsplit: the URL may be too broken to parse, and a password with
    # an unescaped "/" or "#" would land in urlsplit's path or fragment, not in its userinfo.
    before, at, after = url.rpartition("@")
    if at:
        scheme, sep, _ = before.partition("://")
        url = f"{scheme}://***@{after}" if sep else f"***@{after}"
    return repr(url)


def _whm_url(name: str, url: str) -> str:
    """Check one WHM base URL: https, a host, no path; plain http only to this machine."""
    url = url.strip()
    shown = _shown(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:  # "Invalid IPv6 URL" (an unclosed "["), or a port that is not a number
        raise ImproperlyConfigured(f"{name}: {shown} has an invalid host or port.") from None
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}: {shown} is not a URL like https://whm.example.com:2087."
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ImproperlyConfigured(
            f"{name}: {shown} must be only scheme, host and port (https://whm.example.com:2087)."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ImproperlyConfigured(
            f"{name}: {shown} would send WHM credentials unencrypted; use https:// "
            "(plain http is allowed only to this machine)."
        )
    return f"{parts.scheme}://{parts.netloc}"


# Cache backends whose URL names a place (in memory, a table, a directory), not hosts and ports.
_LOCAL_CACHES = frozenset({"dbcache", "dummycache", "filecache", "locmemcache"})


def _service(
    name: str,
    default: str,
    schemes: Collection[str],
    config: Callable[[str], dict[str, Any]],
    example: str,
) -> dict[str, Any]:
    """DATABASE_URL or CACHE_URL as Django's settings, its host and ports checked now: the
    database and cache are first used by a request, too late to name the variable."""
    url = str(_read(name, str, default=default)).strip()
    # No message shows the URL or a parser's words about it: it can hold a password.
    invalid = ImproperlyConfigured(
        f"{name} has an invalid host or port (percent-encode any / ? or # in a password); "
        + example
    )
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 address
        raise invalid from None
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(f"{name}: unknown scheme {parts.scheme!r}; {example}")
    try:
        if parts.scheme not in _LOCAL_CACHES:
            _check_ports(parts.netloc)
        return config(url)
    except (ImproperlyConfigured, ValueError, KeyError):
        raise invalid from None


def _check_ports(netloc: str) -> None:
    """Raise ValueError unless every host's port is a port number."""
    # Redis and memcached URLs may list several hosts; the cache client reads their ports only
    # when it first connects, so a typo such as redis://host:xx/0 would pass start-up.
    for host in netloc.rpartition("@")[2].split(","):
        urlsplit(f"//{host}").port  # noqa: B018 - raises ValueError on a bad port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _whm_servers() -> tuple[dict[str, str], bool]:
    """The WHM servers as {name: base URL}, and whether that is the embedded simulator."""
    url = str(_read("WHM_URL", str, default="")).strip()
    listed = str(_read("WHM_SERVERS", str, default="")).strip()
    if url and listed:
        raise ImproperlyConfigured(
            "Set either WHM_URL (one server) or WHM_SERVERS (several), not both."
        )
    if url:
        base = _whm_url("WHM_URL", url)
        return {urlsplit(base).hostname or "whm": base}, False
    servers = _listed_servers(listed)
    if servers:
        return servers, False
    if DEBUG:
        return {"simulator": f"https://127.0.0.1:{WHM_SIMULATOR_PORT}"}, True
    raise ImproperlyConfigured(
        "WHM_URL is not set: name your WHM server (https://whm.example.com:2087), or set "
        "WHM_SERVERS for several. Only DEBUG=true falls back to the embedded WHM simulator."
    )


def _listed_servers(listed: str) -> dict[str, str]:
    """WHM_SERVERS (NAME=URL, separated by commas or line breaks) as {name: base URL}."""
    servers: dict[str, str] = {}
    for item in listed.replace("\n", ",").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise ImproperlyConfigured(
                f"WHM_SERVERS: {_shown(item.strip())} is not NAME=URL "
                "(e.g. WHM_SERVERS=main=https://whm1.example.com:2087,"
                "eu=https://whm2.example.com:2087)."
            )
        if name in servers:
            raise ImproperlyConfigured(f"WHM_SERVERS names {name!r} twice.")
        servers[name] = _whm_url(f"WHM_SERVERS ({name})", value)
    return servers


# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
SECRET_KEY = _read("SECRET_KEY", str)
if len(str(SECRET_KEY)) < 32:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 32 random characters.")
# Earlier keys, still accepted while sessions and stored credentials move to the new one.
SECRET_KEY_FALLBACKS = list(_read("SECRET_KEY_FALLBACKS", list, default=[]))
DEBUG = _flag("DEBUG", default=False)
ALLOWED_HOSTS = list(_read("ALLOWED_HOSTS", list, default=["localhost", "127.0.0.1", "[::1]"]))
# Origins (scheme://host[:port]) whose form posts are accepted besides the dashboard's own: for
# a proxy that does not pass the browser's Host through, or serves it on a port of its own.
CSRF_TRUSTED_ORIGINS = list(_read("CSRF_TRUSTED_ORIGINS", list, default=[]))
for _origin in CSRF_TRUSTED_ORIGINS:
    try:
        _parts = urlsplit(_origin) if "://" in _origin else None
        _ = _parts and _parts.port  # a port that is no number raises ValueError
    except ValueError:
        _parts = None
    if _parts is None or _parts.scheme not in {"http", "https"} or not _parts.netloc:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS: {_origin!r} is not an origin such as "
            "https://tokens.example.com."
        )
    if _parts.path or _parts.query or _parts.fragment or "@" in _parts.netloc:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS: {_origin!r} must be only a scheme, host and port."
        )

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",  # staff accounts and groups (tokenui.staff)
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "tokenui.devserver",
    "tokenui.accounts",
    "tokenui.tokens",
    "tokenui.audit",
    "tokenui.servers",
    "tokenui.staff",
    "mozilla_django_oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",  # request.user: a staff member
    "tokenui.http.private_when_signed_in",  # inside sessions: it asks the session
    "tokenui.sessions.idle.keep_alive",  # inside sessions: it marks the session for saving
    "django.middleware.common.CommonMiddleware",
    "tokenui.http.refuse_forms_not_in_utf8",  # before CSRF, which reads the form
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tokenui.urls"
WSGI_APPLICATION = "tokenui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.messages.context_processors.messages",
                "tokenui.staff.nav.staff_nav",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Security headers: a strict CSP (no inline script or style anywhere), no framing, no sniffing
# ---------------------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS=true: the dashboard is served over HTTPS (normally by a reverse proxy that terminates TLS
# and sets X-Forwarded-Proto): secure cookies, HSTS, and a redirect from plain HTTP.
HTTPS = _flag("HTTPS", default=False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's plain-HTTP probe gets its 200
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    # Covers only hosts below the dashboard's own name, which should all be HTTPS anyway.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("HSTS_INCLUDE_SUBDOMAINS", default=True)
# HSTS preload lists public sites in browsers' built-in lists; an internal dashboard must not ask
# to be put there, so the deploy check's preload warning is a decision, not an oversight.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# How many reverse proxies in front append to X-Forwarded-For: the client address (sign-in
# throttle, audit trail) is read that many entries from the right. 0: use the socket's address.
TRUSTED_PROXY_COUNT = int(_read("TRUSTED_PROXY_COUNT", int, default=0))
if not 0 <= TRUSTED_PROXY_COUNT <= 5:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be between 0 and 5, not {TRUSTED_PROXY_COUNT}."
    )

# ---------------------------------------------------------------------------------------------
# Sessions: server-side (the cookie holds only the session key), cut off after idle minutes
# ---------------------------------------------------------------------------------------------
SESSION_IDLE_MINUTES = int(_read("SESSION_IDLE_MINUTES", int, default=30))
if not 1 <= SESSION_IDLE_MINUTES <= 24 * 60:
    raise ImproperlyConfigured(
        f"SESSION_IDLE_MINUTES must be between 1 and 1440, not {SESSION_IDLE_MINUTES}."
    )
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Each request pushes the idle deadline back, saving the session at most once a tenth of the
# idle time (a minute at most; tokenui.sessions.idle), not at every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "tokenui_session"
CSRF_COOKIE_NAME = "tokenui_csrftoken"
# Pages carry the CSRF token themselves (base.html gives it to htmx): no script needs the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------------------------------------
# Database and cache: SQLite and local memory embedded; PostgreSQL and Redis to scale out
# ---------------------------------------------------------------------------------------------
DATABASES = {
    "default": _service(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        environ.Env.DB_SCHEMES,
        env.db_url_config,
        "use sqlite:///PATH or postgres://USER@HOST:5432/NAME.",
    )
}
CACHES = {
    "default": _service(
        "CACHE_URL",
        "locmemcache://",
        environ.Env.CACHE_SCHEMES,
        env.cache_url_config,
        "use locmemcache:// or redis://HOST:6379/0.",
    )
}
# Sessions live in the database. With a cache every worker shares (Redis, memcached), they are
# also read from it (cached_db: written to both, deleted from both), sparing a database query on
# every request. Never in front of a per-process cache (locmem): a session signed out through
# one worker would stay readable in another worker's memory.
_SHARED_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
SESSION_ENGINE = (
    "tokenui.sessions.store"  # cached_db that survives its cache: see that module
    if CACHES["default"]["BACKEND"] in _SHARED_CACHES
    else "django.contrib.sessions.backends.db"
)
# Keep each worker thread's database connection across requests: every signed-in request reads
# its session from the database, and opening a connection for it (SQLite: the file, its pragmas)
# cost more than the read itself. A DATABASE_URL's own ?conn_max_age= wins; a connection that
# broke meanwhile (a PostgreSQL restart) is found by the health check and replaced.
DATABASES["default"].setdefault("CONN_MAX_AGE", 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# django-environ lower-cases every query option of a URL for Django's Redis backend, its own
# (?key_prefix=, ?timeout=, ?version=) too, which Django then ignores: a run sharing a Redis
# database with another through a prefix of its own would share keys with it.
for _option in ("KEY_PREFIX", "TIMEOUT", "VERSION", "KEY_FUNCTION"):
    if _option.lower() in CACHES["default"]:
        CACHES["default"][_option] = CACHES["default"].pop(_option.lower())
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # The dashboard and its workers (manage.py worker) write to one SQLite file. A transaction
    # that reads and then writes would otherwise fail at once with "database is locked" when
    # another process writes (SQLite cannot wait to upgrade a read lock): take the write lock
    # at BEGIN, where SQLite waits its timeout for it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Internationalisation: the app itself runs in UTC; WHM's times show in WHM_TIME_ZONE
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# English only, and nothing is marked for translation: without the translation machinery every
# template variable, date and form message skips a per-request language lookup. Formats are
# still LANGUAGE_CODE's (get_language() returns it), so nothing on a page changes.
USE_I18N = False
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static files (vendored: the dashboard runs on internal networks without a CDN)
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served by whitenoise: hashed names cached forever, compressed copies made at collectstatic.
# Under DEBUG (and in tests) files are served straight from the finders instead.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ---------------------------------------------------------------------------------------------
# WHM
# ---------------------------------------------------------------------------------------------
# Port of the embedded simulator that `make run` starts when no WHM server is configured.
WHM_SIMULATOR_PORT = int(_read("WHM_SIMULATOR_PORT", int, default=2087))
# Where the simulator keeps its state and its demo CA (ca.pem).
WHM_SIMULATOR_DIR = Path(str(_read("WHM_SIMULATOR_DIR", str, default=str(VAR_DIR / "simulator"))))
WHM_SERVERS, WHM_EMBEDDED_SIMULATOR = _whm_servers()
WHM_VERIFY_TLS = _flag("WHM_VERIFY_TLS", default=True)
WHM_CA_BUNDLE = str(_read("WHM_CA_BUNDLE", str, default="")).strip()
if WHM_CA_BUNDLE and not Path(WHM_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"WHM_CA_BUNDLE: {WHM_CA_BUNDLE!r} is not a readable file.")
if WHM_EMBEDDED_SIMULATOR and not WHM_CA_BUNDLE:
    # The simulator writes its demo CA here on first start; TLS stays verified against it.
    WHM_CA_BUNDLE = str(WHM_SIMULATOR_DIR / "ca.pem")
# The demo users the sign-in page shows, as [["user", "password"], ["user", "password",
# "cpanel"], …] in JSON (a third item "cpanel" marks a cPanel account; WHM otherwise): set only by
# `manage.py rundashboard` (make run) for the server it starts beside the embedded simulator,
# never by hand, and ignored unless the dashboard runs on that simulator, so a real WHM's
# sign-in page never shows any. The product itself never imports the simulator.
DEMO_SIGN_IN_VARIABLE = "TOKENUI_DEMO_SIGN_IN"
DEMO_SIGN_IN: tuple[tuple[str, str, str], ...] = ()  # (user, password, "whm" or "cpanel")
if WHM_EMBEDDED_SIMULATOR and os.environ.get(DEMO_SIGN_IN_VARIABLE):
    try:
        DEMO_SIGN_IN = tuple(
            (str(user), str(password), "cpanel" if service == ["cpanel"] else "whm")
            for user, password, *service in json.loads(os.environ[DEMO_SIGN_IN_VARIABLE])
        )
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"{DEMO_SIGN_IN_VARIABLE} is not a JSON list of [user, password] pairs; it is "
            "set by manage.py rundashboard, not by hand."
        ) from None
# The demo staff users (`make run`), as [["user", "password"], …] in JSON: shown on the sign-in
# page beside the WHM ones, under the same rule (set by rundashboard, only on the simulator).
DEMO_STAFF_VARIABLE = "TOKENUI_DEMO_STAFF"
DEMO_STAFF: tuple[tuple[str, str], ...] = ()
if WHM_EMBEDDED_SIMULATOR and os.environ.get(DEMO_STAFF_VARIABLE):
    try:
        DEMO_STAFF = tuple(
            (str(user), str(password))
            for user, password in json.loads(os.environ[DEMO_STAFF_VARIABLE])
        )
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"{DEMO_STAFF_VARIABLE} is not a JSON list of [user, password] pairs; it is set by "
            "manage.py rundashboard, not by hand."
        ) from None
WHM_TIMEOUT = float(_read("WHM_TIMEOUT", float, default=15.0))
if not 0 < WHM_TIMEOUT <= 300:
    raise ImproperlyConfigured(f"WHM_TIMEOUT must be between 0 and 300 seconds, not {WHM_TIMEOUT}.")
WHM_TIME_ZONE = str(_read("WHM_TIME_ZONE", str, default="UTC"))
# cPanel's port on each WHM server's host: cPanel users sign in there, and their tokens work
# there (TLS and timeouts as for WHM).
CPANEL_PORT = int(_read("CPANEL_PORT", int, default=2083))
if not 1 <= CPANEL_PORT <= 65535:
    raise ImproperlyConfigured(
        f"CPANEL_PORT must be a port between 1 and 65535, not {CPANEL_PORT}."
    )
# Where `make run`'s embedded simulator serves cPanel: CPANEL_PORT when set, else four ports
# below WHM_SIMULATOR_PORT, as cPanel's 2083 sits below WHM's 2087 (SIMULATOR_PORT=2088: 2084).
# rundashboard then points CPANEL_PORT at it.
WHM_SIMULATOR_CPANEL_PORT = int(_read("CPANEL_PORT", int, default=WHM_SIMULATOR_PORT - 4))
try:
    zoneinfo.ZoneInfo(WHM_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"WHM_TIME_ZONE: {WHM_TIME_ZONE!r} is not an IANA time zone such as America/Chicago."
    ) from None

# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------
EXPIRY_WARNING_DAYS = int(_read("EXPIRY_WARNING_DAYS", int, default=7))
if not 0 <= EXPIRY_WARNING_DAYS <= 365:
    raise ImproperlyConfigured(
        f"EXPIRY_WARNING_DAYS must be between 0 and 365, not {EXPIRY_WARNING_DAYS}."
    )

# ---------------------------------------------------------------------------------------------
# Audit trail: `manage.py prune_audit` deletes rows older than this many days
# ---------------------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = int(_read("AUDIT_RETENTION_DAYS", int, default=365))
if not 1 <= AUDIT_RETENTION_DAYS <= 36500:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS must be between 1 and 36500, not {AUDIT_RETENTION_DAYS}."
    )


# ---------------------------------------------------------------------------------------------
# Connected servers: TokenUI's own service token on each WHM, sealed with keys kept out of the
# database (`manage.py connect_server`; README.md, "Connected servers")
# ---------------------------------------------------------------------------------------------
def _key_id(key: str) -> str:
    """The id of a key given without one: a short hash of it (it says nothing of the key)."""
    return "k" + hashlib.sha256(key.encode()).hexdigest()[:10]


def _fernet_key(where: str, key_id: str, key: str) -> tuple[str, str]:
    """One (id, key) pair, checked now: a bad key must stop the app, not a later connect."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", key_id):
        raise ImproperlyConfigured(
            f"{where}: the key id {key_id!r} must be 1-32 of A-Z a-z 0-9 _ . - (no colon)."
        )
    try:
        Fernet(key)
    except ValueError:
        raise ImproperlyConfigured(
            f"{where}: the key {key_id!r} is not a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with `manage.py generate_service_key`."
        ) from None
    return key_id, key


def _listed_keys(listed: str) -> list[tuple[str, str]]:
    """SERVICE_KEYS: comma-separated, newest first, each `ID:KEY` or a bare KEY."""
    keys = []
    for item in filter(None, (part.strip() for part in listed.split(","))):
        key_id, sep, key = item.rpartition(":")  # base64's alphabet has no colon
        keys.append(_fernet_key("SERVICE_KEYS", key_id if sep else _key_id(key), key))
    return keys


def _key_files(folder: str) -> list[tuple[str, str]]:
    """SERVICE_KEYS_DIR: one key per file, named by its id; the name that sorts last is newest."""
    path = Path(folder)
    if not path.is_dir():
        raise ImproperlyConfigured(f"SERVICE_KEYS_DIR: {folder!r} is not a readable directory.")
    files = sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))
    return [
        _fernet_key("SERVICE_KEYS_DIR", f.name, f.read_text(encoding="ascii").strip())
        for f in reversed(files)
    ]


def _service_keys() -> list[tuple[str, str]]:
    listed = str(_read("SERVICE_KEYS", str, default="")).strip()
    folder = str(_read("SERVICE_KEYS_DIR", str, default="")).strip()
    if listed and folder:
        raise ImproperlyConfigured("Set either SERVICE_KEYS or SERVICE_KEYS_DIR, not both.")
    keys = _key_files(folder) if folder else _listed_keys(listed)
    ids = [key_id for key_id, _ in keys]
    if len(set(ids)) != len(ids):
        raise ImproperlyConfigured("SERVICE_KEYS: two keys have the same id.")
    return keys


def _allowlist() -> list[str]:
    """SERVICE_IP_ALLOWLIST: addresses and networks, each checked as WHM checks them."""
    items = str(_read("SERVICE_IP_ALLOWLIST", str, default="")).replace("\n", ",").split(",")
    networks = []
    for item in filter(None, (part.strip() for part in items)):
        try:
            network = ipaddress.ip_network(item)
        except ValueError:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f" (did you mean {ipaddress.ip_network(item, strict=False)}?)"
            raise ImproperlyConfigured(
                f"SERVICE_IP_ALLOWLIST: {item!r} is not an IP address or network{hint}."
            ) from None
        # One address as WHM stores it: without /32 or /128.
        single = network.num_addresses == 1
        networks.append(str(network.network_address if single else network))
    return networks


# (id, key) pairs, newest first: the newest seals, every one opens what it sealed.
SERVICE_KEYS = _service_keys()
SERVICE_KEYS_DIR = str(_read("SERVICE_KEYS_DIR", str, default="")).strip()
# The addresses TokenUI calls WHM from: its service tokens work only from these (none: any).
SERVICE_IP_ALLOWLIST = _allowlist()
# A service token's lifetime; TokenUI rotates it before it ends.
SERVICE_TOKEN_DAYS = int(_read("SERVICE_TOKEN_DAYS", int, default=90))
if not 1 <= SERVICE_TOKEN_DAYS <= 3650:
    raise ImproperlyConfigured(
        f"SERVICE_TOKEN_DAYS must be between 1 and 3650, not {SERVICE_TOKEN_DAYS}."
    )
# The schedule rotates a service token once it is within this many days of its expiry.
SERVICE_ROTATE_DAYS = int(_read("SERVICE_ROTATE_DAYS", int, default=14))
if not 1 <= SERVICE_ROTATE_DAYS < SERVICE_TOKEN_DAYS:
    raise ImproperlyConfigured(
        f"SERVICE_ROTATE_DAYS must be at least 1 and less than SERVICE_TOKEN_DAYS "
        f"({SERVICE_TOKEN_DAYS}), not {SERVICE_ROTATE_DAYS}: a token would be rotated as soon as "
        "it is made."
    )

# ---------------------------------------------------------------------------------------------
# Staff: TokenUI's own accounts (Django users and groups), signed in with OpenID Connect or, for
# a break-glass admin (`manage.py createsuperuser`), a local password; roles per connected server
# ---------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "tokenui.staff.oidc.StaffOidcBackend",  # the authorization code flow, with PKCE
    "django.contrib.auth.backends.ModelBackend",  # the local username and password
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# The OpenID provider's issuer URL (its endpoints are read from ISSUER/.well-known/
# openid-configuration), and this dashboard's client there. All three, or none (local only).
OIDC_ISSUER = str(_read("OIDC_ISSUER", str, default="")).strip().rstrip("/")
OIDC_CLIENT_ID = str(_read("OIDC_CLIENT_ID", str, default="")).strip()
OIDC_CLIENT_SECRET = str(_read("OIDC_CLIENT_SECRET", str, default="")).strip()
# The claim that lists a staff member's groups (synced into Django groups at each sign-in).
OIDC_GROUPS_CLAIM = str(_read("OIDC_GROUPS_CLAIM", str, default="groups")).strip()
_oidc = {"OIDC_ISSUER": OIDC_ISSUER, "OIDC_CLIENT_ID": OIDC_CLIENT_ID}
_oidc["OIDC_CLIENT_SECRET"] = OIDC_CLIENT_SECRET
if any(_oidc.values()) and not all(_oidc.values()):
    _missing = ", ".join(name for name, value in _oidc.items() if not value)
    raise ImproperlyConfigured(f"Single sign-on needs {_missing} as well; see .env.example.")
_issuer = urlsplit(OIDC_ISSUER)
if OIDC_ISSUER and not (
    _issuer.scheme == "https" or (_issuer.scheme == "http" and _is_loopback(_issuer.hostname or ""))
):
    raise ImproperlyConfigured(
        f"OIDC_ISSUER: {OIDC_ISSUER!r} is not an https:// URL such as https://sso.example.com "
        "(plain http is allowed only to this machine)."
    )
OIDC_ENABLED = bool(OIDC_ISSUER)
# mozilla-django-oidc's own settings; its endpoints come from the issuer's discovery document
# (tokenui.staff.oidc), not from settings.
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "staff:oidc-callback"
OIDC_TIMEOUT = 10
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "staff:home"


# Background work: Django's tasks framework on the database (embedded), or RQ on Redis to scale
# out; `manage.py worker` runs it with the schedule (README.md, "Background work and inventory")
# ---------------------------------------------------------------------------------------------
TASK_BACKEND = str(_read("TASK_BACKEND", str, default="database")).strip().lower()
if TASK_BACKEND not in {"database", "rq"}:
    raise ImproperlyConfigured(
        f"TASK_BACKEND must be database or rq, not {TASK_BACKEND!r}; see .env.example."
    )
# The queue every task goes to and every worker takes from: two deployments sharing one Redis
# (or the test runs on one machine) each take a name of their own.
TASK_QUEUE = str(_read("TASK_QUEUE", str, default="tokenui")).strip()
if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", TASK_QUEUE):
    raise ImproperlyConfigured(
        f"TASK_QUEUE: {TASK_QUEUE!r} must be 1-100 of A-Z a-z 0-9 _ . : - (no spaces)."
    )


def _redis_url() -> str:
    """REDIS_URL, or CACHE_URL when that is Redis; checked as CACHE_URL is."""
    cache_url = str(_read("CACHE_URL", str, default="")).strip()
    default = cache_url if urlsplit(cache_url).scheme in {"redis", "rediss"} else ""
    url = str(_read("REDIS_URL", str, default=default)).strip()
    if not url:
        raise ImproperlyConfigured(
            "TASK_BACKEND=rq needs Redis: set REDIS_URL (or CACHE_URL) to redis://HOST:6379/0."
        )
    _service("REDIS_URL", url, {"redis", "rediss"}, lambda u: {}, "use redis://HOST:6379/0.")
    return url


INSTALLED_APPS += ["django_tasks_db", "tokenui.background", "tokenui.inventory"]
if TASK_BACKEND == "rq":
    REDIS_URL = _redis_url()
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {TASK_QUEUE: {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TASK_QUEUE]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [TASK_QUEUE]}}
# Every connected server's tokens are read this often (and on Refresh now, manage.py inventory).
INVENTORY_MINUTES = int(_read("INVENTORY_MINUTES", int, default=15))
if not 1 <= INVENTORY_MINUTES <= 24 * 60:
    raise ImproperlyConfigured(
        f"INVENTORY_MINUTES must be between 1 and 1440, not {INVENTORY_MINUTES}."
    )
# How many WHM calls one server's inventory makes at once (its resellers and accounts).
INVENTORY_CONCURRENCY = int(_read("INVENTORY_CONCURRENCY", int, default=4))
if not 1 <= INVENTORY_CONCURRENCY <= 32:
    raise ImproperlyConfigured(
        f"INVENTORY_CONCURRENCY must be between 1 and 32, not {INVENTORY_CONCURRENCY}."
    )
# Tokens gone this long, and inventory events this old, are pruned (a scheduled job).
INVENTORY_KEEP_DAYS = int(_read("INVENTORY_KEEP_DAYS", int, default=365))
if not 1 <= INVENTORY_KEEP_DAYS <= 36500:
    raise ImproperlyConfigured(
        f"INVENTORY_KEEP_DAYS must be between 1 and 36500, not {INVENTORY_KEEP_DAYS}."
    )

# ---------------------------------------------------------------------------------------------
# Expiry notices: mail through Django's mailers (EMAIL_URL), signed webhooks, sent daily at
# NOTICE_HOUR by the schedule (README.md, "Expiry notices")
# ---------------------------------------------------------------------------------------------
# scheme: (backend, implicit TLS, STARTTLS, default port). smtps is TLS from the first byte
# (RFC 8314, port 465); submission is STARTTLS on 587; smtp+ssl and smtp+tls are
# django-environ's names for the same two.
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_MAIL_SCHEMES: dict[str, tuple[str, bool, bool, int]] = {
    "smtp": (_SMTP, False, False, 25),
    "smtps": (_SMTP, True, False, 465),
    "smtp+ssl": (_SMTP, True, False, 465),
    "submission": (_SMTP, False, True, 587),
    "smtp+tls": (_SMTP, False, True, 587),
    "console": ("django.core.mail.backends.console.EmailBackend", False, False, 0),
}
_MAIL_EXAMPLE = "use smtps://USER:PASSWORD@HOST, submission://USER:PASSWORD@HOST or console://."


def _mailers() -> dict[str, dict[str, Any]]:
    """EMAIL_URL as Django's MAILERS ({} when unset: mail notices then fail, saying why)."""
    url = str(_read("EMAIL_URL", str, default="")).strip()
    if not url:
        return {}
    try:  # no message quotes the URL: it can hold a password
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(
            f"EMAIL_URL has an invalid host or port; {_MAIL_EXAMPLE}"
        ) from None
    if parts.scheme not in _MAIL_SCHEMES:
        raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme {parts.scheme!r}; {_MAIL_EXAMPLE}")
    backend, ssl, starttls, default_port = _MAIL_SCHEMES[parts.scheme]
    if backend != _SMTP:
        return {"default": {"BACKEND": backend}}
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL names no host; {_MAIL_EXAMPLE}")
    if parts.username and not (ssl or starttls or _is_loopback(parts.hostname)):
        raise ImproperlyConfigured(
            "EMAIL_URL would send its password unencrypted: use smtps:// or submission:// "
            "(plain smtp:// with a password is allowed only to this machine)."
        )
    options = {"host": parts.hostname, "port": port or default_port, "timeout": MAIL_TIMEOUT}
    options |= {"use_ssl": ssl, "use_tls": starttls}
    if parts.username:
        options |= {"username": unquote(parts.username), "password": unquote(parts.password or "")}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


# Seconds the mail server may take to answer (connecting included).
MAIL_TIMEOUT = 15
MAILERS = _mailers()
if not MAILERS:
    # Without EMAIL_URL no mail is sent, and each mail notice says so on the delivery log:
    # Django's warning at every command adds nothing to that.
    SILENCED_SYSTEM_CHECKS.append("mail.W001")
DEFAULT_FROM_EMAIL = str(_read("DEFAULT_FROM_EMAIL", str, default="tokenui@localhost")).strip()
if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+|.*<[^@\s<>]+@[^@\s<>]+>", DEFAULT_FROM_EMAIL):
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL: {DEFAULT_FROM_EMAIL!r} is not an address such as "
        "tokenui@example.com or TokenUI <tokenui@example.com>."
    )
# The hour (0-23, in WHM_TIME_ZONE: the servers' time) the daily digest goes out.
NOTICE_HOUR = int(_read("NOTICE_HOUR", int, default=8))
if not 0 <= NOTICE_HOUR <= 23:
    raise ImproperlyConfigured(f"NOTICE_HOUR must be between 0 and 23, not {NOTICE_HOUR}.")
# The dashboard's address as recipients reach it: the links in notices start with it.
SITE_URL = str(_read("SITE_URL", str, default="http://localhost:8000")).strip().rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"} or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(
        f"SITE_URL: {SITE_URL!r} is not an address such as https://tokens.example.com."
    )
# The first retry of a failed notice waits this long; each next one twice as long (at most
# four hours), until a day has passed (README.md, "Expiry notices").
NOTICE_RETRY_SECONDS = int(_read("NOTICE_RETRY_SECONDS", int, default=60))
if not 1 <= NOTICE_RETRY_SECONDS <= 3600:
    raise ImproperlyConfigured(
        f"NOTICE_RETRY_SECONDS must be between 1 and 3600, not {NOTICE_RETRY_SECONDS}."
    )
# Webhooks to loopback, private, shared and link-local addresses (and plain http to this
# machine) are refused unless this is true: a rule must not make TokenUI call inside its network.
WEBHOOK_ALLOW_PRIVATE = _flag("WEBHOOK_ALLOW_PRIVATE", default=False)
INSTALLED_APPS += ["tokenui.notices"]

# ---------------------------------------------------------------------------------------------
# Logging: secrets never reach a log line (the WHM client logs function names, never params)
# ---------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {"quiet_housekeeping": {"()": "tokenui.background.quiet.QuietHousekeeping"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # A worker's log says what happened: the schedule's quiet jobs (a look for abandoned
        # reads, for notices due or to retry) are not logged each time they run and find nothing.
        "django.tasks": {"filters": ["quiet_housekeeping"]},
        "django_tasks": {"filters": ["quiet_housekeeping"]},
        # Django's default config gives "django" a console handler of its own when DEBUG is on,
        # and its records reach the root's too: every line twice (a worker's "Task id=…" under
        # make run). The root's handler is enough.
        "django": {"handlers": [], "level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Its DEBUG records carry whole template contexts, which on the page that shows a new
        # token include the secret. Keep it above DEBUG whatever else is turned up.
        "django.template": {"level": "INFO"},
    },
}
