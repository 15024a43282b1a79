"""The inventory's background tasks (django.tasks): each takes ids, and each may run twice
without harm, since a server's inventory is replaced in one transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from tokenui.inventory import storing
from tokenui.inventory.reading import read_server
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError

logger = logging.getLogger(__name__)

UNEXPECTED = "TokenUI failed while reading it; the worker's log says why."


@task(queue_name=settings.TASK_QUEUE)
def inventory_server(server_id: int) -> str:
    """Read one connected server's tokens and keep them; what happened, in words."""
    server = ConnectedServer.objects.filter(pk=server_id).first()
    if server is None:
        return "disconnected"  # nothing left to read
    read = storing.begin(server_id)
    try:
        found = read_server(
            server,
            concurrency=settings.INVENTORY_CONCURRENCY,
            progress=lambda: storing.renew(server_id),
        )
    except ServerError as exc:
        storing.failed(server_id, exc.message)
        return exc.message
    except Exception:
        # Not left under lease: a read that fails this way would only fail again.
        storing.failed(server_id, UNEXPECTED)
        raise
    storing.keep(server_id, found, read)
    return f"{len(found.tokens)} tokens, {len(found.problems)} owners unread"


@task(queue_name=settings.TASK_QUEUE)
def inventory_all() -> int:
    """Ask for a read of every connected server (the schedule); how many."""
    servers = list(ConnectedServer.objects.values_list("pk", flat=True))
    for server_id in servers:
        request(server_id)
    return len(servers)


@task(queue_name=settings.TASK_QUEUE)
def resume_abandoned() -> list[int]:
    """Ask again for each read whose worker died under way (its lease ran out)."""
    servers = storing.abandoned()
    for server_id in servers:
        logger.warning("inventory: the read of server %s was abandoned; reading again", server_id)
        transaction.on_commit(lambda server_id=server_id: inventory_server.enqueue(server_id))
    return servers


@task(queue_name=settings.TASK_QUEUE)
def prune() -> int:
    """Forget tokens gone, and History older than, INVENTORY_KEEP_DAYS; how many rows."""
    return storing.prune(timezone.now() - timedelta(days=settings.INVENTORY_KEEP_DAYS))


def request(server_id: int) -> datetime:
    """Ask for a read of one server now (the schedule, Refresh now, `manage.py inventory`);
    the moment it was asked for."""
    moment = storing.asked(server_id)
    transaction.on_commit(lambda: inventory_server.enqueue(server_id))
    return moment
