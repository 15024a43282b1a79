"""A service token's life: made when an admin connects a server, rotated before it expires,
replaced (and the old one revoked) when the server is connected again.

WHM is asked in the order that leaves nothing behind: check the admin's privileges, make the
token, store it; if storing fails, revoke what was made. The admin's password or token is used
for those calls and then dropped: only the service token is kept, sealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.kernel.rotation import default_name
from tokenui.sealing import Keyring
from tokenui.servers.keys import NoServiceKeys, service_keyring
from tokenui.servers.models import (
    NAME_RULE,
    TOKEN_PREFIX,
    ConnectedServer,
    revoke_by_creation,
)
from tokenui.servers.privileges import service_acls
from tokenui.servers.recording import Acting
from tokenui.servers.remote import (
    Place,
    ServerError,
    checked_ca_bundle,
    checked_url,
    plain_words,
    refused_credential,
)
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmAuthError, WhmError
from tokenui.whm.types import CreatedToken, Credential, Privileges

MANAGE_TOKENS = "manage-api-tokens"


@dataclass(frozen=True, slots=True)
class Connection:
    """What an admin typed to connect a server; `secret` is used once and never stored."""

    name: str
    url: str
    username: str
    secret: str = field(repr=False)
    kind: str = "password"  # or "token"
    ca_bundle: str = ""
    insecure: bool = False
    full_access: bool = False
    staff: trail.Staff | None = None  # who asked, when it came from the Servers page


@dataclass(frozen=True, slots=True)
class Done:
    """The server as stored, and what is left for the admin to do (an old token not revoked)."""

    server: ConnectedServer
    notes: tuple[str, ...] = ()


def keyring() -> Keyring:
    """The service keys, or the refusal that says how to make one."""
    try:
        return service_keyring()
    except NoServiceKeys as exc:
        raise ServerError(exc.message) from exc


def connect_server(connection: Connection) -> Done:
    """Sign in with what the admin typed, make TokenUI's own token, keep only that. Connecting
    a server again replaces its token and revokes the old one."""
    keys = keyring()
    place = _checked(connection)
    acting = Acting(connection.name, connection.username, connection.kind, staff=connection.staff)
    admin = place.client(Credential(connection.username, connection.secret, connection.kind))
    created = _make_token(admin, connection, place, acting)
    # The row as it was, read apart from the one overwritten: its token is revoked after.
    previous = ConnectedServer.objects.filter(name=connection.name).first()
    server = ConnectedServer.objects.filter(name=connection.name).first()
    server = _fill(server or ConnectedServer(name=connection.name), connection, place)
    server.keep_token(created, keys)
    try:
        _save(server, admin, created)
    except ServerError as exc:
        acting.record(Action.CONNECT_SERVER, outcome=Outcome.FAILED, reason=exc.message)
        raise
    acting.record(Action.CONNECT_SERVER, token_names=[created.token.name], reason=place.url)
    notes = _revoke_previous(previous, keep=created.token.name) if previous else ()
    return Done(server, notes)


def _checked(connection: Connection) -> Place:
    try:
        NAME_RULE(connection.name)
    except ValidationError as exc:
        raise ServerError(f"{connection.name!r}: {exc.messages[0]}") from None
    if connection.insecure and connection.ca_bundle:
        raise ServerError("Use either --ca-bundle or --insecure, not both.")
    ca_bundle = checked_ca_bundle(connection.ca_bundle)
    return Place(checked_url(connection.url), not connection.insecure, ca_bundle)


def _make_token(
    admin: WhmClient, connection: Connection, place: Place, acting: Acting
) -> CreatedToken:
    """TokenUI's token, made with the admin's credential: least privilege, IP-bound, expiring."""
    acls = service_acls(connection.username, full_access=connection.full_access)
    doing = "signing in"
    try:
        _check_held(admin.my_privileges(), acls, connection, place)
        doing = "making TokenUI's API token"
        taken = {token.name for token in admin.list_token_summaries()}
        name = _free_name(TOKEN_PREFIX + connection.name, taken)
        ips = settings.SERVICE_IP_ALLOWLIST
        return admin.create_token(name, acls=acls, expires=_expiry(), whitelist_ips=ips)
    except WhmError as exc:
        changes_state = doing != "signing in"
        acting.record_error(Action.CONNECT_SERVER, exc, changes_state=changes_state, token_names=())
        if isinstance(exc, WhmAuthError):
            raise refused_credential(place, connection.username, connection.kind) from exc
        raise plain_words(exc, place, doing) from exc
    except ServerError as exc:
        acting.record(Action.CONNECT_SERVER, outcome=Outcome.REFUSED, reason=exc.message)
        raise


def _check_held(
    privileges: Privileges, acls: list[str], connection: Connection, place: Place
) -> None:
    """Refuse, before WHM is asked to make anything, what WHM would refuse (or half-do)."""
    who = f"{connection.username!r} on WHM at {place.url}"
    if not privileges.holds(MANAGE_TOKENS):
        raise ServerError(
            f"{who} does not hold Manage API Tokens ({MANAGE_TOKENS}), which TokenUI needs to "
            "make its own token. Connect as root, or as a reseller who holds it. Nothing was "
            "stored."
        )
    if missing := [acl for acl in acls if not privileges.holds(acl)]:
        raise ServerError(
            f"{who} does not hold {', '.join(missing)}, which TokenUI's token needs (README.md, "
            "Connected servers). Nothing was stored."
        )


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or when WHM already has a token by that name, the name Rotate would give."""
    return name if name not in taken else default_name(name, _today(), taken)


def _fill(server: ConnectedServer, connection: Connection, place: Place) -> ConnectedServer:
    server.url, server.username = place.url, connection.username
    server.ca_bundle, server.verify_tls = place.ca_bundle, place.verify
    return server


def _save(server: ConnectedServer, maker: WhmClient, created: CreatedToken) -> None:
    """Store the server; if that fails, revoke the token just made (nothing is left behind)."""
    try:
        with transaction.atomic():
            server.save()
    except DatabaseError as exc:
        left = _unmake(maker, created.token.name)
        raise ServerError(
            f"The server could not be stored ({type(exc).__name__}); {left} Nothing was stored."
        ) from exc


def _unmake(maker: WhmClient, name: str) -> str:
    try:
        maker.revoke_tokens([name])
    except WhmError as exc:
        return (
            f"the token {name!r} WHM made could not be revoked ({exc.message}): revoke it in WHM."
        )
    return f"the token {name!r} WHM made for it was revoked."


def _revoke_previous(previous: ConnectedServer, *, keep: str) -> tuple[str, ...]:
    """Revoke the token a server was connected with before, with that token itself."""
    old = previous.token_name
    try:
        revoked = revoke_by_creation(previous.client(), previous.token_created, old, keep=keep)
    except (WhmError, ServerError) as exc:
        error = previous.failure(exc, "revoking") if isinstance(exc, WhmError) else exc
        previous.acting.record(
            Action.REVOKE, outcome=Outcome.FAILED, token_names=[old], reason=error.message
        )
        return (f"The previous token {old!r} could not be revoked: {error.message}",)
    gone = "" if revoked else "WHM no longer listed it."
    previous.acting.record(Action.REVOKE, token_names=[revoked or old], reason=gone)
    return ()


class MayHaveMade(ServerError):
    """A rotation whose create went out and got no answer: WHM may have made a token TokenUI
    does not hold. Never tried again blindly (tokenui/servers/rotating.py)."""


ROTATED = "TokenUI rotated its own service token before it expires."


def rotate_service_token(server: ConnectedServer) -> Done:
    """Replace the service token before it expires, as TokenUI's own Rotate does: a successor
    with the same privileges and IPs (named tokenui-NAME, or Rotate's dated name while the old
    one holds that), stored, then the old one revoked by its creation time. If storing fails,
    the successor is revoked (nothing is left behind), as at connect."""
    keys = keyring()
    old_name, old_created, acting = server.token_name, server.token_created, server.acting
    client = server.client()
    created = _successor(server, client)
    server.keep_token(created, keys)
    names = [old_name, created.token.name]
    try:
        _save(server, client, created)
    except ServerError as exc:
        acting.record(Action.ROTATE, outcome=Outcome.FAILED, token_names=names, reason=exc.message)
        raise
    acting.record(Action.ROTATE, token_names=names, token_created=old_created, reason=ROTATED)
    return Done(server, _revoke_rotated(server, old_created, old_name))


def _successor(server: ConnectedServer, client: WhmClient) -> CreatedToken:
    """The rotated token's successor, made in WHM (not yet stored)."""
    old = [server.token_name]
    try:
        listed = client.list_tokens()
    except WhmError as exc:
        server.acting.record_error(Action.ROTATE, exc, changes_state=False, token_names=old)
        raise server.failure(exc, "reading the API tokens before rotating") from exc
    name = _free_name(TOKEN_PREFIX + server.name, {t.name for t in listed})
    try:
        return client.create_token(
            name, acls=server.acls, expires=_expiry(), whitelist_ips=server.ips
        )
    except WhmError as exc:
        server.acting.record_error(Action.ROTATE, exc, changes_state=True, token_names=old)
        error = server.failure(exc, "rotating the service token")
        if trail.outcome_of(exc, changes_state=True) == Outcome.UNKNOWN:
            raise MayHaveMade(
                f"{error.message} WHM may have made {name!r} all the same: TokenUI does not "
                "hold it. Revoke it in WHM if it is listed there."
            ) from exc
        raise error from exc


def _revoke_rotated(server: ConnectedServer, created: datetime, name: str) -> tuple[str, ...]:
    """Finish a rotation: the successor revokes the token it replaced."""
    try:
        revoked = revoke_by_creation(server.client(), created, name, keep=server.token_name)
    except WhmError as exc:
        error = server.failure(exc, "revoking the rotated token")
        server.acting.record_error(Action.REVOKE, exc, changes_state=True, token_names=[name])
        return (f"The rotated token {name!r} could not be revoked: {error.message}",)
    server.acting.record(Action.REVOKE, token_names=[revoked or name])
    return ()


def _expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.SERVICE_TOKEN_DAYS)


def _today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.WHM_TIME_ZONE)).date()


def reseal_all(keys: Keyring) -> int:
    """Seal every service token not under the newest key again under it; how many moved.
    Each row changes only if its token is still the one read (a rotation may race it)."""
    moved = 0
    for server in ConnectedServer.objects.exclude(key_id=keys.newest_id):
        was, old_id = server.sealed_token, server.key_id
        server.reseal(keys)
        changed = ConnectedServer.objects.filter(pk=server.pk, sealed_token=was).update(
            sealed_token=server.sealed_token, key_id=server.key_id, updated=timezone.now()
        )
        if changed:
            moved += 1
            reason = f"Re-encrypted under service key {server.key_id} (was {old_id})."
            server.acting.record(
                Action.RESEAL_SERVICE_TOKEN, token_names=[server.token_name], reason=reason
            )
    return moved
