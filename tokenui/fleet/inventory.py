"""Reading every signed-in server's tokens at once: a bounded pool of threads over the pooled
WHM clients (one connection pool per server, shared with the single-server pages), so the
fleet page costs about the slowest server rather than the sum; a server that fails or hangs
gives a status line, never a failed page. The export (full lists, with every privilege) and
Revoke Expired call the servers through the same pool (`each_server`).

Each server's read is kept in the cache for KEPT_SECONDS, as the single-server table keeps its
list: search, filters, sort and paging redraw from it; opening the page and Refresh read WHM.
It holds what the table shows (names, times, IPs, privileges), never a secret.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tokenui import risk
from tokenui.systems import WhmTokens
from tokenui.systems.base import tokens_changed
from tokenui.whm.errors import WhmError
from tokenui.whm.types import ApiToken, TokenSummary, WhmSession

logger = logging.getLogger(__name__)

KEPT_SECONDS = 120
# Threads for one page: every server at once up to this many (the bench's 20 read in one
# round); beyond it, servers wait for a free thread rather than each request making 100.
MAX_WORKERS = 32
# A read that outlives its own timeout (WHM_TIMEOUT) by this much is given up on: the page
# answers without it even if a socket somewhere is still stuck.
GRACE_SECONDS = 0.5


class FleetToken(msgspec.Struct, frozen=True, gc=False):
    """One token of one server, as the fleet table shows it (times in Unix seconds)."""

    server: str
    user: str
    name: str
    create_time: int
    expires_at: int | None
    whitelist_ips: tuple[str, ...]
    privileges: str  # a summary in words
    flags: tuple[str, ...]  # the risk flags' keys (tokenui.risk) when it was read


class ServerRead(msgspec.Struct, frozen=True):
    """One server's part of the fleet: its tokens and when they were read, or why it could not
    be read (WHM's named error, word for word)."""

    server: str
    user: str
    read_at: int  # Unix seconds: when WHM answered, or when the attempt failed
    tokens: tuple[FleetToken, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def read_time(self) -> datetime:
        return datetime.fromtimestamp(self.read_at, UTC)


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(ServerRead)


def read_servers(
    sessions: Sequence[WhmSession], *, scope: str, fresh: bool, only: str = ""
) -> list[ServerRead]:
    """Every session's server, in the order given: kept reads where allowed, the rest read
    now, concurrently. `fresh` reads every server again, `only` just that one."""
    wanted = [] if fresh else [session for session in sessions if session.server != only]
    reads = _kept(scope, wanted)
    missing = [session for session in sessions if session.server not in reads]
    fetched = read_concurrently(missing)
    reads.update((read.server, read) for read in fetched)
    keep(scope, fetched)
    return [reads[session.server] for session in sessions]


def read_concurrently(sessions: Sequence[WhmSession]) -> list[ServerRead]:
    """Read each session's server in its own thread; answer within WHM_TIMEOUT + GRACE_SECONDS
    whatever the servers do."""
    answers = each_server(sessions, lambda system: system.tokens(fresh=True))
    return [
        failed(a.session, a.error) if a.error else server_read(a.session, a.value) for a in answers
    ]


@dataclass(frozen=True, slots=True)
class Answer[T]:
    """One server's answer to `each_server`'s call: its value, or why there is none."""

    session: WhmSession
    value: T | None = None
    error: str = ""  # WHM's named failure, word for word
    failure: WhmError | None = None  # the failure itself, when the client raised one
    # No answer within WHM_TIMEOUT + GRACE_SECONDS: a change may still be under way.
    unanswered: bool = False


def each_server[T](
    sessions: Sequence[WhmSession], call: Callable[[WhmTokens], T]
) -> list[Answer[T]]:
    """`call(system)` on each session's WHM tokens (the single-server pages' own `WhmTokens`,
    keeping nothing of its own), concurrently: a bounded pool of threads
    over the pooled clients (the page's reads, its export and Revoke Expired all come through
    here). Answers in the order given, within WHM_TIMEOUT + GRACE_SECONDS (a round per
    MAX_WORKERS servers) whatever the servers do. The threads touch no database or cache: the
    caller records and keeps what came back, in the request's own thread."""
    if not sessions:
        return []
    pool = ThreadPoolExecutor(
        max_workers=min(len(sessions), MAX_WORKERS), thread_name_prefix="fleet"
    )
    try:
        futures = [pool.submit(_answer, session, call) for session in sessions]
        # A queued call waits for a thread: allow a round of the timeout per batch of workers.
        rounds = -(-len(sessions) // MAX_WORKERS)
        wait(futures, timeout=rounds * (settings.WHM_TIMEOUT + GRACE_SECONDS))
        return [
            future.result() if future.done() else _unanswered(session)
            for session, future in zip(sessions, futures, strict=True)
        ]
    finally:
        # Never wait for a stuck socket: its thread ends when its own timeout fires.
        pool.shutdown(wait=False, cancel_futures=True)


def _answer[T](session: WhmSession, call: Callable[[WhmTokens], T]) -> Answer[T]:
    try:
        return Answer(session, call(WhmTokens(session, None)))
    except WhmError as exc:
        logger.info("fleet: %s did not answer: %s", session.server, type(exc).__name__)
        return Answer(session, error=exc.message, failure=exc)
    except LookupError as exc:  # taken out of WHM_SERVERS since sign-in
        return Answer(session, error=str(exc))


def _unanswered(session: WhmSession) -> Answer:
    message = f"WHM did not answer within {settings.WHM_TIMEOUT:g} seconds."
    return Answer(session, error=message, unanswered=True)


def server_read(session: WhmSession, listed: Iterable[TokenSummary | ApiToken]) -> ServerRead:
    """A server's part of the fleet from its `api_token_list` (summaries, or whole tokens)."""
    return ServerRead(session.server, session.user, int(time.time()), fleet_tokens(session, listed))


def fleet_tokens(
    session: WhmSession, listed: Iterable[TokenSummary | ApiToken]
) -> tuple[FleetToken, ...]:
    """One server's tokens as the fleet keeps them, flagged now. Run for every token of every
    server while the page waits, one server after another on the GIL: kept to plain calls."""
    now = timezone.now()
    server, user = session.server, session.user
    made = []
    for token in listed:
        summary = token if type(token) is TokenSummary else TokenSummary.of(token)
        made.append(
            FleetToken(
                server,
                user,
                token.name,
                summary.create_time,
                summary.expires_at,
                token.whitelist_ips,
                _privileges(summary),
                _flag_keys(risk.flags(token, now=now)),
            )
        )
    return tuple(made)


@functools.cache
def _flag_keys(flags: tuple[risk.Flag, ...]) -> tuple[str, ...]:
    # A few dozen combinations of six flags: each tuple of keys is built once per process.
    return tuple(flag.key for flag in flags)


def _privileges(token: TokenSummary) -> str:
    """A token's privileges in a few words (the fleet reads no full ACL map: 20 servers of them
    cost more than the page's target)."""
    if token.full_access:
        return "All (full access)"
    if token.bypass:
        return "Selected, some of which bypass its limits"
    return "Selected"


def forget(scope: str, sessions: Sequence[WhmSession]) -> None:
    """Drop the kept reads of these servers (after a change, or for Refresh)."""
    try:
        cache.delete_many([_key(scope, session) for session in sessions])
    except Exception as exc:  # a cache that is down keeps nothing to read back either
        logger.warning("fleet cache: could not drop kept reads (%s)", type(exc).__name__)


def failed(session: WhmSession, message: str) -> ServerRead:
    return ServerRead(session.server, session.user, int(time.time()), error=message)


# The cache is asked once for all the servers' reads, and told once: on Redis, one round trip
# each way instead of one per server.


def _kept(scope: str, sessions: Sequence[WhmSession]) -> dict[str, ServerRead]:
    """The kept reads of these sessions' servers, by server (those not kept are left out)."""
    if not sessions:
        return {}
    keys = {_key(scope, session): session.server for session in sessions}
    try:
        found = cache.get_many(list(keys))
    except Exception as exc:  # cache down: read WHM instead
        logger.warning("fleet cache: could not read the kept reads (%s)", type(exc).__name__)
        return {}
    reads = {}
    for key, kept in found.items():
        try:
            read = _DECODER.decode(kept) if isinstance(kept, bytes) else None
        except msgspec.DecodeError:  # an entry of another shape: read WHM instead
            read = None
        if read is not None and read.server == keys.get(key):
            reads[read.server] = read
    return reads


def keep(scope: str, reads: Sequence[ServerRead]) -> None:
    """Keep the servers' reads for the page's partials (KEPT_SECONDS)."""
    if not reads:
        return
    try:
        cache.set_many({_key(scope, read): _ENCODER.encode(read) for read in reads}, KEPT_SECONDS)
    except Exception as exc:
        logger.warning("fleet cache: could not keep the reads (%s)", type(exc).__name__)


def _key(scope: str, who: WhmSession | ServerRead) -> str:
    # The scope is the session key, a bearer credential: only a digest names the entry.
    digest = hashlib.sha256(f"{scope}\0{who.server}\0{who.user}".encode()).hexdigest()
    return "tokenui:fleet:" + digest


def _forget_after_change(sender: object, system: object, **kwargs: object) -> None:
    """Every change a token page makes drops this session's kept read of that server too."""
    session_key = getattr(system, "session_key", None)
    if isinstance(system, WhmTokens) and session_key:
        forget(session_key, [system.session])


tokens_changed.connect(_forget_after_change, dispatch_uid="fleet-forget")
