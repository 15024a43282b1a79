"""The simulator's HTTP(S) servers (WHM's port, and cPanel's when asked for), their loopback-only
control endpoints, and the Simulator API."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .api import ACCESS_DENIED, ACCESS_DENIED_BODY, JSON, Reply, answer, encode_json
from .api2 import api_2_reply, cpanel_through_whm
from .auth import (
    CPANEL_SCHEME,
    Caller,
    CpanelCaller,
    IPAddress,
    authenticate,
    authenticate_cpanel,
    cpanel_header_refused,
    scheme,
)
from .controls import Controls, LoggedRequest, TakenFault
from .database import STORE_FILE, Database
from .faults import FAULT_MODES, HANG, HANG_LIMIT_S, fault_reply, modes_for
from .functions import CPANELD, WEBMAILD, WHOSTMGRD, Params
from .seed import DEMO_USERS, demo_seed
from .store import SimAccount, SimUser, Store
from .tls import ensure_tls_files, server_context
from .uapi import UapiCall, run_uapi

logger = logging.getLogger(__name__)

API_PREFIX = "/json-api/"
UAPI_PREFIX = "/execute/"
UAPI_PATH = re.compile(r"/execute/([^/]+)/(.+)")
# cPanel API 2 (and the older API 1) on the cPanel port, told apart by cpanel_jsonapi_apiversion.
CPANEL_JSON_API = "/json-api/cpanel"
WHM = "whm"
CPANEL = "cpanel"
CONTROL_PREFIX = "/__simulator__/"
FORM = "application/x-www-form-urlencoded"
# Room for revoking 10,000 tokens by name in one call.
MAX_BODY_BYTES = 8 * 1024 * 1024
# A keep-alive connection left idle this long is closed, so no thread waits forever.
IDLE_TIMEOUT_S = 60.0
HANG_POLL_S = 0.05
SERVE_POLL_S = 0.1

NOT_FOUND = Reply(404, "text/plain", b"Not found.\n")
BAD_BODY = Reply(413, "text/plain", b"Send a body of at most 8 MiB with a Content-Length.\n")
INTERNAL_ERROR = Reply(500, "text/plain", b"The simulator failed; see its log.\n")
# cpsrvd's refusal of a cPanel token anywhere but UAPI and API 2 (Cpanel::Server::Auth::HTTP).
# The sentence is cPanel's; sending it as plain text is inferred.
TOKEN_SCOPE = Reply(
    403, "text/plain", b"Token authentication allows access to UAPI or API 2 calls only.\n"
)
# A session's pages: /cpsessNNNNNNNNNN (the session's security token), then the path.
SECURITY_TOKEN_PATH = re.compile(r"(/cpsess[0-9]{10})(/.*)")
LOGIN_PATH = "/login/"
SESSION_PARAM = re.compile(r"([?&]session=)[^&\s]*")
# The session a port serves, and the cookie cpsrvd keeps it in.
SESSION_SERVICE = {WHM: WHOSTMGRD, CPANEL: CPANELD}
SESSION_COOKIE = {WHM: "whostmgrsession", CPANEL: "cpsession"}
# The ports WHM names in a session's URL when the simulator serves no such service.
CPANEL_PORT = 2083
WEBMAIL_PORT = 2096
# A session cookie refused (unknown, idled out, made for another /cpsess… prefix), or a login
# URL used late or twice: 401 in WHM's refusal shape. cpsrvd answers these with its login page;
# the status is its, the body is the simulator's (inferred).
SESSION_REFUSED = Reply(401, "text/plain", ACCESS_DENIED_BODY)
LOOPBACK_ONLY = Reply(
    403, "text/plain", b"The simulator's controls answer loopback callers only.\n"
)


class Simulator:
    """WHM's side of the wire on a real socket, and cPanel's on a second one when `cpanel_port`
    is given (0: any free port), for tests, benchmarks and the demo.

    All state lives in `state_dir`: WHM's and cPanel's (`store`: users, tokens, accounts, cPanel
    tokens) and the test controls (`controls`: request log, counters, fault switches). It
    survives restarts, and simulators in this process or others that share the directory share
    it. An empty store is first seeded with `users` (None: the demo users) and their demo
    tokens, or `tokens` tokens for the first user; and with `accounts` as the cPanel accounts
    that have a password (None: the demo ones, with their demo cPanel tokens). `tls_dir` keeps
    the demo CA and certificate elsewhere (default: `state_dir`), so that several simulators
    of one process (`--servers N`) are verified against one CA.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        users: Sequence[SimUser] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        latency_ms: int = 0,
        tokens: int | None = None,
        accounts: Sequence[SimAccount] | None = None,
        cpanel_port: int | None = None,
        tls_dir: Path | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._db = Database(self.state_dir / STORE_FILE)
        try:
            self.store = Store(self._db)
            self.controls = Controls(self._db)
            seed_users = DEMO_USERS if users is None else tuple(users)
            self.store.seed_if_empty(
                lambda: demo_seed(seed_users, tokens, int(time.time()), accounts)
            )
        except BaseException:
            self._db.close()
            raise
        self._tls_files = ensure_tls_files(Path(tls_dir or self.state_dir)) if tls else None
        self.ca_path: Path | None = self._tls_files.ca if self._tls_files else None
        # Read on every reply, so a test may change it while the server runs.
        self.latency_ms = latency_ms
        self._initial_latency_ms = latency_ms
        self._address = (host, port)
        self._cpanel_port = cpanel_port
        self._server: _Server | None = None
        self._cpanel_server: _Server | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. https://127.0.0.1:54321 (the real port, also when asked for 0)."""
        if self._server is None:
            raise RuntimeError("The simulator is not running: call start() first.")
        return self._url_of(self._server)

    @property
    def cpanel_url(self) -> str:
        """cPanel's base URL, e.g. https://127.0.0.1:54322 (the real port, also for port 0)."""
        if self._cpanel_server is None:
            raise RuntimeError("The simulator serves no cPanel: start it with a cpanel_port.")
        return self._url_of(self._cpanel_server)

    @property
    def serves_cpanel(self) -> bool:
        return self._cpanel_port is not None

    @property
    def cpanel_port(self) -> int:
        return int(self.cpanel_url.rpartition(":")[2])

    def _url_of(self, server: _Server) -> str:
        host, port = server.server_address[:2]
        scheme = "https" if self._tls_files else "http"
        return f"{scheme}://{f'[{host}]' if ':' in str(host) else host}:{port}"

    def start(self) -> None:
        """Listen, and serve from background threads; returns once connections are accepted."""
        if self._server is not None:
            raise RuntimeError("The simulator is already running.")
        context = server_context(self._tls_files) if self._tls_files else None
        host, port = self._address
        try:
            self._server = self._serve(_Server(self, host, port, context, WHM))
            if self._cpanel_port is not None:
                self._cpanel_server = self._serve(
                    _Server(self, host, self._cpanel_port, context, CPANEL)
                )
        except BaseException:
            self._stop_servers()
            raise

    def _serve(self, server: _Server) -> _Server:
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_S},
            name=f"{server.service}-simulator-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)
        return server

    def stop(self) -> None:
        """Stop listening, end open connections (and hung requests), and release the store."""
        self._stop_servers()
        self.close()

    def _stop_servers(self) -> None:
        servers = [s for s in (self._server, self._cpanel_server) if s is not None]
        for server in servers:
            server.stopping.set()
            server.shutdown()
            server.close_open_connections()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._server = self._cpanel_server = None
        self._threads = []

    def close(self) -> None:
        """Release the store's connections (a simulator never started needs only this)."""
        self._db.close()

    def reset(self) -> None:
        """Back to the seed state: tokens, accounts, an empty log, no faults, zero counters."""
        self.store.reset()
        self.controls.reset()
        self.latency_ms = self._initial_latency_ms

    def requests(self) -> list[LoggedRequest]:
        return self.controls.requests()

    def clear_requests(self) -> None:
        self.controls.clear_requests()

    @property
    def connections_accepted(self) -> int:
        return self.controls.connections_accepted

    def set_fault(
        self,
        mode: str,
        *,
        functions: Iterable[str] | None = None,
        count: int | None = None,
        skip: int = 0,
    ) -> None:
        """Answer calls with fault `mode`: only calls of `functions` (None: all), and only the
        next `count` of them (None: until cleared), after letting the first `skip` of them
        through (a later call of a run fails). The most recently set fault wins."""
        if mode not in FAULT_MODES:
            raise ValueError(f"Unknown fault mode {mode!r}: use one of {', '.join(FAULT_MODES)}.")
        # type(), not isinstance(): JSON's true must not pass for 1.
        if count is not None and (type(count) is not int or count < 1):
            raise ValueError("count must be a whole number of at least 1.")
        if type(skip) is not int or skip < 0:
            raise ValueError("skip must be a whole number, 0 or more.")
        self.controls.add_fault(mode, _function_names(functions), count, skip)

    def clear_faults(self) -> None:
        self.controls.clear_faults()


def _security_token(path: str) -> tuple[str | None, str]:
    """A path's `/cpsessNNNNNNNNNN` prefix (None when it has none) and the path after it."""
    match = SECURITY_TOKEN_PATH.fullmatch(path)
    return (match[1], match[2]) if match else (None, path)


def _cookie(headers: Sequence[str], name: str) -> str | None:
    """Cookie `name`'s value, as sent (cpsrvd sets it URL-encoded) or decoded."""
    for header in headers:
        for part in header.split(";"):
            key, found, value = part.strip().partition("=")
            if found and key == name:
                return unquote(value.strip().strip('"'))
    return None


def _function_names(functions: Iterable[str] | None) -> list[str] | None:
    if functions is None:
        return None
    # A bare string would otherwise become a list of its letters.
    names = [] if isinstance(functions, str) else list(functions)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValueError("functions must be a non-empty list of function names.")
    return names


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Never share a port with another process (newer Pythons turn SO_REUSEPORT on here).
    allow_reuse_port = False

    def __init__(
        self,
        simulator: Simulator,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        service: str,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.simulator = simulator
        self.service = service
        self.tls = tls
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # Headers and body go out in separate writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every reply waits 40 ms.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            # The handshake runs in the connection's own thread (_Handler.setup), so a slow or
            # failing client never stalls the accept loop.
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self.simulator.controls.count_connection()
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def close_open_connections(self) -> None:
        """Wake every connection thread (idle keep-alive or hung) so that it ends now."""
        with self._open_lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up, time out or refuse our certificate are routine here.
        if isinstance(sys.exception(), ConnectionError | TimeoutError | ssl.SSLError):
            logger.debug("Connection from %s ended early", client_address[0], exc_info=True)
        else:
            logger.exception("Connection from %s failed", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "cpsrvd"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        # A session's login URL signs in as its user: its `session` never reaches the log.
        args = tuple(
            SESSION_PARAM.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in args
        )
        logger.debug("%s " + format, self.client_address[0], *args)

    # --- routing -------------------------------------------------------------------------------

    def _route(self) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(BAD_BODY)
        elif url.path.startswith(CONTROL_PREFIX):
            self._send(self._control(url.path.removeprefix(CONTROL_PREFIX), body))
        elif cpanel_header_refused(self.headers.get("Authorization")):
            # A bad password, whatever the path: cpsrvd says so before it looks at the path.
            self._finish(url.path, Params([]), None, None, ACCESS_DENIED)
        elif self.server.service == CPANEL:
            self._route_cpanel(url.path, url.query, body)
        elif scheme(self.headers.get("Authorization")) == CPANEL_SCHEME:
            # A cPanel token opens no door on WHM's port.
            self._refuse_token_scope(url.path)
        else:
            self._route_whm(url.path, url.query, body)

    def _route_whm(self, full_path: str, query: str, body: bytes) -> None:
        prefix, path = _security_token(full_path)
        if prefix is not None and path == LOGIN_PATH:
            self._login(prefix, query)
        elif path == CPANEL_JSON_API:
            self._cpanel_through_whm(self._params(query, body), prefix)
        elif path.startswith(API_PREFIX) and path != API_PREFIX:
            self._api(path.removeprefix(API_PREFIX), query, body, prefix)
        elif prefix is not None and path == "/":
            self._session_home(prefix)
        else:
            self._send(NOT_FOUND)

    def _params(self, query: str, body: bytes) -> Params:
        # Form values join the query's (api.version=1 usually rides in the URL).
        pairs = parse_qsl(query, keep_blank_values=True)
        if body and self.headers.get_content_type() == FORM:
            pairs += parse_qsl(body.decode(errors="replace"), keep_blank_values=True)
        return Params(pairs)

    def _read_body(self) -> bytes | None:
        """The request body; None when it has no usable length (chunked, huge, malformed)."""
        if self.headers.get("Transfer-Encoding"):
            return None
        length = self.headers.get("Content-Length", "0")
        # ASCII digits, and few of them: int() refuses over 4,300 digits (and reads other
        # scripts' digits), which would make the answer a 500.
        if not (length.isascii() and length.isdigit() and len(length) <= 12):
            return None
        if int(length) > MAX_BODY_BYTES:
            return None
        return self.rfile.read(int(length))

    def _peer(self) -> IPAddress:
        address = ipaddress.ip_address(self.client_address[0].partition("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            return address.ipv4_mapped
        return address

    # --- /json-api/ ----------------------------------------------------------------------------

    def _api(self, function: str, query: str, body: bytes, prefix: str | None) -> None:
        simulator = self.server.simulator
        params = self._params(query, body)
        now = int(time.time())
        caller: Caller | None = None
        fault: TakenFault | None = None
        reply: Reply | None
        try:
            caller = self._whm_caller(prefix, now)
            fault = simulator.controls.take_fault(function, modes_for(function))
            if fault is not None:
                reply = fault_reply(fault.mode, function)
            elif caller is None and self._by_session(prefix):
                reply = SESSION_REFUSED
            else:
                urls = self._service_urls()
                reply = answer(simulator.store, function, params, caller, now, urls)
        except Exception:
            logger.exception("%s failed", function)
            reply = INTERNAL_ERROR
        self._finish(function, params, caller, fault, reply)

    def _finish(
        self,
        function: str,
        params: Params,
        caller: Caller | CpanelCaller | None,
        fault: TakenFault | None,
        reply: Reply | None,
    ) -> None:
        # Logged before the reply goes out: a client that has its answer finds it in the log.
        self.server.simulator.controls.log_request(self._log_entry(function, params, caller, reply))
        if reply is None:
            if fault is not None and fault.mode == HANG:
                self._hang(fault.cleared)
            self.close_connection = True
            return
        self._delay()
        self._send(reply)

    def _log_entry(
        self,
        function: str,
        params: Params,
        caller: Caller | CpanelCaller | None,
        reply: Reply | None,
    ) -> LoggedRequest:
        user = None
        if isinstance(caller, Caller):
            user = caller.user.name
        elif isinstance(caller, CpanelCaller):
            user = caller.account.user
        return LoggedRequest(
            function=function,
            user=user,
            auth=caller.auth if caller else None,
            token_name=caller.token_name if caller else None,
            method=self.command,
            params=params.redacted(),
            status=reply.status if reply else None,
            result=reply.result if reply else None,
            time=time.time(),
        )

    def _cpanel_through_whm(self, params: Params, prefix: str | None) -> None:
        """WHM's `cpanel` function: a cPanel API 2 call run as one of the caller's accounts."""
        simulator = self.server.simulator
        now = int(time.time())
        caller: Caller | None = None
        try:
            caller = self._whm_caller(prefix, now)
            if caller is None and self._by_session(prefix):
                reply = SESSION_REFUSED
            else:
                reply = cpanel_through_whm(simulator.store, caller, params)
        except Exception:
            logger.exception("cpanel failed")
            reply = INTERNAL_ERROR
        self._finish("cpanel", params, caller, None, reply)

    def _refuse_token_scope(self, path: str) -> None:
        """A cPanel token off UAPI and API 2: refused before the token is even looked at, as
        cpsrvd does (it checks the path while it reads the headers)."""
        self._finish(path, Params([]), None, None, TOKEN_SCOPE)

    # --- cPanel's port: /execute/ (UAPI) and /json-api/cpanel (API 2) -------------------------

    def _route_cpanel(self, full_path: str, query: str, body: bytes) -> None:
        token = scheme(self.headers.get("Authorization")) == CPANEL_SCHEME
        prefix, path = _security_token(full_path)
        if prefix is not None and path == LOGIN_PATH:
            self._login(prefix, query)
        elif path.startswith(UAPI_PREFIX):
            # cpsrvd admits a token to any ./execute/ path (Auth/HTTP.pm:65) and reads the
            # module and function as Handlers/Api.pm:171 does; UAPI judges the names.
            match = UAPI_PATH.match(path)
            module, function = match.groups() if match else ("", "")
            self._uapi(module, function, self._params(query, body), prefix)
        elif path == CPANEL_JSON_API:
            self._api_2(self._params(query, body), token=token)
        elif token:
            self._refuse_token_scope(full_path)
        elif prefix is not None and path == "/":
            self._session_home(prefix)
        else:
            self._send(NOT_FOUND)

    def _uapi(self, module: str, function: str, params: Params, prefix: str | None) -> None:
        simulator = self.server.simulator
        name = f"{module}::{function}"
        now = int(time.time())
        caller: CpanelCaller | None = None
        fault: TakenFault | None = None
        reply: Reply | None
        try:
            caller = self._cpanel_caller(prefix, now)
            fault = simulator.controls.take_fault(name, modes_for(name))
            if fault is not None:
                # As on WHM's port, a fault stands in for whatever the answer would have been.
                reply = fault_reply(fault.mode, name)
            elif caller is None and self._by_session(prefix):
                reply = SESSION_REFUSED
            elif caller is None:
                # The same refusal as WHM's: nothing says whether the user, password or token
                # was wrong, or the token expired or was revoked.
                reply = ACCESS_DENIED
            else:
                call = UapiCall(simulator.store, caller.account, params, now, caller.read_only)
                outcome = run_uapi(call, module, function)
                reply = Reply(200, JSON, encode_json(outcome), outcome["status"])
        except Exception:
            logger.exception("%s failed", name)
            reply = INTERNAL_ERROR
        self._finish(name, params, caller, fault, reply)

    def _api_2(self, params: Params, *, token: bool) -> None:
        """cPanel API 2, just enough to show that a cPanel token is let in: Email::listpops."""
        simulator = self.server.simulator
        now = int(time.time())
        module = params.first("cpanel_jsonapi_module") or ""
        function = params.first("cpanel_jsonapi_func") or ""
        caller = authenticate_cpanel(simulator.store, self.headers.get("Authorization"), now)
        reply: Reply
        if token and params.first("cpanel_jsonapi_apiversion") == "1":
            # cPanel API 1 is closed to tokens: cpsrvd checks it after the path, as here.
            reply = TOKEN_SCOPE
        elif caller is None:
            reply = ACCESS_DENIED
        else:
            reply = api_2_reply(simulator.store, caller.account.user, module, function)
        self._finish(f"{module}::{function}", params, caller, None, reply)

    def _hang(self, cleared: int) -> None:
        """Say nothing until the faults are cleared, the server stops, or HANG_LIMIT_S pass.

        The request is then dropped, never answered late: a state change arriving after a test
        has moved on (or reset the store) would corrupt the next test.
        """
        controls = self.server.simulator.controls
        deadline = time.monotonic() + HANG_LIMIT_S
        while not self.server.stopping.wait(HANG_POLL_S):
            if controls.faults_cleared != cleared or time.monotonic() >= deadline:
                return

    def _delay(self) -> None:
        latency_ms = self.server.simulator.latency_ms
        if latency_ms > 0:
            self.server.stopping.wait(latency_ms / 1000)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    # --- sessions: /cpsessNNNNNNNNNN/… ---------------------------------------------------------

    def _by_session(self, prefix: str | None) -> bool:
        """Whether this request signs in by its session cookie: under a `/cpsess…` prefix and
        without an Authorization header (which cpsrvd prefers, prefix or not)."""
        return prefix is not None and not self.headers.get("Authorization")

    def _whm_caller(self, prefix: str | None, now: int) -> Caller | None:
        store = self.server.simulator.store
        if not self._by_session(prefix):
            return authenticate(store, self.headers.get("Authorization"), self._peer(), now)
        user = self._session_user(prefix or "")
        stored = store.user(user) if user else None
        # Inside the session the user is signed in as themself: every ACL they hold.
        return Caller(stored, stored.acls, "session") if stored else None

    def _cpanel_caller(self, prefix: str | None, now: int) -> CpanelCaller | None:
        store = self.server.simulator.store
        if not self._by_session(prefix):
            return authenticate_cpanel(store, self.headers.get("Authorization"), now)
        user = self._session_user(prefix or "")
        account = store.account(user) if user else None
        if account is None or account.suspend_reason is not None:
            return None
        return CpanelCaller(account, "session")

    def _session_user(self, prefix: str) -> str | None:
        """The user of the session in this request's cookie, made with `prefix`, on this port."""
        name = SESSION_COOKIE[self.server.service]
        session = _cookie(self.headers.get_all("Cookie") or [], name)
        if session is None:
            return None
        service = SESSION_SERVICE[self.server.service]
        return self.server.simulator.store.sessions.user(session, prefix, service, time.time())

    def _login(self, prefix: str, query: str) -> None:
        """A session's URL: signs in once, within its window, and answers with the cookie (and a
        redirect to the session's home, as cpsrvd does)."""
        params = Params(parse_qsl(query, keep_blank_values=True))
        service = self.server.service
        sessions = self.server.simulator.store.sessions
        user = sessions.sign_in(
            params.first("session") or "", prefix, SESSION_SERVICE[service], time.time()
        )
        if user is None:
            self._finish("login", params, None, None, SESSION_REFUSED)
            return
        port = self.server.server_address[1]
        cookie = f"{SESSION_COOKIE[service]}={quote(params.first('session') or '', safe='')}"
        cookie += f"; HttpOnly; path=/; port={port}" + ("; secure" if self.server.tls else "")
        reply = Reply(
            307,
            "text/html",
            b"",
            headers=(("Set-Cookie", cookie), ("Location", f"{prefix}/")),
        )
        caller: Caller | CpanelCaller | None
        if service == WHM:
            stored = self.server.simulator.store.user(user)
            caller = Caller(stored, stored.acls, "session") if stored else None
        else:
            account = self.server.simulator.store.account(user)
            caller = CpanelCaller(account, "session") if account else None
        self._finish("login", params, caller, None, reply)

    def _session_home(self, prefix: str) -> None:
        """Where a session's login redirects: a page naming who is signed in."""
        now = int(time.time())
        caller = self._whm_caller(prefix, now) if self.server.service == WHM else None
        account = self._cpanel_caller(prefix, now) if self.server.service == CPANEL else None
        user = caller.user.name if caller else account.account.user if account else None
        if user is None:
            self._send(SESSION_REFUSED)
            return
        page = f"<!doctype html><title>{self.server.service}</title><p>Signed in as {user}.\n"
        self._send(Reply(200, "text/html; charset=utf-8", page.encode()))

    def _service_urls(self) -> dict[str, str]:
        """Where each session service answers, as WHM names it in a session's URL: the host
        the caller asked for (HTTP_HOST), on each service's port."""
        simulator = self.server.simulator
        whm = urlsplit(simulator.url)
        host = urlsplit(f"//{self.headers.get('Host', '')}").hostname or whm.hostname or ""
        host = f"[{host}]" if ":" in host else host
        cpanel_port = simulator.cpanel_port if simulator.serves_cpanel else CPANEL_PORT
        ports = {WHOSTMGRD: whm.port, CPANELD: cpanel_port, WEBMAILD: WEBMAIL_PORT}
        return {service: f"{whm.scheme}://{host}:{port}" for service, port in ports.items()}

    # --- /__simulator__/ -----------------------------------------------------------------------

    def _control(self, path: str, body: bytes) -> Reply:
        """Faults and the request log for other processes (benchmarks); loopback callers only."""
        if not self._peer().is_loopback:
            return LOOPBACK_ONLY
        simulator = self.server.simulator
        match self.command, path:
            case "POST", "faults":
                return self._set_fault(body)
            case "DELETE", "faults":
                simulator.clear_faults()
                return Reply(200, JSON, b"{}")
            case "GET", "requests":
                return Reply(
                    200,
                    JSON,
                    encode_json(
                        {
                            "connections_accepted": simulator.connections_accepted,
                            "requests": [asdict(entry) for entry in simulator.requests()],
                        }
                    ),
                )
            case _:
                return NOT_FOUND

    def _set_fault(self, body: bytes) -> Reply:
        """POST {"mode": MODE, "functions": [NAME, …] | null, "count": N | null, "skip": N}."""
        try:
            spec = json.loads(body)
            if not isinstance(spec, dict):
                raise TypeError("Send a JSON object.")
            self.server.simulator.set_fault(
                spec.get("mode", ""),
                functions=spec.get("functions"),
                count=spec.get("count"),
                skip=spec.get("skip", 0),
            )
        except (ValueError, TypeError) as exc:
            return Reply(400, "text/plain", f"{exc}\n".encode())
        return Reply(200, JSON, encode_json(spec))
