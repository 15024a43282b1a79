"""Idle sessions: each request pushes a signed-in session's deadline back, writing it at most
once a refresh interval rather than at every request (a database write on every search
keystroke)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

TOUCHED = "tokenui_touched"  # session key: when the deadline was last pushed back (Unix time)
MAX_REFRESH_SECONDS = 60


def refresh_seconds(idle_seconds: int) -> int:
    """How long a deadline stands before a request pushes it back: a tenth of the idle time, at
    most a minute. A session then ends after between 90 % of its idle time (and no less than a
    minute less) and all of it: with a fixed minute, 1 idle minute was a fixed lifetime."""
    return max(1, min(MAX_REFRESH_SECONDS, idle_seconds // 10))


def keep_alive(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware, inside SessionMiddleware: marks a session that the request used as modified
    when its deadline was last pushed back over a refresh interval ago, so that it is saved (and
    its cookie renewed) with a new deadline."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request read: a page that never looked at it (or a signed-out
        # visitor with none) must not make one.
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            touched = session.get(TOUCHED)
            refresh = refresh_seconds(settings.SESSION_COOKIE_AGE)
            if not isinstance(touched, int) or now - touched >= refresh:
                session[TOUCHED] = now
        return response

    return middleware
