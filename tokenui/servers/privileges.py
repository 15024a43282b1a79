"""The privileges TokenUI's service token holds on a connected server, and why each."""

from __future__ import annotations

from tokenui.whm.types import FULL_ACCESS

ROOT = "root"
# Each ACL the service token is made with, and what TokenUI does with it (README.md says the
# same). Nothing else: a stolen service token can do no more than this.
SERVICE_ACLS: dict[str, str] = {
    "list-accts": "list the server's cPanel accounts and who owns each (listaccts)",
    "manage-api-tokens": "list, create, edit and revoke API tokens, its own successor included "
    "(api_token_*)",
    "cpanel-api": "reach a cPanel account's own API tokens through WHM (uapi_cpanel)",
}
# Root only: a token without `all` is not root to WHM's ownership checks (../shared/whm-api.md,
# "A root token without `all` is not root"), so a reseller's accounts and tokens are reached
# inside a session WHM makes for that reseller.
ROOT_ACLS: dict[str, str] = {
    "create-user-session": "act inside a reseller's WHM session, on the reseller's own tokens and "
    "accounts (create_user_session)",
}


def service_acls(user: str, *, full_access: bool) -> list[str]:
    """The ACLs to make `user`'s service token with: `all` alone when the admin chose full
    access (--full-access), else the least that TokenUI's work needs."""
    if full_access:
        return [FULL_ACCESS]
    return [*SERVICE_ACLS, *(ROOT_ACLS if user == ROOT else ())]
