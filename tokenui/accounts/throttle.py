"""Sign-in throttling: repeated failures for one username, or from one address, pause sign-in.

Besides slowing password guessing, this shields the dashboard's own address: WHM's cPHulk
blocks an IP after repeated failed logins, and every dashboard user reaches WHM from ours.
Counters live in the cache, so with Redis (CACHE_URL) every app instance counts together.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 15 * 60
UNAVAILABLE = (
    "Signing in is paused: TokenUI cannot reach its cache, where it counts failed sign-ins. "
    "Try again in a minute; if it persists, tell the dashboard's operator."
)


class ThrottleUnavailable(Exception):
    """The counters cannot be read (the cache is down): sign-in must not go ahead unguarded."""


MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True, slots=True)
class SignInThrottle:
    server: str
    username: str
    address: str

    def wait_seconds(self) -> int:
        """How long this sign-in must wait (0: it may go ahead). Raises ThrottleUnavailable
        when the counters cannot be read: failing open would let guessing go uncounted."""
        try:
            return max(
                _blocked_for(self._username_key, MAX_FAILURES_PER_USERNAME),
                _blocked_for(self._address_key, MAX_FAILURES_PER_ADDRESS),
            )
        except Exception as exc:  # each cache backend raises its own (redis.ConnectionError…)
            logger.error("sign-in throttle: the cache cannot be read: %s", type(exc).__name__)
            raise ThrottleUnavailable from exc

    def failed(self) -> None:
        try:
            _count(self._username_key)
            _count(self._address_key)
        except Exception as exc:  # WHM has answered already: the user still hears its verdict
            logger.error("sign-in throttle: a failure was not counted: %s", type(exc).__name__)

    def succeeded(self) -> None:
        # The address keeps its count: one good password must not reset a spray across users.
        try:
            cache.delete_many([f"{self._username_key}:n", f"{self._username_key}:until"])
        except Exception as exc:  # the sign-in itself succeeded
            logger.error("sign-in throttle: the count was not cleared: %s", type(exc).__name__)

    @property
    def _username_key(self) -> str:
        return _key("user", f"{self.server}\0{self.username.casefold()}")

    @property
    def _address_key(self) -> str:
        return _key("addr", self.address)


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Try again in {minutes} {unit}."


def _key(kind: str, value: str) -> str:
    # Hashed: cache keys must be short and safe whatever a username holds.
    return f"tokenui:signin:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _count(key: str) -> None:
    # A fixed window from the first failure; add() makes both keys only if absent, and incr()
    # is atomic in Redis, so concurrent instances never lose a count.
    cache.add(f"{key}:until", time.time() + WINDOW_SECONDS, WINDOW_SECONDS)
    cache.add(f"{key}:n", 0, WINDOW_SECONDS)
    try:
        cache.incr(f"{key}:n")
    except ValueError:  # expired between add() and incr()
        cache.set(f"{key}:n", 1, WINDOW_SECONDS)


def _blocked_for(key: str, limit: int) -> int:
    if (cache.get(f"{key}:n") or 0) < limit:
        return 0
    until = cache.get(f"{key}:until") or time.time() + WINDOW_SECONDS
    return max(1, math.ceil(until - time.time()))
