"""cPanel's UAPI `Tokens` module (after ../shared/whm-api.md, *cPanel account tokens*): one
public method per function, for one cPanel account, direct to cPanel or through WHM."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tokenui.whm import replies
from tokenui.whm.api import WhmClient, expiry_epoch
from tokenui.whm.transport import UAPI, Transport, UapiThroughWhm
from tokenui.whm.types import CpanelToken, CreatedCpanelToken, Credential

__all__ = ["CpanelClient", "CpanelToken", "CreatedCpanelToken"]


class CpanelClient:
    """One cPanel account's API tokens, over a shared, pooled HTTP client: either as the account
    itself on cPanel's port (`direct`), or as a WHM user who owns it (`through_whm`)."""

    def __init__(self, transport: Transport, account: str) -> None:
        self._transport = transport
        self.account = account

    @classmethod
    def direct(cls, http: httpx.Client, credential: Credential) -> CpanelClient:
        """As the cPanel user, on cPanel's port: `cpanel USER:TOKEN`, or Basic with the password."""
        return cls(Transport(http, credential, UAPI), credential.user)

    @classmethod
    def through_whm(cls, http: httpx.Client, credential: Credential, account: str) -> CpanelClient:
        """As a WHM user, on WHM's port, with WHM API 1's `uapi_cpanel` for `account`. WHM
        refuses (HTTP 403, a WhmAuthError) a user or token without `all` or `cpanel-api`, and
        answers `result: 0` (a WhmApiError) for an account that is not theirs."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/uapi_cpanel/
        return cls(Transport(http, credential, UapiThroughWhm(account)), account)

    @classmethod
    def through(cls, whm: WhmClient, account: str) -> CpanelClient:
        """As `whm`'s user, with `uapi_cpanel`, signed in as `whm` is: by its credential, or
        inside the WHM session it acts in (`WhmClient.acting_as`), which reaches the accounts
        of the session's reseller."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/uapi_cpanel/
        return cls(whm.uapi_transport(account), account)

    def list_tokens(self) -> list[CpanelToken]:
        """The account's API tokens (`Tokens::list`), newest first, then by name."""
        # Reference: https://api.docs.cpanel.net/openapi/cpanel/operation/list/
        return self._transport.call(
            "Tokens::list", (), changes_state=False, parse=replies.cpanel_tokens
        )

    def create_token(
        self, name: str, *, expires: datetime | None, read_only: bool = False
    ) -> CreatedCpanelToken:
        """Create a full-access token (`Tokens::create_full_access`); the result holds its
        secret, shown only once. `expires` None: the token never expires. `read_only` sends
        `readonly=1` (cPanel 11.137 and later): the token may read but never change anything.
        An older server ignores the parameter and makes an ordinary token, so after creating a
        read-only one, list to confirm it is (`CpanelToken.read_only`)."""
        # Reference: https://api.docs.cpanel.net/openapi/cpanel/operation/create_full_access/
        params = [("name", name)]
        sent = None
        if expires is not None:
            epoch = expiry_epoch(expires)
            params.append(("expires_at", epoch))
            sent = datetime.fromtimestamp(int(epoch), UTC)  # to the second, as cPanel keeps it
        if read_only:
            params.append(("readonly", "1"))
        return self._transport.call(
            "Tokens::create_full_access",
            params,
            changes_state=True,
            parse=replies.created_cpanel_token(name, sent, read_only=read_only),
        )

    def rename_token(self, name: str, new_name: str) -> None:
        """Rename a token (`Tokens::rename`); its secret, rights and expiry stay as they are."""
        # Reference: https://api.docs.cpanel.net/openapi/cpanel/operation/rename/
        if new_name == name:
            # cPanel refuses a rename to the same name: that is a caller's mistake, not a call.
            raise ValueError("rename_token needs a new name that differs from the old one.")
        params = [("name", name), ("new_name", new_name)]
        self._transport.call("Tokens::rename", params, changes_state=True, parse=replies.nothing)

    def revoke_token(self, name: str) -> None:
        """Revoke a token (`Tokens::revoke`): it stops working at once and leaves the list.
        cPanel answers a name it does not know as a success: re-list to confirm."""
        # Reference: https://api.docs.cpanel.net/openapi/cpanel/operation/revoke/
        params = [("name", name)]
        self._transport.call("Tokens::revoke", params, changes_state=True, parse=replies.nothing)
