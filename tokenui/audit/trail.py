"""The audit trail's recording API: views call `record()`, `record_error()` or `recording()`.

It takes names and messages only, never a credential or a token's secret, and never breaks the
action it records: when the row cannot be written, a warning is logged and the view carries on.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest

from tokenui.audit.models import Action, AuditEvent, Outcome, Service
from tokenui.http import client_address
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError
from tokenui.whm.types import WhmSession

logger = logging.getLogger(__name__)

REASON_LIMIT = 1000  # characters; WHM's reasons are a sentence or two


@dataclass(frozen=True, slots=True)
class Staff:
    """A staff member (tokenui/staff) as the trail names them: username, and the OpenID
    subject when they signed in with single sign-on."""

    username: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted when no session exists yet (a sign-in attempt): the server and user tried."""

    server: str
    user: str
    kind: str
    token_name: str | None = None
    service: str = Service.WHM
    staff: Staff | None = None  # the staff member acting through this WHM user, if any


def record(
    request: HttpRequest | None,
    action: Action,
    *,
    outcome: Outcome,
    token_names: Iterable[str] = (),
    reason: str = "",
    actor: Actor | WhmSession | None = None,
    account: str | None = None,
    token_created: datetime | None = None,
) -> AuditEvent | None:
    """Record one action by `actor` (by default the signed-in session, `request.whm`) on
    `account` (see `_who`). `request` is None for a command or a background task: no client
    address then, and `actor` must be given. `reason` is WHM's reason or TokenUI's own
    message, free of secrets by construction (the WHM client strips anything it sent from what
    it reports); `token_created` names a rotated token by its creation time. Returns the row,
    or None."""
    actor = actor or getattr(request, "whm", None)
    if actor is None:
        logger.warning("audit: %s not recorded: no signed-in user", action)
        return None
    event = AuditEvent(
        **_who(request, actor, account),
        action=action,
        token_names=list(token_names),
        token_created=token_created,
        outcome=outcome,
        reason=reason[:REASON_LIMIT],
    )
    return event if _saved(event, actor) else None


def _who(
    request: HttpRequest | None, actor: Actor | WhmSession, account: str | None
) -> dict[str, Any]:
    """An event's fields that say who acted, from where, on which cPanel account.

    `account` is the cPanel account whose tokens were acted on; by default the one the request
    works on (`request.cpanel_account`, set by the cPanel token pages), none for WHM's tokens.
    """
    if account is None:
        account = getattr(request, "cpanel_account", None) or ""
    staff = getattr(actor, "staff", None) or Staff("")
    return {
        "staff": staff.username[:150],
        "staff_subject": staff.subject[:255],
        "server": actor.server[:100],
        "service": actor.service,
        "account": account[:64],
        "whm_user": actor.user[:64],
        "auth_kind": actor.kind,
        "session_token_name": actor.token_name or "",
        "client_address": _address(request) if request is not None else None,
    }


def _saved(event: AuditEvent, actor: Actor | WhmSession) -> bool:
    """Write `event`; when it cannot be written, log that and say so."""
    try:
        # A savepoint: on PostgreSQL a failed INSERT must not poison an enclosing transaction.
        with transaction.atomic():
            event.save()
    except DatabaseError as exc:
        # The exception's text can quote the row; its class is enough to go on.
        logger.warning(
            "audit: %s by %s on %s not recorded: %s",
            event.action,
            actor.user,
            actor.server,
            type(exc).__name__,
        )
        return False
    return True


def record_error(
    request: HttpRequest | None,
    action: Action,
    error: WhmError,
    *,
    changes_state: bool,
    token_names: Iterable[str] = (),
    actor: Actor | WhmSession | None = None,
) -> AuditEvent | None:
    """Record an action that WHM refused or that failed; `changes_state` says whether the call
    that failed was the one that changes WHM (so it may have run) or a read before it."""
    outcome = outcome_of(error, changes_state=changes_state)
    return record(
        request,
        action,
        outcome=outcome,
        token_names=token_names,
        reason=error.message,
        actor=actor,
    )


@contextmanager
def recording(
    request: HttpRequest,
    action: Action,
    token_names: Iterable[str],
    *,
    token_created: datetime | None = None,
) -> Iterator[None]:
    """Record the state-changing WHM call made inside the block: succeeded when it returns,
    refused or unknown (see `outcome_of`) when it raises a WhmError, which goes on up."""
    names = list(token_names)
    try:
        yield
    except WhmError as exc:
        record_error(request, action, exc, changes_state=True, token_names=names)
        raise
    record(
        request, action, outcome=Outcome.SUCCEEDED, token_names=names, token_created=token_created
    )


def outcome_of(error: WhmError, *, changes_state: bool) -> Outcome:
    """What a failure means for the record.

    WHM's own "no" (and a refused credential) is `refused`. A failed read, or a state change
    that provably never reached WHM (connection refused or not accepted in time, TLS refused),
    is `failed`. A state change that ended without a clear answer after it was sent (a timeout,
    a dropped connection, a reply that is not an answer) is `unknown`, as the page tells the
    user: WHM may have carried it out.
    """
    if isinstance(error, (WhmApiError, WhmAuthError)):
        return Outcome.REFUSED
    if changes_state and error.may_have_run:
        return Outcome.UNKNOWN
    return Outcome.FAILED


def _address(request: HttpRequest) -> str | None:
    """The client's address as an IP, or None (a proxy header may hold anything)."""
    raw = client_address(request).split("%", 1)[0]  # no IPv6 zone: inet columns refuse it
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None
