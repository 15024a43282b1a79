"""The token list behind the table: read from WHM, and kept briefly for search, sort and paging.

WHM's own page filters the table it has loaded: typing in Search asks the server nothing. The
table partials do the same here. The list the page read from WHM is kept in the cache for
`KEPT_SECONDS`, keyed by the session, and search, sort, paging and the as-you-type name check
use it; opening the page, Refresh List and every form or revoke (which act on WHM's list as it is
now) read WHM, and every change this session makes drops the kept list. It holds what the table
shows (names, times, IPs), never a secret.

`KeptList` is the mechanism, for any table of a server's list: cPanel's tokens table keeps its
list the same way (tokenui/cptokens/views.py), keyed by session, server and account.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec
from django.core.cache import cache
from django.http import HttpRequest

from tokenui.accounts.auth import SignedInRequest
from tokenui.whm.types import ApiToken, TokenSummary

logger = logging.getLogger(__name__)

KEPT_SECONDS = 60
REFRESH_HEADER = "TokenUI-Refresh"  # sent by Refresh List: read WHM even for a partial


class KeptList[T]:
    """A list read from a server, kept in the cache for KEPT_SECONDS under a digest of the
    session key and a scope (server, user, account …), for the table's search, sort and paging.

    Only what a table shows goes in (never a secret). The list is msgpack bytes, not pickled
    objects: about 80 bytes a token, written and read back in C (10,000 tokens: under 1 ms and
    3 ms, against 17 and 23 ms for pickle).
    """

    def __init__(self, prefix: str, item: type[T]) -> None:
        self._prefix = prefix
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(list[item])

    def get(self, request: HttpRequest, scope: str) -> list[T] | None:
        """The list this session kept for `scope` within KEPT_SECONDS, or None."""
        key, kept = self._key(request, scope), None
        if key:
            with _cache_may_fail("read"):
                kept = cache.get(key)
        if isinstance(kept, bytes):
            try:
                return self._decoder.decode(kept)
            except msgspec.DecodeError:  # kept by an older TokenUI in another shape
                pass
        return None

    def keep(self, request: HttpRequest, scope: str, listed: list[T]) -> None:
        if key := self._key(request, scope):
            with _cache_may_fail("keep"):
                cache.set(key, self._encoder.encode(listed), KEPT_SECONDS)

    def forget(self, request: HttpRequest, scope: str) -> None:
        """After a change (or an attempt whose outcome is unknown): the kept list is out of
        date."""
        if key := self._key(request, scope):
            # Called after the server has made the change: failing here would hide that it
            # succeeded. A cache that is down keeps nothing to read back either, and an entry
            # lives KEPT_SECONDS at most.
            with _cache_may_fail("drop"):
                cache.delete(key)

    def _key(self, request: HttpRequest, scope: str) -> str | None:
        session_key = request.session.session_key
        if not session_key:
            return None
        # The session key is a bearer credential: only a digest of it names the cache entry.
        return self._prefix + hashlib.sha256(f"{session_key}\0{scope}".encode()).hexdigest()


_WHM_TOKENS = KeptList("tokenui:token-list:", TokenSummary)


def tokens(request: SignedInRequest, *, fresh: bool) -> list[TokenSummary]:
    """The user's tokens: read from WHM now when `fresh` (and kept for the partials that follow),
    else the list this session read within KEPT_SECONDS, or WHM's when none is kept."""
    scope = _scope(request)
    if not fresh and (kept := _WHM_TOKENS.get(request, scope)) is not None:
        return kept
    listed = request.whm_client.list_token_summaries()
    _WHM_TOKENS.keep(request, scope, listed)
    return listed


def with_acls(request: SignedInRequest) -> list[ApiToken]:
    """The user's tokens with their ACLs (what the forms need), read from WHM now; the table's
    kept list is renewed from the same read."""
    listed = request.whm_client.list_tokens()
    _WHM_TOKENS.keep(request, _scope(request), [TokenSummary.of(token) for token in listed])
    return listed


def forget(request: SignedInRequest) -> None:
    """After a change (or an attempt whose outcome is unknown): the kept list is out of date."""
    _WHM_TOKENS.forget(request, _scope(request))


@contextmanager
def _cache_may_fail(what: str) -> Iterator[None]:
    """Keeping the list only saves server calls: with the cache down (Redis unreachable, say)
    the table still works, reading the server each time."""
    try:
        yield
    except Exception as exc:  # the backends raise their own errors (redis.ConnectionError, …)
        logger.warning(
            "token list cache: could not %s the kept list (%s)", what, type(exc).__name__
        )


def _scope(request: SignedInRequest) -> str:
    return f"{request.whm.server}\0{request.whm.user}"
