"""The audit trail page: the signed-in user's own entries on this server, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.accounts.auth import SignedInRequest, signed_in
from tokenui.audit.forms import AuditFilterForm
from tokenui.audit.models import AuditEvent
from tokenui.tokens.display import WHM_TIME_FORMAT

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AuditRow:
    event: AuditEvent
    at: str  # WHM's "MM DD YYYY hh:mm:ss" in WHM_TIME_ZONE
    at_iso: str


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def index(request: SignedInRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    # Only the user's own entries: an audit trail is not a way to watch other users.
    events = AuditEvent.objects.filter(server=request.whm.server, whm_user=request.whm.user)
    events = form.filter(events) if form.is_valid() else events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    rows = [
        AuditRow(event, event.at.astimezone(zone).strftime(WHM_TIME_FORMAT), event.at.isoformat())
        for event in page.object_list
    ]
    context = {
        "form": form,
        "filtered": form.active,
        "page": page,
        "rows": rows,
        "time_zone": settings.WHM_TIME_ZONE,
        "whm": request.whm,
    }
    template = "audit/index.html"
    if request.htmx and not request.htmx.boosted:
        template += "#audit-table"
    return render(request, template, context, status=200 if form.is_valid() else 422)
