"""URLs of the Notices page and the delivery log (under staff/notices/)."""

from __future__ import annotations

from django.urls import path

from tokenui.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:rule_id>/remove/", views.remove, name="remove"),
    path("log/", views.log, name="log"),
]
