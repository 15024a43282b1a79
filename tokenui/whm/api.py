"""The WHM API 1 token functions (after ../shared/whm-api.md): one public method per function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import httpx

from tokenui.whm import replies
from tokenui.whm.transport import Transport, uapi_wire_for, wire_for
from tokenui.whm.types import (
    KEEP,
    Account,
    ApiToken,
    CreatedToken,
    Credential,
    Keep,
    Privileges,
    SessionCookie,
    TokenSummary,
    UserSession,
)

WHOSTMGRD = "whostmgrd"


class WhmClient:
    """WHM API 1 token functions, called as one user over a shared, pooled HTTP client.

    The user signs in with a Credential (a token or a password), or acts inside a session WHM
    made for them with a SessionCookie (see `acting_as`); every method works the same either
    way. In a session, a WhmSessionExpired says the session is over: make a new one.
    """

    def __init__(
        self,
        http: httpx.Client,
        credential: Credential | SessionCookie,
        renew: Callable[[], SessionCookie] | None = None,
    ) -> None:
        self._http = http
        # In a session (`acting_as`): how to make a new one when it lapses during a read.
        self._renew = renew
        self._transport = Transport(http, credential, wire_for(credential), renew)

    def create_user_session(self, user: str, service: str = WHOSTMGRD) -> UserSession:
        """Have WHM make a session for `user` (`create_user_session`): root or `user`'s owner
        may, with `create-user-session` (or `all`). `service` is "whostmgrd" (WHM; `user` must
        be a reseller), "cpaneld" or "webmaild". WHM's refusals arrive as WhmApiError, its
        reason as WHM words it ("You do not have permission to create sessions for …")."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/create_user_session/
        # Not a change to anything the user sees: an unused session simply lapses.
        return self._transport.call(
            "create_user_session",
            [("user", user), ("service", service)],
            changes_state=False,
            parse=replies.user_session(user),
        )

    def in_session(self, session: UserSession) -> WhmClient:
        """A WhmClient acting as `session.user` inside the session (a `whostmgrd` one): its
        sign-in link is used once, now, on this client's server; the client then calls under
        the session's prefix with its cookie. A link used already or too late raises
        WhmSessionExpired."""
        if session.service != WHOSTMGRD:
            raise ValueError("Only a whostmgrd session reaches WHM's API.")
        return WhmClient(self._http, self._transport.sign_in(session))

    def acting_as(self, user: str) -> WhmClient:
        """A WhmClient acting as `user` (a reseller, or root) in a new WHM session, so that
        the token methods reach `user`'s own API tokens without `user`'s password. When the
        session lapses, a read is made again in a new session; a change raises
        WhmSessionExpired (WHM did nothing) and is never sent again."""

        def signed_in() -> SessionCookie:
            return self._transport.sign_in(self.create_user_session(user))

        return WhmClient(self._http, signed_in(), renew=signed_in)

    @property
    def session_cookie(self) -> SessionCookie | None:
        """The session this client acts in (None when it signs in with a Credential), for a
        caller that keeps it (encrypted) and makes `WhmClient(http, cookie)` again later."""
        credential = self._transport.credential
        return credential if isinstance(credential, SessionCookie) else None

    def uapi_transport(self, account: str) -> Transport:
        """Calls to cPanel's UAPI for `account` through `uapi_cpanel`, as this client's user or
        inside its session (`CpanelClient.through(whm, account)` speaks them)."""
        credential = self._transport.credential
        return Transport(self._http, credential, uapi_wire_for(credential, account), self._renew)

    def list_tokens(self) -> list[ApiToken]:
        """The user's API tokens (`api_token_list`), newest first, then by name."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_list/
        return self._transport.call(
            "api_token_list", (), changes_state=False, parse=replies.token_list
        )

    def list_token_summaries(self) -> list[TokenSummary]:
        """`api_token_list` as a table of tokens shows it (names, times, IPs; no ACLs), read
        straight from the reply's JSON, several times faster than `list_tokens()`."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_list/
        return self._transport.call(
            "api_token_list",
            (),
            changes_state=False,
            parse=replies.token_summaries,
            data_type=replies.ListedTokens,
        )

    def create_token(
        self,
        name: str,
        *,
        acls: Iterable[str] | None,
        expires: datetime | None,
        whitelist_ips: Iterable[str] = (),
    ) -> CreatedToken:
        """Create a token (`api_token_create`); the result holds its secret, shown only once.

        `acls=None` sends no `acl-N`: the token inherits all its owner holds, now and later
        (full access), as one made without privileges does. An empty list is refused.
        """
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_create/
        params = [("token_name", name)]
        if acls is not None:
            params += _numbered("acl", _acl_list(acls))
        if expires is not None:
            params.append(("expires_at", expiry_epoch(expires)))
        params += _numbered("whitelist_ip", _listed(whitelist_ips, "whitelist_ips"))
        return self._transport.call(
            "api_token_create", params, changes_state=True, parse=replies.created_token
        )

    def update_token(
        self,
        name: str,
        *,
        new_name: str | None = None,
        acls: Iterable[str] | Keep = KEEP,
        expires: datetime | Keep | None = KEEP,
        whitelist_ips: Iterable[str] | Keep = KEEP,
    ) -> ApiToken:
        """Change a token (`api_token_update`): a field left as KEEP is not sent; WHM keeps it.

        `acls=KEEP` keeps a full-access token full-access (it inherits its owner's rights; a list
        would fix them), and `expires=KEEP` keeps the exact expiry, even a past one. `expires=None`
        removes the expiry; an empty `whitelist_ips` lets the token work from any IP.
        """
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_update/
        params = _update_params(name, new_name, acls, expires, whitelist_ips)
        return self._transport.call(
            "api_token_update", params, changes_state=True, parse=replies.stored_token
        )

    def revoke_tokens(self, names: Iterable[str]) -> None:
        """Revoke tokens by name (`api_token_revoke`); WHM ignores names it does not know."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_revoke/
        listed = _listed(names, "names")
        if not listed:
            raise ValueError("revoke_tokens needs at least one token name.")
        params = _numbered("token_name", listed)
        self._transport.call("api_token_revoke", params, changes_state=True, parse=replies.nothing)

    def get_token_details(self, secret: str) -> ApiToken | None:
        """The token a secret belongs to (`api_token_get_details`); None if unknown or expired."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/api_token_get_details/
        return self._transport.call(
            "api_token_get_details", [("token", secret)], changes_state=False, parse=replies.details
        )

    def list_accounts(self) -> list[Account]:
        """The cPanel accounts the user may see (`listaccts`): all for root, a reseller's own."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/listaccts/
        return self._transport.call("listaccts", (), changes_state=False, parse=replies.accounts)

    def my_privileges(self) -> Privileges:
        """What the signed-in user, or the token they signed in with, may do (`myprivs`)."""
        # Reference: https://api.docs.cpanel.net/openapi/whm/operation/myprivs/
        return self._transport.call("myprivs", (), changes_state=False, parse=replies.privileges)


# --- Requests ---------------------------------------------------------------------------------


def _listed(values: Iterable[str], what: str) -> list[str]:
    # A lone string is iterable too, and would be sent as one entry per character.
    if isinstance(values, str):
        raise TypeError(f"{what} must be a collection of strings, not a single string.")
    return list(dict.fromkeys(values))


def _acl_list(acls: Iterable[str]) -> list[str]:
    listed = _listed(acls, "acls")
    # WHM reads "no acl parameters" as "every right the user has": never send that by accident.
    if not listed:
        raise ValueError("A token needs at least one ACL; an empty list would grant all rights.")
    return listed


def _update_params(
    name: str,
    new_name: str | None,
    acls: Iterable[str] | Keep,
    expires: datetime | Keep | None,
    whitelist_ips: Iterable[str] | Keep,
) -> list[tuple[str, str]]:
    """api_token_update's parameters: the token's name, then only what changes."""
    params = [("token_name", name)]
    if new_name is not None and new_name != name:
        params.append(("new_name", new_name))
    if not isinstance(acls, Keep):
        params += _numbered("acl", _acl_list(acls))
    if not isinstance(expires, Keep):
        # 0 is WHM's word for "never expires".
        params.append(("expires_at", "0" if expires is None else expiry_epoch(expires)))
    if not isinstance(whitelist_ips, Keep):
        ips = _listed(whitelist_ips, "whitelist_ips")
        # "any" is WHM's word for "clear the list".
        params += _numbered("whitelist_ip", ips) if ips else [("whitelist_ip", "any")]
    if len(params) == 1:
        # WHM refuses an update that changes nothing ("Specify a new name, updated ACLs, or
        # IPs."): that is a caller's mistake, not something to send.
        raise ValueError("update_token needs something to change.")
    return params


def _numbered(key: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """Lists as WHM's own UI sends them: key-0, key-1, …"""
    return [(f"{key}-{index}", value) for index, value in enumerate(values)]


def expiry_epoch(moment: datetime) -> str:
    """An expiry time as WHM and cPanel take it: Unix seconds, as a string."""
    if moment.utcoffset() is None:
        raise ValueError("Token expiry times must be timezone-aware.")
    seconds = int(moment.timestamp())
    # WHM reads expires_at=0 as "never expires"; a date that early must not quietly become that.
    if seconds <= 0:
        raise ValueError("Token expiry times must be after 1970-01-01.")
    return str(seconds)
