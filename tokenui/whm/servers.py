"""The configured WHM servers, one pooled HTTP client each (and one for each server's cPanel),
and a WhmClient or CpanelClient for a signed-in user."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import httpx
from django.conf import settings

from tokenui.whm.api import WhmClient
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import Credential, SessionCookie
from tokenui.whm.uapi import CpanelClient


@dataclass(frozen=True, slots=True)
class WhmServer:
    """One WHM server as configured: the name people pick, and how to reach it."""

    name: str
    url: str
    verify: bool
    ca_bundle: str | None
    timeout: float


# Keyed by the whole configuration, not the name: settings overridden in a test give a new
# client instead of one still pointing at the old URL.
_http_clients: dict[WhmServer, httpx.Client] = {}
_http_clients_lock = threading.Lock()


def configured_servers() -> dict[str, WhmServer]:
    """Every server in WHM_SERVERS, in settings order, with the shared TLS and timeout settings."""
    return {
        name: WhmServer(
            name=name,
            url=url,
            verify=settings.WHM_VERIFY_TLS,
            ca_bundle=settings.WHM_CA_BUNDLE or None,
            timeout=settings.WHM_TIMEOUT,
        )
        for name, url in settings.WHM_SERVERS.items()
    }


def http_client(server: WhmServer) -> httpx.Client:
    """The keep-alive HTTP client for this server, created on first use and shared by all users."""
    with _http_clients_lock:
        client = _http_clients.get(server)
        if client is None:
            client = _http_clients[server] = make_http_client(
                server.url, verify=server.verify, ca_bundle=server.ca_bundle, timeout=server.timeout
            )
        return client


def close_http_clients() -> None:
    """Close every pooled client (at shutdown, or between tests); later calls open new ones."""
    with _http_clients_lock:
        clients = list(_http_clients.values())
        _http_clients.clear()
    for client in clients:
        client.close()


def client_for(server_name: str, credential: Credential | SessionCookie) -> WhmClient:
    """A WhmClient that calls the named server as this credential's user, or inside the WHM
    session of this cookie (`WhmClient.session_cookie`, kept from an earlier request)."""
    return WhmClient(http_client(_server(server_name)), credential)


def cpanel_client_for(server_name: str, credential: Credential) -> CpanelClient:
    """A CpanelClient for the cPanel account `credential.user`, signed in as that account to
    cPanel on the named server's host at CPANEL_PORT (`cpanel USER:TOKEN`, or Basic)."""
    return CpanelClient.direct(http_client(cpanel_server(_server(server_name))), credential)


def cpanel_client_via_whm(
    server_name: str, whm_credential: Credential, account: str
) -> CpanelClient:
    """A CpanelClient for `account`, through WHM's `uapi_cpanel` on the named server, signed in
    as the WHM user who owns it: no password of the account's is needed."""
    return CpanelClient.through_whm(http_client(_server(server_name)), whm_credential, account)


def cpanel_server(server: WhmServer) -> WhmServer:
    """The cPanel beside a WHM server: the same scheme, host and settings, at CPANEL_PORT. Its
    own entry, so it gets its own pool of connections."""
    url = httpx.URL(server.url).copy_with(port=settings.CPANEL_PORT)
    return replace(server, url=str(url).rstrip("/"))


def _server(server_name: str) -> WhmServer:
    server = configured_servers().get(server_name)
    if server is None:
        # LookupError, not KeyError: its message reads as a sentence, not as a quoted key.
        raise LookupError(f"No WHM server named {server_name!r} is configured (WHM_SERVERS).")
    return server
