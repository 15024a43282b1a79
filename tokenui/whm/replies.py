"""Decoding WHM API 1 and cPanel UAPI replies into frozen types: the `data` of a successful
reply, checked.

A reply in the wrong shape raises `Malformed`, whose text names our field, never anything WHM
sent; the transport turns it into a WhmBadResponse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from itertools import compress
from operator import attrgetter
from typing import Any

import msgspec

from tokenui.acls import ACL_KEYS, BYPASS_ACLS, NOT_AN_ACL
from tokenui.whm.types import (
    FULL_ACCESS,
    LATEST_EPOCH,
    Account,
    ApiToken,
    CpanelToken,
    CreatedCpanelToken,
    CreatedToken,
    Privileges,
    TokenSummary,
    UserSession,
    moment,
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


# The ACL map as far as the risk flags read it: `all` and the privileges WHM warns let a token
# bypass its restrictions, as struct fields; msgspec skips the other 60-odd keys in C, building
# nothing for them (reading all 64 as fields cost 6x the whole decode; these four, 0.4x). Any
# value is taken: a map in a shape list_tokens() refuses gives no flags, never a table down.
# `all` first, then the privileges WHM warns about, then every other built-in ACL: the map is
# read into struct fields in C (no dict, no key strings), and the other keys are needed only to
# see a reseller's full-access token (every listed key at 1, see inherits_everything).
_RISKY_KEYS = (FULL_ACCESS, *sorted(BYPASS_ACLS))
_LISTED_KEYS = (*_RISKY_KEYS, *(key for key in ACL_KEYS if key not in _RISKY_KEYS))
_BYPASS_FIELDS = slice(1, len(_RISKY_KEYS))
_ListedAcls = msgspec.defstruct(
    "_ListedAcls",
    [(f"f{i}", Any, msgspec.field(name=key, default=None)) for i, key in enumerate(_LISTED_KEYS)],
    gc=False,
)


class _ListedRecord(msgspec.Struct, gc=False):
    """An api_token_list record as far as a TokenSummary reads it. The ACL map, two thirds of
    the reply, is read into the fields of a struct: no dict, no string is built for it."""

    # As loose as WHM writes them; the rules are in _seconds and _expiry_seconds.
    create_time: int | float | str | bool | None = None
    expires_at: int | float | str | bool | None = None
    whitelist_ips: list[str] | None = None
    acls: _ListedAcls | str | list | int | float | bool | None = None  # type: ignore[valid-type]


class ListedTokens(msgspec.Struct, gc=False):
    """api_token_list's `data` as token_summaries reads it (the transport decodes it)."""

    tokens: dict[str, _ListedRecord]


_LISTED = msgspec.json.Decoder(ListedTokens)


def token_summaries(data: object) -> list[TokenSummary]:
    """api_token_list's `data` straight into TokenSummary: decoded in C with the envelope, only
    the fields a list shows; WHM's order as in token_list. Given `data` as JSON values (it did
    not fit ListedTokens), converting it says what is wrong."""
    if not isinstance(data, ListedTokens):
        try:
            data = msgspec.convert(data, ListedTokens)
        except msgspec.ValidationError as exc:
            raise Malformed(_what_is_wrong(exc)) from None
    records = data.tokens
    summaries = [
        TokenSummary(
            _text(name, "name"),
            _seconds(record.create_time, "create_time"),
            _expiry_seconds(record.expires_at),
            tuple(record.whitelist_ips or ()),
            *_risky(record.acls),
        )
        for name, record in records.items()
    ]
    # Newest first, then by name: two stable sorts on plain attributes (no tuple per token).
    summaries.sort(key=attrgetter("name"))
    summaries.sort(key=attrgetter("create_time"), reverse=True)
    return summaries


def _risky(acls: object) -> tuple[bool, bool]:
    """(full access, may bypass its restrictions) from a token's listed ACL map.

    No map: the token inherits all its owner holds, as in _acls. With a map: `all` at 1 (root's
    map), or every built-in key the map lists at 1 (a reseller's map, which has no `all`: a
    token made without privileges lists each of the reseller's keys at 1), as
    inherits_everything reads the whole map. Plugins' `software-*` keys are not read here: a
    token given every built-in key but not a plugin's reads as full access, overstating its
    risk, never understating it.
    """
    if acls is None:
        return True, False
    if not isinstance(acls, _ListedAcls):
        return False, False
    flags = msgspec.structs.astuple(acls)
    try:
        # A map that lists `all` (root's) says full access by it alone; one without it (a
        # reseller's) by every listed key at 1.
        if _FLAGS[flags[0]] or (flags[0] is None and _every_listed_key_set(flags)):
            return True, False
        return False, any(_FLAGS[flag] for flag in flags[_BYPASS_FIELDS])
    except (KeyError, TypeError):  # not a flag WHM writes
        return False, False


def _every_listed_key_set(flags: tuple[Any, ...]) -> bool:
    """Whether an ACL map's fields (None where a key is not listed) list a key, all at 1.

    Raises KeyError or TypeError for a value that is not a flag WHM writes."""
    # WHM writes 1 and 0, counted in C; another spelling ("1", "", …) takes the long way.
    unlisted, ones = flags.count(None), flags.count(1)
    if unlisted + ones + flags.count(0) == len(flags):
        return ones > 0 and unlisted + ones == len(flags)
    listed = [_FLAGS[flag] for flag in flags if flag is not None]
    return bool(listed) and all(listed)


# msgspec says where a value was wrong ("… - at `$.tokens[...].create_time`", token names left
# out): the message names our field from it, never anything WHM sent.
_WRONG = {
    "tokens": "tokens is not an object",
    "create_time": "create_time is not a Unix time",
    "expires_at": "expires_at is not a Unix time",
    "whitelist_ips": "whitelist_ips is not a list of strings",
}


def _what_is_wrong(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    _, at, path = text.rpartition(" - at `$")
    if not at:  # the top level: `data` itself, or its `tokens` missing
        return _WRONG["tokens"] if "`tokens`" in text else "data is not an object"
    fields = re.findall(r"\.(\w+)", path)
    if fields == ["tokens"] and path.endswith("]`"):
        return "a token record is not an object"
    return _WRONG.get(fields[-1] if fields else "", "data is not in the expected shape")


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


# A session's path prefix, as Cpanel::Session::generate_new_security_token makes it; it becomes
# part of every URL called in the session, so nothing else is taken.
_SECURITY_TOKEN = re.compile(r"/cpsess[0-9]{10}")
# The session string goes into a query string and a cookie: printable ASCII without spaces,
# quotes, backslashes or semicolons.
_SESSION = re.compile(r"[!#-:<-\[\]-~]{1,1024}")


def user_session(user: str) -> Callable[[object], UserSession]:
    """create_user_session: `{cp_security_token, expires, service, session, url}`."""

    def parse(data: object) -> UserSession:
        record = _object(data, "data")
        token, session = record.get("cp_security_token"), record.get("session")
        if not isinstance(token, str) or not _SECURITY_TOKEN.fullmatch(token):
            raise Malformed("cp_security_token is not /cpsess and ten digits")
        if not isinstance(session, str) or not _SESSION.fullmatch(session):
            raise Malformed("session is not a session name")
        return UserSession(
            user=user,
            service=_text(record.get("service"), "service"),
            security_token=token,
            expires=_unix_time(record.get("expires"), "expires"),
            session=session,
            url=_text(record.get("url"), "url"),
        )

    return parse


# --- cPanel's UAPI Tokens --------------------------------------------------------------------


def cpanel_tokens(data: object) -> list[CpanelToken]:
    """Tokens::list: an array of token records, put in cPanel's table order, newest first."""
    if not isinstance(data, list):
        raise Malformed("data is not a list of tokens")
    return sorted(
        map(_cpanel_token, data), key=lambda token: (-token.created.timestamp(), token.name)
    )


def created_cpanel_token(
    name: str, expires: datetime | None, *, read_only: bool = False
) -> Callable[[object], CreatedCpanelToken]:
    """Tokens::create_full_access: `{create_time, token}`, read with what was asked for (the
    reply says nothing of `readonly`: as asked, which a server before 11.137 ignores)."""

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
            read_only=read_only,
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
    seconds = _expiry_seconds(value)
    return None if seconds is None else moment(seconds)


def _expiry_seconds(value: object) -> int | None:
    # null, absent and 0 all mean "never expires"; so does "", which WHM and cPanel keep as it
    # came when a client sends `expires_at=` (Validate.pm:104-105), and which one such token,
    # made by another tool, must not turn into an unreadable table.
    if value is None or value == 0 or value == "0" or value == "":
        return None
    return _seconds(value, "expires_at")


# A JSON decoder may read an integer past 64 bits as a float: a float that large stands for one
# (and is past year 9999 either way), while a smaller float is no Unix time WHM writes.
_BEYOND_64_BITS = float(2**64)


def _unix_time(value: object, what: str) -> datetime:
    return moment(_seconds(value, what))


def _seconds(value: object, what: str) -> int:
    """A Unix time as WHM writes it, checked; one past year 9999 as LATEST_EPOCH + 1."""
    if type(value) is int and 0 <= value <= LATEST_EPOCH:  # nearly every time WHM sends
        return value
    # Perl's JSON writes a number as a string once it has been used as one: accept both.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        # int() refuses strings over 4,300 digits; a number that long is past year 9999 anyway.
        digits = value.lstrip("0") or "0"
        value = int(digits) if len(digits) <= len(str(LATEST_EPOCH)) else LATEST_EPOCH + 1
    if isinstance(value, float) and value >= _BEYOND_64_BITS:
        value = LATEST_EPOCH + 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"{what} is not a Unix time")
    # WHM takes any expires_at in the future, however far (300000000000 is the year 11476), and
    # lists it back. datetime ends at 9999, so a later time reads as its last moment: still in
    # the future, and one such token does not make the whole list unreadable (nor unrevocable,
    # since a revoke lists first).
    return min(value, LATEST_EPOCH + 1)


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
