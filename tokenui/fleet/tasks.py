"""The fleet's background task: one server's part of a staff member's Revoke Expired."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import partial

from django.conf import settings
from django.db import transaction
from django.tasks import task

from tokenui.audit import trail
from tokenui.fleet import revoking
from tokenui.inventory import tasks as inventory
from tokenui.inventory.models import RevokeRun
from tokenui.servers.models import ConnectedServer


@task(queue_name=settings.TASK_QUEUE)
def revoke_expired(run_id: int) -> str:
    """Revoke one server's confirmed expired tokens (once), then read the server again so that
    the inventory, and each token's History, show what went."""
    message = revoking.carry_out(run_id)
    if message != revoking.ALREADY:
        server_id = RevokeRun.objects.filter(pk=run_id).values_list("server_id", flat=True)
        for found in server_id:
            inventory.request(found)
    return message


def ask(staff: trail.Staff, confirmed: Mapping[ConnectedServer, Sequence[int]]) -> uuid.UUID:
    """Ask for a Revoke Expired of the confirmed inventory tokens, one run per server; the
    job's id (its progress page)."""
    job = uuid.uuid4()
    with transaction.atomic():
        for server, tokens in confirmed.items():
            run = RevokeRun.objects.create(
                job=job,
                server=server,
                staff=staff.username,
                staff_subject=staff.subject,
                tokens=list(tokens),
            )
            transaction.on_commit(partial(revoke_expired.enqueue, run.pk))
    return job
