"""The token list behind the table: read from WHM, and kept briefly for search, sort and paging.

WHM's own page filters the table it has loaded: typing in Search asks the server nothing. The
table partials do the same here. The list the page read from WHM is kept in the cache for
`KEPT_SECONDS`, keyed by the session, and search, sort, paging and the as-you-type name check
use it; opening the page and Refresh List always read WHM, and every change this session makes
drops the kept list. It holds what WHM lists (names, dates, IPs, privileges), never a secret.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from tokenui.accounts.auth import SignedInRequest
from tokenui.whm.types import ApiToken

KEPT_SECONDS = 60
REFRESH_HEADER = "TokenUI-Refresh"  # sent by Refresh List: read WHM even for a partial


def read(request: SignedInRequest) -> list[ApiToken]:
    """The list as WHM has it now, kept for the partials that follow."""
    tokens = request.whm_client.list_tokens()
    if key := _key(request):
        cache.set(key, tokens, KEPT_SECONDS)
    return tokens


def recent(request: SignedInRequest) -> list[ApiToken]:
    """The list this session read within KEPT_SECONDS, else as WHM has it now."""
    key = _key(request)
    kept = cache.get(key) if key else None
    if isinstance(kept, list):
        return kept
    return read(request)


def forget(request: SignedInRequest) -> None:
    """After a change (or an attempt whose outcome is unknown): the kept list is out of date."""
    if key := _key(request):
        cache.delete(key)


def _key(request: SignedInRequest) -> str | None:
    session_key = request.session.session_key
    if not session_key:
        return None
    # The session key is a bearer credential: only a digest of it names the cache entry.
    scope = f"{session_key}\0{request.whm.server}\0{request.whm.user}"
    return "tokenui:token-list:" + hashlib.sha256(scope.encode()).hexdigest()
