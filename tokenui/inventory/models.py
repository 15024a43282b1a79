"""What the inventory keeps: each server's tokens as last read, and the state of its reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tokenui.audit.models import AuditEvent
from tokenui.servers.models import ConnectedServer

# The staff All servers table shows the tokens still there; its indexes cover only those.
PRESENT = Q(gone__isnull=True)


class OwnerKind(models.TextChoices):
    """Whose token it is: the service token's own WHM user, a reseller, or a cPanel account."""

    WHM = "whm", "WHM user"
    RESELLER = "reseller", "Reseller"
    CPANEL = "cpanel", "cPanel account"


class InventoryToken(models.Model):
    """One token of one server, as the inventory last saw it (never its secret: WHM lists none).

    Its identity is server, owner and creation time: WHM keeps a token's creation time through
    a rename, so a new name with the same creation time is the same token, renamed. Two made in
    the same second are told apart by name (`tokenui.inventory.storing`)."""

    server = models.ForeignKey(ConnectedServer, on_delete=models.CASCADE, related_name="tokens")
    # The server's name, kept beside each token: the table sorts and searches by it without a
    # join (a server keeps its name for as long as it is connected).
    server_name = models.CharField(max_length=42, default="")
    owner_kind = models.CharField(max_length=10, choices=OwnerKind.choices)
    owner = models.CharField(max_length=64)
    # A cPanel account's owner when it was read (the service user, or the reseller in whose
    # session it is reached): its page is under that reseller's path. Empty for WHM tokens.
    account_owner = models.CharField(max_length=64, blank=True, default="")
    name = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When WHM says the token was made.")
    expires = models.DateTimeField(null=True, blank=True)
    ips = models.JSONField(default=list, help_text="Its IP allow-list; empty: any IP.")
    privileges = models.CharField(max_length=200, help_text="Its privileges, in a few words.")
    flags = models.JSONField(default=list, help_text="Its risk flags' keys (tokenui.risk).")
    # Its name, owner and server in lower case, one per line: the table's search reads one
    # column (tokenui/inventory/query.py).
    search = models.TextField(default="")
    # Whether it carries any flag: the table's risk filter, as a column an index can hold.
    risky = models.BooleanField(default=False)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    gone = models.DateTimeField(
        null=True, blank=True, help_text="When a read first found it no longer there."
    )

    class Meta:
        ordering = ("server", "owner_kind", "owner", "-created", "name")
        constraints = (
            models.UniqueConstraint(
                fields=["server", "owner_kind", "owner", "created", "name"],
                name="one_token_per_identity",
            ),
        )
        indexes = (
            models.Index(fields=["server", "owner_kind", "owner", "created"]),
            # The staff All servers table (tokenui/inventory/query.py): each sort it offers,
            # over the tokens still there, so a page of 100,000 reads one index range.
            models.Index(
                "server_name", Lower("name"), "id", name="inventory_by_server", condition=PRESENT
            ),
            models.Index(Lower("name"), "id", name="inventory_by_name", condition=PRESENT),
            models.Index(Lower("owner"), "id", name="inventory_by_owner", condition=PRESENT),
            models.Index("created", "id", name="inventory_by_created", condition=PRESENT),
            models.Index("expires", "id", name="inventory_by_expires", condition=PRESENT),
            # Pruning: the tokens gone before a day.
            models.Index(fields=["gone"], name="inventory_gone"),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.owner} on {self.server_id})"

    def searched(self) -> str:
        """What the table's search looks in (`search`), from the token as it is now."""
        return "\n".join((self.name, self.owner, self.server_name)).lower()


class InventoryRun(models.Model):
    """One server's reads: the last one asked for, the one under way (its lease), and how the
    last one ended. A failed read leaves the tokens as they were: `read` gives their age and
    `error` WHM's words."""

    server = models.OneToOneField(
        ConnectedServer, on_delete=models.CASCADE, related_name="inventory_run"
    )
    requested = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    # A read under way that has not finished nor renewed this by then is taken as abandoned (its
    # worker died) and asked for again. None: no read under way.
    lease_until = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    read = models.DateTimeField(
        null=True, blank=True, help_text="When the tokens kept were read (their age)."
    )
    error = models.TextField(blank=True, help_text="Why the last read failed, in WHM's words.")
    # Owners whose tokens could not be read in the last read, each with WHM's words; their
    # tokens are kept as they were.
    problems = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"inventory of {self.server_id}"

    @property
    def failed(self) -> bool:
        return bool(self.error)

    def age(self, now: datetime | None = None) -> timedelta | None:
        """How old the tokens kept are; None when the server was never read."""
        return None if self.read is None else (now or timezone.now()) - self.read

    def done_since(self, moment: datetime) -> bool:
        """Whether a read ended (well or not) after `moment`."""
        return self.finished is not None and self.finished >= moment


class EventKind(models.TextChoices):
    """What a read found changed in a token (its History)."""

    APPEARED = "appeared", "Appeared"
    RENAMED = "renamed", "Renamed"
    EXPIRY_CHANGED = "expiry", "Expiry changed"
    EXPIRED = "expired", "Expired"
    GONE = "gone", "Gone"


class InventoryEvent(models.Model):
    """One change to one token, as a read found it, written in the server's one transaction
    (tokenui.inventory.storing). `audit` is the audit entry of the change when it came through
    TokenUI; `who` keeps its words after the audit trail is pruned. A change with neither was
    made outside TokenUI (an expiry is no one's change)."""

    token = models.ForeignKey(InventoryToken, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    at = models.DateTimeField(help_text="When the read that found it began.")
    old_name = models.CharField(max_length=100, blank=True)
    new_name = models.CharField(max_length=100, blank=True)
    old_expires = models.DateTimeField(null=True, blank=True)
    new_expires = models.DateTimeField(null=True, blank=True)
    through_tokenui = models.BooleanField(default=False)
    who = models.CharField(max_length=300, blank=True, help_text="Who made it, through TokenUI.")
    audit = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = (
            models.Index(fields=["token", "at"], name="inventory_event_token_at"),
            models.Index(fields=["at"], name="inventory_event_at"),
        )

    def __str__(self) -> str:
        return f"{self.kind} of {self.token_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class RevokeState(models.TextChoices):
    QUEUED = "queued", "Waiting"
    STARTED = "started", "Revoking"
    DONE = "done", "Done"


class RevokeRun(models.Model):
    """One server's part of a fleet-wide Revoke Expired asked for by a staff member: the
    inventory's tokens they confirmed, and what came of them. `job` groups a request's
    servers; a run leaves QUEUED once, so a task that runs twice never revokes twice."""

    job = models.UUIDField(db_index=True)
    server = models.ForeignKey(ConnectedServer, on_delete=models.CASCADE, related_name="+")
    staff = models.CharField(max_length=150)
    staff_subject = models.CharField(max_length=255, blank=True)
    asked = models.DateTimeField(default=timezone.now)
    tokens = models.JSONField(default=list, help_text="The inventory token ids confirmed.")
    state = models.CharField(max_length=10, choices=RevokeState.choices, default=RevokeState.QUEUED)
    ok = models.BooleanField(default=True)
    revoked = models.JSONField(default=list, help_text="The names revoked.")
    message = models.TextField(blank=True, help_text="What came of it, in WHM's words.")

    class Meta:
        ordering = ("server__name",)

    def __str__(self) -> str:
        return f"Revoke Expired on {self.server_id} ({self.state})"
