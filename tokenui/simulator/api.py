"""One /json-api/ call answered as WHM would: access checks, the function, WHM's reply shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .auth import Caller
from .functions import (
    API_0_FUNCTIONS,
    FUNCTIONS,
    Call,
    Data,
    FunctionFailed,
    Params,
    call_function,
)
from .store import Store

JSON = "application/json"
# WHM refuses in an older API's shape, as text/plain, and says nothing about why.
ACCESS_DENIED_BODY = (
    b'{"cpanelresult":{"apiversion":"2","error":"Access denied",'
    b'"data":{"reason":"Access denied","result":"0"},"type":"text"}}'
)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    result: int | None = None  # the reply's result, for the request log
    headers: tuple[tuple[str, str], ...] = ()  # more headers (a session's cookie)


ACCESS_DENIED = Reply(403, "text/plain", ACCESS_DENIED_BODY)


def answer(
    store: Store,
    name: str,
    params: Params,
    caller: Caller | None,
    now: int,
    urls: dict[str, str] | None = None,
) -> Reply:
    """The reply to a call of function `name` by `caller` (None: authentication failed);
    `urls` says where each service answers (Call.urls)."""
    if caller is None:
        return ACCESS_DENIED
    api_1 = params.first("api.version") == "1"
    function = FUNCTIONS.get(name) if api_1 or name in API_0_FUNCTIONS else None
    if function is not None and not function.allowed(caller):
        return ACCESS_DENIED
    try:
        if function is None:
            raise FunctionFailed(_unknown_app(name, api_1=api_1))
        call = Call(store, caller, params, now, urls=urls or {})
        data = call_function(function, call)
    except FunctionFailed as failed:
        return envelope(name, 0, failed.reason, {}) if api_1 else _api_0(0, failed.reason, {})
    if not api_1:
        return _api_0(1, "OK", data)
    return envelope(name, 1, "OK", data, extra=call.metadata)


def _unknown_app(name: str, *, api_1: bool) -> str:
    if api_1:
        return f"Unknown app (“{name}”) requested for this version (1) of the API."
    # API 0's own words, from cPanel's Whostmgr::API::0 (find_api), which quotes no name; the
    # same sentence shows in client libraries' bug reports (mgufrone/cpanel-whm#10).
    return f"Unknown app ({name}) requested for this version (0) of the API."


def envelope(
    command: str, result: int, reason: str, data: Data | None, *, extra: Data | None = None
) -> Reply:
    """WHM API 1's reply; `data` None leaves the key out, as WHM does for a reply without data.
    `extra` joins the metadata (createacct's `output`)."""
    metadata = {"command": command, "reason": reason, "result": result, "version": 1}
    payload: dict[str, Any] = {"metadata": metadata | (extra or {})}
    if data is not None:
        payload["data"] = data
    return Reply(200, JSON, encode_json(payload), result)


def _api_0(status: int, message: str, data: Data | None) -> Reply:
    # What WHM answers a caller that forgot api.version=1: API 0, with the data at the top
    # level beside status and statusmsg and no metadata, so a client notices at once. The shape
    # is cPanel's "WHM API 0 - Return Data" page: `status` 1 or 0 and `statusmsg`, also for an
    # unknown function (whose reason is `_unknown_app`'s).
    payload = {"status": status, "statusmsg": message, **(data or {})}
    return Reply(200, JSON, encode_json(payload), status)


def encode_json(payload: object) -> bytes:
    # Compact and raw UTF-8, as WHM sends it: reasons keep their curly quotes unescaped.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
