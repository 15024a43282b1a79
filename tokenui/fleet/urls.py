"""URLs of the All servers page."""

from __future__ import annotations

from django.urls import path

from tokenui.fleet import views

app_name = "fleet"

urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
    path("export.csv", views.export, {"kind": "csv"}, name="export-csv"),
    path("export.json", views.export, {"kind": "json"}, name="export-json"),
    path("revoke-expired/", views.RevokeExpiredView.as_view(), name="revoke-expired"),
]
