"""Shared pieces of the hardening tests: broken WHMs, form posts, page scraping, and the check
that nothing WHM would refuse ever leaves TokenUI (read from the simulator's request log)."""

from __future__ import annotations

import html
import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse as Response
from django.test import Client

from tests.conftest import sign_in_data
from tokenui.acls import ACL_KEYS
from tokenui.simulator import LoggedRequest, Simulator
from tokenui.simulator.seed import RESELLER_ACLS

FORM = "application/x-www-form-urlencoded"
WRITES = frozenset({"api_token_create", "api_token_update", "api_token_revoke"})
# WHM's rule for a token name (../shared/whm-api.md), written here independently of validators.py.
WHM_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")
WHM_MAX_IPS = 100
# What each demo user may put on a token, from the simulator's own seed: root holds `all`, so any
# catalogue ACL; the reseller only its own.
ROOT_HELD = frozenset(ACL_KEYS)
RESELLER_HELD = frozenset(RESELLER_ACLS)
# The demo tokens each demo user starts with (the same names for both).
DEMO_TOKEN_NAMES = frozenset(
    {"reporting", "automation", "billing-bot", "backup-script", "monitoring", "old-migration"}
)
# WHM_TIMEOUT (seconds) for the timeout cases. A read timeout is staged on the call after a
# list that must still succeed in time, so it leaves room for a loaded machine; nothing
# succeeds behind a full backlog, so a connect timeout can be short.
SHORT = 0.25
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
    tag = re.search(rf'<input type="(?:text|date|password)" name="{name}"[^>]*>', page, re.S)
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


# --- signed-in clients -----------------------------------------------------------------------

LOGIN_TOKEN = "dashboard-login"


@pytest.fixture
def token_client(client: Client, whm: Simulator, db: None) -> Client:
    """Signed in as the demo reseller with an API token named LOGIN_TOKEN, which a test can
    revoke mid-session. (The reseller's form, with half of root's checkboxes, renders faster.)"""
    secret = whm.store.add_token(
        "reseller",
        LOGIN_TOKEN,
        acls=RESELLER_ACLS,
        create_time=int(time.time()) - 60,
        expires_at=None,
    )
    client.login_token = secret  # type: ignore[attr-defined]
    response = client.post("/sign-in/", sign_in_data("reseller", secret, token=True))
    assert response.status_code == 302, response.text[:2000]
    whm.clear_requests()
    return client


# --- WHMs that are not the simulator ---------------------------------------------------------


@pytest.fixture
def closed_port() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A URL whose listener never accepts and whose queue is full: connecting just waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"
        for filler in fillers:
            filler.close()


@dataclass
class StubWhm:
    """A few canned WHM replies by function name, over real HTTP, for what the simulator cannot
    stage (a refusal of one call while the calls around it succeed). Unlisted functions: 404."""

    replies: dict[str, tuple[int, str, bytes]]
    url: str = ""
    log: list[str] = field(default_factory=list)


def api_reply(function: str, data: object) -> tuple[int, str, bytes]:
    body = {"metadata": {"command": function, "reason": "OK", "result": 1, "version": 1}}
    return 200, "application/json", json.dumps(body | {"data": data}).encode()


ACCESS_DENIED = (
    403,
    "text/plain",
    (
        b'{"cpanelresult":{"apiversion":"2","error":"Access denied",'
        b'"data":{"reason":"Access denied","result":"0"},"type":"text"}}'
    ),
)


@pytest.fixture
def stub_whm() -> Iterator[StubWhm]:
    stub = StubWhm(replies={})

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            function = self.path.split("?", 1)[0].removeprefix("/json-api/")
            stub.log.append(function)
            status, content_type, body = stub.replies.get(
                function, (404, "text/plain", b"Not found.")
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()
    thread.join()
