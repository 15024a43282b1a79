"""The cPanel UAPI functions the simulator answers (Tokens, and a little of Email), in UAPI's
result shape: the body of `/execute/MODULE/FUNCTION` on the cPanel port, and `data.uapi` of WHM
API 1's `uapi_cpanel`.

The rules and texts follow cPanel's own Cpanel::API::Tokens and its validators
(Cpanel::Security::Authn::APITokens::Validate, …::Write): the name rule and the expiry rule are
WHM's, a name is unique per account, `revoke` of an unknown name succeeds with `data: 0`, and a
rename to the same name is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .functions import FunctionFailed, Params, expiry, token_name
from .store import Account, Store, TokenNameTaken

type Result = dict[str, Any]

APITOKENS = "apitokens"
# The modules the simulator has, and the feature each needs of the account (Cpanel::API::Tokens
# sets _needs_feature; Email checks per function, none of which the simulator models).
MODULE_FEATURES: dict[str, str | None] = {"Tokens": APITOKENS, "Email": None}
# Cpanel/API.pm's _function_is_safe, and Cpanel::LoadModule::Utils::is_valid_module_name.
MAX_FUNCTION_NAME = 1024
UNSAFE = re.compile(r"[^a-zA-Z0-9_]")
PERL_MODULE = re.compile(r"[A-Za-z_]\w*(?:(?:'|::)\w+)*", re.ASCII)
# A cPanel server's @INC, as its perl (5.36, under 3rdparty/) lists it.
PERL_INC = " ".join(
    [
        "/usr/local/cpanel",
        "/usr/local/cpanel/3rdparty/perl/536/cpanel-lib/x86_64-linux",
        "/usr/local/cpanel/3rdparty/perl/536/cpanel-lib",
        "/usr/local/cpanel/3rdparty/perl/536/lib/x86_64-linux",
        "/usr/local/cpanel/3rdparty/perl/536/lib",
    ]
)
# Seed 004's example account password, "12345luggage", must pass: no strength rule here.
MAIN_ACCOUNT = "Main Account"


class UapiFailed(Exception):
    """UAPI said no: `status: 0` and these `errors`."""

    def __init__(self, *errors: str) -> None:
        super().__init__(*errors)
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class UapiCall:
    store: Store
    account: Account
    params: Params
    now: int
    # A read-only token may read, never change (newer cPanel versions make such tokens).
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class UapiFunction:
    run: Callable[[UapiCall], Any]
    writes: bool


def result(status: int, data: Any = None, errors: list[str] | None = None) -> Result:
    """UAPI's result object, as `/execute/` sends it bare (no apiversion/module/func wrapper:
    that is only the `uapi` command line's output).

    An array result goes through UAPI's filters, sorts and paging, which mark it
    `transformed` even when none was asked for (Cpanel/API.pm:267-276, 416).
    """
    return {
        "status": status,
        "errors": errors,
        "messages": None,
        "warnings": None,
        "metadata": {"transformed": 1} if isinstance(data, list) else {},
        "data": data,
    }


def run_uapi(call: UapiCall, module: str, function: str) -> Result:
    """Call MODULE::FUNCTION as the account; a failure is a `status: 0` result, never raised.

    Cpanel::API::execute's order: the function's name, the module, the module's feature, and
    only then whether the module has the function.
    """
    try:
        _check_names(module, function)
        feature = MODULE_FEATURES[module]
        if feature is not None and not call.store.has_feature(call.account.user, feature):
            # Cpanel::API's _needs_feature check, in the words real servers answer it with.
            raise UapiFailed(f"You do not have the feature “{feature}”.")
        found = FUNCTIONS.get((module, function))
        if found is None:
            # Cpanel/API.pm:377.
            raise UapiFailed(
                f"The system could not find the function “{function}” in the module “{module}”."
            )
        if found.writes and call.read_only:
            # Inferred, not cPanel's words: the Perl at hand predates read-only tokens, and the
            # 11.137 spec says only that "write operations are rejected server-side".
            raise UapiFailed("This API token is read-only. It cannot run this function.")
        return result(1, found.run(call))
    except UapiFailed as failed:
        return result(0, None, failed.errors)
    except FunctionFailed as failed:
        # The validators WHM and cPanel share word the name and expiry rules alike.
        return result(0, None, [failed.reason])


def _check_names(module: str, function: str) -> None:
    """Cpanel/API.pm's _init_execute: a function name it will not look up, or a module it
    cannot load, in its words (:342, :349)."""
    if len(function) > MAX_FUNCTION_NAME or function.startswith("_") or UNSAFE.search(function):
        raise UapiFailed(f"Illegal function name: {function}")
    if module not in MODULE_FEATURES:
        raise UapiFailed(f"Failed to load module “{module}”: {_load_error(module)}")


def _load_error(module: str) -> str:
    """Why Cpanel::LoadModule::load_perl_module cannot load Cpanel::API::MODULE."""
    perl_module = f"Cpanel::API::{module}"
    if "'" in perl_module:
        return f"Module names with single-quotes are prohibited. ({perl_module})"
    if not PERL_MODULE.fullmatch(perl_module):
        return f"“{perl_module}” is not a valid name for a Perl module."
    # Cpanel::Exception::ModuleLoadError around perl's own message for `use` of a missing
    # file; @INC and the eval's number are a server's own, so clients match on the start.
    path = perl_module.replace("::", "/") + ".pm"
    return (
        f"The system failed to load the module “{perl_module}” because of an error: "
        f"Can't locate {path} in @INC (you may need to install the {perl_module} module) "
        f"(@INC contains: {PERL_INC}) at (eval 1) line 1.\n"
        "BEGIN failed--compilation aborted at (eval 1) line 1.\n"
    )


# --- Tokens ------------------------------------------------------------------------------------


def tokens_list(call: UapiCall) -> list[Result]:
    listed = []
    for token in call.store.cpanel_tokens(call.account.user):
        entry: Result = {
            "name": token.name,
            "create_time": token.create_time,
            "expires_at": token.expires_at,
            # Every token here is create_full_access's; read-only is orthogonal to it (11.137's
            # spec: a read-only token "retains full access to the account's features").
            "has_full_access": 1,
            "features": [],
        }
        # The spec: present and 1 only for read-only tokens.
        if token.read_only:
            entry["readonly"] = 1
        listed.append(entry)
    return listed


def tokens_create_full_access(call: UapiCall) -> Result:
    name = _length_required(call.params, "name")
    raw_expiry = call.params.first("expires_at")
    # Sent empty, the value skips the check and is kept as "", which never expires (as WHM's).
    expires_at = None if raw_expiry is None else expiry(raw_expiry, call.now)
    token_name(name)
    # 11.137 and later: readonly=1 makes a token that may only read (the spec's enum is 1 and 0;
    # as Perl reads a flag, any other value with length but "0" counts as set).
    read_only = call.params.first("readonly") not in (None, "", "0")
    try:
        secret = call.store.add_cpanel_token(
            call.account.user,
            name,
            create_time=call.now,
            expires_at=expires_at,
            read_only=read_only,
        )
    except TokenNameTaken:
        raise UapiFailed(
            f"A conflicting API token with the name “{name}” already exists."
        ) from None
    # cPanel drops name, features, has_full_access and expires_at from the reply.
    return {"create_time": call.now, "token": secret}


def tokens_rename(call: UapiCall) -> None:
    new_name = _length_required(call.params, "new_name")
    name = _length_required(call.params, "name")
    if new_name == name:
        raise UapiFailed("“new_name” must be a different value from “name”.")
    # cPanel looks the token up before it checks the new name.
    if call.store.cpanel_token(call.account.user, name) is None:
        raise UapiFailed(f"The API token “{name}” does not exist.")
    token_name(new_name)
    try:
        renamed = call.store.rename_cpanel_token(call.account.user, name, new_name)
    except TokenNameTaken:
        raise UapiFailed(f"An API token with the name “{new_name}” already exists.") from None
    if not renamed:  # revoked since the look-up
        raise UapiFailed(f"The API token “{name}” does not exist.")


def tokens_revoke(call: UapiCall) -> int:
    name = _length_required(call.params, "name")
    # 1 when a token went, 0 when there was none of that name: not an error in cPanel.
    return int(call.store.revoke_cpanel_token(call.account.user, name))


# --- Email (just enough for seed 004's curl) ---------------------------------------------------


def email_add_pop(call: UapiCall) -> str:
    email = _length_required(call.params, "email")
    _length_required(call.params, "password")
    local, at, domain = email.partition("@")
    domain = domain or call.params.first("domain") or call.account.domain
    if not local or (at and not domain):
        raise UapiFailed(f"“{email}” is not a valid email address.")
    if domain != call.account.domain:
        # Inferred text; the simulator's accounts have no other domains.
        raise UapiFailed(f"The domain “{domain}” does not belong to this account.")
    if not call.store.add_pop(call.account.user, local, domain):
        raise UapiFailed(f"The account {local}@{domain} already exists!")
    # cPanel answers with the mailbox's system name, "user+domain".
    return f"{local}+{domain}"


def email_list_pops(call: UapiCall) -> list[Result]:
    boxes: list[Result] = [
        {
            "email": f"{local}@{domain}",
            "login": f"{local}@{domain}",
            "suspended_incoming": 0,
            "suspended_login": 0,
        }
        for local, domain in call.store.pops(call.account.user)
    ]
    boxes.append({"email": call.account.user, "login": MAIN_ACCOUNT})
    return boxes


def email_count_pops(call: UapiCall) -> int:
    # The account's mailboxes, not its main account (Cpanel::Email::Count::__count_pops).
    return len(call.store.pops(call.account.user))


def _length_required(params: Params, key: str) -> str:
    """cPanel's Cpanel::Args::get_length_required, in its words."""
    value = params.first(key)
    if value is None:
        raise UapiFailed(f"Provide the “{key}” argument.")
    if not value:
        raise UapiFailed(f"The “{key}” argument cannot be empty.")
    return value


FUNCTIONS: dict[tuple[str, str], UapiFunction] = {
    ("Tokens", "list"): UapiFunction(tokens_list, writes=False),
    ("Tokens", "create_full_access"): UapiFunction(tokens_create_full_access, writes=True),
    ("Tokens", "rename"): UapiFunction(tokens_rename, writes=True),
    ("Tokens", "revoke"): UapiFunction(tokens_revoke, writes=True),
    ("Email", "add_pop"): UapiFunction(email_add_pop, writes=True),
    ("Email", "list_pops"): UapiFunction(email_list_pops, writes=False),
    ("Email", "count_pops"): UapiFunction(email_count_pops, writes=False),
}
