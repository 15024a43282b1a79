"""cPanel API 2, as far as the simulator speaks it (Email::listpops): on cPanel's port, and through
WHM's `cpanel` function as client libraries call it (pycpanel's `cpanel_api`)."""

from __future__ import annotations

import html

from .api import ACCESS_DENIED, JSON, Reply, encode_json
from .auth import Caller
from .functions import ALL, CPANEL_API, Params
from .store import Store

ROOT = "root"


def api_2_reply(store: Store, user: str, module: str, function: str) -> Reply:
    """API 2's `cpanelresult` for Email::listpops as the account `user`; any other function is
    an API 2 error (its wording inferred)."""
    base = {"apiversion": 2, "module": module, "func": function}
    if (module, function) == ("Email", "listpops"):
        data = [
            {"email": f"{local}@{domain}", "login": f"{local}@{domain}"}
            for local, domain in store.pops(user)
        ]
        payload = {**base, "data": data, "event": {"result": 1}}
        return Reply(200, JSON, encode_json({"cpanelresult": payload}), 1)
    error = f"Could not find function “{function}” in module “{module}”."
    payload = {
        **base,
        "data": {"reason": error, "result": 0},
        "error": error,
        "event": {"result": 0},
    }
    return Reply(200, JSON, encode_json({"cpanelresult": payload}), 0)


def cpanel_through_whm(store: Store, caller: Caller | None, params: Params) -> Reply:
    """WHM's `cpanel` function (Whostmgr/XMLUI/cPanel.pm, cpanel_exec): the caller holds
    `cpanel-api` (XMLUI/Meta.pm), the account exists and is not root, and the caller has root
    (the `all` ACL of this call), is the account, or owns it. Its output is the cPanel API's own,
    whatever `api.version` says."""
    if caller is None or not caller.holds(CPANEL_API):
        return ACCESS_DENIED
    user = params.first("cpanel_jsonapi_user") or params.first("user") or ""
    version = params.first("cpanel_jsonapi_apiversion")
    account = store.account(user)
    if user == ROOT:
        return _error(
            f"The user “{ROOT}” is not associated with a cPanel account and cannot call "
            "cPanel API 2",
            version,
        )
    if account is None:
        return _error("User parameter is invalid or was not supplied", version)
    if not (caller.holds(ALL) or user == caller.user.name or account.owner == caller.user.name):
        return _error(f"Access Denied to {user}", version)
    module = params.first("cpanel_jsonapi_module") or ""
    function = params.first("cpanel_jsonapi_func") or ""
    return api_2_reply(store, user, module, function)


def _error(message: str, version: str | None) -> Reply:
    """cpanel_exec's _format_error, byte for byte: the message HTML-escaped into a hand-written
    JSON text, wrapped in `cpanelresult` only for API 2, ending in a line break."""
    escaped = html.escape(message, quote=True).replace("&#x27;", "&#39;")
    body = f'{{"data":{{"reason":"{escaped}","result":"0"}},"type":"text","error":"{escaped}"}}\n'
    if version == "2":
        body = f'{{"cpanelresult":{body}}}'
    return Reply(200, JSON, body.encode(), 0)
