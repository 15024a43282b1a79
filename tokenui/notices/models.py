"""What the notices keep: the rules, each notice sent (a token x threshold, once ever) and each
delivery (one mail or one webhook call, with its attempts)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from tokenui.inventory.models import InventoryToken
from tokenui.servers.models import ConnectedServer

# The thresholds of a rule made without --days: days before expiry, 0 for "expired".
DEFAULT_DAYS = (60, 30, 7, 1, 0)
# The threshold a risky-token alert is recorded under (no expiry threshold is below 0).
RISKY = -1


class Recipient(models.TextChoices):
    USER = "user", "A staff user"
    GROUP = "group", "A group"
    EMAIL = "email", "An e-mail address"
    WEBHOOK = "webhook", "A webhook"


class NoticeRule(models.Model):
    """Who is told (a staff user, a group's members, an address, or a webhook), about which
    tokens (servers and owners: none listed, all), at which thresholds, and of risky new ones."""

    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE)
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    # enc:fernet:KEY_ID:DATA under the service keys; opened only to sign a delivery.
    sealed_secret = models.TextField(blank=True)
    servers = models.ManyToManyField(ConnectedServer, blank=True, related_name="notice_rules")
    owners = models.JSONField(default=list, blank=True, help_text="Owners; empty: every owner.")
    days = models.JSONField(default=list, help_text="Days before expiry; 0: once expired.")
    risky = models.BooleanField(default=False, help_text="Alert on risky new tokens.")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"notice rule {self.pk}: {self.to}"

    @property
    def to(self) -> str:
        """The recipient in words (a webhook by its host alone: its path may hold a key)."""
        if self.recipient == Recipient.WEBHOOK:
            return f"webhook to {urlsplit(self.webhook_url).hostname}"
        if self.recipient == Recipient.USER:
            return f"staff user {self.user.get_username() if self.user else '?'}"
        if self.recipient == Recipient.GROUP:
            return f"group {self.group.name if self.group else '?'}"
        return self.email


class Event(models.TextChoices):
    EXPIRING = "tokens.expiring", "Expiring tokens"
    RISKY = "tokens.risky", "Risky new tokens"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Never tried: a staff user the rule would tell has no e-mail address (`to` names them).
    SKIPPED = "skipped", "Not sent"


class Delivery(models.Model):
    """One mail to one address, or one webhook call, carrying one run's notices. Its content is
    fixed when it is made: a retry sends the same words, and the notices it carries are never
    put in another."""

    rule = models.ForeignKey(
        NoticeRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=[("mail", "Mail"), ("webhook", "Webhook")])
    to = models.CharField(max_length=300, help_text="The address, or the webhook's host.")
    event = models.CharField(max_length=20, choices=Event.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The mail's text, or the webhook's JSON.")
    html = models.TextField(blank=True)
    count = models.PositiveIntegerField(help_text="How many tokens it names.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    # When it is next tried (PENDING); a try under way holds it a while ahead (a lease).
    next_attempt = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True, help_text="Sent, or given up.")
    error = models.TextField(blank=True, help_text="Why the last try failed, in plain words.")

    class Meta:
        ordering = ("-created", "-pk")
        indexes = (models.Index(fields=["status", "next_attempt"]),)

    def __str__(self) -> str:
        return f"{self.get_event_display()} to {self.to} ({self.status})"


class Notice(models.Model):
    """One token's notice at one threshold for one rule: made once, ever (the unique
    constraint), in the same transaction as the delivery that carries it."""

    rule = models.ForeignKey(NoticeRule, on_delete=models.CASCADE, related_name="notices")
    token = models.ForeignKey(InventoryToken, on_delete=models.CASCADE, related_name="notices")
    threshold = models.SmallIntegerField(help_text="Days before expiry; 0 expired; -1 risky.")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="notices")

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["rule", "token", "threshold"], name="one_notice_per_threshold"
            ),
        )

    def __str__(self) -> str:
        return f"{self.token_id} at {self.threshold} for rule {self.rule_id}"


class NoticeDay(models.Model):
    """The daily digest of one day (in WHM_TIME_ZONE, starting at NOTICE_HOUR), claimed by the
    first worker to run it: the unique day keeps it to one run, however many workers look."""

    day = models.DateField(unique=True)
    started = models.DateTimeField()

    def __str__(self) -> str:
        return f"notices of {self.day}"
