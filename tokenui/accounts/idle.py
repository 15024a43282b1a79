"""Idle sessions: each request pushes a signed-in session's deadline back, writing it at most
once a minute rather than at every request (a database write on every search keystroke)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

TOUCHED = "tokenui_touched"  # session key: when the deadline was last pushed back (Unix time)
REFRESH_SECONDS = 60  # so a session ends between SESSION_IDLE_MINUTES - 1 and that many idle


def keep_alive(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware, inside SessionMiddleware: marks a session that the request used as modified
    when its deadline was last pushed back over a minute ago, so that it is saved (and its
    cookie renewed) with a new deadline."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request read: a page that never looked at it (or a signed-out
        # visitor with none) must not make one.
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            touched = session.get(TOUCHED)
            if not isinstance(touched, int) or now - touched >= REFRESH_SECONDS:
                session[TOUCHED] = now
        return response

    return middleware
