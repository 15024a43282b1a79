"""The audit trail for staff: every entry on the connected servers the member holds a role on
(what staff did there, and TokenUI's own work with the service token), and their own; admins
everywhere also see what was done on TokenUI itself (staff sign-ins, roles on all servers,
notice rules). Admins may filter by staff member."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.audit.forms import AuditFilterForm
from tokenui.audit.models import AuditEvent
from tokenui.audit.views import render_audit
from tokenui.staff.access import StaffRequest, staff_only
from tokenui.staff.models import Role


@require_GET
@vary_on_headers("HX-Request")
@staff_only()
def audit(request: StaffRequest) -> HttpResponse:
    access = request.access
    visible = access.visible()
    servers = [server.name for server in visible]
    admin = access.allows(Role.ADMIN) or any(access.allows(Role.ADMIN, s) for s in visible)
    form = AuditFilterForm(request.GET, servers=servers, by_staff=admin)
    seen = Q(server__in=servers) | Q(staff=request.user.get_username())
    if access.allows(Role.ADMIN):
        seen |= Q(server="")  # TokenUI itself: staff sign-ins, roles on every server
    context = {"staff_view": True, "audit_url": reverse("staff:audit"), "servers": servers}
    return render_audit(request, form, AuditEvent.objects.filter(seen), context)
