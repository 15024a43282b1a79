"""TokenUI's URL map."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.views.decorators.http import require_GET

from tokenui.tokens.urls import cpanel_urls, staff_cpanel_urls, staff_whm_urls, whm_urls


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe: touches neither the database nor WHM."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("tokens:index")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("", include("tokenui.accounts.urls")),
    path("tokens/", include(whm_urls)),
    path("audit/", include("tokenui.audit.urls")),
    path("cpanel/", include(cpanel_urls)),
    path("fleet/", include("tokenui.fleet.urls")),
    path("staff/fleet/", include("tokenui.fleet.staff_urls")),
    path("staff/", include("tokenui.staff.urls")),
    path("staff/notices/", include("tokenui.notices.urls")),
    path("staff/servers/<slug:connected>/", include(staff_whm_urls)),
    path("staff/servers/<slug:connected>/", include(staff_cpanel_urls)),
]
