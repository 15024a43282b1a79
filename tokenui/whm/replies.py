"""Decoding WHM API 1 and cPanel UAPI replies into frozen types: the `data` of a successful
reply, checked.

A reply in the wrong shape raises `Malformed`, whose text names our field, never anything WHM
sent; the transport turns it into a WhmBadResponse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import compress

from tokenui.acls import NOT_AN_ACL
from tokenui.whm.types import (
    FULL_ACCESS,
    LATEST,
    Account,
    ApiToken,
    CpanelToken,
    CreatedCpanelToken,
    CreatedToken,
    Privileges,
)


class Malformed(ValueError):
    """`data` has the wrong shape; the text names our field, never anything WHM sent."""


def nothing(data: object) -> None:
    """Replies that carry no data (revoke): `result: 1` is the whole answer."""


def token_list(data: object) -> list[ApiToken]:
    records = _object(_object(data, "data").get("tokens"), "tokens")
    # WHM's own table order: newest first (key order in the reply is unspecified).
    return sorted(
        (_token(record, name=name) for name, record in records.items()),
        key=lambda token: (-token.created.timestamp(), token.name),
    )


# WHM's secrets: 32 of A-Z and 0-9 (ASCII only: re's [A-Z0-9] with fullmatch, not isalnum()).
_SECRET = re.compile(r"[A-Z0-9]{32}")


def created_token(data: object) -> CreatedToken:
    record = _object(data, "data")
    secret = record.get("token")
    # The secret goes into a curl command offered for copying: anything else WHM might send
    # (quotes, spaces, a shell command) is a malformed reply, never shown.
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise Malformed("token is not 32 characters of A-Z and 0-9")
    return CreatedToken(token=_token(record, name=record.get("name")), secret=secret)


def stored_token(data: object) -> ApiToken:
    record = _object(data, "data")
    return _token(record, name=record.get("name"))


def details(data: object) -> ApiToken | None:
    # An unknown or expired secret: `result: 1` and no data at all.
    if data is None or data == {}:
        return None
    return stored_token(data)


def privileges(data: object) -> Privileges:
    privileges = _object(data, "data").get("privileges")
    if not isinstance(privileges, list) or len(privileges) != 1:
        raise Malformed("privileges is not a one-element list")
    return Privileges(_granted(_object(privileges[0], "privileges")))


def accounts(data: object) -> list[Account]:
    """listaccts' accounts, in WHM's order."""
    records = _object(data, "data").get("acct")
    # WHM leaves `acct` out when there are no accounts to list.
    if records is None:
        return []
    if not isinstance(records, list):
        raise Malformed("acct is not a list")
    return [_account(record) for record in records]


def _account(record: object) -> Account:
    fields = _object(record, "an account")
    plan = fields.get("plan")
    return Account(
        user=_text(fields.get("user"), "user"),
        domain=_text(fields.get("domain"), "domain"),
        owner=_text(fields.get("owner"), "owner"),
        # An account made without a package has an empty plan.
        plan=plan if isinstance(plan, str) else _text(plan, "plan"),
        suspended=_flag(fields.get("suspended"), "suspended"),
    )


# --- cPanel's UAPI Tokens --------------------------------------------------------------------


def cpanel_tokens(data: object) -> list[CpanelToken]:
    """Tokens::list: an array of token records, put in cPanel's table order, newest first."""
    if not isinstance(data, list):
        raise Malformed("data is not a list of tokens")
    return sorted(
        map(_cpanel_token, data), key=lambda token: (-token.created.timestamp(), token.name)
    )


def created_cpanel_token(
    name: str, expires: datetime | None
) -> Callable[[object], CreatedCpanelToken]:
    """Tokens::create_full_access: `{create_time, token}`, read with what was asked for."""

    def parse(data: object) -> CreatedCpanelToken:
        record = _object(data, "data")
        secret = record.get("token")
        # As WHM's (created_token): 32 of A-Z and 0-9, or a malformed reply, never shown.
        if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
            raise Malformed("token is not 32 characters of A-Z and 0-9")
        # cPanel answers only the time and the secret; a server that also sends the expiry
        # is believed over what was asked for.
        expiry = _expiry(record["expires_at"]) if "expires_at" in record else expires
        token = CpanelToken(
            name=name,
            created=_unix_time(record.get("create_time"), "create_time"),
            expires=expiry,
            full_access=True,
            read_only=False,
            features=(),
        )
        return CreatedCpanelToken(token=token, secret=secret)

    return parse


def _cpanel_token(record: object) -> CpanelToken:
    fields = _object(record, "a token record")
    return CpanelToken(
        name=_text(fields.get("name"), "name"),
        created=_unix_time(fields.get("create_time"), "create_time"),
        expires=_expiry(fields.get("expires_at")),
        full_access=_flag(fields.get("has_full_access"), "has_full_access"),
        read_only=_flag(fields.get("readonly"), "readonly"),
        features=_texts(fields.get("features"), "features"),
    )


# --- shared ----------------------------------------------------------------------------------


def _token(record: object, *, name: object) -> ApiToken:
    fields = _object(record, "a token record")
    return ApiToken(
        name=_text(name, "name"),
        created=_unix_time(fields.get("create_time"), "create_time"),
        expires=_expiry(fields.get("expires_at")),
        acls=_acls(fields.get("acls")),
        whitelist_ips=_texts(fields.get("whitelist_ips"), "whitelist_ips"),
    )


def _acls(value: object) -> frozenset[str]:
    """A map ACL → flag (api_token_list) or an array (elsewhere)."""
    # Absent when WHM stores no list, and a token without a list holds all of its user's rights.
    if value is None:
        return frozenset({FULL_ACCESS})
    if isinstance(value, dict):
        granted = _granted(value)
        # Look up the few non-ACL keys, rather than walk some 65 keys per token.
        listed = len(value) - sum(key in value for key in NOT_AN_ACL)
        return granted | {FULL_ACCESS} if inherits_everything(granted, listed) else granted
    return frozenset(_texts(value, "acls")) - NOT_AN_ACL


def inherits_everything(granted: frozenset[str], listed: int) -> bool:
    """Whether api_token_list's ACL map (`listed` real keys, `granted` of them at 1) is that of
    a full-access token, one made without `acl-N` that inherits all its owner holds.

    WHM lists such a token with every key at 1. Root's map has every ACL, `all` included, so
    `all` at 1 says it. A reseller's map has only the reseller's own ACLs and no `all` key, so
    there the sign is every listed key at 1 (a token given each of them one by one reads the
    same: WHM's list cannot tell the two apart, and keeping either as it is loses nothing).
    """
    return FULL_ACCESS in granted or (listed > 0 and len(granted) == listed)


# WHM writes booleans as 1, 0, "1", "0", "" or null (JSON true/false hash and compare as 1/0).
_FLAGS: dict[object, bool] = {1: True, "1": True, 0: False, "0": False, "": False, None: False}


def _flag(value: object, what: str) -> bool:
    try:
        return _FLAGS[value]
    except (KeyError, TypeError):
        raise Malformed(f"{what} is not a boolean") from None


def _granted(flags: dict[str, object]) -> frozenset[str]:
    # A list of 1,000 tokens holds some 65,000 flags: read them in C (compress, map), not in a
    # Python call per flag; an unknown or unhashable value is a malformed reply.
    try:
        granted = frozenset(compress(flags, map(_FLAGS.__getitem__, flags.values())))
    except (KeyError, TypeError):
        raise Malformed("an ACL flag is not a boolean") from None
    return granted - NOT_AN_ACL


def _expiry(value: object) -> datetime | None:
    # null, absent and 0 all mean "never expires".
    if value is None or value == 0 or value == "0":
        return None
    return _unix_time(value, "expires_at")


_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_EPOCH = (LATEST - _UNIX_EPOCH) // timedelta(seconds=1)
# orjson reads an integer past 64 bits as a float: a float that large stands for one (and is
# past year 9999 either way), while a smaller float is no Unix time WHM writes.
_BEYOND_64_BITS = float(2**64)


def _unix_time(value: object, what: str) -> datetime:
    # Perl's JSON writes a number as a string once it has been used as one: accept both.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        # int() refuses strings over 4,300 digits; a number that long is past year 9999 anyway.
        digits = value.lstrip("0") or "0"
        value = int(digits) if len(digits) <= len(str(_LATEST_EPOCH)) else _LATEST_EPOCH + 1
    if isinstance(value, float) and value >= _BEYOND_64_BITS:
        value = _LATEST_EPOCH + 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"{what} is not a Unix time")
    # WHM takes any expires_at in the future, however far (300000000000 is the year 11476), and
    # lists it back. datetime ends at 9999, so a later time reads as its last moment: still in
    # the future, and one such token does not make the whole list unreadable (nor unrevocable,
    # since a revoke lists first).
    if value > _LATEST_EPOCH:
        return LATEST
    return datetime.fromtimestamp(value, UTC)


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not an object")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise Malformed(f"{what} is not a non-empty string")
    return value


def _texts(value: object, what: str) -> tuple[str, ...]:
    # null or absent is an empty list (for whitelist_ips: any IP may use the token).
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Malformed(f"{what} is not a list of strings")
    return tuple(value)
