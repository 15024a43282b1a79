"""The signed-in WHM user's own API tokens (WHM API 1: api_token_*)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings

from tokenui.kernel.display import PAGE_SIZE, never_last
from tokenui.kernel.kept import KeptList
from tokenui.servers.models import service_tokens_among
from tokenui.systems.base import Example, TokenSystem
from tokenui.systems.words import WHM_CAPABILITIES, WHM_PAGES, WHM_WORDS
from tokenui.tables import Column, TableSpec
from tokenui.whm.api import WhmClient
from tokenui.whm.servers import client_for, configured_servers
from tokenui.whm.types import ApiToken, CreatedToken, TokenSummary

# The WHM tokens table: WHM's own page lists the newest first; tokens that never expire sort
# after every date. Sorting reads the Unix seconds, not datetimes: thousands of keys a request.
WHM_TABLE = TableSpec(
    columns=(
        Column("name", lambda t: (t.name.casefold(), t.name)),
        Column("created", lambda t: (t.create_time, t.name), descending_first=True),
        Column("expires", never_last, descending_first=True),
    ),
    default_sort="-created",
    name=lambda t: t.name,
    page_size=PAGE_SIZE,
)


class WhmTokens(TokenSystem):
    """A WHM user's tokens: privileges, an IP allow-list, a full Edit, Revoke Expired, export."""

    caps = WHM_CAPABILITIES
    words = WHM_WORDS
    pages = WHM_PAGES
    table = WHM_TABLE
    _kept = KeptList("tokenui:token-list:", TokenSummary)

    @cached_property
    def client(self) -> WhmClient:
        return client_for(self.server, self.session.credential)

    def _list(self) -> list[TokenSummary]:
        return self.client.list_token_summaries()

    def details(self) -> list[ApiToken]:
        """With their ACLs (what the forms need), read now; the table's kept list is renewed
        from the same read."""
        listed = self.client.list_tokens()
        self._kept.keep(self.session_key, self._scope(), [TokenSummary.of(t) for t in listed])
        return listed

    def summaries(self, tokens: Sequence[ApiToken]) -> list[TokenSummary]:
        return [TokenSummary.of(t) for t in tokens]

    def create(self, name: str, expires: datetime | None, **extra: Any) -> CreatedToken:
        return self.client.create_token(name, expires=expires, **extra)

    def edit(self, name: str, args: dict[str, Any]) -> str:
        """WHM's Edit: everything the user changed, in one api_token_update."""
        return self.client.update_token(**args).name

    def revoke(self, names: Sequence[str]) -> None:
        self.client.revoke_tokens(names)  # one call, all or nothing

    def twin_args(self, old: ApiToken) -> dict[str, Any]:
        """The old token's privileges and IPs; a token made without privileges (full access,
        inheriting all its owner holds) is made the same way, without an ACL list."""
        acls = None if old.has_full_access else sorted(old.acls)
        return {"acls": acls, "whitelist_ips": old.whitelist_ips}

    @property
    def place_url(self) -> str:
        """The WHM these tokens live on, as its base URL."""
        return configured_servers()[self.server].url

    def service_tokens(self, tokens: Sequence[Any]) -> dict[str, str]:
        """TokenUI's service tokens among these, by the connected servers at this WHM (its URL)
        for this user, each found by its stored creation time, never by its name alone."""
        return service_tokens_among(tokens, url=self.place_url, user=self.session.user)

    def example(self, created: CreatedToken) -> Example:
        host = self.place_url
        header = f"Authorization: whm {self.session.user}:{created.secret}"
        # The seed document's example; a private CA (the embedded simulator's too) needs
        # --cacert. applist answers any working token, whatever it may do.
        cacert = f"--cacert '{settings.WHM_CA_BUNDLE}' " if settings.WHM_CA_BUNDLE else ""
        curl = f"curl {cacert}-H'{header}' '{host}/json-api/applist?api.version=1'"
        return Example(header, curl)

    def privileges(self) -> frozenset[str]:
        """The ACLs the user holds (WHM's myprivs)."""
        return self.client.my_privileges().acls
