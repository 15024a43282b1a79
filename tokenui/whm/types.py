"""What the WHM client returns and takes: small frozen values, so no WHM dict reaches a view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

FULL_ACCESS = "all"
# The last moment a datetime can hold (9999-12-31 23:59:59.999999 UTC): WHM accepts expiry
# times beyond it, and the client reads each of those as this.
LATEST = datetime.max.replace(tzinfo=UTC)


class Keep(Enum):
    """A field of a change that is not sent, so WHM keeps it as it is (see `KEEP`)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class Credential:
    """A WHM user and either an API token or a password; the secret never shows in a repr."""

    user: str
    secret: str = field(repr=False)
    kind: Literal["token", "password"]


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One API token as WHM stores it (times are aware and in UTC; `expires` None = never).

    A time past year 9999 reads as LATEST: datetime can hold no later one.
    """

    name: str
    created: datetime
    expires: datetime | None
    acls: frozenset[str]
    # () means the token works from any IP address.
    whitelist_ips: tuple[str, ...]

    @property
    def has_full_access(self) -> bool:
        return FULL_ACCESS in self.acls

    def __reduce__(self) -> tuple[type[ApiToken], tuple[object, ...]]:
        # The table keeps the list in the cache: rebuilding by the constructor unpickles 1,000
        # tokens in a third of the time dataclasses' slots __setstate__ takes.
        return ApiToken, (self.name, self.created, self.expires, self.acls, self.whitelist_ips)


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A token just created, with the secret WHM shows this once and never again."""

    token: ApiToken
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Privileges:
    """The ACLs the signed-in user (or the token they signed in with) holds."""

    acls: frozenset[str]

    def holds(self, acl: str) -> bool:
        return FULL_ACCESS in self.acls or acl in self.acls


@dataclass(frozen=True, slots=True)
class Account:
    """One cPanel account as WHM's `listaccts` lists it."""

    user: str
    domain: str
    # The WHM user who owns the account: root, or the reseller who made it.
    owner: str
    plan: str
    suspended: bool


@dataclass(frozen=True, slots=True)
class CpanelToken:
    """One of a cPanel account's own API tokens (UAPI `Tokens`): no ACLs and no IP list, and
    the expiry is fixed at creation. Times are aware and in UTC; `expires` None = never."""

    name: str
    created: datetime
    expires: datetime | None
    # `has_full_access`: the token may do all the account may, now and later.
    full_access: bool
    # `readonly: 1` on newer servers; False where the server does not say.
    read_only: bool
    # The cPanel features a limited token may use (none for a full-access token).
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreatedCpanelToken:
    """A cPanel token just created, with the secret cPanel shows this once and never again."""

    token: CpanelToken
    secret: str = field(repr=False)
