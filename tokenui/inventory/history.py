"""Each token's History: the changes a read found (appeared, renamed, expiry changed, expired,
gone), each matched against the audit trail (server, owner, name, time) to say whether it came
through TokenUI, and by whom, or was made outside TokenUI. Written by `storing.keep` inside the
server's one transaction; read by the History page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from tokenui.audit.models import Action, AuditEvent, Outcome, Service
from tokenui.inventory.models import EventKind, InventoryEvent, InventoryToken, OwnerKind

OUTSIDE = "made outside TokenUI"
# The audit actions that make each kind of change. An Edit both renames and changes expiry; a
# Rotate makes its new token (the old one goes with a Revoke).
MADE_BY = {
    EventKind.APPEARED: (Action.GENERATE, Action.CREATE, Action.ROTATE),
    EventKind.RENAMED: (Action.EDIT, Action.RENAME),
    EventKind.EXPIRY_CHANGED: (Action.EDIT,),
    EventKind.GONE: (
        Action.REVOKE,
        Action.REVOKE_SELECTED,
        Action.REVOKE_ALL,
        Action.REVOKE_EXPIRED,
    ),
}
# A change WHM may have made although no verdict came back counts as made through TokenUI.
DONE = (Outcome.SUCCEEDED, Outcome.UNKNOWN)
WHM_OWNER = "whm"  # the service user and resellers: WHM users, as the trail names them


@dataclass(frozen=True, slots=True)
class Change:
    """One change a read found in one kept token (its row, already saved)."""

    token: InventoryToken
    kind: str
    old_name: str = ""
    new_name: str = ""
    old_expires: datetime | None = None
    new_expires: datetime | None = None


def owner_key(kind: str, owner: str) -> tuple[str, str]:
    """Whose tokens, as the audit trail can tell: a cPanel account's, or a WHM user's."""
    return (OwnerKind.CPANEL if kind == OwnerKind.CPANEL else WHM_OWNER, owner)


def _audited_owner(event: AuditEvent) -> tuple[str, str]:
    if event.service == Service.CPANEL:
        return (OwnerKind.CPANEL, event.whm_user)
    if event.account:
        return (OwnerKind.CPANEL, event.account)
    return (WHM_OWNER, event.whm_user)


class AuditMatch:
    """The server's audited token changes since the last read, found by owner and names."""

    def __init__(self, server: str, since: datetime | None) -> None:
        actions = {action for made in MADE_BY.values() for action in made}
        events = AuditEvent.objects.filter(
            server=server, action__in=actions, outcome__in=DONE, at__lte=timezone.now()
        )
        if since is not None:
            events = events.filter(at__gt=since)
        self.by_owner: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
        for event in events.order_by("-at", "-id"):
            self.by_owner[_audited_owner(event)].append(event)

    def find(self, change: Change) -> AuditEvent | None:
        """The newest audited action that made `change`, if any."""
        token = change.token
        for event in self.by_owner.get(owner_key(token.owner_kind, token.owner), ()):
            if event.action in MADE_BY.get(change.kind, ()) and _names_fit(event, change):
                return event
        return None


def _names_fit(event: AuditEvent, change: Change) -> bool:
    names: Sequence[str] = event.token_names
    match change.kind:
        case EventKind.RENAMED:
            return list(names) == [change.old_name, change.new_name]
        case EventKind.APPEARED | EventKind.EXPIRY_CHANGED:
            # Generate names the token; a Rotate and a renaming Edit name it last.
            return bool(names) and names[-1] == change.new_name
        case _:
            return change.old_name in names


def write(server: str, changes: Iterable[Change], *, since: datetime | None, at: datetime) -> None:
    """Log `changes` (found by the read that began `at`; the last one began `since`), each with
    the audit entry that made it, if any."""
    changes = list(changes)
    if not changes:
        return
    audit = AuditMatch(server, since)
    events = []
    for change in changes:
        made = None if change.kind == EventKind.EXPIRED else audit.find(change)
        events.append(
            InventoryEvent(
                token=change.token,
                kind=change.kind,
                at=at,
                old_name=change.old_name,
                new_name=change.new_name,
                old_expires=change.old_expires,
                new_expires=change.new_expires,
                through_tokenui=made is not None,
                who=made.who[:300] if made else "",
                audit=made,
            )
        )
    InventoryEvent.objects.bulk_create(events)


def of(token: InventoryToken) -> QuerySet[InventoryEvent]:
    """A token's History, newest first."""
    return token.events.order_by("-at", "-id")
