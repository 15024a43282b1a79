"""A connected server: a WHM that TokenUI reaches with its own API token (the service token),
stored sealed under the service keys, opened only inside the call that uses it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.validators import RegexValidator
from django.db import models

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.sealing import Keyring, SealError, sealed_parts
from tokenui.servers.keys import service_keyring
from tokenui.servers.recording import Acting
from tokenui.servers.remote import (
    Place,
    ServerError,
    plain_words,
    refused_service_token,
    same_place,
)
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmAuthError, WhmError
from tokenui.whm.types import (
    FULL_ACCESS,
    Account,
    ApiToken,
    CreatedToken,
    Credential,
    Privileges,
    TokenSummary,
)

# `tokenui-NAME` is a WHM token name: at most 50 of [A-Za-z0-9_-], so NAME at most 42.
NAME_RULE = RegexValidator(
    r"\A[A-Za-z0-9_-]{1,42}\Z", "A server's name is 1-42 of A-Z a-z 0-9 _ - (no spaces)."
)
TOKEN_PREFIX = "tokenui-"  # noqa: S105 - a name, not a secret

# The flags a server carries, in the words its page and `manage.py servers` show.
FULL_ACCESS_FLAG = "Full access"
ANY_IP_FLAG = "Any IP"
INSECURE_FLAG = "TLS not verified"


class ConnectedServer(models.Model):
    """One connected WHM server and TokenUI's service token on it (never the token in clear)."""

    name = models.CharField(max_length=42, unique=True, validators=[NAME_RULE])
    url = models.CharField(max_length=200, help_text="https://HOST:2087")
    username = models.CharField(max_length=64, help_text="The WHM user the token belongs to.")
    ca_bundle = models.CharField(
        max_length=500, blank=True, help_text="A PEM file of the CA that signed WHM's certificate."
    )
    # False only when the admin chose --insecure: recorded, and shown as a flag.
    verify_tls = models.BooleanField(default=True)
    token_name = models.CharField(max_length=50)
    # The token's identity in WHM (its name can change): how the old one is found to revoke.
    token_created = models.DateTimeField()
    token_expires = models.DateTimeField(null=True, blank=True)
    acls = models.JSONField(default=list, help_text="The service token's privileges.")
    ips = models.JSONField(default=list, help_text="Its IP allow-list; empty: any IP.")
    # enc:fernet:KEY_ID:DATA; the key itself is never in the database.
    sealed_token = models.TextField()
    key_id = models.CharField(max_length=32, db_index=True)
    # Self-rotation (tokenui/servers/rotating.py): since when the schedule's rotation has been
    # under way. Left set when it may have made a token WHM did not answer for: the schedule
    # then leaves the server alone (never a second create blindly) until it is rotated by hand
    # or connected again.
    rotation_started = models.DateTimeField(null=True, blank=True)
    # The last self-rotation that failed: when, and why in words (cleared by a new token).
    rotation_failed = models.DateTimeField(null=True, blank=True)
    rotation_failure = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.username} at {self.url})"

    @property
    def place(self) -> Place:
        return Place(self.url, self.verify_tls, self.ca_bundle)

    @property
    def flags(self) -> list[str]:
        """What an admin must know about this server's token, in words."""
        flags = [FULL_ACCESS_FLAG] if FULL_ACCESS in self.acls else []
        flags += [] if self.ips else [ANY_IP_FLAG]
        return flags + ([] if self.verify_tls else [INSECURE_FLAG])

    def keep_token(self, created: CreatedToken, keyring: Keyring) -> None:
        """Take a token WHM just made as this server's (sealed; saved by the caller)."""
        token = created.token
        self.token_name, self.token_created, self.token_expires = (
            token.name,
            token.created,
            token.expires,
        )
        self.acls, self.ips = sorted(token.acls), list(token.whitelist_ips)
        # A new token: nothing left of an earlier rotation, under way or failed.
        self.rotation_started, self.rotation_failed, self.rotation_failure = None, None, ""
        payload = {"server": self.name, "user": self.username, "token": created.secret}
        self.sealed_token = keyring.seal(json.dumps(payload).encode())
        self.key_id = keyring.newest_id

    def client(self) -> WhmClient:
        """A WHM client signed in with the service token, for the call at hand only."""
        return self.place.client(Credential(self.username, self._secret(), "token"))

    def _secret(self) -> str:
        try:
            payload = json.loads(service_keyring().open(self.sealed_token))
        except (SealError, ValueError) as exc:
            raise ServerError(f"{self.name}: the service token cannot be opened ({exc}).") from exc
        if (payload.get("server"), payload.get("user")) != (self.name, self.username):
            raise ServerError(f"{self.name}: the stored service token belongs to another server.")
        return payload["token"]

    def reseal(self, keyring: Keyring) -> bool:
        """Seal the token again under the newest key; whether it changed (saved by the caller)."""
        try:
            sealed = keyring.reseal(self.sealed_token)
        except SealError as exc:
            raise ServerError(f"{self.name}: {exc}") from exc
        changed = sealed != self.sealed_token
        self.sealed_token, self.key_id = sealed, sealed_parts(sealed)[0]
        return changed

    # The staff member a page acts for (not stored): the trail names them beside the token.
    staff: trail.Staff | None = None

    @property
    def acting(self) -> Acting:
        """TokenUI acting with this server's service token, as the audit trail tells it."""
        return Acting(self.name, self.username, "token", self.token_name, self.staff)

    def resellers(self, accounts: Iterable[Account]) -> list[str]:
        """The resellers the service user can know of: the owners of the accounts `listaccts`
        gives it, but itself (a reseller owning only its own account owns itself). WHM's
        `listresellers` would name those owning nothing, but needs `all`, which the service
        token does not hold (README, Connected servers)."""
        return sorted({account.owner for account in accounts} - {self.username, ""})

    def failure(self, error: WhmError, doing: str) -> ServerError:
        """A WHM failure of a call made with the service token, in plain words."""
        if isinstance(error, WhmAuthError):
            return refused_service_token(self.place, self.token_name)
        return plain_words(error, self.place, doing)

    def test_connection(self) -> Privileges:
        """Sign in with the service token (`myprivs`): what it may do; ServerError when WHM
        refuses it, cannot be reached, or it lost a privilege TokenUI needs."""
        try:
            privileges = self.client().my_privileges()
        except WhmError as exc:
            raise self.failure(exc, "testing the connection") from exc
        if lost := [acl for acl in self.acls if not privileges.holds(acl)]:
            raise ServerError(
                f"{self.name}: the service token no longer holds {', '.join(lost)}; "
                "connect the server again."
            )
        return privileges

    def disconnect(self, *, force: bool = False, staff: trail.Staff | None = None) -> str | None:
        """Revoke the service token in WHM and forget the server. With `force`, forget it even
        when WHM cannot revoke it; the message then says what is left to do in WHM. `staff`:
        who asked, from the server's page."""
        self.staff = staff
        try:
            revoke_by_creation(self.client(), self.token_created, self.token_name)
        except (ServerError, WhmError) as exc:
            error = self.failure(exc, "revoking") if isinstance(exc, WhmError) else exc
            self._record_disconnect(Outcome.FAILED, error.message)
            if not force:
                raise ServerError(f"{error.message} Nothing changed.") from exc
            left = f"{error.message} Revoke {self.token_name!r} in WHM yourself."
        else:
            left = None
        self.delete()
        self._record_disconnect(Outcome.SUCCEEDED, left or "")
        return left

    def _record_disconnect(self, outcome: Outcome, reason: str) -> None:
        self.acting.record(
            Action.DISCONNECT_SERVER, outcome=outcome, token_names=[self.token_name], reason=reason
        )


def named(name: str) -> ConnectedServer:
    """The connected server called `name`; ServerError when there is none."""
    try:
        return ConnectedServer.objects.get(name=name)
    except ConnectedServer.DoesNotExist:
        raise ServerError(f"No server named {name!r} is connected (manage.py servers).") from None


def revoke_by_creation(
    client: WhmClient, created: datetime, name: str, *, keep: str | None = None
) -> str | None:
    """Revoke the caller's token made at `created` (to the second), whatever it is called now
    (`name` was its name when stored; `keep` names a successor that is never it); its name, or
    None if WHM no longer lists it (revoked or removed already)."""
    token = made_at(client.list_tokens(), created, name, keep=keep)
    if token is None:
        return None
    client.revoke_tokens([token.name])
    return token.name


def made_at[Listed: ApiToken | TokenSummary](
    tokens: Sequence[Listed], created: datetime, name: str, *, keep: str | None = None
) -> Listed | None:
    """The token made at `created`: WHM keeps a token's creation time through renames. Two made
    in the same second are told apart by the name it was stored under."""
    second = int(created.timestamp())
    same = [t for t in tokens if int(t.created.timestamp()) == second and t.name != keep]
    return next((t for t in same if t.name == name), same[0] if same else None)


def service_tokens_among(
    tokens: Sequence[ApiToken | TokenSummary], *, url: str, user: str
) -> dict[str, str]:
    """Which of `tokens` (WHM user `user`'s, on the WHM at `url`) is a connected server's
    service token, found as it is revoked, by its stored creation time (and name), never by its
    name alone: the token's name → the connected server's name."""
    found: dict[str, str] = {}
    for server in ConnectedServer.objects.filter(username=user):
        if not same_place(server.url, url):
            continue
        if token := made_at(tokens, server.token_created, server.token_name):
            found[token.name] = server.name
    return found
