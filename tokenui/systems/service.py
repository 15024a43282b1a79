"""Token systems reached through a connected server's service token, for a staff member: the
service user's own WHM tokens, a reseller's own WHM tokens inside a session WHM makes for that
reseller (`create_user_session`), and a cPanel account's through WHM's `uapi_cpanel` (inside
its reseller's session when a reseller owns it). The same pages as a WHM user's; only the
client (the service token, opened per request), the URLs (under the server, and the reseller)
and what the staff member's role lets them change differ.

A root token without `all` is not root to WHM's ownership checks (README, Connected servers):
`ServiceSession.reaches(owner)` says which accounts a session reaches (its user's own), so the
accounts a reseller owns are reached in that reseller's session (`ServiceSession.reseller`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from tokenui.audit import trail
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import refused_service_token
from tokenui.systems.base import Example, TokenSystem
from tokenui.systems.cpanel import EXAMPLE_CALL, CpanelTokens
from tokenui.systems.whm import WhmTokens
from tokenui.systems.words import CPANEL_PAGES, WHM_PAGES
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmSessionExpired, WhmSessionRefused
from tokenui.whm.types import WHM_SERVICE
from tokenui.whm.uapi import CpanelClient

ROOT = "root"
# WHM ended a reseller's session before a change was sent (a read is made again in a new one).
SESSION_ENDED = (
    "WHM ended the session it made for the reseller {reseller} before this was done: nothing "
    "was changed. Try again; TokenUI asks WHM for a new session each time."
)
STAFF_WHM_PAGES = replace(WHM_PAGES, namespace="staff-tokens")
STAFF_CPANEL_PAGES = replace(CPANEL_PAGES, namespace="staff-cptokens")


class SessionRefused(WhmApiError):
    """WHM would not make a session as the reseller (not a reseller, not root's, …): its words."""


@dataclass(frozen=True, slots=True)
class ServiceSession:
    """A staff member working on a connected server as its service token's WHM user: what the
    pages read of a session (server, user, how), and who the audit trail names beside it."""

    connected: ConnectedServer = field(repr=False)
    staff: trail.Staff
    read_only: bool  # a viewer: the pages offer no change, and refuse one
    # Acting inside a session WHM made for this reseller ("": as the service user itself).
    reseller: str = ""
    service: str = WHM_SERVICE

    @property
    def server(self) -> str:
        return self.connected.name

    @property
    def user(self) -> str:
        """Whom the staff member acts as: the reseller, or the service token's WHM user."""
        return self.reseller or self.connected.username

    @property
    def kind(self) -> str:
        """How WHM was signed in to, as the audit trail records it."""
        return "session" if self.reseller else "token"

    @property
    def acting(self) -> str:
        """Whom the staff member acts as, in words."""
        return f"reseller {self.reseller}" if self.reseller else f"WHM user {self.user}"

    def url_kwargs(self) -> dict[str, str]:
        """The URL arguments that name this session: the server, and the reseller."""
        kwargs = {"connected": self.server}
        return kwargs | {"reseller": self.reseller} if self.reseller else kwargs

    def client(self) -> WhmClient:
        """A WHM client as `user`: the service token, inside a new session WHM makes for the
        reseller when there is one (a lapsed one is renewed for reads only). WHM's refusal of
        the session is said in its words, as a refusal of the session."""
        client = self.connected.client()
        if not self.reseller:
            return client
        try:
            return client.acting_as(self.reseller)
        except WhmApiError as exc:
            raise SessionRefused(
                f"WHM would not make a session as the reseller “{self.reseller}”: {exc.reason}",
                function=exc.function,
            ) from exc

    def unavailable(self, exc: Exception) -> str:
        """Why nothing of the reseller's can be had, when WHM would not make its session."""
        return exc.message if isinstance(exc, SessionRefused) else ""

    @property
    def token_name(self) -> str:
        return self.connected.token_name

    @property
    def is_cpanel(self) -> bool:
        return False

    def reaches(self, owner: str) -> bool:
        """Whether an account `owner` owns is reached in this session: its user's own accounts
        (root's are every one root owns, a reseller's those it owns). Another reseller's need
        that reseller's session."""
        return owner == self.user


def refused(session: ServiceSession, exc: WhmAuthError) -> str:
    """A 403 from WHM to a staff member's call: inside a reseller's session, the reseller was
    refused (or the session lapsed) and WHM's words say so; else TokenUI's own token was."""
    if isinstance(exc, WhmSessionExpired):
        return SESSION_ENDED.format(reseller=exc.user)
    if isinstance(exc, WhmSessionRefused):
        return exc.message
    return refused_service_token(session.connected.place, session.token_name).message


class ServiceWhmTokens(WhmTokens):
    """The service user's own WHM tokens (TokenUI's service token among them)."""

    pages = STAFF_WHM_PAGES

    @cached_property
    def client(self) -> WhmClient:
        return self.session.client()

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    @property
    def place_url(self) -> str:
        return self.session.connected.url

    def url_kwargs(self) -> dict[str, str]:
        return self.session.url_kwargs()

    def example(self, created: Any) -> Example:
        connected = self.session.connected
        header = f"Authorization: whm {self.session.user}:{created.secret}"
        cacert = f"--cacert '{connected.ca_bundle}' " if connected.ca_bundle else ""
        curl = f"curl {cacert}-H'{header}' '{connected.url}/json-api/applist?api.version=1'"
        return Example(header, curl)

    def refused_service(self, exc: WhmAuthError) -> str:
        return refused(self.session, exc)


class ResellerWhmTokens(ServiceWhmTokens):
    """A reseller's own WHM tokens, inside a session WHM makes for the reseller at root's (the
    service user's) request: `create_user_session`, then API 1 under `/cpsess…/`."""

    @property
    def title_suffix(self) -> str:
        return f" · reseller {self.session.reseller}"

    @property
    def caption_suffix(self) -> str:
        return f" of the reseller {self.session.reseller}"

    @property
    def accounts_url(self) -> str:
        """The Accounts page the reseller was picked from."""
        return reverse("staff-cptokens:accounts", kwargs={"connected": self.server})

    def unavailable(self, exc: Exception) -> str:
        return self.session.unavailable(exc)


class ServiceCpanelTokens(CpanelTokens):
    """A cPanel account's tokens, through WHM's `uapi_cpanel` with the service token."""

    pages = STAFF_CPANEL_PAGES

    @cached_property
    def client(self) -> CpanelClient:
        # As the account's owner: the service user, or inside its reseller's session.
        return CpanelClient.through(self.session.client(), self.account)

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    def url_kwargs(self) -> dict[str, str]:
        return self.session.url_kwargs() | {"account": self.account}

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

    def refused_service(self, exc: WhmAuthError) -> str:
        return refused(self.session, exc)

    def unavailable(self, exc: Exception) -> str:
        return self.session.unavailable(exc) or super().unavailable(exc)


def service_system(
    kind: type[TokenSystem], session: ServiceSession, session_key: str | None, account: str
) -> TokenSystem:
    """The system a staff URL names, acting with the connected server's service token."""
    if issubclass(kind, CpanelTokens):
        return ServiceCpanelTokens(session, session_key, account)
    if session.reseller:
        return ResellerWhmTokens(session, session_key)
    return ServiceWhmTokens(session, session_key)
