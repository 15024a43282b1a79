"""URLs of the All servers page."""

from __future__ import annotations

from django.urls import path

from tokenui.fleet import views

app_name = "fleet"

urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
]
