"""Self-rotation on a schedule: each connected server's service token is rotated once it is
within SERVICE_ROTATE_DAYS of its expiry, by TokenUI's own Rotate (`rotate_service_token`).

Run twice, it rotates once: a rotation is claimed on the server's row for the token it replaces
(its name and creation time), and a token already replaced, or a rotation already under way, is left
alone. A failure is kept on the row (its page names it) and tried again a day later; one that
may have made a token WHM did not answer for keeps its claim, and the schedule leaves that
server alone until an admin rotates it (`manage.py rotate_service_token`) or connects it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from tokenui.servers.lifecycle import MayHaveMade, rotate_service_token
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError

logger = logging.getLogger(__name__)

# A rotation that failed (and provably made nothing) is tried again this long after.
RETRY_AFTER = timedelta(days=1)


def due(now: datetime | None = None) -> list[ConnectedServer]:
    """The servers whose token expires within SERVICE_ROTATE_DAYS and that no rotation holds
    (under way, or stopped where WHM may have made a token); a day after a failure, again."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.SERVICE_ROTATE_DAYS)
    servers = ConnectedServer.objects.filter(
        token_expires__lte=horizon, rotation_started__isnull=True
    )
    return list(servers.exclude(rotation_failed__gt=now - RETRY_AFTER))


def rotate(server_id: int, token_name: str, token_created: datetime) -> str:
    """Rotate the server's token `token_name` made at `token_created` (a successor never has
    the name of the token it replaces), unless it is replaced already or a rotation holds the
    server; what happened, in words."""
    server = ConnectedServer.objects.filter(pk=server_id).first()
    if server is None:
        return "disconnected"
    claimed = ConnectedServer.objects.filter(
        pk=server_id,
        token_name=token_name,
        token_created=token_created,
        rotation_started__isnull=True,
    ).update(rotation_started=timezone.now())
    if not claimed:
        return "already rotated, or a rotation holds it"
    try:
        done = rotate_service_token(server)
    except MayHaveMade as exc:
        _failed(server_id, exc.message, hold=True)
        return exc.message
    except ServerError as exc:
        _failed(server_id, exc.message, hold=False)
        return exc.message
    for note in done.notes:  # the new token is in use; the old one is left to revoke
        _failed(server_id, note, hold=False)
    return f"rotated to {done.server.token_name}"


def _failed(server_id: int, message: str, *, hold: bool) -> None:
    """Keep a failure on the server's row; release its claim unless `hold`."""
    changes: dict[str, object] = {"rotation_failed": timezone.now(), "rotation_failure": message}
    if not hold:
        changes["rotation_started"] = None
    try:
        ConnectedServer.objects.filter(pk=server_id).update(**changes)
    except DatabaseError as exc:  # the audit trail has it; the log says it was not kept
        logger.warning("self-rotation of server %s: failure not kept (%s)", server_id, exc)
