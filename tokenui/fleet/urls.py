"""URLs of the All servers page."""

from __future__ import annotations

from django.urls import path

from tokenui.fleet import views
from tokenui.http import by_method

app_name = "fleet"

urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
    path("export.csv", views.export, {"kind": "csv"}, name="export-csv"),
    path("export.json", views.export, {"kind": "json"}, name="export-json"),
    path(
        "revoke-expired/",
        by_method(GET=views.confirm_revoke_expired, POST=views.revoke_expired),
        name="revoke-expired",
    ),
]
