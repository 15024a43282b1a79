"""WHM API 1 and cPanel UAPI on the wire: the pooled HTTP client, the one `call()`, and its one
error ladder.

Every request to WHM or cPanel goes through `Transport.call()`: POSTed once (never retried; only
a read whose session lapsed is sent again, in a new session), read against a whole-call
deadline, unwrapped from its envelope, and every failure mapped onto the WhmError tree
(tokenui/whm/errors.py) with a message a person can read. A `Wire` says which API
is spoken: WHM API 1 (`WHM`), UAPI direct to cPanel (`UAPI`), or UAPI through WHM's
`uapi_cpanel` (`UapiThroughWhm`), or WHM API 1 inside a session WHM made for a user (`InSession`,
signed in by `Transport.sign_in`). `api.py` and `uapi.py` say what to call; `replies.py` decodes
what comes back.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import math
import re
import socket
import ssl
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec

from tokenui.whm.errors import (
    WhmApiError,
    WhmAuthError,
    WhmBadResponse,
    WhmError,
    WhmSessionExpired,
    WhmSessionRefused,
    WhmTimeout,
    WhmTLSError,
    WhmUnreachable,
)
from tokenui.whm.replies import Malformed
from tokenui.whm.types import Credential, SessionCookie, UserSession

logger = logging.getLogger("tokenui.whm")


def _version() -> str:
    # TokenUI runs from its checkout (it is not an installed package), so pyproject.toml is the
    # one place its version is written.
    with (Path(__file__).resolve().parents[2] / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


USER_AGENT = f"TokenUI/{_version()}"
_FORM = "application/x-www-form-urlencoded"
# One pooled client per server serves every dashboard user, so its size bounds what a burst of
# users can open against WHM. Idle sockets are dropped sooner than servers commonly close them
# (often after 5 s): without retries, reusing a socket the server is closing would be an error.
_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=4.0)
_CONNECT_TIMEOUT_CAP = 5.0
# Request parameters whose value is a secret: WHM's reason is shown to people, so it is scrubbed.
_SECRET_PARAMS = frozenset({"token", "session"})
# A session's path prefix (Cpanel::Session::generate_new_security_token), and its cookie on
# WHM's port.
SECURITY_TOKEN = re.compile(r"/cpsess[0-9]{10}")
_WHM_SESSION_COOKIE = "whostmgrsession"


class Wire:
    """WHM API 1: where a function is sent, how the caller signs in, how the reply wraps its
    data, and the words its failures are told in. The subclasses speak cPanel's UAPI."""

    service = "WHM"  # who answers, in messages
    scheme = "whm"  # the Authorization scheme of an API token
    check = "check the server URL"  # what to check when the reply is not from this API
    port_hint = "the server URL is WHM's https port (usually 2087)"

    def label(self, function: str) -> str:
        """The call as logs and messages name it."""
        return function

    def request(
        self, function: str, params: Sequence[tuple[str, str]]
    ) -> tuple[str, dict[str, str], Sequence[tuple[str, str]]]:
        """The path, query and form body of a call."""
        # api.version=1 selects the shape this client reads.
        return f"/json-api/{function}", {"api.version": "1"}, params

    def data(self, function: str, payload: object, fail: _Failures) -> object:
        """The `data` of a `result: 1` reply; anything else raises a WhmError."""
        return _api_1_data(function, payload, fail)

    def refused(self, status: int, body: bytes) -> WhmAuthError:
        """HTTP 401 or 403: what the refusal means for this API."""
        return _refused(body, self)

    def renewed(self, cookie: SessionCookie) -> Wire:
        """The same API inside a new session (a wire outside any session is unchanged)."""
        return self


class InSession(Wire):
    """WHM API 1 inside a session WHM made for `cookie.user` (`create_user_session`): under the
    session's `/cpsess…` prefix, signed in by its cookie, acting as that user."""

    def __init__(self, cookie: SessionCookie) -> None:
        # The prefix becomes part of every path: only WHM's own shape is ever sent.
        if not SECURITY_TOKEN.fullmatch(cookie.security_token):
            raise ValueError("A session's security token is /cpsess and ten digits.")
        self.user = cookie.user
        self.prefix = cookie.security_token

    def request(
        self, function: str, params: Sequence[tuple[str, str]]
    ) -> tuple[str, dict[str, str], Sequence[tuple[str, str]]]:
        path, query, body = super().request(function, params)
        return f"{self.prefix}{path}", query, body

    def refused(self, status: int, body: bytes) -> WhmAuthError:
        # cpsrvd answers 401 when the cookie no longer opens the session (idled out, ended, or
        # not made with this prefix); 403 is WHM API 1's refusal of the call itself.
        if status == 401:
            return WhmSessionExpired(self.user)
        return WhmSessionRefused(
            self.user,
            f"WHM refused this call in {self.user}'s session: {self.user} may not hold the "
            "privilege it needs.",
        )

    def renewed(self, cookie: SessionCookie) -> Wire:
        return InSession(cookie)


def wire_for(credential: Credential | SessionCookie) -> Wire:
    """WHM API 1 as this credential signs in: directly, or inside the session of a cookie."""
    return InSession(credential) if isinstance(credential, SessionCookie) else WHM


class Uapi(Wire):
    """cPanel's UAPI, direct on cPanel's port: `/execute/MODULE/FUNCTION`, the bare result."""

    service = "cPanel"
    scheme = "cpanel"
    check = "check the server URL and CPANEL_PORT"
    port_hint = "CPANEL_PORT is cPanel's https port (usually 2083)"

    def request(
        self, function: str, params: Sequence[tuple[str, str]]
    ) -> tuple[str, dict[str, str], Sequence[tuple[str, str]]]:
        module, name = _uapi_name(function)
        return f"/execute/{module}/{name}", {}, params

    def data(self, function: str, payload: object, fail: _Failures) -> object:
        return _uapi_data(function, payload, fail, what=f"cPanel's reply to {function}")


class UapiThroughWhm(Wire):
    """cPanel's UAPI for one account, through WHM API 1's `uapi_cpanel` on WHM's port."""

    def __init__(self, account: str) -> None:
        self.account = account

    def label(self, function: str) -> str:
        return f"uapi_cpanel {function}"

    def request(
        self, function: str, params: Sequence[tuple[str, str]]
    ) -> tuple[str, dict[str, str], Sequence[tuple[str, str]]]:
        module, name = _uapi_name(function)
        named = [("cpanel.user", self.account), ("cpanel.module", module)]
        return super().request("uapi_cpanel", [*named, ("cpanel.function", name), *params])

    def data(self, function: str, payload: object, fail: _Failures) -> object:
        # WHM ran uapi_cpanel (`metadata.result`), and cPanel ran the function inside it
        # (`data.uapi.status`): either can say no.
        data = _api_1_data(self.label(function), payload, fail)
        uapi = data.get("uapi") if isinstance(data, dict) else None
        return _uapi_data(function, uapi, fail, what=f"WHM's reply to {self.label(function)}")


class UapiInSession(UapiThroughWhm):
    """`uapi_cpanel` for one account inside a session WHM made for `cookie.user` (the account's
    owner): under the session's prefix, signed in by its cookie."""

    def __init__(self, cookie: SessionCookie, account: str) -> None:
        super().__init__(account)
        self._session = InSession(cookie)

    def request(
        self, function: str, params: Sequence[tuple[str, str]]
    ) -> tuple[str, dict[str, str], Sequence[tuple[str, str]]]:
        path, query, body = super().request(function, params)
        return f"{self._session.prefix}{path}", query, body

    def refused(self, status: int, body: bytes) -> WhmAuthError:
        return self._session.refused(status, body)

    def renewed(self, cookie: SessionCookie) -> Wire:
        return UapiInSession(cookie, self.account)


def uapi_wire_for(credential: Credential | SessionCookie, account: str) -> Wire:
    """cPanel's UAPI for `account` through WHM, as this credential signs in to WHM."""
    if isinstance(credential, SessionCookie):
        return UapiInSession(credential, account)
    return UapiThroughWhm(account)


def _uapi_name(function: str) -> tuple[str, str]:
    module, sep, name = function.partition("::")
    if not (sep and module and name):
        raise ValueError(f"A UAPI function is named MODULE::FUNCTION, not {function!r}.")
    return module, name


WHM = Wire()
UAPI = Uapi()


def make_http_client(
    base_url: str, *, verify: bool = True, ca_bundle: str | None = None, timeout: float = 15.0
) -> httpx.Client:
    """The one place an HTTP client for WHM is configured; auth is added per call, not here."""
    return httpx.Client(
        base_url=base_url,
        # False only when the operator chose it (WHM_VERIFY_TLS=false).
        verify=_tls_context(ca_bundle) if verify else False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT_CAP)),
        limits=_LIMITS,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    # The system's trust store (what curl on this machine trusts), or only the operator's CA for a
    # WHM with a private certificate. httpx would otherwise use certifi's bundle, which is neither.
    return ssl.create_default_context(cafile=ca_bundle)


class Transport:
    """Calls one API's functions (WHM API 1 unless told) as one user over a shared, pooled HTTP
    client."""

    def __init__(
        self,
        http: httpx.Client,
        credential: Credential | SessionCookie,
        wire: Wire = WHM,
        renew: Callable[[], SessionCookie] | None = None,
    ) -> None:
        self._http = http
        self._credential = credential
        self._wire = wire
        # In a session: how to make a new one when it lapses (for reads only, see `call`).
        self._renew = renew

    @property
    def credential(self) -> Credential | SessionCookie:
        return self._credential

    def call[T](
        self,
        function: str,
        params: Sequence[tuple[str, str]],
        *,
        changes_state: bool,
        parse: Callable[[Any], T],
        data_type: type | None = None,
    ) -> T:
        """POST one function, map every failure onto the WhmError tree, and parse `data`.

        The parser gets `data` as JSON values; or, given a `data_type` (a msgspec Struct) and a
        WHM API 1 reply that fits it, `data` decoded into it in the same pass as the envelope.

        In a session that lapsed (WhmSessionExpired: WHM did nothing), a read is made once more
        in a new session when the transport can make one; a change is never sent again.
        """
        try:
            return self._call_once(function, params, changes_state, parse, data_type)
        except WhmSessionExpired:
            if changes_state or self._renew is None:
                raise
        cookie = self._renew()
        self._credential, self._wire = cookie, self._wire.renewed(cookie)
        return self._call_once(function, params, changes_state, parse, data_type)

    def _call_once[T](
        self,
        function: str,
        params: Sequence[tuple[str, str]],
        changes_state: bool,
        parse: Callable[[Any], T],
        data_type: type | None,
    ) -> T:
        outcome = _Outcome(self._wire.label(function), changes_state)
        try:
            request = self._request(function, params)
            reply = self._send(request, changes_state=changes_state)
            outcome.status = reply.status
            fail = _Failures(self._wire, reply.status, changes_state, self._secrets(params))
            data = _unwrap(function, reply, fail, data_type)
            outcome.result = 1
            return _parsed(parse, data, fail, outcome.label)
        except WhmError as exc:
            outcome.failed(exc)
            raise
        finally:
            outcome.log()

    def _secrets(self, params: Sequence[tuple[str, str]]) -> frozenset[str]:
        """What this call sends that must never be shown back, even inside WHM's reason."""
        sent = (value for key, value in params if key in _SECRET_PARAMS)
        return frozenset(filter(None, (self._credential.secret, *sent)))

    def sign_in(self, session: UserSession) -> SessionCookie:
        """Use a `whostmgrd` session's sign-in link, once: the cookie WHM answers with.

        The link is followed on this transport's own server (its TLS checks, its pool), never
        at the host WHM wrote into `url`: only the session's prefix and string are taken from
        the reply. Nothing of the session is logged.
        """
        if not SECURITY_TOKEN.fullmatch(session.security_token):
            raise ValueError("A session's security token is /cpsess and ten digits.")
        outcome = _Outcome("create_user_session sign-in", changes_state=False)
        try:
            request = self._http.build_request(
                "GET", f"{session.security_token}/login/", params={"session": session.session}
            )
            reply = self._send(request, changes_state=False)
            outcome.status = reply.status
            cookie = _session_cookie(reply, session.user)
            outcome.result = 1
            return SessionCookie(session.user, session.security_token, cookie)
        except WhmError as exc:
            outcome.failed(exc)
            raise
        finally:
            outcome.log()

    def _send(self, request: httpx.Request, *, changes_state: bool) -> _Reply:
        """One request and its whole body; transport failures become WhmErrors."""
        wire = self._wire
        timeout = self._http.timeout
        deadline = _deadline(timeout)
        # Sent once, never retried (httpx's transport does not retry either): a call that changes
        # state must not run twice, and a read gains nothing from a silent second try.
        try:
            response = self._http.send(request, stream=True)
        except httpx.RequestError as exc:
            raise _no_reply(exc, timeout, wire, changes_state=changes_state) from exc
        try:
            content = _read_body(response, deadline)
        except httpx.RequestError as exc:
            raise _cut_short(
                exc, timeout, response.status_code, wire, changes_state=changes_state
            ) from exc
        except _Overdue as exc:
            raise _read_timeout(timeout, wire, changes_state=changes_state) from exc
        finally:
            # Closing a reply read only in part drops its connection rather than pooling it.
            response.close()
        return _Reply(
            response.status_code,
            response.headers.get("Content-Type", ""),
            content,
            tuple(response.headers.get_list("Set-Cookie")),
        )

    def _request(self, function: str, params: Sequence[tuple[str, str]]) -> httpx.Request:
        """The POST of one call, signed in as this transport's user."""
        path, query, body = self._wire.request(function, params)
        return self._http.build_request(
            "POST",
            path,
            # POST keeps secrets and changes out of URLs and access logs.
            params=query,
            content=urlencode(body),
            headers={**_signed(self._credential, self._wire), "Content-Type": _FORM},
        )


@dataclass(slots=True)
class _Outcome:
    """What the log says of one call: only these facts, since params, headers and bodies can
    hold secrets."""

    label: str
    changes_state: bool
    started: float = field(default_factory=time.perf_counter)
    status: int | None = None
    result: int | None = None
    failure: str = ""

    def failed(self, exc: WhmError) -> None:
        if isinstance(exc, WhmApiError):
            self.result = 0  # WHM answered, and said no: the failure is its result
        else:
            self.failure = f", {type(exc).__name__}"

    def log(self) -> None:
        logger.log(
            logging.INFO if self.changes_state else logging.DEBUG,
            "%s: HTTP %s, result %s, %.0f ms%s",
            self.label,
            "-" if self.status is None else self.status,
            "-" if self.result is None else self.result,
            (time.perf_counter() - self.started) * 1000,
            self.failure,
        )


def _parsed[T](parse: Callable[[Any], T], data: object, fail: _Failures, label: str) -> T:
    """`data` through the caller's parser: a shape it refuses is a malformed reply."""
    try:
        return parse(data)
    except Malformed as exc:
        raise fail.bad(
            f"{fail.wire.service}'s reply to {label} is not in the shape TokenUI expects ({exc})."
        ) from exc


# --- Requests --------------------------------------------------------------------------------


def _signed(credential: Credential | SessionCookie, wire: Wire) -> dict[str, str]:
    """The header that signs a call in: Authorization, or a session's cookie (sent as WHM set
    it, and alone: cpsrvd would prefer an Authorization header to the session)."""
    if isinstance(credential, SessionCookie):
        header = f"{_WHM_SESSION_COOKIE}={credential.secret}"
        if not (header.isascii() and header.isprintable() and ";" not in credential.secret):
            raise WhmSessionExpired(credential.user)
        return {"Cookie": header}
    return {"Authorization": _authorization(credential, wire)}


def _authorization(credential: Credential, wire: Wire) -> str:
    if credential.kind == "token":
        header = f"{wire.scheme} {credential.user}:{credential.secret}"
    else:
        pair = f"{credential.user}:{credential.secret}".encode()
        header = f"Basic {base64.b64encode(pair).decode('ascii')}"
    # A header carries only printable ASCII: a token pasted with a stray character cannot be
    # valid, so it fails as a refusal rather than as a crash inside httpx.
    if not (header.isascii() and header.isprintable()):
        raise WhmAuthError(
            f"These credentials hold characters that cannot be sent to {wire.service}.",
            service=wire.service,
        )
    return header


def _no_reply(
    exc: httpx.RequestError, timeout: httpx.Timeout, wire: Wire, *, changes_state: bool
) -> WhmError:
    """A failure before WHM's reply began."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return _connect_timeout(exc, timeout, wire)
    if isinstance(exc, httpx.TimeoutException):
        return _read_timeout(timeout, wire, changes_state=changes_state)
    if isinstance(exc, httpx.ConnectError):
        return _connect_error(exc, wire)
    return _unanswered(exc, wire, changes_state=changes_state)


def _connect_timeout(
    exc: httpx.ConnectTimeout | httpx.PoolTimeout, timeout: httpx.Timeout, wire: Wire
) -> WhmTimeout:
    """Nothing was sent: no connection was made, or none was free, in time."""
    service = wire.service
    if isinstance(exc, httpx.PoolTimeout):
        # Every pooled connection to this WHM stayed busy.
        message = f"Too many requests to {service} are in progress; try again."
    else:
        message = f"{service} did not accept a connection within {timeout.connect:g} seconds."
    return WhmTimeout(message, phase="connect", service=service)


def _unanswered(exc: httpx.RequestError, wire: Wire, *, changes_state: bool) -> WhmError:
    """The request went out (or was going out) and no reply began: WHM may have acted on it."""
    service = wire.service
    if isinstance(exc, httpx.RemoteProtocolError) and not _closed_unanswered(exc):
        # What came back is not HTTP/1 (HTTP/2 frames, a TLS alert, a line that is no status
        # line): the URL names something other than WHM's API.
        return WhmBadResponse(
            f"{service}'s reply is not HTTP; {wire.check}.",
            status_code=None,
            may_have_run=changes_state,
            service=service,
        )
    # Reset, or closed before a reply began.
    return WhmUnreachable(
        f"{service} closed the connection without answering.",
        may_have_run=changes_state,
        service=service,
    )


def _closed_unanswered(exc: httpx.RemoteProtocolError) -> bool:
    # httpcore's words when the connection closes before a whole status line and headers have
    # arrived; every other protocol error is h11 refusing what did arrive. No class tells them
    # apart, so the text does (its parse errors quote the bytes: they are never shown).
    return str(exc).startswith("Server disconnected without sending a response")


def _cut_short(
    exc: httpx.RequestError, timeout: httpx.Timeout, status: int, wire: Wire, *, changes_state: bool
) -> WhmError:
    """A failure after WHM's reply began: it had the request, so it may have acted on it."""
    if isinstance(exc, httpx.TimeoutException):
        return _read_timeout(timeout, wire, changes_state=changes_state)
    return WhmBadResponse(
        f"{wire.service}'s reply was cut short.",
        status_code=status,
        may_have_run=changes_state,
        service=wire.service,
    )


def _deadline(timeout: httpx.Timeout) -> float:
    """When the whole call must end, on the monotonic clock: the read timeout from now."""
    # httpx's read timeout bounds each wait for bytes, not the reply: a server trickling a few
    # bytes a second would hold the call (and the user's page) as long as it likes. So the read
    # timeout is also a deadline for the whole call, counted from before sending, since the pool
    # wait and the connect are part of what the user waits through (each also has its own
    # limit). The body is read against it, so a call ends by the deadline plus at most one read
    # timeout. The headers are not: httpx reads them inside send(), with no hook.
    return time.monotonic() + (timeout.read if timeout.read is not None else math.inf)


def _read_timeout(timeout: httpx.Timeout, wire: Wire, *, changes_state: bool) -> WhmTimeout:
    return WhmTimeout(
        f"{wire.service} did not answer within {timeout.read:g} seconds.",
        phase="read",
        may_have_run=changes_state,
        service=wire.service,
    )


def _connect_error(exc: httpx.ConnectError, wire: Wire) -> WhmError:
    service = wire.service
    tls = _cause(exc, ssl.SSLError)
    if isinstance(tls, ssl.SSLCertVerificationError):
        return WhmTLSError(
            f"{service}'s TLS certificate could not be verified. If {service} uses a certificate "
            "from its own authority, set WHM_CA_BUNDLE to that authority's certificate file.",
            service=service,
        )
    if tls is not None:
        return WhmTLSError(
            f"The TLS handshake with {service} failed. Check that {wire.port_hint}, and set "
            f"WHM_CA_BUNDLE if {service} uses its own certificate authority.",
            service=service,
        )
    if _cause(exc, socket.gaierror) is not None:
        return WhmUnreachable(
            f"TokenUI could not find {service}'s host name; check the server URL.", service=service
        )
    return WhmUnreachable(
        f"TokenUI could not connect to {service}: nothing answered at its address.",
        service=service,
    )


def _cause[E: BaseException](exc: BaseException, kind: type[E]) -> E | None:
    """The first exception of `kind` in exc's chain (httpx wraps httpcore wraps the OS error)."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


# --- Replies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
    """An HTTP reply from WHM, its body read in full."""

    status: int
    content_type: str
    body: bytes
    # Its Set-Cookie headers: read only for a session's sign-in, never logged.
    set_cookies: tuple[str, ...] = ()


def _session_cookie(reply: _Reply, user: str) -> str:
    """The whostmgrsession cookie a session's sign-in link answered with, as WHM set it."""
    if reply.status in {401, 403}:
        raise WhmSessionExpired(user)
    if reply.status >= 400:
        raise WhmBadResponse(
            f"WHM answered the session's sign-in link with HTTP {reply.status}; check the "
            "server URL.",
            status_code=reply.status,
        )
    for header in reply.set_cookies:
        name, found, rest = header.partition("=")
        value = rest.partition(";")[0].strip()
        if found and name.strip() == _WHM_SESSION_COOKIE and value:
            return value
    raise WhmBadResponse(
        "WHM answered the session's sign-in link without a session cookie; check the server URL.",
        status_code=reply.status,
    )


class _Overdue(Exception):
    """The reply was still arriving at the call's deadline."""


def _read_body(response: httpx.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        if time.monotonic() > deadline and not _complete(response):
            raise _Overdue
    return b"".join(chunks)


def _complete(response: httpx.Response) -> bool:
    """Whether every byte Content-Length announced has arrived (False when it is not known)."""
    # A reply that is all here is used even when it is late: for a write, dropping it would
    # turn a known outcome into "may have run".
    length = response.headers.get("Content-Length", "")
    return length.isdigit() and response.num_bytes_downloaded >= int(length)


class _Failures:
    """The errors one reply can end in, worded for its API, its secrets blanked out."""

    def __init__(
        self, wire: Wire, status: int, changes_state: bool, secrets: frozenset[str]
    ) -> None:
        self.wire = wire
        self.status = status
        self.changes_state = changes_state
        self.secrets = secrets

    def bad(self, message: str) -> WhmBadResponse:
        return WhmBadResponse(
            message,
            status_code=self.status,
            may_have_run=self.changes_state,
            service=self.wire.service,
        )

    def scrub(self, text: str) -> str:
        """WHM's or cPanel's words, with anything secret they might echo blanked out."""
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text


# What cPanel answers (HTTP 403) when a cPanel API token is used on anything but UAPI or cPanel
# API 2 (../shared/whm-api.md): WHM's API, above all.
_TOKEN_SCOPE = b"Token authentication allows access to UAPI or API 2 calls only."


class _Typed[Data](msgspec.Struct):
    """A WHM API 1 reply with `data` decoded into a Struct in the same pass as the envelope:
    WHM's token list (megabytes at 1,000 tokens) is read once, in C, into only what it needs."""

    metadata: object = None
    data: Data | None = None
    cpanelresult: object = None


@cache
def _typed(data_type: type) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(_Typed[data_type])  # type: ignore[valid-type]


def _fits(body: bytes, data_type: type) -> _Typed[Any] | None:
    """The reply decoded into `data_type`, when it is a WHM API 1 success that fits it."""
    with contextlib.suppress(msgspec.DecodeError, RecursionError):
        payload = _typed(data_type).decode(body)
        metadata = payload.metadata
        if isinstance(metadata, dict) and _result(metadata.get("result")) == 1:
            return payload
    return None


def _unwrap(function: str, reply: _Reply, fail: _Failures, data_type: type | None = None) -> object:
    """The `data` of a successful reply; anything else raises a WhmError."""
    _check_http(reply, fail)
    # The fast way, for WHM API 1 only; whatever does not fit it (a refusal, a result 0, a
    # broken reply) takes the general way below, which says what is wrong with it.
    fast = data_type is not None and type(fail.wire) is Wire
    if fast and (typed := _fits(reply.body, data_type)) is not None:
        return typed.data
    try:
        payload = msgspec.json.decode(reply.body)
    except (msgspec.DecodeError, RecursionError) as exc:  # also for absurdly deep nesting
        raise fail.bad(f"{fail.wire.service}'s reply is not valid JSON.") from exc
    if _is_access_denied(payload):
        raise WhmAuthError(service=fail.wire.service)
    return fail.wire.data(function, payload, fail)


def _check_http(reply: _Reply, fail: _Failures) -> None:
    """Raises unless the reply is what an API answers: HTTP 200, and no web page."""
    status = reply.status
    service, check = fail.wire.service, fail.wire.check
    if status in {401, 403}:
        raise fail.wire.refused(status, reply.body)
    if status >= 500:
        raise fail.bad(f"{service} answered with a server error (HTTP {status}).")
    if status != 200:
        raise fail.bad(f"{service} answered with HTTP {status}, not an API reply; {check}.")
    if reply.content_type.startswith("text/html"):
        raise fail.bad(f"{service} answered with a web page, not an API reply; {check}.")


def _refused(body: bytes, wire: Wire) -> WhmAuthError:
    """HTTP 401 or 403: the credential was refused."""
    if _TOKEN_SCOPE in body:
        # Sent by WHM's port, whichever API meant to call it: CPANEL_PORT may name WHM's.
        return WhmAuthError(
            "This token was refused: a cPanel API token works only with cPanel's own API "
            f"(UAPI) on cPanel's port, not with WHM's; {wire.check}.",
            service=wire.service,
        )
    return WhmAuthError(service=wire.service)


def _api_1_data(function: str, payload: object, fail: _Failures) -> object:
    """WHM API 1's envelope: the `data` of `metadata.result: 1`, or its reason as an error."""
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(metadata, dict):
        raise fail.bad(f"WHM's reply to {function} has no API 1 metadata.")
    result = _result(metadata.get("result"))
    if result is None:
        raise fail.bad(f"WHM's reply to {function} has no valid result.")
    if result == 0:
        raise WhmApiError(_reason(metadata, fail), function=function)
    return payload.get("data")


def _uapi_data(function: str, result: object, fail: _Failures, *, what: str) -> object:
    """UAPI's result object: the `data` of `status: 1`, or its `errors` as an error."""
    if not isinstance(result, dict):
        raise fail.bad(f"{what} has no UAPI result.")
    status = _result(result.get("status"))
    if status is None:
        raise fail.bad(f"{what} has no valid status.")
    if status == 0:
        raise WhmApiError(_errors(result.get("errors"), fail), function=function)
    return result.get("data")


def _result(value: object) -> int | None:
    """`metadata.result`: 1 or 0, which WHM may also send as a string."""
    try:
        result = int(value) if isinstance(value, int | str) else None
    except ValueError:
        return None
    return result if result in {0, 1} else None


def _is_access_denied(payload: object) -> bool:
    # WHM refuses a login in an older shape, normally with HTTP 403 (handled before this).
    legacy = payload.get("cpanelresult") if isinstance(payload, dict) else None
    return isinstance(legacy, dict) and legacy.get("error") == "Access denied"


def _reason(metadata: dict[str, object], fail: _Failures) -> str:
    """WHM's sentence for `result: 0`, with anything secret it might echo blanked out."""
    reason = metadata.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return "WHM declined the request without saying why."
    return fail.scrub(reason)


def _errors(errors: object, fail: _Failures) -> str:
    """cPanel's `errors` for `status: 0`, one sentence after another, secrets blanked out."""
    # A list of strings; a lone string is read as one, and anything else as no reason.
    listed = [errors] if isinstance(errors, str) else errors if isinstance(errors, list) else []
    sentences = [e.strip() for e in listed if isinstance(e, str) and e.strip()]
    if not sentences:
        return "cPanel declined the request without saying why."
    return fail.scrub(" ".join(sentences))
