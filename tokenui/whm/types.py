"""What the WHM client returns and takes: small frozen values, so no WHM dict reaches a view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Literal

import msgspec

from tokenui.acls import BYPASS_ACLS

FULL_ACCESS = "all"
# The last moment a datetime can hold (9999-12-31 23:59:59.999999 UTC): WHM accepts expiry
# times beyond it, and the client reads each of those as this.
LATEST = datetime.max.replace(tzinfo=UTC)
# The last whole second before LATEST, as a Unix time; any later one reads as LATEST.
LATEST_EPOCH = (LATEST - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)


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
class UserSession:
    """A session WHM made for `user` (`create_user_session`), not yet used: its sign-in link
    works once, until `expires` (a few minutes). `session` and `url` sign in as the user:
    never shown, logged or kept."""

    user: str
    # "whostmgrd" (WHM), "cpaneld" (cPanel) or "webmaild" (Webmail).
    service: str
    # The session's path prefix, e.g. "/cpsess0123456789".
    security_token: str
    expires: datetime
    session: str = field(repr=False)
    url: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SessionCookie:
    """A WHM session in use: calls under `security_token` with this cookie (and no
    Authorization header) act as `user`, with all `user` holds, until the session idles out.
    It stands where a Credential does (`WhmClient(http, cookie)`); `secret` is the cookie's
    value as WHM set it, never shown or logged."""

    user: str
    security_token: str
    secret: str = field(repr=False)
    kind: Literal["session"] = "session"


# What a session signed in to: WHM, or a cPanel account's own cPanel.
WHM_SERVICE = "whm"
CPANEL_SERVICE = "cpanel"


@dataclass(frozen=True, slots=True)
class WhmSession:
    """Who is signed in, to which server, and how: what the views need to talk to WHM.

    `service` is "whm" for a WHM user, or "cpanel" for a cPanel user signed in to their own
    account (the server's cPanel, at CPANEL_PORT): such a session reaches only the cPanel pages.
    """

    server: str
    user: str
    kind: str
    token_name: str | None
    credential: Credential = field(repr=False)
    service: str = WHM_SERVICE

    @property
    def is_cpanel(self) -> bool:
        return self.service == CPANEL_SERVICE


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


class TokenSummary(msgspec.Struct, frozen=True, gc=False):
    """One API token as a list of them shows it: name, times and IP allow-list, no ACLs but
    the two facts the risk flags need from them (read in the same pass, see replies).

    The times stay Unix seconds (at most LATEST_EPOCH + 1, i.e. "past 9999"): a table sorts and
    searches thousands of tokens and shows 50, so only those 50 become datetimes, through
    `created` and `expires`, which read as ApiToken's fields do.
    """

    name: str
    create_time: int
    expires_at: int | None  # None = never
    # () means the token works from any IP address.
    whitelist_ips: tuple[str, ...] = ()
    # All Features, or made without privileges (it inherits all its owner holds).
    full_access: bool = False
    # Holds a privilege WHM warns lets it bypass the token's restrictions (not full access).
    bypass: bool = False

    @classmethod
    def of(cls, token: ApiToken) -> TokenSummary:
        expires = None if token.expires is None else seconds(token.expires)
        full = token.has_full_access
        bypass = not full and not BYPASS_ACLS.isdisjoint(token.acls)
        return cls(token.name, seconds(token.created), expires, token.whitelist_ips, full, bypass)

    @property
    def created(self) -> datetime:
        return moment(self.create_time)

    @property
    def expires(self) -> datetime | None:
        return None if self.expires_at is None else moment(self.expires_at)


def moment(seconds: int) -> datetime:
    """A Unix time as an aware datetime in UTC; one past year 9999 as LATEST."""
    return LATEST if seconds > LATEST_EPOCH else datetime.fromtimestamp(seconds, UTC)


def seconds(moment: datetime) -> int:
    """`moment()` undone: LATEST (any time past year 9999) as LATEST_EPOCH + 1."""
    return LATEST_EPOCH + 1 if moment == LATEST else int(moment.timestamp())


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
