"""Keeping what a read found: each server's tokens replaced in one transaction, each token
keeping its identity (server, owner, creation time) through renames; and the state of its
reads (asked for, under way with a lease, finished, failed with WHM's words)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tokenui import risk
from tokenui.inventory import history
from tokenui.inventory.history import Change
from tokenui.inventory.models import EventKind, InventoryEvent, InventoryRun, InventoryToken
from tokenui.inventory.reading import Seen, ServerTokens
from tokenui.servers.models import ConnectedServer

# What a read that is seen again changes in a kept token.
UPDATED = (
    "name",
    "account_owner",
    "search",
    "expires",
    "ips",
    "privileges",
    "flags",
    "risky",
    "last_seen",
    "gone",
)


def lease() -> timedelta:
    """How long a read may go without a WHM call returning before it is taken as abandoned:
    three of WHM_TIMEOUT, at least 5 seconds (also how often abandoned reads are looked for)."""
    return timedelta(seconds=lease_seconds())


def lease_seconds() -> int:
    return max(int(3 * settings.WHM_TIMEOUT), 5)


def asked(server_id: int) -> datetime:
    """Note that a read of the server was asked for now; that moment."""
    now = timezone.now()
    InventoryRun.objects.update_or_create(server_id=server_id, defaults={"requested": now})
    return now


def begin(server_id: int) -> datetime:
    """Note that a read starts now, under a lease; that moment."""
    now = timezone.now()
    InventoryRun.objects.update_or_create(
        server_id=server_id, defaults={"started": now, "lease_until": now + lease()}
    )
    return now


def renew(server_id: int) -> None:
    """Push the lease of the read under way back (a WHM call just returned)."""
    InventoryRun.objects.filter(server_id=server_id, lease_until__isnull=False).update(
        lease_until=timezone.now() + lease()
    )


def abandoned() -> list[int]:
    """The servers whose read under way outlived its lease (its worker died), each taken off
    its lease here, once, so that only one caller asks for it again."""
    now = timezone.now()
    taken = []
    for run in InventoryRun.objects.filter(lease_until__lt=now):
        claimed = InventoryRun.objects.filter(pk=run.pk, lease_until=run.lease_until)
        if claimed.update(lease_until=None, requested=now):
            taken.append(run.server_id)
    return taken


def failed(server_id: int, words: str) -> None:
    """The read ended without the server's tokens: they stay as they were; the words say why."""
    InventoryRun.objects.filter(server_id=server_id).update(
        finished=timezone.now(), lease_until=None, error=words
    )


def prune(before: datetime) -> int:
    """Delete the tokens gone before `before` (their History with them) and History older
    than it; how many rows went."""
    with transaction.atomic():
        events, _ = InventoryEvent.objects.filter(at__lt=before).delete()
        tokens, _ = InventoryToken.objects.filter(gone__lt=before).delete()
    return events + tokens


def keep(server_id: int, found: ServerTokens, read: datetime) -> bool:
    """Replace the server's inventory with `found` (read at `read`) in one transaction, with
    its History (tokenui.inventory.history); False, changing nothing, when a read that began
    later is already kept."""
    with transaction.atomic():
        run = (
            InventoryRun.objects.select_related("server")
            .select_for_update()
            .get(server_id=server_id)
        )
        if run.read is not None and run.read > read:
            return False
        kept = list(InventoryToken.objects.filter(server_id=server_id))
        changes = _merge(run.server, kept, found, read)
        history.write(run.server.name, changes, since=run.read, at=read)
        run.read, run.finished, run.lease_until, run.error = read, timezone.now(), None, ""
        run.problems = [f"{owner}: {words}" for (_, owner), words in found.problems.items()]
        run.save(update_fields=["read", "finished", "lease_until", "error", "problems"])
    return True


def _merge(
    server: ConnectedServer, kept: list[InventoryToken], found: ServerTokens, read: datetime
) -> list[Change]:
    """Update the kept tokens seen again, add the new ones, mark the missing ones gone (but
    not those of owners the read could not reach); the changes, for the History."""
    matched = _match(kept, found.tokens)
    changes = [change for seen, row in matched.items() for change in _seen_again(row, seen, read)]
    changed = {id(row) for row in matched.values()}
    for row in kept:
        unread = (row.owner_kind, row.owner) in found.problems
        if id(row) not in changed and row.gone is None and not unread:
            row.gone = read
            changed.add(id(row))
            changes.append(Change(row, EventKind.GONE, old_name=row.name, old_expires=row.expires))
    InventoryToken.objects.bulk_update([r for r in kept if id(r) in changed], UPDATED)
    new = InventoryToken.objects.bulk_create(
        _row(server, seen, read) for seen in found.tokens if seen not in matched
    )
    changes += [Change(r, EventKind.APPEARED, new_name=r.name, new_expires=r.expires) for r in new]
    return changes


def _seen_again(row: InventoryToken, seen: Seen, read: datetime) -> list[Change]:
    """What changed in a kept token seen again; the row brought up to date (not saved)."""
    changes = []
    if row.gone is not None:  # back after a read found it gone
        changes.append(Change(row, EventKind.APPEARED, new_name=seen.name))
    if row.name != seen.name:
        changes.append(Change(row, EventKind.RENAMED, old_name=row.name, new_name=seen.name))
    if row.expires != seen.expires:
        changes.append(
            Change(
                row,
                EventKind.EXPIRY_CHANGED,
                new_name=seen.name,
                old_expires=row.expires,
                new_expires=seen.expires,
            )
        )
    if risk.EXPIRED_FLAG.key in seen.flags and risk.EXPIRED_FLAG.key not in row.flags:
        changes.append(Change(row, EventKind.EXPIRED, new_name=seen.name, old_expires=seen.expires))
    row.name, row.expires, row.ips = seen.name, seen.expires, list(seen.ips)
    row.privileges, row.flags, row.risky = seen.privileges, list(seen.flags), bool(seen.flags)
    row.last_seen, row.gone, row.search = read, None, row.searched()
    row.account_owner = seen.account_owner
    return changes


def _match(kept: list[InventoryToken], tokens: list[Seen]) -> dict[Seen, InventoryToken]:
    """Each token seen that is a kept one: same owner and creation time, the same name first,
    else the one left of that creation time (renamed)."""
    by_identity: dict[tuple[str, str, datetime], list[InventoryToken]] = defaultdict(list)
    for row in kept:
        by_identity[(row.owner_kind, row.owner, row.created)].append(row)
    matched: dict[Seen, InventoryToken] = {}
    for same_name in (True, False):
        for seen in tokens:
            if seen in matched:
                continue
            rows = by_identity[(seen.owner_kind, seen.owner, seen.created)]
            row = next((r for r in rows if not same_name or r.name == seen.name), None)
            if row is not None:
                matched[seen] = row
                rows.remove(row)
    return matched


def _row(server: ConnectedServer, seen: Seen, read: datetime) -> InventoryToken:
    row = InventoryToken(
        server=server,
        server_name=server.name,
        owner_kind=seen.owner_kind,
        owner=seen.owner,
        account_owner=seen.account_owner,
        name=seen.name,
        created=seen.created,
        expires=seen.expires,
        ips=list(seen.ips),
        privileges=seen.privileges,
        flags=list(seen.flags),
        risky=bool(seen.flags),
        first_seen=read,
        last_seen=read,
    )
    row.search = row.searched()
    return row
