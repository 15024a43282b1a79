"""URLs of All servers for staff (under /staff/fleet/)."""

from __future__ import annotations

from django.urls import path

from tokenui.fleet import staff

app_name = "staff-fleet"

urlpatterns = [
    path("", staff.index, name="index"),
    path("servers/", staff.reads, name="reads"),
    path("export.csv", staff.export, {"kind": "csv"}, name="export-csv"),
    path("export.json", staff.export, {"kind": "json"}, name="export-json"),
    path("tokens/<int:token_id>/history/", staff.token_history, name="history"),
    path("refresh/", staff.refresh, name="refresh"),
    path("refresh/progress/", staff.refresh_progress, name="refresh-progress"),
    path("revoke-expired/", staff.revoke_expired, name="revoke-expired"),
    path("revoke-expired/<uuid:job>/", staff.revoke_progress, name="revoke-progress"),
]
