"""The connected servers' background tasks (django.tasks): self-rotation of the service tokens.
Each takes ids, never objects, and may run twice without harm (tokenui/servers/rotating.py)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.tasks import task

from tokenui.servers import rotating


@task(queue_name=settings.TASK_QUEUE)
def rotate_due() -> list[int]:
    """The schedule: ask for the rotation of every service token within SERVICE_ROTATE_DAYS of
    its expiry; the servers asked for."""
    servers = rotating.due()
    for server in servers:
        token = (server.pk, server.token_name, server.token_created.isoformat())
        transaction.on_commit(lambda token=token: rotate_server.enqueue(*token))
    return [server.pk for server in servers]


@task(queue_name=settings.TASK_QUEUE)
def rotate_server(server_id: int, token_name: str, token_created: str) -> str:
    """Rotate one server's service token: the one called `token_name`, made at `token_created`
    (ISO 8601), and no other."""
    return rotating.rotate(server_id, token_name, datetime.fromisoformat(token_created))
