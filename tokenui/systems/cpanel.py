"""A cPanel account's API tokens (UAPI Tokens::*): the cPanel user's own, signed in to cPanel,
or an account a WHM operator owns, reached through WHM's `uapi_cpanel`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.urls import reverse

from tokenui.kernel.display import PAGE_SIZE
from tokenui.kernel.kept import KeptList
from tokenui.systems.base import Example, PartialRevoke, TokenSystem
from tokenui.systems.words import CPANEL_CAPABILITIES, CPANEL_PAGES, CPANEL_WORDS
from tokenui.tables import Column, TableSpec
from tokenui.whm.errors import WhmApiError, WhmError
from tokenui.whm.servers import (
    configured_servers,
    cpanel_client_for,
    cpanel_client_via_whm,
    cpanel_server,
)
from tokenui.whm.types import LATEST, CpanelToken, CreatedCpanelToken
from tokenui.whm.uapi import CpanelClient

# As WHM's table sorts its tokens: newest first, never-expiring after every date.
CPANEL_TABLE = TableSpec(
    columns=(
        Column("name", lambda t: (t.name.casefold(), t.name)),
        Column("created", lambda t: (t.created, t.name), descending_first=True),
        Column("expires", lambda t: (t.expires or LATEST, t.name), descending_first=True),
    ),
    default_sort="-created",
    name=lambda t: t.name,
    page_size=PAGE_SIZE,
)
# seed 004's own example: a UAPI call any working token of the account may make.
EXAMPLE_CALL = "/execute/Email/add_pop?email=newuser&password=12345luggage"
# cPanel's API makes full-access tokens only (Tokens::create_full_access): a twin of a
# read-only or limited token would hold more than it, so none is made.
NOT_FULL_ACCESS = (
    "TokenUI can rotate only full-access cPanel API tokens: cPanel's API creates no other "
    "kind, so a new token could not have the same privileges as “{name}”. Create its "
    "successor in cPanel itself, then revoke this one."
)


class CpanelTokens(TokenSystem):
    """A cPanel account's tokens: no privileges or IP list, Manage only renames, and the
    expiry is set once, at Create. `account` set: an operator's, through WHM."""

    caps = CPANEL_CAPABILITIES
    words = CPANEL_WORDS
    pages = CPANEL_PAGES
    table = CPANEL_TABLE
    _kept = KeptList("tokenui:cpanel-token-list:", CpanelToken)

    def __init__(self, session: Any, session_key: str | None, account: str = "") -> None:
        super().__init__(session, session_key, account or session.user)
        self._through_whm = not session.is_cpanel

    # An operator reaches an account's tokens through WHM's uapi_cpanel.
    privilege = ("cpanel-api", "Perform cPanel API and UAPI functions through the WHM API")
    elsewhere = "Ask your server's administrator to grant it."

    @property
    def via_whm(self) -> bool:
        return self._through_whm

    @property
    def session_token(self) -> str | None:
        # An operator's WHM token is not one of the account's.
        return None if self.via_whm else self.session.token_name

    @property
    def table_class(self) -> str:
        return " cptokens"

    def access_words(self, token: CpanelToken) -> str:
        if token.read_only:
            return "Read-only"
        return "Full access" if token.full_access else "Limited"

    def url_kwargs(self) -> dict[str, str]:
        return {"account": self.account} if self.via_whm else {}

    @property
    def accounts_url(self) -> str:
        """The Accounts page this account was picked from (a WHM operator's)."""
        return reverse(f"{self.pages.namespace}:accounts", kwargs=self.url_kwargs_of_server())

    def url_kwargs_of_server(self) -> dict[str, str]:
        return {}

    @cached_property
    def client(self) -> CpanelClient:
        server, credential = self.server, self.session.credential
        if self.via_whm:
            return cpanel_client_via_whm(server, credential, self.account)
        return cpanel_client_for(server, credential)

    def _list(self) -> list[CpanelToken]:
        return self.client.list_tokens()

    def create(
        self, name: str, expires: datetime | None, *, read_only: bool = False, **extra: Any
    ) -> CreatedCpanelToken:
        """A full-access token, or a read-only one (cPanel 11.137 and later). An older server
        ignores `readonly` and makes a full-access token: so a read-only one is listed after,
        and the page shows the token as the server made it."""
        created = self.client.create_token(name, expires=expires, read_only=read_only)
        if not read_only:
            return created
        try:
            made = next((t for t in self.client.list_tokens() if t.name == name), None)
        except WhmError:  # made, but not confirmed: say what was asked, not what is unknown
            return created
        return created if made is None else replace(created, token=made)

    def edit(self, name: str, args: dict[str, Any]) -> str:
        """cPanel's Manage: a rename, the one change cPanel makes to a token."""
        self.client.rename_token(name, args["new_name"])
        return args["new_name"]

    def revoke(self, names: Sequence[str]) -> None:
        """UAPI revokes one name a call: a failure stops the rest and says what was done."""
        done: list[str] = []
        for name in names:
            try:
                self.client.revoke_token(name)
            except WhmError as exc:
                if done:
                    raise PartialRevoke(done, exc) from exc
                raise
            done.append(name)

    def twin_args(self, old: CpanelToken) -> dict[str, Any]:
        return {}  # full access is all cPanel's API makes

    def unavailable(self, exc: Exception) -> str:
        """cPanel refuses every Tokens:: call of an account whose package lacks the API Tokens
        feature ("You do not have the feature “apitokens”."): say so to whoever is asking."""
        if not (isinstance(exc, WhmApiError) and "“apitokens”" in exc.message):
            return ""
        whose = f"The account “{self.account}”" if self.via_whm else "Your cPanel account"
        fix = (
            "Add the feature to its package in WHM (Feature Manager), then try again."
            if self.via_whm
            else "Ask your hosting provider to add it to your package."
        )
        return (
            f"{whose} cannot have API tokens: its package does not include cPanel's API Tokens "
            f"feature (apitokens). {fix}"
        )

    def rotation_refusal(self, old: CpanelToken) -> str:
        if old.full_access and not old.read_only:
            return ""
        return NOT_FULL_ACCESS.format(name=old.name)

    def example(self, created: CreatedCpanelToken) -> Example:
        header = f"Authorization: cpanel {self.account}:{created.secret}"
        # Seed 004's curl, as it is written there; a private CA (the embedded simulator's)
        # needs --cacert.
        cacert = f"--cacert '{settings.WHM_CA_BUNDLE}' " if settings.WHM_CA_BUNDLE else ""
        host = cpanel_server(configured_servers()[self.server]).url
        return Example(header, f"curl {cacert}-H'{header}' '{host}{EXAMPLE_CALL}'")

    def marks_scope(self) -> dict[str, str]:
        # A cPanel account's rotations are the account's, whoever made them.
        return {"account": self.account}
