"""Roles per server: what a staff member may do where (`Access`, read once per request), and
giving and taking them away (`grant`, `revoke_role`), from the Roles page or the shell."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import transaction
from django.http import HttpRequest

from tokenui.audit import trail
from tokenui.audit.models import Action, AuthKind, Outcome, Service
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant


class RoleError(Exception):
    """A grant or revocation that cannot be made; `field` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True, slots=True)
class Access:
    """What one staff member may do: a superuser is admin everywhere; otherwise the highest of
    the roles given to them and to their groups, for all servers or for the server at hand."""

    superuser: bool = False
    everywhere: Role | None = None
    servers: dict[int, Role] = field(default_factory=dict)

    def role(self, server: ConnectedServer | None = None) -> Role | None:
        """Their role on `server`; without one, the role they hold on every server."""
        if self.superuser:
            return Role.ADMIN
        roles = [self.everywhere, self.servers.get(server.pk) if server else None]
        held = [role for role in roles if role is not None]
        return max(held, key=lambda role: role.rank) if held else None

    def allows(self, needed: Role, server: ConnectedServer | None = None) -> bool:
        role = self.role(server)
        return role is not None and role.rank >= needed.rank

    def anywhere(self, needed: Role) -> bool:
        """Whether they hold `needed` (or more) on at least one server, or on all."""
        return self.allows(needed) or any(r.rank >= needed.rank for r in self.servers.values())

    def on(self, server: ConnectedServer) -> ServerAccess:
        """What they may do on `server`, as templates ask it."""
        return ServerAccess(self.role(server))

    def visible(self) -> list[ConnectedServer]:
        """The servers they hold any role on."""
        servers = ConnectedServer.objects.all()
        if self.role() is None:
            servers = servers.filter(pk__in=list(self.servers))
        return list(servers)


@dataclass(frozen=True, slots=True)
class ServerAccess:
    """One staff member's role on one server, and the controls it allows."""

    role: Role | None

    @property
    def can_view(self) -> bool:
        return self.role is not None

    @property
    def can_act(self) -> bool:
        return self.role is not None and self.role.rank >= Role.OPERATOR.rank

    @property
    def can_admin(self) -> bool:
        return self.role == Role.ADMIN


def access_for(user: AbstractBaseUser | AnonymousUser) -> Access:
    """Read a user's roles (their own grants and their groups'), in one query."""
    if not user.is_authenticated or not user.is_active:
        return Access()
    if user.is_superuser:
        return Access(superuser=True)
    everywhere: Role | None = None
    servers: dict[int, Role] = {}
    grants = RoleGrant.objects.filter(user=user) | RoleGrant.objects.filter(group__user=user)
    for server_id, name in grants.values_list("server_id", "role"):
        role = Role(name)
        if server_id is None:
            everywhere = role if everywhere is None or role.rank > everywhere.rank else everywhere
        elif server_id not in servers or role.rank > servers[server_id].rank:
            servers[server_id] = role
    return Access(everywhere=everywhere, servers=servers)


@dataclass(frozen=True, slots=True)
class Holder:
    """Who a role is given to: a staff user (by username) or a group (by name)."""

    user: str = ""
    group: str = ""

    def lookups(self) -> dict[str, object]:
        user_model = get_user_model()
        if self.user:
            try:
                return {"user": user_model.objects.get(username=self.user), "group": None}
            except user_model.DoesNotExist:
                raise RoleError(f"No staff user is called {self.user!r}.", "name") from None
        # A group named by the provider's claim may have no members yet: it is made now.
        return {"user": None, "group": Group.objects.get_or_create(name=self.group)[0]}

    def __str__(self) -> str:
        return f"user {self.user}" if self.user else f"group {self.group}"


def server_named(name: str | None) -> ConnectedServer | None:
    if not name:
        return None
    try:
        return ConnectedServer.objects.get(name=name)
    except ConnectedServer.DoesNotExist:
        raise RoleError(f"No server named {name!r} is connected.", "server") from None


@transaction.atomic
def grant(
    role: Role,
    holder: Holder,
    server: ConnectedServer | None,
    by: trail.Staff,
    request: HttpRequest | None = None,
) -> str:
    """Give `role` to `holder` on `server` (None: all servers), replacing the role they held
    there; what was done, in words (also the audit entry's reason)."""
    lookups = {**holder.lookups(), "server": server}
    RoleGrant.objects.update_or_create(
        **lookups, defaults={"role": role, "granted_by": by.username}
    )
    done = f"{role.label} to {holder} on {server.name if server else 'all servers'}."
    _record(Action.GRANT_ROLE, server, by, done, request)
    return done


@transaction.atomic
def revoke_role(
    role: Role,
    holder: Holder,
    server: ConnectedServer | None,
    by: trail.Staff,
    request: HttpRequest | None = None,
) -> str:
    """Take `role` on `server` away from `holder`; RoleError when they do not hold it there."""
    where = server.name if server else "all servers"
    deleted, _ = RoleGrant.objects.filter(**holder.lookups(), server=server, role=role).delete()
    if not deleted:
        raise RoleError(f"{str(holder).capitalize()} does not hold {role.label} on {where}.")
    done = f"{role.label} taken from {holder} on {where}."
    _record(Action.REVOKE_ROLE, server, by, done, request)
    return done


def shell_staff() -> trail.Staff:
    """Who acts from the shell (a management command), as the audit trail names them."""
    return trail.Staff(f"shell:{getpass.getuser()}")


def staff_actor(by: trail.Staff, server: str = "") -> trail.Actor:
    """A staff member acting on TokenUI itself (not through a WHM user), as the trail records."""
    kind = AuthKind.SSO if by.subject else AuthKind.PASSWORD
    return trail.Actor(server, by.username, kind, service=Service.STAFF, staff=by)


def _record(
    action: Action,
    server: ConnectedServer | None,
    by: trail.Staff,
    reason: str,
    request: HttpRequest | None,
) -> None:
    # A command has no request (None): no client address.
    actor = staff_actor(by, server.name if server else "")
    trail.record(request, action, outcome=Outcome.SUCCEEDED, actor=actor, reason=reason)
