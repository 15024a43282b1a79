"""Sign-in throttling: repeated failures for one username, or from one address, pause sign-in.

Besides slowing password guessing, this shields the dashboard's own address: WHM's cPHulk
blocks an IP after repeated failed logins, and every dashboard user reaches WHM from ours.
Counters live in the cache, so with Redis (CACHE_URL) every app instance counts together.
"""

from __future__ import annotations

import contextlib
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
    """One sign-in attempt's place in the counts of its username and its client address.

    The attempt is counted before WHM is asked (`reserve`), with the cache's atomic add/incr,
    and stays counted as a failure unless WHM accepts the credential (`succeeded`) or could not
    judge it (`release`). Counting only after WHM answered let a burst of concurrent attempts
    all pass the check, each reaching WHM, before any was counted.
    """

    server: str
    username: str
    address: str

    def reserve(self) -> int:
        """Count this attempt; 0 if it may go to WHM, else the seconds to wait (and then it is
        not counted). Raises ThrottleUnavailable when the cache cannot be reached: failing open
        would let guessing go uncounted."""
        counted: list[str] = []
        try:
            for key, limit in self._limits:
                counted.append(key)
                if _count(key) > limit:
                    wait = _blocked_for(key)
                    _uncount(counted)
                    return wait
        except Exception as exc:  # each cache backend raises its own (redis.ConnectionError…)
            logger.error("sign-in throttle: the cache cannot be reached: %s", type(exc).__name__)
            with contextlib.suppress(Exception):
                _uncount(counted[:-1])  # the last key's count may or may not have been made
            raise ThrottleUnavailable from exc
        return 0

    def release(self) -> None:
        """WHM could not judge the credential (unreachable, or it cannot manage tokens): the
        reserved attempt is not a failure."""
        try:
            _uncount([self._username_key, self._address_key])
        except Exception as exc:  # the user still hears what happened
            logger.error("sign-in throttle: an attempt was not released: %s", type(exc).__name__)

    def succeeded(self) -> None:
        # The address keeps its failures (one good password must not reset a spray across
        # users), less this attempt; the username's count starts again.
        try:
            _uncount([self._address_key])
            cache.delete_many([f"{self._username_key}:n", f"{self._username_key}:until"])
        except Exception as exc:  # the sign-in itself succeeded
            logger.error("sign-in throttle: the count was not cleared: %s", type(exc).__name__)

    @property
    def _limits(self) -> tuple[tuple[str, int], ...]:
        return (
            (self._username_key, MAX_FAILURES_PER_USERNAME),
            (self._address_key, MAX_FAILURES_PER_ADDRESS),
        )

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


def _count(key: str) -> int:
    """Add one to the key's count, atomically, and return the new count. A fixed window from
    the first attempt: add() makes both keys only if absent, and incr() is atomic (in Redis and
    in local memory), so concurrent attempts, in one process or many, each get their own count."""
    cache.add(f"{key}:until", time.time() + WINDOW_SECONDS, WINDOW_SECONDS)
    cache.add(f"{key}:n", 0, WINDOW_SECONDS)
    try:
        return cache.incr(f"{key}:n")
    except ValueError:  # expired between add() and incr(): a new window
        cache.set(f"{key}:n", 1, WINDOW_SECONDS)
        return 1


def _uncount(keys: list[str]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to take back
            cache.decr(f"{key}:n")


def _blocked_for(key: str) -> int:
    until = cache.get(f"{key}:until") or time.time() + WINDOW_SECONDS
    return max(1, math.ceil(until - time.time()))
