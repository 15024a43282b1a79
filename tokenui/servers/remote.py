"""How TokenUI reaches a connected server: its place (URL, TLS), a WHM client there over the
shared pool, and WHM's failures in words an admin at the shell can act on."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from tokenui.whm.api import WhmClient
from tokenui.whm.errors import (
    WhmApiError,
    WhmError,
    WhmTimeout,
    WhmTLSError,
    WhmUnreachable,
)
from tokenui.whm.servers import WhmServer, http_client
from tokenui.whm.types import Credential


class ServerError(Exception):
    """A connected server's operation could not be done; `message` says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Place:
    """Where a server answers and how its TLS is checked (verify=False only by --insecure)."""

    url: str
    verify: bool = True
    ca_bundle: str = ""

    def client(self, credential: Credential) -> WhmClient:
        """A WHM client there, signed in with `credential`, over the pooled HTTP client."""
        return WhmClient(http_client(self._server()), credential)

    def _server(self) -> WhmServer:
        return WhmServer(
            name=self.url,
            url=self.url,
            verify=self.verify,
            ca_bundle=self.ca_bundle or None,
            timeout=settings.WHM_TIMEOUT,
        )


def checked_url(url: str) -> str:
    """A WHM base URL as WHM_URL takes it: https, a host, no path; plain http only to this
    machine (nothing else may carry a password unencrypted)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise ServerError(f"{url!r} has an invalid host or port.") from None
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ServerError(f"{url!r} is not a URL like https://whm.example.com:2087.")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ServerError(f"{url!r} must be only scheme, host and port.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ServerError(f"{url!r} would send credentials unencrypted; use https://.")
    return f"{parts.scheme}://{parts.netloc}"


def same_place(url: str, other: str) -> bool:
    """Whether two WHM base URLs name the same place (scheme, host in any case, port, with
    https's and http's default ports), as WHM_SERVERS and a connected server may write them."""
    return _origin(url) is not None and _origin(url) == _origin(other)


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def checked_ca_bundle(path: str) -> str:
    if path and not Path(path).is_file():
        raise ServerError(f"--ca-bundle: {path!r} is not a readable file.")
    return str(Path(path).resolve()) if path else ""


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_words(error: WhmError, place: Place, doing: str) -> ServerError:
    """A WHM failure while `doing` something at `place`, as a sentence an admin can act on."""
    where = f"WHM at {place.url}"
    if isinstance(error, WhmTLSError):
        return ServerError(
            f"{where}: its TLS certificate could not be verified while {doing}. Pass "
            "--ca-bundle FILE with the certificate of the authority that signed it (or, only "
            "for a server you trust on a network you control, --insecure)."
        )
    if isinstance(error, WhmUnreachable | WhmTimeout):
        return ServerError(f"{where} could not be reached while {doing}: {error.message}")
    if isinstance(error, WhmApiError):
        return ServerError(f"{where} refused {doing}: “{error.reason}”")
    return ServerError(f"{where}: {error.message} (while {doing})")


def refused_credential(place: Place, user: str, kind: str) -> ServerError:
    """WHM's 403 "Access denied" to what the admin typed (WHM does not say which part)."""
    what = "API token" if kind == "token" else "password"
    return ServerError(
        f"WHM at {place.url} refused the {what} for {user!r} (“Access denied”: the user name "
        f"or the {what} is wrong, or this address is not allowed to use it). Nothing was stored."
    )


def refused_service_token(place: Place, name: str) -> ServerError:
    """WHM's 403 to TokenUI's own token: revoked, expired, or called from outside its IPs."""
    return ServerError(
        f"WHM at {place.url} refused TokenUI's service token {name!r} (“Access denied”): it was "
        "revoked or has expired, or TokenUI is calling from an address outside "
        "SERVICE_IP_ALLOWLIST. Connect the server again with an admin's credentials."
    )
