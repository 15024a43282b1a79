"""Revoke Expired across the fleet: the expired tokens of each signed-in server, and one
`api_token_revoke` call per server for those the user confirmed that are still expired.

The servers are read and then revoked concurrently (inventory.each_server); each server's
outcome stands on its own (one may fail while the others succeed) and each is recorded in the
audit trail under that server's name, from the request's thread. A revoke is never retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from tokenui import risk
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.fleet import inventory
from tokenui.kernel.validators import validate_token_name
from tokenui.whm.types import TokenSummary, WhmSession

NOTHING_EXPIRED = "There are no expired API tokens to revoke."
MAY_HAVE_RUN = (
    "WHM did not answer in time, so it may or may not have revoked them. "
    "Refresh to see the tokens as they are now."
)


@dataclass(frozen=True, slots=True)
class Expired:
    """One server's expired tokens as read for the question, or why it could not be read."""

    server: str
    names: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """What came of one server's part of Revoke Expired, in words for the page."""

    server: str
    revoked: tuple[str, ...] = ()
    message: str = ""
    ok: bool = True


def expired_names(tokens: Iterable[TokenSummary]) -> tuple[str, ...]:
    """Expired but not revoked (WHM keeps listing these until someone revokes them)."""
    now = timezone.now()
    return tuple(t.name for t in tokens if risk.EXPIRED_FLAG in risk.flags(t, now=now))


def read_expired(sessions: Sequence[WhmSession]) -> list[Expired]:
    """Each server's expired tokens, read from WHM now (concurrently)."""
    answers = inventory.each_server(sessions, lambda system: system.tokens(fresh=True))
    return [
        Expired(a.session.server, error=a.error)
        if a.error
        else Expired(a.session.server, tuple(sorted(expired_names(a.value), key=str.casefold)))
        for a in answers
    ]


def encode(expired: Iterable[Expired]) -> str:
    """The question's answer, for its form: {server: [names]} of the servers read."""
    return json.dumps({e.server: list(e.names) for e in expired if e.names and not e.error})


class NotConfirmed(ValueError):
    """The posted confirmation is not one our question could have written: a 400."""


# Our question writes at most a page of names per server; this bounds any other value.
MAX_CONFIRMED_CHARS = 1_000_000


def decode(posted: str, servers: Iterable[str]) -> dict[str, list[str]]:
    """What the form confirmed, kept to signed-in servers and names WHM could hold (anything
    else was not asked by our form, and has no place in a revoke or the audit trail). A value
    our form could not have written (too long, not JSON, nested without end) raises."""
    if len(posted) > MAX_CONFIRMED_CHARS:
        raise NotConfirmed("too long")
    try:
        confirmed = json.loads(posted)
    except (ValueError, RecursionError) as exc:
        raise NotConfirmed("not JSON") from exc
    if not isinstance(confirmed, dict):
        raise NotConfirmed("not a mapping")
    allowed = set(servers)
    return {
        server: list(dict.fromkeys(n for n in names if _is_token_name(n)))
        for server, names in confirmed.items()
        if server in allowed and isinstance(names, list)
    }


def revoke(
    request: HttpRequest, sessions: Sequence[WhmSession], confirmed: Mapping[str, Sequence[str]]
) -> list[Result]:
    """Revoke, on each server, the confirmed names that a fresh read still lists as expired
    (a token renewed since the question is left alone): one call per server, concurrently.
    Every signed-in server has its outcome, in settings order: one with nothing confirmed is
    read too, so that it says whether it is down (in WHM's words) or had nothing to revoke."""
    results: dict[str, Result] = {}
    to_revoke: dict[str, tuple[str, ...]] = {}
    reads = inventory.each_server(sessions, lambda system: system.tokens(fresh=True))
    for read in reads:
        asked = confirmed.get(read.session.server)
        checked = _still_expired(request, read, asked) if asked else _not_asked(read)
        if isinstance(checked, Result):
            results[read.session.server] = checked
        else:
            to_revoke[read.session.server] = checked
    revoking = [s for s in sessions if s.server in to_revoke]
    answers = inventory.each_server(
        revoking, lambda system: system.revoke(to_revoke[system.server])
    )
    for answer in answers:
        results[answer.session.server] = _revoked(request, answer, to_revoke[answer.session.server])
    return [results[s.server] for s in sessions]


def _not_asked(read: inventory.Answer) -> Result:
    """A server the question confirmed nothing on: down (nothing was asked of it, so nothing is
    recorded), nothing expired, or tokens that expired after the question (left alone)."""
    if read.error:
        return Result(read.session.server, message=read.error, ok=False)
    if late := expired_names(read.value):
        return Result(read.session.server, message=_not_in_question(len(late)))
    return Result(read.session.server, message=NOTHING_EXPIRED)


def _not_in_question(count: int) -> str:
    if count == 1:
        return "1 expired API token was not in the question; it was left alone."
    return f"{count} expired API tokens were not in the question; they were left alone."


def _still_expired(
    request: HttpRequest, read: inventory.Answer, asked: Sequence[str]
) -> Result | tuple[str, ...]:
    """The confirmed names this server's fresh read still lists as expired, or the outcome
    (recorded) when there are none or the read failed."""
    if read.error:
        return _failed(request, read, asked, changes_state=False)
    expired = set(expired_names(read.value))
    if still := tuple(name for name in asked if name in expired):
        return still
    # Only names the server lists go into the trail: a forged one names no token of the user's.
    listed = {token.name for token in read.value}
    trail.record(
        request,
        Action.REVOKE_EXPIRED,
        outcome=Outcome.REFUSED,
        token_names=[name for name in asked if name in listed],
        reason=NOTHING_EXPIRED,
        actor=read.session,
    )
    return Result(read.session.server, message=NOTHING_EXPIRED)


def _revoked(request: HttpRequest, answer: inventory.Answer, names: tuple[str, ...]) -> Result:
    """One server's revoke call, recorded."""
    if answer.error:
        return _failed(request, answer, names, changes_state=True)
    trail.record(
        request,
        Action.REVOKE_EXPIRED,
        outcome=Outcome.SUCCEEDED,
        token_names=names,
        actor=answer.session,
    )
    return Result(answer.session.server, revoked=names)


def _failed(
    request: HttpRequest, answer: inventory.Answer, names: Sequence[str], *, changes_state: bool
) -> Result:
    """Record a server's failed read (nothing changed) or revoke, and say what came of it."""
    if answer.failure is not None:
        trail.record_error(
            request,
            Action.REVOKE_EXPIRED,
            answer.failure,
            changes_state=changes_state,
            token_names=names,
            actor=answer.session,
        )
        # WHM's message says itself when the revoke may have run.
        message = answer.error
    else:  # no answer in time, or the server is no longer configured (nothing was sent)
        unknown = changes_state and answer.unanswered
        message = MAY_HAVE_RUN if unknown else answer.error
        trail.record(
            request,
            Action.REVOKE_EXPIRED,
            outcome=Outcome.UNKNOWN if unknown else Outcome.FAILED,
            token_names=names,
            reason=message,
            actor=answer.session,
        )
    return Result(answer.session.server, message=message, ok=False)


def _is_token_name(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        validate_token_name(name)
    except ValidationError:
        return False
    return True
