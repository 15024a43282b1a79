"""The staff pages: where a staff member lands (the servers they may reach), and Roles."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenui.servers.models import ConnectedServer
from tokenui.staff.access import StaffRequest, staff_only
from tokenui.staff.forms import GrantForm
from tokenui.staff.models import Role, RoleGrant, staff_of
from tokenui.staff.roles import Holder, RoleError, grant, revoke_role, server_named


@require_GET
@staff_only()
def home(request: StaffRequest) -> HttpResponse:
    """The servers the staff member holds a role on, with that role."""
    access = request.access
    servers = [(server, access.role(server)) for server in access.visible()]
    groups = sorted(request.user.groups.values_list("name", flat=True))
    admin_somewhere = any(role == Role.ADMIN for _, role in servers)
    context = {
        "servers": servers,
        "groups": groups,
        "everywhere": access.role(),
        "admin_somewhere": admin_somewhere or access.allows(Role.ADMIN),
    }
    return render(request, "staff/home.html", context)


@require_http_methods(["GET", "POST"])
@staff_only(Role.ADMIN)
def roles(request: StaffRequest) -> HttpResponse:
    """Every role given, and the form that gives one (to a user or a group, on one server or
    all); giving a holder a role where they hold one already replaces it."""
    names = list(ConnectedServer.objects.values_list("name", flat=True))
    form = GrantForm(request.POST or None, servers=names)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                server = server_named(form.cleaned_data["server"])
                role = Role(form.cleaned_data["role"])
                done = grant(role, form.holder_of(), server, staff_of(request.user), request)
            except RoleError as exc:
                form.add_error(exc.field or None, exc.message)
            else:
                messages.success(request, f"Granted {done}")
                return redirect("staff:roles")
    grants = RoleGrant.objects.select_related("user", "group", "server")
    return render(request, "staff/roles.html", {"form": form, "grants": grants}, status=status)


@require_POST
@staff_only(Role.ADMIN)
def revoke(request: StaffRequest, grant_id: int) -> HttpResponse:
    """Take one role away (a plain post: it changes nothing in WHM, and can be given back)."""
    given = get_object_or_404(RoleGrant.objects.select_related("user", "group"), pk=grant_id)
    holder = Holder(user=given.user.username) if given.user else Holder(group=given.group.name)
    done = revoke_role(Role(given.role), holder, given.server, staff_of(request.user), request)
    messages.success(request, f"Revoked: {done}")
    return redirect("staff:roles")
