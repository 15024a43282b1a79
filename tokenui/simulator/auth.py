"""Who is calling: WHM's two Authorization schemes, checked against the store."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass

from .store import Store, StoredToken, StoredUser, holds

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
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, found, password = decoded.partition(":")
    user = store.check_password(name, password) if found else None
    return Caller(user, user.acls, "password") if user else None


def _allowed_from(token: StoredToken, peer: IPAddress) -> bool:
    if not token.whitelist_ips:
        return True
    # An IPv4 peer is never inside an IPv6 network (and the reverse): `in` says False.
    return any(peer in ipaddress.ip_network(item) for item in token.whitelist_ips)
