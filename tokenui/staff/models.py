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
