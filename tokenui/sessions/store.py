"""The session engine when every worker shares a cache (Redis, memcached): Django's cached_db,
reading sessions from the cache first, but surviving that cache. A failed cache call is logged
and the database answers, so a Redis outage slows the pages instead of breaking every one of
them (the database stays the record: sessions are written there first, as cached_db does)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

logger = logging.getLogger(__name__)


@contextmanager
def _cache_may_fail(what: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # the backends raise their own errors (redis.ConnectionError, …)
        logger.warning("session cache: could not %s a session (%s)", what, type(exc).__name__)


class SessionStore(cached_db.SessionStore):
    # delete() stays cached_db's, which raises when the cache cannot drop the session: a
    # signed-out session must not live on in a cache that comes back.

    def load(self) -> dict[str, Any]:
        data = None
        with _cache_may_fail("read"):
            data = self._cache.get(self.cache_key)
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        with _cache_may_fail("keep"):
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key: str | None) -> bool:
        with _cache_may_fail("look up"):
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        return DatabaseStore.exists(self, session_key)
