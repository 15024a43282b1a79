"""Token systems reached through a connected server's service token, for a staff member: the
service user's own WHM tokens, and a cPanel account's through WHM's `uapi_cpanel`. The same
pages as a WHM user's; only the client (the service token, opened per call), the URLs (under
the server) and what the staff member's role lets them change differ.

Seam for reseller sessions: accounts a reseller owns are out of reach of a root token without
`all` (README, Connected servers). `ServiceSession.reaches(account)` says which accounts this
session reaches; a system acting inside a reseller's `create_user_session` goes beside
`ServiceCpanelTokens` here, chosen by `service_system`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from tokenui.audit import trail
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import refused_service_token
from tokenui.systems.base import Example, TokenSystem
from tokenui.systems.cpanel import EXAMPLE_CALL, CpanelTokens
from tokenui.systems.whm import WhmTokens
from tokenui.systems.words import CPANEL_PAGES, WHM_PAGES
from tokenui.whm.api import WhmClient
from tokenui.whm.types import WHM_SERVICE
from tokenui.whm.uapi import CpanelClient

ROOT = "root"
STAFF_WHM_PAGES = replace(WHM_PAGES, namespace="staff-tokens")
STAFF_CPANEL_PAGES = replace(CPANEL_PAGES, namespace="staff-cptokens")


@dataclass(frozen=True, slots=True)
class ServiceSession:
    """A staff member working on a connected server as its service token's WHM user: what the
    pages read of a session (server, user, how), and who the audit trail names beside it."""

    connected: ConnectedServer = field(repr=False)
    staff: trail.Staff
    read_only: bool  # a viewer: the pages offer no change, and refuse one
    service: str = WHM_SERVICE
    kind: str = "token"

    @property
    def server(self) -> str:
        return self.connected.name

    @property
    def user(self) -> str:
        return self.connected.username

    @property
    def token_name(self) -> str:
        return self.connected.token_name

    @property
    def is_cpanel(self) -> bool:
        return False

    def reaches(self, owner: str) -> bool:
        """Whether an account `owner` owns is reached with the service token itself: its own
        accounts (root's are every one root owns). A reseller's need a reseller session."""
        return owner == self.user


class ServiceWhmTokens(WhmTokens):
    """The service user's own WHM tokens (TokenUI's service token among them)."""

    pages = STAFF_WHM_PAGES

    @cached_property
    def client(self) -> WhmClient:
        return self.session.connected.client()

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    @property
    def place_url(self) -> str:
        return self.session.connected.url

    def url_kwargs(self) -> dict[str, str]:
        return {"connected": self.server}

    def example(self, created: Any) -> Example:
        connected = self.session.connected
        header = f"Authorization: whm {self.session.user}:{created.secret}"
        cacert = f"--cacert '{connected.ca_bundle}' " if connected.ca_bundle else ""
        curl = f"curl {cacert}-H'{header}' '{connected.url}/json-api/applist?api.version=1'"
        return Example(header, curl)

    def refused_service(self) -> str:
        return refused_service_token(self.session.connected.place, self.session.token_name).message


class ServiceCpanelTokens(CpanelTokens):
    """A cPanel account's tokens, through WHM's `uapi_cpanel` with the service token."""

    pages = STAFF_CPANEL_PAGES

    @cached_property
    def client(self) -> CpanelClient:
        return self.session.connected.cpanel_client(self.account)

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    def url_kwargs(self) -> dict[str, str]:
        return {"connected": self.server, "account": self.account}

    def url_kwargs_of_server(self) -> dict[str, str]:
        return {"connected": self.server}

    def example(self, created: Any) -> Example:
        connected = self.session.connected
        header = f"Authorization: cpanel {self.account}:{created.secret}"
        parts = urlsplit(connected.url)
        host = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
        url = f"{parts.scheme}://{host}:{settings.CPANEL_PORT}{EXAMPLE_CALL}"
        cacert = f"--cacert '{connected.ca_bundle}' " if connected.ca_bundle else ""
        return Example(header, f"curl {cacert}-H'{header}' '{url}'")

    def refused_service(self) -> str:
        return refused_service_token(self.session.connected.place, self.session.token_name).message


def service_system(
    kind: type[TokenSystem], session: ServiceSession, session_key: str | None, account: str
) -> TokenSystem:
    """The system a staff URL names, acting with the connected server's service token."""
    if issubclass(kind, CpanelTokens):
        return ServiceCpanelTokens(session, session_key, account)
    return ServiceWhmTokens(session, session_key)
