"""A staff member's OpenID identity: the provider's subject is who they are, not their email
or their username (either can change, or be reused by someone else)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from tokenui.audit import trail


class OidcIdentity(models.Model):
    """The OpenID subject a staff user signs in as, at one issuer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity"
    )
    issuer = models.CharField(max_length=200)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique"),
        )

    def __str__(self) -> str:
        return f"{self.user} ({self.subject} at {self.issuer})"


def staff_of(user: AbstractBaseUser) -> trail.Staff:
    """The staff member as the audit trail names them: username, and OpenID subject if any."""
    identity = OidcIdentity.objects.filter(user_id=user.pk).first()
    return trail.Staff(user.get_username(), identity.subject if identity else "")


class Role(models.TextChoices):
    """What a staff member may do on a server; each role can do what the one before can."""

    VIEWER = "viewer", "Viewer"  # the token tables, Accounts, export, the audit trail
    OPERATOR = "operator", "Operator"  # and Generate, Edit, Rotate, Revoke
    ADMIN = "admin", "Admin"  # and the Servers and Roles pages

    @property
    def rank(self) -> int:
        return list(Role).index(self) + 1


class RoleGrant(models.Model):
    """A role given to one staff user or one group, on one server or (no server) on all. A
    user or group holds at most one grant per server (or for all): granting again replaces it."""

    role = models.CharField(max_length=10, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="role_grants"
    )
    server = models.ForeignKey(
        "servers.ConnectedServer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
        help_text="Empty: every connected server.",
    )
    granted = models.DateTimeField(auto_now=True)
    granted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ("server__name", "role", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="role_grant_user_or_group",
            ),
        )

    def __str__(self) -> str:
        return f"{self.role} to {self.holder} on {self.where}"

    @property
    def holder(self) -> str:
        return f"user {self.user}" if self.user_id else f"group {self.group}"

    @property
    def where(self) -> str:
        return self.server.name if self.server_id else "all servers"
