"""The audit trail page: the signed-in user's own entries on this server, newest first; a WHM
user's include what they did on cPanel accounts, which the account filter picks out. Staff see
the same page for the servers they hold a role on (tokenui/staff/audit.py), through
`render_audit`."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.audit.forms import AuditFilterForm
from tokenui.audit.models import AuditEvent, Service
from tokenui.kernel.display import WHM_TIME_FORMAT
from tokenui.sessions.auth import SignedInRequest, signed_in_any
from tokenui.whm.errors import WhmError

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AuditRow:
    event: AuditEvent
    at: str  # WHM's "MM DD YYYY hh:mm:ss" in WHM_TIME_ZONE
    at_iso: str


@signed_in_any
@require_GET
@vary_on_headers("HX-Request")
def index(request: SignedInRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    whm = request.whm
    # Only the user's own entries: an audit trail is not a way to watch other users.
    # (A cPanel user's entries are theirs: a WHM user of the same name is someone else.)
    mine = Q(server=whm.server, whm_user=whm.user, service=whm.service)
    if form.is_valid() and _owns(request, form.cleaned_data["account"]):
        # The owner of an account (support staff asked about its tokens) also sees what the
        # account's own user did with them.
        mine |= Q(server=whm.server, service=Service.CPANEL, account=form.cleaned_data["account"])
    events = AuditEvent.objects.filter(mine)
    context = {"whm": request.whm, "audit_url": reverse("audit:index")}
    return render_audit(request, form, events, context)


def render_audit(
    request: HttpRequest, form: AuditFilterForm, events: QuerySet[AuditEvent], context: dict
) -> HttpResponse:
    """The audit page (or, for an htmx swap, its table) of `events` as `form` filters them,
    newest first, a page at a time: a WHM or cPanel user's own, or a staff member's."""
    events = form.filter(events) if form.is_valid() else events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    rows = [
        AuditRow(event, event.at.astimezone(zone).strftime(WHM_TIME_FORMAT), event.at.isoformat())
        for event in page.object_list
    ]
    context = {
        **context,
        "form": form,
        "filtered": form.active,
        "page": page,
        "rows": rows,
        "time_zone": settings.WHM_TIME_ZONE,
    }
    template = "audit/index.html"
    if request.htmx and not request.htmx.boosted:
        template += "#audit-table"
    return render(request, template, context, status=200 if form.is_valid() else 422)


def _owns(request: SignedInRequest, account: str) -> bool:
    """Whether the signed-in WHM user owns this cPanel account: root owns every one, a
    reseller those `listaccts` gives them as owner. Unknown (WHM failing) counts as no."""
    if not account or request.whm.is_cpanel:
        return False
    if request.whm.user == "root":
        return True
    try:
        return any(
            a.user == account and a.owner == request.whm.user
            for a in request.whm_client.list_accounts()
        )
    except WhmError:
        return False
