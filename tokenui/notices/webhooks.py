"""Webhooks: which URLs a rule may name (https; no address inside TokenUI's own network unless
WEBHOOK_ALLOW_PRIVATE), and the signed JSON POST itself, sent to an address checked at the moment
of sending and to no other (a name that resolves elsewhere later cannot turn it inward).

The standard library's http.client, not httpx: only tokenui.whm speaks httpx, and one POST to a
pinned address needs no pool."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-TokenUI-Signature"
TIMEOUT_SECONDS = 10.0
# Never called, whatever WEBHOOK_ALLOW_PRIVATE says: these reach no single receiver.
_NEVER = ("is_multicast", "is_unspecified", "is_reserved")


class DeliveryError(Exception):
    """A notice that did not arrive, with why in plain words (`message`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def checked_url(url: str, *, allow_private: bool) -> str:
    """A webhook URL as a rule keeps it; DeliveryError naming what is wrong. Names are
    resolved only when sending (no network here): see `post`."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise DeliveryError("This URL has an invalid host or port.") from None
    host = parts.hostname or ""
    if parts.scheme not in {"https", "http"} or not host:
        raise DeliveryError("Enter a URL such as https://hooks.example.com/tokenui.")
    if parts.username or parts.password:
        raise DeliveryError("Leave the user name and password out of the URL: use the secret.")
    if parts.scheme == "http" and not (allow_private and _is_loopback_name(host)):
        raise DeliveryError("Use https://: plain http would carry the notices unencrypted.")
    if host.lower() == "localhost" and not allow_private:
        raise DeliveryError(refused(ipaddress.ip_address("127.0.0.1"), host))
    address = _literal(host)
    if address is not None and (reason := refusal(address, allow_private=allow_private)):
        raise DeliveryError(reason)
    return url


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> str:
    """Why TokenUI will not call `address` ("" when it will)."""
    if any(getattr(address, never) for never in _NEVER):
        return refused(address, "")
    if not address.is_global and not allow_private:
        return refused(address, "")
    return ""


def refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> str:
    named = f"{host} is {address}, " if host and host != str(address) else f"{address} is "
    return (
        f"{named}an address inside a private network (loopback, private, shared or "
        "link-local), which TokenUI does not call unless WEBHOOK_ALLOW_PRIVATE is set."
    )


def signature(secret: bytes, body: bytes) -> str:
    """The X-TokenUI-Signature header's value: sha256= and the body's hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Post:
    """One webhook call: where, what, and the headers beside the signature."""

    url: str
    body: bytes
    headers: dict[str, str]


def post(call: Post, secret: bytes, *, allow_private: bool) -> None:
    """POST `call` signed with `secret`; DeliveryError unless the receiver answers 2xx."""
    parts = urlsplit(checked_url(call.url, allow_private=allow_private))
    host, https = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = _vetted_address(host, port, allow_private=allow_private)
    tls = ssl.create_default_context() if https else None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {**call.headers, "Content-Type": "application/json"}
    headers[SIGNATURE_HEADER] = signature(secret, call.body)
    connection = PinnedConnection(host, port, address, tls)
    try:
        connection.request("POST", path, body=call.body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the body is not kept: its status is the answer
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(unreachable(exc)) from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"The receiver returned {response.status} {response.reason}.".strip())


class PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to `host`'s name (the Host header, TLS's server name and certificate check) over
    a connection to `address`, the one that was checked."""

    def __init__(self, host: str, port: int, address: str, tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address, self.tls = address, tls

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host) if self.tls else sock


def _vetted_address(host: str, port: int, *, allow_private: bool) -> str:
    """The address to call `host` at: every address it resolves to must be allowed (a name
    with one inward address among outward ones could be steered to it)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DeliveryError(f"The receiver's host name {host} does not resolve.") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in found]
    for address in addresses:
        if reason := refusal(address, allow_private=allow_private):
            raise DeliveryError(refused(address, host) if host != str(address) else reason)
    return str(addresses[0])


def unreachable(exc: OSError | http.client.HTTPException) -> str:
    """A failed call in plain words."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The receiver's TLS certificate could not be verified ({exc.verify_message})."
    if isinstance(exc, ssl.SSLError):
        return "The receiver's TLS connection failed."
    if isinstance(exc, TimeoutError):
        return f"The receiver did not answer within {TIMEOUT_SECONDS:g} seconds."
    if isinstance(exc, ConnectionRefusedError):
        return "The receiver could not be reached (connection refused)."
    if isinstance(exc, http.client.HTTPException):
        return "The receiver's answer was not HTTP."
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return f"The receiver could not be reached ({reason})."


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback_name(host: str) -> bool:
    address = _literal(host)
    return host.lower() == "localhost" or (address is not None and address.is_loopback)
