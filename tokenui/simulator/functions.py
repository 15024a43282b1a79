"""The WHM API 1 functions the simulator answers: parameters in, data or WHM's reason out."""

from __future__ import annotations

import ipaddress
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tokenui.acls import ACL_KEYS, ACLS_BY_KEY, SOFTWARE_PREFIX

from .auth import Caller, effective_acls
from .store import Account, AccountTaken, Store, StoredToken, StoredUser, TokenNameTaken

logger = logging.getLogger(__name__)

type Data = dict[str, Any]

ALL = "all"
ROOT = "root"
TOKEN_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")
EPOCH = re.compile(r"[0-9]+")
# The largest expires_at WHM and cPanel take, "the largest value that will not cause EOVERFLOW on
# most systems" (Cpanel/Validate/Time.pm:60-64).
MAX_EPOCH = 67767976233521999
MAX_EPOCH_DIGITS = len(str(MAX_EPOCH))
# An `expires_at=` sent empty: stored and listed as it came, and it never expires.
EMPTY_EXPIRY = ""
CIDR_PREFIX = re.compile(r"[0-9]{1,3}")
MAX_WHITELIST_IPS = 100
# api_token_update's way of saying "no IP restriction".
ANY_IP = "any"
# WHM lists this key among root's token ACLs; it is not a real ACL.
DEMO_KEY = "demo"
# createacct: cPanel's own username rule (16 characters once database prefixes are off).
USERNAME = re.compile(r"[a-z][a-z0-9]{0,15}")
DOMAIN = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
SHARED_IP = "192.0.2.1"
NAMESERVERS = ("ns1.simulator.example", "ns2.simulator.example")
# `session`: the login URL's, which signs in as its user.
SECRET_KEYS = frozenset({"token", "password", "passwd", "session"})


class FunctionFailed(Exception):
    """WHM said no: HTTP 200, `result: 0`, and this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BareFailure(FunctionFailed):
    """WHM said no before a token function's own `try` (its reasons' prefix is set there), as
    api_token_get_details reads `token`: the reason goes out without the prefix."""


class Params:
    """One request's parameters, query string and form body together, in the order sent."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def without(self, *keys: str, prefix: str = "\0") -> Params:
        """The parameters but `keys` and those starting with `prefix`."""
        return Params(
            [(k, v) for k, v in self._pairs if k not in keys and not k.startswith(prefix)]
        )

    def first(self, key: str) -> str | None:
        return next((value for k, value in self._pairs if k == key), None)

    def values(self, key: str) -> list[str] | None:
        """A list: numbered keys (`acl-0`, `acl-1`, …) in number order, then the bare key
        repeated. None when neither form was sent."""
        numbered = re.compile(rf"{re.escape(key)}-0*([0-9]+)")
        # Numeric order without int(), which refuses 4,300+ digits: shorter is smaller.
        indexed = [
            ((len(match[1]), match[1]), value)
            for k, value in self._pairs
            if (match := numbered.fullmatch(k)) is not None
        ]
        bare = [value for k, value in self._pairs if k == key]
        if not indexed and not bare:
            return None
        return [value for _, value in sorted(indexed, key=lambda item: item[0])] + bare

    def redacted(self) -> dict[str, str | list[str]]:
        """For the request log: each key's value (a list when repeated), secrets blanked."""
        grouped: dict[str, list[str]] = {}
        for key, value in self._pairs:
            grouped.setdefault(key, []).append("[redacted]" if key in SECRET_KEYS else value)
        return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


@dataclass(frozen=True, slots=True)
class Call:
    store: Store
    caller: Caller
    params: Params
    now: int
    # What a function adds to its reply's `metadata` (createacct's `output`).
    metadata: Data = field(default_factory=dict)
    # Where each service answers (`whostmgrd`, `cpaneld`, `webmaild`: scheme, host and port, as
    # the caller reached this server), for the URLs a reply gives (create_user_session's).
    urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WhmFunction:
    name: str
    run: Callable[[Call], Data | None]
    privilege: str | None = None
    # WHM's words when a token function cannot reach its storage: "The system failed to …".
    failure: str | None = None

    def allowed(self, caller: Caller) -> bool:
        return self.privilege is None or caller.holds(self.privilege)

    def failure_reason(self, detail: str) -> str:
        return f"The system failed to {self.failure}: {detail}"


def call_function(function: WhmFunction, call: Call) -> Data | None:
    """Run `function`: its data (None: a reply without data), or FunctionFailed.

    A token function's every reason carries WHM's prefix, "The system failed to …: DETAIL".
    """
    try:
        return function.run(call)
    except BareFailure:
        raise
    except FunctionFailed as failed:
        if function.failure is None:
            raise
        raise FunctionFailed(function.failure_reason(failed.reason)) from None
    except sqlite3.Error as exc:
        if function.failure is None:
            raise
        logger.exception("%s could not use the store", function.name)
        raise FunctionFailed(function.failure_reason(str(exc))) from exc


# --- api_token_* -------------------------------------------------------------------------------


def api_token_create(call: Call) -> Data:
    # WHM's order (Tokens.pm:564-597, Validate.pm:155-189): the name's presence, the ACLs, empty
    # IPs; then the name's length, and expiry, name and IPs in the order of their keys' names.
    name = _token_name_sent(call.params)
    acls = _sent_acls(call)
    sent_ips = _sent_ips(call.params)
    if not name:
        raise FunctionFailed(_missing_name("validate_creation"))
    raw_expiry = call.params.first("expires_at")
    expires_at = None if raw_expiry is None else expiry(raw_expiry, call.now)
    token_name(name)
    whitelist = () if sent_ips is None else _whitelist(sent_ips)
    try:
        secret = call.store.add_token(
            call.caller.user.name,
            name,
            acls=acls or (),
            create_time=call.now,
            expires_at=expires_at,
            whitelist_ips=whitelist,
            # No ACLs sent: WHM gives the token everything its user holds.
            full_access=acls is None,
        )
    except TokenNameTaken:
        raise FunctionFailed(
            f"A conflicting API token with the name “{name}” already exists."
        ) from None
    # WHM builds the record with a key slice (Write.pm:249-254), so expires_at is always there,
    # null when none was sent (or 0, Write/whostmgr.pm:100-102); the lists only when given.
    data: Data = {"name": name, "create_time": call.now, "expires_at": expires_at}
    if acls is not None:
        data["acls"] = list(acls)
    if whitelist:
        data["whitelist_ips"] = list(whitelist)
    data["token"] = secret
    return data


def api_token_list(call: Call) -> Data:
    user = call.caller.user
    keys = _listed_acl_keys(user)
    tokens = {}
    for token in call.store.tokens(user.name):
        granted = effective_acls(user, token)
        # A token holding `all` (root's full-access tokens, made without acl-N, inherit it) is
        # listed with every key at 1, `all` included; a reseller's full-access token holds every
        # ACL its owner does, so all of its keys read 1 as it is.
        everything = ALL in granted
        entry: Data = {
            "name": token.name,
            "create_time": token.create_time,
            "expires_at": token.expires_at,
            "acls": {key: int(everything or key in granted) for key in keys},
        }
        if token.whitelist_ips:
            entry["whitelist_ips"] = list(token.whitelist_ips)
        tokens[token.name] = entry
    return {"tokens": tokens}


def api_token_update(call: Call) -> Data:
    # WHM's order: the name's presence, ACLs and empty IPs (Tokens.pm:564-597); then the token
    # is looked up (an unknown one "does not exist" whatever else was sent, Write.pm:416-452);
    # then expiry, new name and IPs (Validate.pm:180), and only then "nothing to change".
    params = call.params
    name = _token_name_sent(params)
    acls = _sent_acls(call)
    sent_ips = _sent_ips(params)
    token = call.store.token(call.caller.user.name, name)
    if token is None:
        raise FunctionFailed(f"The API token “{name}” does not exist.")
    new_name, raw_expiry = params.first("new_name"), params.first("expires_at")
    if raw_expiry is not None:
        token = replace(token, expires_at=expiry(raw_expiry, call.now))
    if new_name is not None:
        token = replace(token, name=token_name(new_name))
    if sent_ips is not None:
        token = replace(token, whitelist_ips=_whitelist(sent_ips))
    if new_name is None and acls is None and raw_expiry is None and sent_ips is None:
        raise FunctionFailed("Specify a new name, updated ACLs, or IPs.")
    if acls is not None:
        token = replace(token, acls=acls, full_access=False)
    try:
        call.store.replace_token(name, token)
    except TokenNameTaken:
        raise FunctionFailed(f"An API token with the name “{token.name}” already exists.") from None
    return _token_record(token)


def api_token_revoke(call: Call) -> Data:
    names = call.params.values("token_name")
    # Only no token_name at all is refused (Tokens.pm:461-463): an empty one names no token.
    if names is None:
        raise FunctionFailed("Provide at least one “token_name” argument.")
    # Unknown names are ignored, as WHM does: the caller re-lists to see what is left.
    call.store.revoke_tokens(call.caller.user.name, names)
    return {}


def api_token_get_details(call: Call) -> Data | None:
    # Read before any `try` (Tokens.pm:184): a refusal here carries no "The system failed" prefix.
    try:
        secret = length_required(call.params, "token", f"{_TOKENS_PM}::api_token_get_details")
    except FunctionFailed as failed:
        raise BareFailure(failed.reason) from None
    token = call.store.token_by_secret(call.caller.user.name, secret)
    if token is None or token.expired(call.now):
        return None
    return _token_record(token)


# --- privileges and accounts -------------------------------------------------------------------


def myprivs(call: Call) -> Data:
    keys = [*ACL_KEYS, *_software_acls(call.caller.user)]
    return {"privileges": [{key: int(key in call.caller.acls) for key in keys}]}


def applist(call: Call) -> Data:
    api_1 = call.params.first("api.version") == "1"
    return {
        "app": sorted(
            name
            for name, fn in FUNCTIONS.items()
            if fn.allowed(call.caller) and (api_1 or name in API_0_FUNCTIONS)
        )
    }


def listaccts(call: Call) -> Data:
    caller = call.caller
    # Whostmgr/Accounts/List.pm: hasroot() (`all`, of the token when one is used), or root
    # itself with list-accts (which this call needs anyway), sees every account; anyone else
    # the accounts they own.
    sees_all = caller.holds(ALL) or caller.user.name == ROOT
    owner = None if sees_all else caller.user.name
    return {"acct": [_account_data(account) for account in call.store.accounts(owner)]}


def createacct(call: Call) -> Data:
    username = _required(call.params, "username")
    domain = _required(call.params, "domain").lower()
    plan = call.params.first("plan") or "default"
    if not USERNAME.fullmatch(username) or username.startswith("test"):
        raise FunctionFailed(
            f"“{username}” is not a valid username: use 1 to 16 lowercase letters and digits, "
            "starting with a letter and not with “test”."
        )
    if not DOMAIN.fullmatch(domain):
        raise FunctionFailed(f"“{domain}” is not a valid domain name.")
    account = Account(
        user=username,
        domain=domain,
        email=call.params.first("contactemail") or "",
        plan=plan,
        owner=call.caller.user.name,
        ip=SHARED_IP,
        create_time=call.now,
    )
    try:
        call.store.add_account(account)
    except AccountTaken as taken:
        value = username if taken.field == "username" else domain
        raise FunctionFailed(
            f"An account with the {taken.field} “{value}” already exists."
        ) from None
    password = call.params.first("password")
    if password:
        # The new account can sign in to cPanel with it.
        call.store.set_cpanel_password(username, password)
    # WHM reports the account creation's log as text in metadata.output.raw, and the unused
    # name servers as empty strings (client libraries index into both).
    call.metadata["output"] = {"raw": _creation_log(account)}
    return {
        "ip": SHARED_IP,
        "nameserver": NAMESERVERS[0],
        "nameserver2": NAMESERVERS[1],
        "nameserver3": "",
        "nameserver4": "",
        "package": plan,
    }


def _creation_log(account: Account) -> str:
    """A short account-creation log in the layout of WHM's (its banner, fields and Done)."""
    rule = "+===================================+"
    lines = [
        "Account Creation Status: ok (Account Creation Ok)",
        rule,
        "| New Account Info                  |",
        rule,
        f"| Domain: {account.domain}",
        f"| Ip: {account.ip} (n)",
        f"| UserName: {account.user}",
        f"| NameServer1: {NAMESERVERS[0]}",
        f"| NameServer2: {NAMESERVERS[1]}",
        "| NameServer3: ",
        "| NameServer4: ",
        f"| Contact Email: {account.email}",
        f"| Package: {account.plan}",
        rule,
        "...Done",
    ]
    return "\n".join(lines) + "\n"


def suspendacct(call: Call) -> None:
    """Whostmgr/API/1/Accounts.pm:1083-1099: access first; then scripts/suspendacct, whose
    printout is the reply's `output.raw` (and which answers OK for an account already suspended,
    saying so there)."""
    user = call.params.first("user") or ""
    account = account_access(call, user)
    if call.store.suspend_account(account.user, call.params.first("reason") or ""):
        log = "".join(
            [
                "Changing Shell to /bin/false...Done\n",
                "Locking Password...Done\n",
                "Suspending websites...\n",
                "Suspending outgoing email....Done\n",
                f"{user}'s account has been suspended\n",
            ]
        )
    else:
        log = (
            f"User '{user}' is already suspended. "
            "Provide '--force' argument if you wish to do this.\n"
        )
    call.metadata["output"] = {"raw": log}


def removeacct(call: Call) -> None:
    """Whostmgr/API/1/Accounts.pm:785-811: `user` (or `username`), access, then the removal,
    whose reason is "USER account removed" (Whostmgr/Accounts/Remove.pm:678). The account's
    cPanel tokens, sign-in and mailboxes go with it."""
    user = call.params.first("user") or call.params.first("username") or ""
    account = account_access(call, user)
    call.store.remove_account(account.user)
    call.metadata["reason"] = f"{user} account removed"
    call.metadata["output"] = {"raw": f"User: {user}\nDomain: {account.domain}\n"}


def uapi_cpanel(call: Call) -> Data:
    """A UAPI function run as one of the caller's cPanel accounts; its result in `data.uapi`
    (Whostmgr/API/1/Cpanel.pm:768-816): the three parameters first, then the account."""
    # uapi.py builds on this module's rules (names, expiry), so it is imported here, late.
    from .uapi import UapiCall, run_uapi

    caller = "Whostmgr::API::1::Cpanel::uapi_cpanel"
    user = length_required(call.params, "cpanel.user", caller)
    module = length_required(call.params, "cpanel.module", caller)
    function = length_required(call.params, "cpanel.function", caller)
    account = account_access(call, user)
    params = call.params.without("api.version", prefix="cpanel.")
    return {"uapi": run_uapi(UapiCall(call.store, account, params, call.now), module, function)}


def account_access(call: Call, user: str) -> Account:
    """Whostmgr::Authz::verify_account_access: the account `user`, if the caller may act on it.

    "Root" is hasroot(), the `all` ACL of this call (a token's, when a token is used), not the
    user's name: it reaches every account, and is told when one does not exist. Anyone else
    reaches the accounts they own, and hears the same about others' and missing ones alike.
    """
    account = call.store.account(user)
    if call.caller.holds(ALL):
        if account is None:
            # Cpanel::Exception::UserNotFound.
            raise FunctionFailed(f"You do not have a user named “{user}”.")
        return account
    if account is None or account.owner != call.caller.user.name:
        raise FunctionFailed(f"You do not have access to an account named “{user}”.")
    return account


# --- create_user_session -----------------------------------------------------------------------

WHOSTMGRD = "whostmgrd"
CPANELD = "cpaneld"
WEBMAILD = "webmaild"
SESSION_SERVICES = (CPANELD, WEBMAILD, WHOSTMGRD)
MAX_LOCALE = 16
# Session.pm: `$app !~ m/^[0-9a-z-_]+$/i`.
APP = re.compile(r"[0-9a-z_-]+", re.IGNORECASE)


def create_user_session(call: Call) -> Data:
    """Whostmgr/API/1/Session.pm, its checks in its order: `user` and `service` sent, the
    service, the user's existence, suspension, permission, `locale`, a reseller for whostmgrd,
    `preferred_domain`, `app`. Then a session whose URL signs in once, within `expires`."""
    for key in ("user", "service"):
        if call.params.first(key) is None:
            raise FunctionFailed(f"The “{key}” parameter is required.")
    user, service = call.params.first("user") or "", call.params.first("service") or ""
    locale = call.params.first("locale") or ""
    if service not in SESSION_SERVICES:
        raise FunctionFailed(
            "The “service” parameter is invalid. The only supported services for this API "
            "call are “cpaneld”, “webmaild”, and “whostmgrd”."
        )
    account, reseller = call.store.account(user), call.store.user(user)
    if account is None and reseller is None:
        raise FunctionFailed(
            f"You cannot create a session for the user “{user}” because they do not exist."
        )
    if account is not None and account.suspend_reason is not None:
        raise FunctionFailed(
            f"You cannot create a session for the user “{user}” because they are currently "
            "suspended."
        )
    if not _may_create_session(call.caller, user, service, account):
        raise FunctionFailed(
            f"You do not have permission to create sessions for the user “{user}”."
        )
    if len(locale) > MAX_LOCALE:
        # Session.pm quotes the value where it means the parameter's name: WHM's words as sent.
        raise FunctionFailed(
            f"The “{locale}” parameter is invalid. The “{locale}” parameter may not be longer "
            "than 16 characters."
        )
    if service == WHOSTMGRD and reseller is None:
        raise FunctionFailed(
            f"You cannot create a “whostmgrd” session for the user “{user}” because they are "
            "not a reseller."
        )
    base = _session_base_url(call, service)
    app = call.params.first("app") or ""
    if app and not APP.fullmatch(app):
        raise FunctionFailed(f"The requested application, {app}, is invalid.")
    sessions = call.store.sessions
    made = sessions.create(user, service, time.time())
    query = {"locale": locale} if locale else {}
    query["session"] = made.session
    call.metadata["reason"] = "Created session"
    data: Data = {"cp_security_token": made.security_token}
    if locale:
        data["locale"] = locale
    return data | {
        "expires": call.now + int(sessions.login_window_s),
        "service": service,
        "session": made.session,
        "url": f"{base}{made.security_token}/login/?{urlencode(query, quote_via=quote)}",
    }


def _may_create_session(caller: Caller, user: str, service: str, account: Account | None) -> bool:
    """Session.pm: no one gets a session other than WHM's for root; hasroot() (the `all` ACL
    of this call, not the user's name) may have any other; anyone else their own, or one for
    a user they own (Whostmgr::AcctInfo::Owner::checkowner)."""
    if user == ROOT and service != WHOSTMGRD:
        return False
    if caller.holds(ALL) or caller.user.name == user:
        return True
    # A WHM user with no cPanel account of its own in the simulator is root's, as a reseller
    # made in WHM normally is.
    owner = account.owner if account is not None else ROOT
    return owner == caller.user.name


def _session_base_url(call: Call, service: str) -> str:
    """Where the session's URL points: the service's own port, at `preferred_domain` when one
    is sent (a domain or IP address on this server), else where the caller reached WHM."""
    base = call.urls.get(service, "")
    preferred = call.params.first("preferred_domain") or ""
    if not preferred:
        return base
    if not (DOMAIN.fullmatch(preferred.lower()) or _is_ip(preferred)):
        raise FunctionFailed(
            f"The “{preferred}” parameter is invalid. The “{preferred}” parameter must be a valid "
            "domain name or IP address."
        )
    local = {account.domain for account in call.store.accounts()} | {SHARED_IP}
    local.add(urlsplit(base).hostname or "")
    if preferred.lower() not in local:
        raise FunctionFailed(
            f"The “{preferred}” parameter is invalid. The “{preferred}” parameter must be a "
            "domain or IP address on this server."
        )
    scheme, netloc = urlsplit(base)[:2]
    port = netloc.rpartition(":")[2]
    host = f"[{preferred}]" if ":" in preferred else preferred
    return f"{scheme}://{host}:{port}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


MANAGE_TOKENS = "manage-api-tokens"
# Perform cPanel API and UAPI functions through the WHM API.
CPANEL_API = "cpanel-api"
# The functions WHM's older API 0 also has. Without api.version=1 a call goes to API 0, which
# has no api_token_* functions at all: such a call must not create or revoke anything.
API_0_FUNCTIONS = frozenset({"applist", "createacct", "listaccts", "myprivs"})
FUNCTIONS: dict[str, WhmFunction] = {
    fn.name: fn
    for fn in (
        WhmFunction("api_token_create", api_token_create, MANAGE_TOKENS, "create the API token"),
        WhmFunction("api_token_list", api_token_list, MANAGE_TOKENS, "read the API tokens"),
        WhmFunction("api_token_update", api_token_update, MANAGE_TOKENS, "update the API token"),
        WhmFunction("api_token_revoke", api_token_revoke, MANAGE_TOKENS, "revoke the API token"),
        WhmFunction(
            "api_token_get_details", api_token_get_details, MANAGE_TOKENS, "read the API tokens"
        ),
        WhmFunction("myprivs", myprivs),
        WhmFunction("applist", applist),
        WhmFunction("listaccts", listaccts, "list-accts"),
        WhmFunction("createacct", createacct, "create-acct"),
        WhmFunction("uapi_cpanel", uapi_cpanel, CPANEL_API),
        WhmFunction("suspendacct", suspendacct, "suspend-acct"),
        WhmFunction("removeacct", removeacct, "kill-acct"),
        WhmFunction("create_user_session", create_user_session, "create-user-session"),
    )
}


# --- validation, as WHM words it ---------------------------------------------------------------


def _required(params: Params, key: str) -> str:
    value = params.first(key)
    if not value:
        raise FunctionFailed(f"The parameter “{key}” is required.")
    return value


def length_required(params: Params, key: str, caller: str) -> str:
    """Whostmgr::API::1::Utils::get_length_required_argument, in its words (Utils.pm:46-66).

    Missing: Cpanel::Exception::MissingParameter names the API function it was raised for (the
    first caller on the stack that is neither private nor one of the get_*argument helpers,
    Cpanel/Exception/Caller.pm), `caller` here. Empty: Cpanel::Exception::Empty."""
    value = params.first(key)
    if value is None:
        raise FunctionFailed(f"Provide the “{key}” parameter for the “{caller}” function.")
    if not value:
        raise FunctionFailed(f"The value of “{key}” may not be empty.")
    return value


_TOKENS_PM = "Whostmgr::API::1::Tokens"


def _token_name_sent(params: Params) -> str:
    """`token_name`, which must be sent (Tokens.pm:570); an empty one is caught later."""
    name = params.first("token_name")
    if name is None:
        raise FunctionFailed("The parameter “token_name” is required.")
    return name


def _missing_name(validator: str) -> str:
    # Validate.pm:157-158 raises MissingParameters for an empty name, which names the first
    # public caller on the stack: the validator's own entry point.
    caller = f"Cpanel::Security::Authn::APITokens::Validate::{validator}"
    return f"Provide the “name” parameter for the “{caller}” function."


def _sent_acls(call: Call) -> tuple[str, ...] | None:
    """The `acl-N` sent, checked (None: none sent, the token inherits everything)."""
    sent = call.params.values("acl")
    return None if sent is None else _grantable_acls(call.caller, sent)


def _sent_ips(params: Params) -> list[str] | None:
    """The `whitelist_ip-N` sent: none may be empty (Utils.pm:90-102); any `any` among them
    clears the list (Tokens.pm:579-582). None: none sent."""
    sent = params.values("whitelist_ip")
    if sent is None:
        return None
    if any(item == "" for item in sent):
        raise FunctionFailed("The “whitelist_ip” arguments cannot be empty.")
    return [] if ANY_IP in sent else sent


def token_name(name: str) -> str:
    if not TOKEN_NAME.fullmatch(name):
        raise FunctionFailed(
            f"“{name}” is not a valid API token name. An API token name must not be longer than "
            "50 characters and may only contain the following characters: a-z A-Z 0-9 _ -"
        )
    return name


def _grantable_acls(caller: Caller, sent: list[str]) -> tuple[str, ...]:
    """The ACLs sent, each known and held by the caller; sorted, as WHM returns them."""
    wanted = list(dict.fromkeys(sent))
    refused = [acl for acl in wanted if not (_known_acl(caller.user, acl) and caller.holds(acl))]
    if len(refused) == 1:
        raise FunctionFailed(f"Invalid or unauthorized ACL specified: {refused[0]}")
    if refused:
        raise FunctionFailed(f"Invalid or unauthorized ACLs specified: {_and_list(refused)}")
    return tuple(sorted(wanted))


def _known_acl(user: StoredUser, acl: str) -> bool:
    # Plugins register software-… ACLs; the simulator registers those its users were given.
    return acl in ACLS_BY_KEY or (acl.startswith(SOFTWARE_PREFIX) and acl in user.acls)


def _and_list(items: list[str]) -> str:
    """English list with a serial comma, as cPanel's locale system writes one."""
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return f"{', '.join(items[:-1])}, and {items[-1]}"


def expiry(raw: str, now: int) -> int | str | None:
    """`expires_at` as stored: None for 0 (never), else a time not in the past.

    An empty value skips the check and is kept as it came, `""` (WHM's and cPanel's
    `_validate_expires_at` return at once for a value without length, Validate.pm:104-105, and
    Tokens.pm:591 passes it on): every reader takes it for never.
    """
    if raw == EMPTY_EXPIRY:
        return EMPTY_EXPIRY
    digits = raw.lstrip("0") or "0"
    # Cpanel/Validate/Time.pm:64: ASCII digits, at most MAX_EPOCH; the length test comes first
    # because int() refuses 4,300+ digits.
    if not EPOCH.fullmatch(raw) or len(digits) > MAX_EPOCH_DIGITS or int(digits) > MAX_EPOCH:
        raise FunctionFailed(f"“{raw}” is not a valid UNIX epoch timestamp.")
    expires_at = int(digits)
    if expires_at == 0:
        return None
    # Validate.pm:109: only a time before now is refused; this very second is accepted.
    if expires_at < now:
        raise FunctionFailed(f"The “{raw}” value must be a future date.")
    return expires_at


def _whitelist(sent: list[str]) -> tuple[str, ...]:
    """The IP list as WHM stores it: deduplicated, IPv4 before IPv6, numeric order, bare
    addresses without /32 or /128, IPv6 fully expanded. Empty means no restriction."""
    if len(sent) > MAX_WHITELIST_IPS:
        raise FunctionFailed(
            f"You have entered “{len(sent)}” IP addresses, which is above the limit of "
            f"{MAX_WHITELIST_IPS}."
        )
    networks = {_network(item) for item in sent}
    ordered = sorted(networks, key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    return tuple(_format_network(network) for network in ordered)


def _network(item: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    address, slash, prefix = item.partition("/")
    # ipaddress also takes netmasks (/255.255.255.0) and zone ids (%eth0); WHM takes neither.
    if "%" in address or (slash and not CIDR_PREFIX.fullmatch(prefix)):
        raise FunctionFailed(f"Invalid IP address or CIDR range specified: {item}")
    try:
        return ipaddress.ip_network(item, strict=True)
    except ValueError:
        raise FunctionFailed(f"Invalid IP address or CIDR range specified: {item}") from None


def _format_network(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    address = network.network_address
    text = address.exploded if address.version == 6 else str(address)
    if network.prefixlen == network.max_prefixlen:
        return text
    return f"{text}/{network.prefixlen}"


# --- reply shapes ------------------------------------------------------------------------------


def _token_record(token: StoredToken) -> Data:
    """A token as update and get_details return it: ACLs as an array, absent when full access."""
    data: Data = {
        "name": token.name,
        "create_time": token.create_time,
        "expires_at": token.expires_at,
    }
    if not token.full_access:
        data["acls"] = list(token.acls)
    if token.whitelist_ips:
        data["whitelist_ips"] = list(token.whitelist_ips)
    return data


def _software_acls(user: StoredUser) -> list[str]:
    return sorted(acl for acl in user.acls if acl.startswith(SOFTWARE_PREFIX))


def _listed_acl_keys(user: StoredUser) -> list[str]:
    """The keys of api_token_list's ACL maps: every ACL (and `demo`) for root, else the user's."""
    if ALL in user.acls:
        return [*ACL_KEYS, *_software_acls(user), DEMO_KEY]
    return [key for key in ACL_KEYS if key in user.acls] + _software_acls(user)


def _account_data(account: Account) -> Data:
    return {
        "user": account.user,
        "domain": account.domain,
        "email": account.email,
        "plan": account.plan,
        "owner": account.owner,
        "ip": account.ip,
        "suspended": int(account.suspend_reason is not None),
        "suspendreason": (
            "not suspended" if account.suspend_reason is None else account.suspend_reason
        ),
        "unix_startdate": account.create_time,
        "startdate": time.strftime("%y %b %d %H:%M", time.gmtime(account.create_time)),
        "partition": "home",
        "theme": "jupiter",
        "diskused": "0M",
        "disklimit": "unlimited",
    }
