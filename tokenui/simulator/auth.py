"""Who is calling: WHM's two Authorization schemes and cPanel's two, checked against the store."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass

from .store import Account, Store, StoredToken, StoredUser, holds

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller, and the ACLs this call may use."""

    user: StoredUser
    acls: frozenset[str]
    auth: str  # "password" or "token"
    token_name: str | None = None

    def holds(self, acl: str) -> bool:
        return holds(self.acls, acl)


@dataclass(frozen=True, slots=True)
class CpanelCaller:
    """An authenticated cPanel account, by its password or one of its API tokens."""

    account: Account
    auth: str  # "password" or "token"
    token_name: str | None = None
    read_only: bool = False


CPANEL_SCHEME = "cpanel"


def scheme(authorization: str | None) -> str:
    """The Authorization header's scheme word, lowercased (WHM and cPanel ignore its case)."""
    return (authorization or "").strip().partition(" ")[0].lower()


def authenticate(
    store: Store, authorization: str | None, peer: IPAddress, now: int
) -> Caller | None:
    """The caller an Authorization header names, or None for anything WHM refuses.

    WHM does not say why it refused (unknown user, wrong password, unknown, expired or revoked
    token, an address outside the token's list), so neither does this.
    """
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    match scheme.lower():
        case "whm":
            return _by_token(store, credentials.strip(), peer, now)
        case "basic":
            return _by_password(store, credentials.strip())
        case _:
            return None


def effective_acls(user: StoredUser, token: StoredToken) -> frozenset[str]:
    """A token's ACLs limited to what its user holds; a full-access token has all the user's."""
    if token.full_access:
        return user.acls
    return frozenset(acl for acl in token.acls if user.holds(acl))


def _by_token(store: Store, credentials: str, peer: IPAddress, now: int) -> Caller | None:
    name, found, secret = credentials.partition(":")
    user = store.user(name) if found else None
    token = store.token_by_secret(name, secret) if user else None
    if user is None or token is None or token.expired(now) or not _allowed_from(token, peer):
        return None
    return Caller(user, effective_acls(user, token), "token", token.name)


def _by_password(store: Store, credentials: str) -> Caller | None:
    name, password = _basic_credentials(credentials)
    user = store.check_password(name, password) if name else None
    return Caller(user, user.acls, "password") if user else None


def _allowed_from(token: StoredToken, peer: IPAddress) -> bool:
    if not token.whitelist_ips:
        return True
    # An IPv4 peer is never inside an IPv6 network (and the reverse): `in` says False.
    return any(peer in ipaddress.ip_network(item) for item in token.whitelist_ips)


def cpanel_header_refused(authorization: str | None) -> bool:
    """Whether a `cpanel USER:TOKEN` header is refused as a bad password before anything else,
    the request's path included: cpsrvd does so for a header without a token or a user name
    (Cpanel/Server/Auth/HTTP.pm, _handle, before handle_cpanel_api_token's path check)."""
    if scheme(authorization) != CPANEL_SCHEME:
        return False
    _, _, credentials = (authorization or "").strip().partition(" ")
    user, _, token = credentials.strip().partition(":")
    return not user or not token


def authenticate_cpanel(store: Store, authorization: str | None, now: int) -> CpanelCaller | None:
    """The cPanel account an Authorization header names (`cpanel USER:TOKEN`, or Basic with the
    account's password), or None for anything cPanel refuses, without saying why."""
    _, _, credentials = (authorization or "").strip().partition(" ")
    match scheme(authorization):
        case "cpanel":
            name, found, secret = credentials.strip().partition(":")
            token = store.cpanel_token_by_secret(name, secret) if found else None
            account = store.account(name) if token and not token.expired(now) else None
            # cPanel lets no one into a suspended account, by token or password.
            if token is None or account is None or account.suspend_reason is not None:
                return None
            return CpanelCaller(account, "token", token.name, token.read_only)
        case "basic":
            user, password = _basic_credentials(credentials.strip())
            account = store.check_cpanel_password(user, password) if user else None
            if account is None or account.suspend_reason is not None:
                return None
            return CpanelCaller(account, "password")
        case _:
            return None


def _basic_credentials(credentials: str) -> tuple[str, str]:
    """(user, password) from Basic credentials; ("", "") when they do not decode."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, found, password = decoded.partition(":")
    return (user, password) if found else ("", "")
