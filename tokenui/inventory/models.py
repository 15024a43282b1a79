"""What the inventory keeps: each server's tokens as last read, and the state of its reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from tokenui.servers.models import ConnectedServer


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
    owner_kind = models.CharField(max_length=10, choices=OwnerKind.choices)
    owner = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When WHM says the token was made.")
    expires = models.DateTimeField(null=True, blank=True)
    ips = models.JSONField(default=list, help_text="Its IP allow-list; empty: any IP.")
    privileges = models.CharField(max_length=200, help_text="Its privileges, in a few words.")
    flags = models.JSONField(default=list, help_text="Its risk flags' keys (tokenui.risk).")
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
        indexes = (models.Index(fields=["server", "owner_kind", "owner", "created"]),)

    def __str__(self) -> str:
        return f"{self.name} ({self.owner} on {self.server_id})"


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
