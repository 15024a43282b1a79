"""URLs for staff: single sign-on, and the staff pages."""

from __future__ import annotations

from django.urls import path

from tokenui.staff import audit, charts, oidc, servers, views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("sso/start/", oidc.SingleSignOnStart.as_view(), name="oidc-start"),
    path("sso/callback/", oidc.SingleSignOnCallback.as_view(), name="oidc-callback"),
    path("audit/", audit.audit, name="audit"),
    path("charts/", charts.index, name="charts"),
    path("charts/<slug:name>.svg", charts.chart_svg, name="chart-svg"),
    path("roles/", views.roles, name="roles"),
    path("roles/<int:grant_id>/revoke/", views.revoke, name="revoke-role"),
    path("servers/", servers.index, name="servers"),
    path("servers/connect/", servers.connect, name="connect"),
    path("servers/<slug:server>/", servers.server, name="server"),
    path("servers/<slug:server>/test/", servers.test, name="test-connection"),
    path(
        "servers/<slug:server>/disconnect/", servers.confirm_disconnect, name="confirm-disconnect"
    ),
    path("servers/<slug:server>/disconnect/do/", servers.disconnect, name="disconnect"),
]
