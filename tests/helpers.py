"""Helpers that several test modules share: the demo credentials, signed-in sessions, the
suite's own cache keys, raw WHM API calls, reading the dashboard's pages, the check that nothing
WHM would refuse leaves TokenUI, and a stub WHM.

Fixtures stay in the conftest.py files; everything a test module imports lives here.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import ipaddress
import json
import re
import shlex
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import oidc_provider_mock
import redis
import werkzeug.serving
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.http import HttpResponse as Response
from django.middleware.csrf import rotate_token
from django.test import Client
from django.utils import timezone

from tokenui.acls import ACL_KEYS
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.servers.keys import service_keyring
from tokenui.servers.models import ConnectedServer
from tokenui.sessions import credentials
from tokenui.sessions.idle import TOUCHED
from tokenui.simulator import (
    DEMO_CPANEL_ACCOUNTS,
    RESELLER_USER,
    ROOT_USER,
    LoggedRequest,
    Simulator,
)
from tokenui.simulator.seed import RESELLER_ACLS
from tokenui.whm.types import Credential


# --- sessions ---------------------------------------------------------------------------------
def expire_sessions(*keys: str) -> None:
    """End these sessions (every one when none is named) as their idle deadline would, through
    the configured engine: with a shared cache in front of the database (cached_db), a row
    updated in the database alone would still be read from the cache."""
    engine = import_module(settings.SESSION_ENGINE)
    for key in keys or Session.objects.values_list("session_key", flat=True):
        store = engine.SessionStore(key)
        store.set_expiry(timezone.now() - timedelta(seconds=1))
        store.save()


# --- the demo users --------------------------------------------------------------------------

# The demo users' sign-in credentials, as (user, password).
DEMO_ROOT = (ROOT_USER.name, ROOT_USER.password)
DEMO_RESELLER = (RESELLER_USER.name, RESELLER_USER.password)
# The demo tokens each demo user starts with (the same names for both).
DEMO_TOKEN_NAMES = frozenset(
    {"reporting", "automation", "billing-bot", "backup-script", "monitoring", "old-migration"}
)


# The demo cPanel accounts that can sign in, as (user, password): root's and the reseller's with
# the `apitokens` feature, and the one without it.
CPANEL_ROOTS = [
    (a.user, a.password) for a in DEMO_CPANEL_ACCOUNTS if a.owner == ROOT_USER.name and a.apitokens
]
CPANEL_RESELLERS = [
    (a.user, a.password)
    for a in DEMO_CPANEL_ACCOUNTS
    if a.owner == RESELLER_USER.name and a.apitokens
]
CPANEL_NO_FEATURE = next((a.user, a.password) for a in DEMO_CPANEL_ACCOUNTS if not a.apitokens)
# The demo cPanel tokens each account with `apitokens` starts with.
DEMO_CPANEL_TOKENS = frozenset(
    {"deploy-script", "wordpress-sync", "site-monitor", "old-backup", "stats-reader"}
)


def cpanel_call(
    sim: Simulator, user: str, secret: str, path: str = "/execute/Email/list_pops"
) -> httpx.Response:
    """A UAPI call to the simulator's cPanel with a cPanel API token, as seed 004 makes it."""
    return httpx.get(
        f"{sim.cpanel_url}{path}", headers={"Authorization": f"cpanel {user}:{secret}"}
    )


def run_curl(command: str) -> tuple[int, str]:
    """Run a curl command exactly as a page shows it: (HTTP status, body)."""
    argv = shlex.split(command)
    assert argv[0] == "curl"
    result = subprocess.run(
        [*argv, "--silent", "--max-time", "10", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def sign_in_data(
    user: str, secret: str, *, token: bool = False, cpanel: bool = False
) -> dict[str, str]:
    """The sign-in form's fields for one credential, on the test simulator (its WHM, or with
    `cpanel` its cPanel)."""
    field = "api_token" if token else "password"
    return {
        "service": "cpanel" if cpanel else "whm",
        "server": "simulator",
        "username": user,
        "method": "token" if token else "password",
        field: secret,
    }


# --- signed-in sessions ----------------------------------------------------------------------
# Tests other than sign-in's own start signed in as Django's `Client.login` does: by writing what
# a successful sign-in leaves (tokenui/accounts/views.py, _start_session), not by posting the
# form, which costs a WHM round trip or two and a throttle count per test.


def start_session(
    user: str,
    secret: str,
    *,
    servers: Sequence[str] = ("simulator",),
    token_name: str | None = None,
    kind: str = "password",
    service: str = credentials.WHM,
) -> dict[str, str]:
    """Sign `user` in to each of `servers` as the sign-in form and then Add server would: a new
    session (the last server active), a fresh CSRF secret, the idle mark and one Sign in entry
    per server in the audit trail; the cookies a browser then holds, name -> value. Nothing
    asks WHM: the caller knows the credential works."""
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"  # the test client's, and the live server's
    # The configured engine's store: with cached_db (a shared cache) the pages read the cache.
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    rotate_token(request)
    credential = Credential(user=user, secret=secret, kind=kind)
    first, *others = servers
    credentials.store(request.session, first, credential, token_name, service=service)
    for server in others:
        credentials.add(request.session, server, credential, token_name)
    for server in servers:
        actor = trail.Actor(server, user, kind, token_name, service)
        account = user if service == credentials.CPANEL else ""
        trail.record(
            request, Action.SIGN_IN, outcome=Outcome.SUCCEEDED, actor=actor, account=account
        )
    request.session[TOUCHED] = int(time.time())
    request.session.save()
    return {
        settings.SESSION_COOKIE_NAME: request.session.session_key,
        settings.CSRF_COOKIE_NAME: request.META["CSRF_COOKIE"],
    }


def signed_in(client: Client, user: str, secret: str, **options: Any) -> Client:
    """`client` signed in as `user` (options: those of start_session), without the form."""
    for name, value in start_session(user, secret, **options).items():
        client.cookies[name] = value
    return client


# --- the suite's own cache keys ----------------------------------------------------------------


def clear_cache() -> None:
    """Empty this test process's cache. On Redis only the keys under its KEY_PREFIX
    (tests/settings.py): RedisCache.clear() flushes the whole database, and with it the keys of
    any other run, or worker, sharing it."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        backend.clear()
        return
    client = _redis_client(settings.CACHES["default"]["LOCATION"])
    keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def own_cache_values() -> list[bytes]:
    """Every value this test process has in the cache, as stored: on local memory all of them,
    on Redis those under its own KEY_PREFIX (another run's keys, RQ's lists and hashes among
    them, are not this run's to read)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return list(backend._cache.values())
    client = _redis_client(settings.CACHES["default"]["LOCATION"])
    keys = client.scan_iter(match=f"{backend.key_prefix}:*", count=1000)
    return [value for key in keys if (value := client.get(key)) is not None]


@functools.cache
def _redis_client(location: str) -> redis.Redis:
    """One connection pool per Redis for the whole run: clear_cache runs twice a test."""
    return redis.Redis.from_url(location)


# --- WHM's side of the wire ------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
# WHM's refusal, in its older shape (../shared/whm-api.md, Failures).
ACCESS_DENIED_BODY = (
    b'{"cpanelresult":{"apiversion":"2","error":"Access denied",'
    b'"data":{"reason":"Access denied","result":"0"},"type":"text"}}'
)
ACCESS_DENIED = ACCESS_DENIED_BODY.decode()

type Params = dict[str, str | list[str]]


# httpx builds an SSL context, loading the system's CA bundle, for every client it makes (about
# 60 ms on a slow machine); these tests share one. Plain-HTTP calls never use it.
SYSTEM_TRUST = ssl.create_default_context()


@dataclass
class Whm:
    """Calls to one simulator as one caller."""

    http: httpx.Client

    def call(
        self, function: str, params: Params | None = None, *, method: str = "POST"
    ) -> httpx.Response:
        """api.version=1 in the query; the rest in the query (GET) or a form body (POST)."""
        params = params or {}
        url = f"/json-api/{function}"
        if method == "GET":
            return self.http.get(url, params={"api.version": "1", **params})
        return self.http.post(url, params={"api.version": "1"}, data=params)

    def ok(self, function: str, params: Params | None = None, **options: Any) -> Any:
        """Call, check WHM said yes, and return `data` (None when the reply has none)."""
        response = self.call(function, params, **options)
        body = response.json()
        assert response.status_code == 200, response.text
        # createacct adds `output` to the metadata; nothing else may differ.
        assert body["metadata"] | {"output": None} == {
            "command": function,
            "reason": "OK",
            "result": 1,
            "version": 1,
            "output": None,
        }, body
        return body.get("data")

    def reason(self, function: str, params: Params | None = None, **options: Any) -> str:
        """Call, check WHM said no in a 200 reply with empty data, and return its reason."""
        response = self.call(function, params, **options)
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["metadata"]["result"] == 0, body
        assert body["data"] == {}
        return body["metadata"]["reason"]


def get(url: str, **options: Any) -> httpx.Response:
    return httpx.request("GET", url, **_with_defaults(options))


def post(url: str, **options: Any) -> httpx.Response:
    return httpx.request("POST", url, **_with_defaults(options))


def delete(url: str, **options: Any) -> httpx.Response:
    return httpx.request("DELETE", url, **_with_defaults(options))


def _with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    return {"verify": SYSTEM_TRUST, "timeout": 5, **options}


def numbered_params(key: str, values: Sequence[str]) -> dict[str, str]:
    """A list as WHM's own UI sends it: key-0, key-1, …"""
    return {f"{key}-{index}": value for index, value in enumerate(values)}


# --- what the hardening tests check against ------------------------------------------------

WRITES = frozenset({"api_token_create", "api_token_update", "api_token_revoke"})
# WHM's rule for a token name (../shared/whm-api.md), written here independently of validators.py.
WHM_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")
WHM_MAX_IPS = 100
# What each demo user may put on a token, from the simulator's own seed: root holds `all`, so any
# catalogue ACL; the reseller only its own.
ROOT_HELD = frozenset(ACL_KEYS)
RESELLER_HELD = frozenset(RESELLER_ACLS)
# WHM_TIMEOUT (seconds) for the timeout cases. A read timeout is staged on the call after a
# list that must still succeed in time, so it leaves room for a loaded machine (0.25 s let
# Edit's list time out at load 20 and more, as 0.3 s did in tests/whm); nothing succeeds behind
# a full backlog, so a connect timeout can be short.
SHORT = 1.0
CONNECT_SHORT = 0.1


# --- requests --------------------------------------------------------------------------------


def form_post(client: Client, url: str, data: Mapping[str, Any], **extra: Any) -> Response:
    """POST `data` as a browser does (urlencoded, UTF-8), lists as repeated keys."""
    return client.post(url, urlencode(data, doseq=True), content_type=FORM, **extra)


def writes(sim: Simulator) -> list[LoggedRequest]:
    """The calls in the simulator's log that change state."""
    return [r for r in sim.requests() if r.function in WRITES]


def calls(sim: Simulator, function: str) -> list[LoggedRequest]:
    return [r for r in sim.requests() if r.function == function]


# --- reading pages ---------------------------------------------------------------------------


def text(page: str) -> str:
    """The page with entities decoded, so sentences can be compared as written."""
    return html.unescape(page)


def field_errors(page: str, name: str) -> list[str]:
    """The errors Django's field group shows for field `name` (the acls fieldset has its own)."""
    error_id = "acls-errors" if name == "acls" else f"id_{name}_error"
    match = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def non_field_errors(page: str) -> list[str]:
    match = re.search(r'<div class="form-error" role="alert"[^>]*>(.*?)</div>', page, re.S)
    if match is None:
        return []
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", match.group(1), re.S)]


def input_value(page: str, name: str) -> str | None:
    """The value a text-like <input name=…> shows (None: no such input, "": no value)."""
    tag = re.search(
        rf'<input type="(?:text|date|password|email|url)" name="{name}"[^>]*>', page, re.S
    )
    if tag is None:
        return None
    value = re.search(r' value="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def textarea_value(page: str, name: str) -> str | None:
    match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if match is None:
        return None
    # Django writes one line break after the tag, which the HTML parser drops.
    return html.unescape(match.group(1).removeprefix("\n"))


def checked(page: str, name: str) -> list[str]:
    """The values of the ticked checkboxes or radios called `name`, in page order."""
    tags = re.findall(rf'<input type="(?:checkbox|radio)" name="{name}"[^>]*>', page)
    return [
        html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
        for tag in tags
        if re.search(r"\schecked(?:[\s>]|$)", tag)
    ]


def offered(page: str, name: str) -> list[str]:
    tags = re.findall(rf'<input type="(?:checkbox|radio)" name="{name}"[^>]*>', page)
    return [html.unescape(re.search(r'value="([^"]*)"', tag).group(1)) for tag in tags]


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


# --- what WHM would accept -------------------------------------------------------------------


def numbered(params: Mapping[str, str | list[str]], key: str) -> list[str]:
    """A list sent as key-0, key-1, … (and the bare key, which WHM also reads), in order."""
    pattern = re.compile(rf"{re.escape(key)}-(\d+)")
    indexed = sorted(
        (int(m.group(1)), value)
        for name, value in params.items()
        if (m := pattern.fullmatch(name)) is not None
    )
    values: list[str] = []
    for _, value in indexed:
        values += value if isinstance(value, list) else [value]
    bare = params.get(key)
    if bare is not None:
        values += bare if isinstance(bare, list) else [bare]
    return values


def single(params: Mapping[str, str | list[str]], key: str) -> str | None:
    value = params.get(key)
    assert not isinstance(value, list), f"{key} sent more than once: {value!r}"
    return value


def is_whm_ip(entry: str) -> bool:
    """WHM's rule for one whitelist entry: an address or a CIDR range without host bits."""
    try:
        ipaddress.ip_network(entry, strict=True)
    except ValueError:
        return False
    return True


def assert_only_valid_writes(
    requests: Iterable[LoggedRequest], held: frozenset[str], *, names: Iterable[str] = ()
) -> None:
    """Every state change in `requests` carries only what WHM accepts from this user.

    `names`: the token names that existed, which a revoke may name.
    """
    existing = set(names)
    now = time.time()
    for request in requests:
        params = request.params
        if request.function == "api_token_revoke":
            revoked = numbered(params, "token_name")
            assert revoked, "a revoke without names"
            assert all(WHM_NAME.fullmatch(n) for n in revoked), revoked
            if existing:
                assert set(revoked) <= existing, revoked
            continue
        if request.function not in {"api_token_create", "api_token_update"}:
            continue
        name = single(params, "token_name")
        assert name is not None, "no token_name"
        assert WHM_NAME.fullmatch(name), f"token_name {name!r}"
        new_name = single(params, "new_name")
        assert new_name is None or WHM_NAME.fullmatch(new_name), f"new_name {new_name!r}"
        acls = numbered(params, "acl")
        # No acl at all would give a new token every right the user has; an update without
        # one leaves the token's privileges as they are.
        assert acls or request.function == "api_token_update", "no acl sent"
        assert set(acls) <= held, f"acls the user does not hold: {sorted(set(acls) - held)}"
        ips = numbered(params, "whitelist_ip")
        if request.function == "api_token_update" and ips == ["any"]:
            ips = []
        assert len(ips) <= WHM_MAX_IPS, f"{len(ips)} whitelist entries"
        assert all(is_whm_ip(ip) for ip in ips), [ip for ip in ips if not is_whm_ip(ip)]
        expires_at = single(params, "expires_at")
        if expires_at is not None and not (
            request.function == "api_token_update" and expires_at == "0"
        ):
            assert expires_at.isdigit(), f"expires_at {expires_at!r}"
            assert int(expires_at) > now, f"expires_at {expires_at!r} is not in the future"


# The name of the token `token_client` (tests/hardening/conftest.py) signs in with.
LOGIN_TOKEN = "dashboard-login"


# --- a stub WHM ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StubReply:
    """One canned reply; `missing_bytes` more are announced in Content-Length than sent."""

    status: int
    content_type: str
    body: bytes
    missing_bytes: int = 0


def api_reply(function: str, data: object) -> StubReply:
    """WHM API 1's success envelope around `data`."""
    body = {"metadata": {"command": function, "reason": "OK", "result": 1, "version": 1}}
    return StubReply(200, "application/json", json.dumps(body | {"data": data}).encode())


ACCESS_DENIED_REPLY = StubReply(403, "text/plain", ACCESS_DENIED_BODY)
NOT_FOUND_REPLY = StubReply(404, "text/plain", b"Not found.")


@dataclass
class StubWhm:
    """A WHM that is not the simulator: canned replies by function name, over real HTTP.

    For what the simulator cannot stage: a refusal of one call while the calls around it
    succeed, reply shapes the reference allows that the simulator never sends, broken or
    hostile replies. A function not in `replies` gets `fallback`; `log` names each function
    called, in order. Use it as a context manager (it serves from a thread until closed).
    """

    replies: dict[str, StubReply] = field(default_factory=dict)
    fallback: StubReply = NOT_FOUND_REPLY
    log: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The stub WHM is not running: use it in a `with` block.")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply_for(self, function: str) -> StubReply:
        self.log.append(function)
        return self.replies.get(function, self.fallback)

    def __enter__(self) -> StubWhm:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _stub_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        self._server = self._thread = None


def _stub_handler(stub: StubWhm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = stub.reply_for(self.path.split("?", 1)[0].removeprefix("/json-api/"))
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body) + reply.missing_bytes))
            if reply.missing_bytes:
                # The rest never comes: end the connection after what was sent.
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the place for failures, not access lines."""

    return Handler


# --- connected servers (tests/servers) ----------------------------------------------------


def listed(whm: Whm) -> dict[str, dict[str, Any]]:
    """The caller's tokens as WHM lists them (api_token_list), by name."""
    return whm.ok("api_token_list")["tokens"]


def held(record: dict[str, Any]) -> set[str]:
    """The ACLs a listed token holds (api_token_list gives a map ACL → 0/1)."""
    return {acl for acl, value in record["acls"].items() if value}


def secret_of(server: ConnectedServer) -> str:
    """The service token in clear, opened here only to prove it is nowhere else."""
    return json.loads(service_keyring().open(server.sealed_token))["token"]


def offline_server(name: str) -> ConnectedServer:
    """A server row that no test here calls (roles are TokenUI's own data)."""
    return ConnectedServer.objects.create(
        name=name,
        url=f"https://{name}.example.com:2087",
        username="root",
        token_name=f"tokenui-{name}",
        token_created=datetime(2026, 1, 1, tzinfo=UTC),
        sealed_token="enc:fernet:none:none",
        key_id="none",
    )


def stored_server() -> ConnectedServer:
    return ConnectedServer.objects.get()


# --- an OpenID provider (staff single sign-on) -------------------------------------------------


class OidcProvider:
    """A real OpenID provider on loopback (oidc-provider-mock: discovery, authorization code
    flow, RS256 ID tokens, userinfo), with RFC 7636's PKCE check in front of its token endpoint,
    which it does not make itself: a code issued for a challenge is exchanged only with the
    verifier that hashes to it, and a code issued without one not at all."""

    def __init__(self) -> None:
        self._app = oidc_provider_mock.app(require_nonce=True)
        self.challenges: dict[str, tuple[str, str]] = {}  # code: (challenge, method)
        self.verifiers: list[str] = []  # each code_verifier the token endpoint was sent
        self._server: Any = None

    def __enter__(self) -> OidcProvider:
        self._server = werkzeug.serving.make_server("localhost", 0, self._wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self._server.server_port}"

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider gives `sub` (a `groups` list, `preferred_username`…)."""
        httpx.put(f"{self.issuer}/users/{sub}", json=claims).raise_for_status()

    def authorize(self, url: str, sub: str, *, deny: bool = False) -> str:
        """Sign in at the provider's page `url` as `sub` (or deny); where it sends the browser."""
        data = {"action": "deny"} if deny else {"sub": sub}
        reply = httpx.post(url, data=data)
        assert reply.status_code == 302, reply.text[:300]
        return reply.headers["Location"]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/oauth2/token" and method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode())
            code, verifier = form.get("code", [""])[0], form.get("code_verifier", [""])[0]
            self.verifiers.append(verifier)
            challenge, how = self.challenges.pop(code, ("", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            made = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if how != "S256" or not verifier or made != challenge:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "invalid_grant", "error_description": "PKCE"}']
        if path != "/oauth2/authorize" or method != "POST":
            return self._app(environ, start_response)

        def noting_the_code(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            location = dict(headers).get("Location", "")
            code = parse_qs(urlsplit(location).query).get("code", [""])[0]
            if code:
                self.challenges[code] = (
                    query.get("code_challenge", [""])[0],
                    query.get("code_challenge_method", [""])[0],
                )
            return start_response(status, headers, *rest)

        return self._app(environ, noting_the_code)
