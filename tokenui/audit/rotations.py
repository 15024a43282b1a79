"""Which tokens were rotated and not yet revoked, as the audit trail tells it: the mark the
token tables show on a rotated token until its predecessor is revoked."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection, Mapping

from django.db import DatabaseError, transaction

from tokenui.audit.models import Action, AuditEvent, Outcome, Service

logger = logging.getLogger(__name__)


def successors(
    *,
    server: str,
    listed: Collection[str],
    shown: Mapping[str, datetime.datetime],
    user: str = "",
    account: str = "",
) -> dict[str, str]:
    """{old name: successor's name} for the `shown` tokens rotated and not yet revoked.

    `listed` names every token the server lists now; `shown` gives the creation time of each
    token on the page (only those: a search redraws the page at every keystroke). A rotation
    counts while both tokens are listed and it happened after the old one was made (a later
    token that reuses a revoked one's name is not its heir). One indexed query, bounded by the
    oldest token shown.
    """
    if not shown:
        return {}
    found: dict[str, str] = {}
    for at, names in _rotations(server, user, account, since=min(shown.values())):
        if not (isinstance(names, list) and len(names) == 2):
            continue
        old, new = names
        if old in shown and new in listed and shown[old] <= at:
            found[old] = new
    return found


def _rotations(
    server: str, user: str, account: str, *, since: datetime.datetime
) -> list[tuple[datetime.datetime, object]]:
    """The rotations on `server` since `since`, oldest first, as (time, [old, new]); none when
    the trail cannot be read. WHM's own tokens are one user's (`user`); a cPanel account's are
    the account's, whoever rotated them (`account`)."""
    events = AuditEvent.objects.filter(
        action=Action.ROTATE, server=server, account=account, outcome=Outcome.SUCCEEDED
    )
    if not account:
        events = events.filter(whm_user=user, service=Service.WHM)
    events = events.filter(at__gte=since).order_by("at")
    try:
        # A savepoint: on PostgreSQL a failed query must not poison an enclosing transaction.
        with transaction.atomic():
            return list(events.values_list("at", "token_names"))
    except DatabaseError as exc:
        # The marks are a reminder; the table works without them.
        logger.warning("rotation marks not read: %s", type(exc).__name__)
        return []
