"""Fault switches: the broken replies a client must survive, sent in place of WHM's (or
cPanel's) answer."""

from __future__ import annotations

from .api import ACCESS_DENIED_BODY, JSON, Reply, encode_json, envelope
from .functions import FUNCTIONS
from .uapi import result

HANG = "hang"
CLOSE = "close"
STORAGE_ERROR = "storage-error"
FAULT_MODES = (
    HANG,  # read the request, never answer (until cleared, stopped, or HANG_LIMIT_S)
    CLOSE,  # close the connection without a response
    "garbage",  # 200 with a body that is not JSON
    "html",  # 200 with WHM's login page, as a proxy or an expired session gives
    "truncated",  # 200 with JSON cut off mid-way
    "http-500",
    "http-503",
    "wrong-shape",  # 200 with valid JSON that lacks `metadata`
    STORAGE_ERROR,  # token functions only: result 0, "The system failed to …: DETAIL"
    "session-ended",  # 401 "Access denied", as cpsrvd answers under a session that has ended
)
# UAPI calls are named MODULE::FUNCTION in faults and the request log.
UAPI_TOKENS = "Tokens::"
HANG_LIMIT_S = 60.0
STORAGE_DETAIL = "Disk quota exceeded"

_LOGIN_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WHM Login</title></head>
<body><form action="/login/?login_only=1" method="post">
<label>Username <input name="user"></label>
<label>Password <input name="pass" type="password"></label>
<button type="submit">Log in</button>
</form></body></html>
"""


def modes_for(function: str) -> frozenset[str]:
    """The fault modes that can apply to a call of `function` (a UAPI one: MODULE::FUNCTION)."""
    fn = FUNCTIONS.get(function)
    if (fn is not None and fn.failure is not None) or function.startswith(UAPI_TOKENS):
        return frozenset(FAULT_MODES)
    return frozenset(FAULT_MODES) - {STORAGE_ERROR}


def fault_reply(mode: str, function: str) -> Reply | None:
    """What a fault sends instead of the real reply; None for hang and close, which send none."""
    if "::" in function:
        uapi = _uapi_fault_reply(mode, function)
        if uapi is not None:
            return uapi
    match mode:
        case "garbage":
            return Reply(200, JSON, b"}{ this is not JSON \xff\xfe")
        case "html":
            return Reply(200, "text/html; charset=utf-8", _LOGIN_PAGE)
        case "truncated":
            whole = envelope(function, 1, "OK", {}).body
            return Reply(200, JSON, whole[: len(whole) // 2])
        case "http-500":
            return Reply(500, "text/html", b"<html><body>Internal Server Error</body></html>")
        case "http-503":
            return Reply(503, "text/html", b"<html><body>Service Unavailable</body></html>")
        case "wrong-shape":
            return Reply(200, JSON, b'{"status":1,"statusmsg":"OK","data":{}}')
        case "storage-error":
            return envelope(function, 0, FUNCTIONS[function].failure_reason(STORAGE_DETAIL), {})
        case "session-ended":
            return Reply(401, "text/plain", ACCESS_DENIED_BODY)
        case _:
            return None


def _uapi_fault_reply(mode: str, function: str) -> Reply | None:
    """The faults whose body has UAPI's shape (or a near miss of it); None: as for WHM."""
    module, _, name = function.partition("::")
    match mode:
        case "truncated":
            whole = encode_json(result(1, []))
            return Reply(200, JSON, whole[: len(whole) // 2])
        case "wrong-shape":
            # The `uapi` command line's wrapper, which /execute/ never sends: no `status` on top.
            wrapped = {"apiversion": 3, "module": module, "func": name, "result": result(1, [])}
            return Reply(200, JSON, encode_json(wrapped))
        case "storage-error":
            return Reply(200, JSON, encode_json(result(0, None, [STORAGE_DETAIL])), 0)
        case _:
            return None
