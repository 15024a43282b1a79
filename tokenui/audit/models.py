"""One row per audited action: sign-in and sign-out, and every change made to WHM's tokens or to
a cPanel account's tokens."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone


class Action(models.TextChoices):
    SIGN_IN = "sign-in", "Sign in"
    SIGN_IN_FAILED = "sign-in-failed", "Failed sign-in"
    SIGN_OUT = "sign-out", "Sign out"
    GENERATE = "generate", "Generate"
    EDIT = "edit", "Edit"
    REVOKE = "revoke", "Revoke"
    REVOKE_SELECTED = "revoke-selected", "Revoke Selected"
    REVOKE_ALL = "revoke-all", "Revoke All"
    REVOKE_EXPIRED = "revoke-expired", "Revoke Expired"
    # cPanel's words for its token changes (its Revoke words are WHM's).
    CREATE = "create", "Create"
    RENAME = "rename", "Rename"
    # A guided rotation: one event naming both tokens, [old, new]. The revoke of the old one
    # that finishes it is a normal Revoke.
    ROTATE = "rotate", "Rotate"
    # Connected servers (tokenui/servers): TokenUI's own service token made, revoked, or
    # sealed again under the newest service key. Its rotation is a Rotate, then a Revoke.
    CONNECT_SERVER = "connect-server", "Connect server"
    DISCONNECT_SERVER = "disconnect-server", "Disconnect server"
    RESEAL_SERVICE_TOKEN = "reseal-token", "Re-encrypt service token"
    # Staff (tokenui/staff): a role given or taken away.
    GRANT_ROLE = "grant-role", "Grant role"
    REVOKE_ROLE = "revoke-role", "Revoke role"
    # Expiry notices (tokenui/notices): a rule added or removed (its recipient named, a
    # webhook by its host alone, never its secret).
    ADD_NOTICE_RULE = "add-notice-rule", "Add notice rule"
    REMOVE_NOTICE_RULE = "remove-notice-rule", "Remove notice rule"


class Outcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    # WHM answered and said no (its reason is kept), or TokenUI refused before asking it
    # (throttled sign-in, a user without Manage API Tokens).
    REFUSED = "refused", "Refused"
    # WHM could not be asked, or its answer to a read failed: nothing was changed.
    FAILED = "failed", "Failed"
    # A state-changing call went out and no verdict came back (a timeout, a dropped
    # connection, a broken reply): WHM may or may not have carried it out.
    UNKNOWN = "unknown", "Outcome unknown"


class AuthKind(models.TextChoices):
    PASSWORD = "password", "Password"
    TOKEN = "token", "API token"
    SSO = "sso", "Single sign-on"
    # Inside a session WHM made for a reseller at a connected server's service token's request
    # (`create_user_session`): staff acting as that reseller.
    SESSION = "session", "Reseller's session"


class Service(models.TextChoices):
    """What the user signed in to: WHM (root, a reseller) or one cPanel account."""

    WHM = "whm", "WHM"
    CPANEL = "cpanel", "cPanel"
    STAFF = "staff", "Staff"


class AuditEvent(models.Model):
    """What happened, when, to which tokens, by whom and from where. Never a secret: the
    recording API (`tokenui.audit.trail.record`) takes names and messages only."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    server = models.CharField(max_length=100, help_text="The WHM server's name (WHM_SERVERS).")
    service = models.CharField(max_length=10, choices=Service.choices, default=Service.WHM)
    # For a failed sign-in: the username that was tried. With service "cpanel", the cPanel
    # account's user (a cPanel user signed in to their own account).
    whm_user = models.CharField(max_length=64, help_text="The WHM user, or the cPanel user.")
    # The cPanel account whose tokens were acted on; blank for WHM's own tokens. A WHM operator
    # acting through uapi_cpanel is "WHM user X on cPanel account Y".
    account = models.CharField(
        max_length=64, blank=True, help_text="The cPanel account acted on, if any."
    )
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices)
    session_token_name = models.CharField(
        max_length=50, blank=True, help_text="The API token the session signed in with, if any."
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # The staff member who acted (tokenui/staff), through a connected server's service token or
    # on TokenUI itself; with single sign-on, their OpenID subject too. Blank for WHM sign-ins.
    staff = models.CharField(max_length=150, blank=True, help_text="The staff member's username.")
    staff_subject = models.CharField(
        max_length=255, blank=True, help_text="Their OpenID Connect subject, if signed in so."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    # The names acted on, in order. An edit that renamed a token holds two, ["old", "new"];
    # any other edit holds one; a rotation holds ["old", "new"] too. Sign-in and sign-out hold
    # none (see session_token_name).
    token_names = models.JSONField(default=list, blank=True, help_text="API token names.")
    token_created = models.DateTimeField(
        null=True,
        blank=True,
        help_text="For a Rotate: when the replaced token was made. WHM and cPanel keep it through "
        "renames: it is the token's identity, where its name is not.",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True, help_text="WHM's reason, or TokenUI's message.")

    class Meta:
        ordering = ("-at", "-id")
        indexes = (
            # The audit page: one user's entries on one server, newest first.
            models.Index(fields=["server", "whm_user", "at"], name="audit_server_user_at"),
            # The account filter and export: one cPanel account's entries, newest first.
            models.Index(fields=["server", "account", "at"], name="audit_server_account_at"),
            # The token tables' *rotated, not yet revoked* marks: one user's (or one cPanel
            # account's) rotations on one server, read once per page.
            models.Index(fields=["action", "server", "account", "whm_user"], name="audit_rotation"),
        )

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.server}/{self.whm_user} {self.action}"

    @property
    def renamed(self) -> bool:
        return self.action in (Action.EDIT, Action.RENAME) and len(self.token_names) == 2

    @property
    def rotated(self) -> bool:
        return self.action == Action.ROTATE and len(self.token_names) == 2

    @property
    def who(self) -> str:
        """Who acted, in words: "WHM user X", "WHM user X on cPanel account Y", "cPanel user Y",
        "Staff S", "Staff S as WHM user X" or "Staff S as reseller X on cPanel account Y" (with
        their single sign-on subject, if any: "Staff S (subject U) as WHM user X")."""
        if self.service == Service.STAFF:
            return f"Staff {self._staff_who}"
        if self.staff:
            return f"Staff {self._staff_who} as {self._whm_who}"
        return self._whm_who

    @property
    def _staff_who(self) -> str:
        name = self.staff or self.whm_user
        return f"{name} (subject {self.staff_subject})" if self.staff_subject else name

    @property
    def _whm_who(self) -> str:
        if self.service == Service.CPANEL:
            return f"cPanel user {self.whm_user}"
        reseller = self.auth_kind == AuthKind.SESSION
        who = f"reseller {self.whm_user}" if reseller else f"WHM user {self.whm_user}"
        return f"{who} on cPanel account {self.account}" if self.account else who


def narrowed(events: QuerySet[AuditEvent], **lookups: object) -> QuerySet[AuditEvent]:
    """`events` filtered by each of `lookups` that has a value: a filter left blank (an empty
    field of the audit page's form, an option not given to a command) is no filter."""
    return events.filter(**{lookup: value for lookup, value in lookups.items() if value})
