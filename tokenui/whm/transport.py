"""WHM API 1 on the wire: the pooled HTTP client, the one `call()`, and its one error ladder.

Every request to WHM goes through `Transport.call()`: POSTed once (never retried), read against a
whole-call deadline, unwrapped from WHM's envelope, and every failure mapped onto the WhmError tree
(tokenui/whm/errors.py) with a message a person can read. `api.py` says what to call; `replies.py`
decodes what comes back.
"""

from __future__ import annotations

import base64
import logging
import math
import socket
import ssl
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import orjson

from tokenui.whm.errors import (
    WhmApiError,
    WhmAuthError,
    WhmBadResponse,
    WhmError,
    WhmTimeout,
    WhmTLSError,
    WhmUnreachable,
)
from tokenui.whm.replies import Malformed
from tokenui.whm.types import Credential

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
_SECRET_PARAMS = frozenset({"token"})


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
    """Calls WHM API 1 functions as one user over a shared, pooled HTTP client."""

    def __init__(self, http: httpx.Client, credential: Credential) -> None:
        self._http = http
        self._credential = credential

    def call[T](
        self,
        function: str,
        params: Sequence[tuple[str, str]],
        *,
        changes_state: bool,
        parse: Callable[[object], T],
    ) -> T:
        """POST one function, map every failure onto the WhmError tree, and parse `data`."""
        started = time.perf_counter()
        status: int | None = None
        result: int | None = None
        failure = ""
        try:
            reply = self._send(function, params, changes_state=changes_state)
            status = reply.status
            data = _unwrap(
                function, reply, changes_state=changes_state, secrets=self._secrets(params)
            )
            result = 1
            try:
                return parse(data)
            except Malformed as exc:
                raise WhmBadResponse(
                    f"WHM's reply to {function} is not in the shape TokenUI expects ({exc}).",
                    status_code=status,
                    may_have_run=changes_state,
                ) from exc
        except WhmApiError:
            result = 0
            raise
        except WhmError as exc:
            failure = f", {type(exc).__name__}"
            raise
        finally:
            # Only these facts: params, headers and bodies can hold secrets.
            logger.log(
                logging.INFO if changes_state else logging.DEBUG,
                "%s: HTTP %s, result %s, %.0f ms%s",
                function,
                "-" if status is None else status,
                "-" if result is None else result,
                (time.perf_counter() - started) * 1000,
                failure,
            )

    def _secrets(self, params: Sequence[tuple[str, str]]) -> frozenset[str]:
        """What this call sends that must never be shown back, even inside WHM's reason."""
        sent = (value for key, value in params if key in _SECRET_PARAMS)
        return frozenset(filter(None, (self._credential.secret, *sent)))

    def _send(
        self, function: str, params: Sequence[tuple[str, str]], *, changes_state: bool
    ) -> _Reply:
        """One request and its whole body; transport failures become WhmErrors."""
        request = self._http.build_request(
            "POST",
            f"/json-api/{function}",
            # POST keeps secrets and changes out of URLs and access logs; api.version=1 selects
            # the shape this client reads.
            params={"api.version": "1"},
            content=urlencode(params),
            headers={"Authorization": _authorization(self._credential), "Content-Type": _FORM},
        )
        timeout = self._http.timeout
        # httpx's read timeout bounds each wait for bytes, not the reply: a server trickling a
        # few bytes a second would hold the call (and the user's page) as long as it likes. So
        # the read timeout is also a deadline for the whole call, counted from here, since the
        # pool wait and the connect are part of what the user waits through (each also has its
        # own limit). The body is read against it, so a call ends by the deadline plus at most
        # one read timeout. The headers are not: httpx reads them inside send(), with no hook.
        deadline = time.monotonic() + (timeout.read if timeout.read is not None else math.inf)
        # Sent once, never retried (httpx's transport does not retry either): a call that changes
        # state must not run twice, and a read gains nothing from a silent second try.
        try:
            response = self._http.send(request, stream=True)
        except httpx.RequestError as exc:
            raise _no_reply(exc, timeout, changes_state=changes_state) from exc
        try:
            body = _read_body(response, deadline)
        except httpx.RequestError as exc:
            raise _cut_short(
                exc, timeout, response.status_code, changes_state=changes_state
            ) from exc
        except _Overdue as exc:
            raise _read_timeout(timeout, changes_state=changes_state) from exc
        finally:
            # Closing a reply read only in part drops its connection rather than pooling it.
            response.close()
        return _Reply(response.status_code, response.headers.get("Content-Type", ""), body)


# --- Requests --------------------------------------------------------------------------------


def _authorization(credential: Credential) -> str:
    if credential.kind == "token":
        header = f"whm {credential.user}:{credential.secret}"
    else:
        pair = f"{credential.user}:{credential.secret}".encode()
        header = f"Basic {base64.b64encode(pair).decode('ascii')}"
    # A header carries only printable ASCII: a token pasted with a stray character cannot be
    # valid, so it fails as a refusal rather than as a crash inside httpx.
    if not (header.isascii() and header.isprintable()):
        raise WhmAuthError("These credentials hold characters that cannot be sent to WHM.")
    return header


def _no_reply(exc: httpx.RequestError, timeout: httpx.Timeout, *, changes_state: bool) -> WhmError:
    """A failure before WHM's reply began."""
    if isinstance(exc, httpx.ConnectTimeout):
        return WhmTimeout(
            f"WHM did not accept a connection within {timeout.connect:g} seconds.", phase="connect"
        )
    if isinstance(exc, httpx.PoolTimeout):
        # Nothing was sent: every pooled connection to this WHM stayed busy.
        return WhmTimeout("Too many requests to WHM are in progress; try again.", phase="connect")
    if isinstance(exc, httpx.TimeoutException):
        return _read_timeout(timeout, changes_state=changes_state)
    if isinstance(exc, httpx.ConnectError):
        return _connect_error(exc)
    # From here on the request went out (or was going out): WHM may have acted on it.
    if isinstance(exc, httpx.RemoteProtocolError) and not _closed_unanswered(exc):
        # What came back is not HTTP/1 (HTTP/2 frames, a TLS alert, a line that is no status
        # line): the URL names something other than WHM's API.
        return WhmBadResponse(
            "WHM's reply is not HTTP; check the server URL.",
            status_code=None,
            may_have_run=changes_state,
        )
    # Reset, or closed before a reply began.
    return WhmUnreachable(
        "WHM closed the connection without answering.", may_have_run=changes_state
    )


def _closed_unanswered(exc: httpx.RemoteProtocolError) -> bool:
    # httpcore's words when the connection closes before a whole status line and headers have
    # arrived; every other protocol error is h11 refusing what did arrive. No class tells them
    # apart, so the text does (its parse errors quote the bytes: they are never shown).
    return str(exc).startswith("Server disconnected without sending a response")


def _cut_short(
    exc: httpx.RequestError, timeout: httpx.Timeout, status: int, *, changes_state: bool
) -> WhmError:
    """A failure after WHM's reply began: it had the request, so it may have acted on it."""
    if isinstance(exc, httpx.TimeoutException):
        return _read_timeout(timeout, changes_state=changes_state)
    return WhmBadResponse(
        "WHM's reply was cut short.", status_code=status, may_have_run=changes_state
    )


def _read_timeout(timeout: httpx.Timeout, *, changes_state: bool) -> WhmTimeout:
    return WhmTimeout(
        f"WHM did not answer within {timeout.read:g} seconds.",
        phase="read",
        may_have_run=changes_state,
    )


def _connect_error(exc: httpx.ConnectError) -> WhmError:
    tls = _cause(exc, ssl.SSLError)
    if isinstance(tls, ssl.SSLCertVerificationError):
        return WhmTLSError(
            "WHM's TLS certificate could not be verified. If WHM uses a certificate from its own "
            "authority, set WHM_CA_BUNDLE to that authority's certificate file."
        )
    if tls is not None:
        return WhmTLSError(
            "The TLS handshake with WHM failed. Check that the server URL is WHM's https port "
            "(usually 2087), and set WHM_CA_BUNDLE if WHM uses its own certificate authority."
        )
    if _cause(exc, socket.gaierror) is not None:
        return WhmUnreachable("TokenUI could not find WHM's host name; check the server URL.")
    return WhmUnreachable("TokenUI could not connect to WHM: nothing answered at its address.")


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


def _unwrap(
    function: str, reply: _Reply, *, changes_state: bool, secrets: frozenset[str]
) -> object:
    """The `data` of a `result: 1` reply; anything else raises a WhmError."""
    status = reply.status

    def bad(message: str) -> WhmBadResponse:
        return WhmBadResponse(message, status_code=status, may_have_run=changes_state)

    if status in {401, 403}:
        raise WhmAuthError
    if status >= 500:
        raise bad(f"WHM answered with a server error (HTTP {status}).")
    if status != 200:
        raise bad(f"WHM answered with HTTP {status}, not an API reply; check the server URL.")
    if reply.content_type.startswith("text/html"):
        raise bad("WHM answered with a web page, not an API reply; check the server URL.")
    try:
        payload = orjson.loads(reply.body)
    except ValueError as exc:  # orjson's JSONDecodeError, also for nesting past 1,024 levels
        raise bad("WHM's reply is not valid JSON.") from exc
    if _is_access_denied(payload):
        raise WhmAuthError
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    if not isinstance(metadata, dict):
        raise bad(f"WHM's reply to {function} has no API 1 metadata.")
    result = _result(metadata.get("result"))
    if result is None:
        raise bad(f"WHM's reply to {function} has no valid result.")
    if result == 0:
        raise WhmApiError(_reason(metadata, secrets), function=function)
    return payload.get("data")


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


def _reason(metadata: dict[str, object], secrets: frozenset[str]) -> str:
    """WHM's sentence for `result: 0`, with anything secret it might echo blanked out."""
    reason = metadata.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return "WHM declined the request without saying why."
    for secret in secrets:
        reason = reason.replace(secret, "[secret]")
    return reason
