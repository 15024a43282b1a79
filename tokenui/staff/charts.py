"""The Charts page (any staff role): the expiry timeline and the risky tokens over time, each
a picture (an SVG image of its own, tokenui.charts.drawing) with its numbers in a table, over
the inventory of the servers the member holds a role on."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tokenui.charts import drawing, figures
from tokenui.staff.access import StaffRequest, staff_only
from tokenui.staff.models import Role
from tokenui.staff.roles import Access

STACKED = {"expiry": True, "risky": False}
KEPT_SECONDS = 60


def server_ids(access: Access) -> list[int] | None:
    """The servers whose tokens the member may see: None for all (a role on every server)."""
    return None if access.role() is not None else list(access.servers)


def chosen(request: StaffRequest) -> tuple[str, datetime]:
    """The timeline's grouping (`by`), and the moment the charts are drawn for (`at`, so that
    the pictures a page links to show the numbers of its tables)."""
    by = request.GET.get("by", "server")
    by = by if by in figures.BY_CHOICES else "server"
    try:
        at = datetime.fromtimestamp(float(request.GET["at"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        at = timezone.now()
    return by, at


def chart_of(request: StaffRequest, name: str) -> figures.Chart:
    """One chart's numbers, kept a minute: the pictures a page links to (same servers, grouping
    and moment) draw the numbers its tables show, without counting them again."""
    by, at = chosen(request)
    servers = server_ids(request.access)
    which = "all" if servers is None else ",".join(map(str, sorted(servers)))
    digest = hashlib.sha256(f"{name}:{by}:{at.timestamp()}:{which}".encode()).hexdigest()
    key = f"charts:{digest}"
    chart = cache.get(key)
    if chart is None:
        if name == "expiry":
            chart = figures.expiry_timeline(servers, by, at)
        else:
            chart = figures.risky_over_time(servers, at)
        cache.set(key, chart, KEPT_SECONDS)
    return chart


@require_GET
@staff_only(Role.VIEWER, anywhere=True)
def index(request: StaffRequest) -> HttpResponse:
    """Both charts, each with its picture's URLs (wide and narrow), its words and its table."""
    by, at = chosen(request)
    expiry, risky = chart_of(request, "expiry"), chart_of(request, "risky")
    query = f"?by={by}&at={at.timestamp():.6f}"

    def picture(name: str) -> dict[str, str]:
        url = reverse("staff:chart-svg", args=[name]) + query
        return {"wide": url, "narrow": f"{url}&narrow=1"}

    context = {
        "by": by,
        "by_choices": figures.BY_CHOICES,
        "expiry": expiry,
        "expiry_words": figures.describe_expiry(expiry, by),
        "expiry_picture": picture("expiry"),
        "risky": risky,
        "risky_words": figures.describe_risky(risky),
        "risky_picture": picture("risky"),
    }
    return render(request, "staff/charts.html", context)


@require_GET
@staff_only(Role.VIEWER, anywhere=True)
def chart_svg(request: StaffRequest, name: str) -> HttpResponse:
    """One chart as an SVG image, under a policy of its own (tokenui.charts.drawing)."""
    if name not in STACKED:
        raise Http404("No such chart.")
    narrow = request.GET.get("narrow") == "1"
    picture = drawing.svg(chart_of(request, name), stacked=STACKED[name], narrow=narrow)
    response = HttpResponse(picture, content_type="image/svg+xml; charset=utf-8")
    response.headers["Content-Security-Policy"] = drawing.SVG_POLICY
    return response
