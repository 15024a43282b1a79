"""URLs of the API tokens pages. Token names are WHM's `[A-Za-z0-9_-]{1,50}`; others are 404."""

from __future__ import annotations

from django.urls import re_path

from tokenui.tokens import views

app_name = "tokens"
NAME = r"(?P<name>[A-Za-z0-9_-]{1,50})"

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^new/$", views.generate, name="generate"),
    re_path(r"^check-name/$", views.check_name, name="check-name"),
    re_path(r"^revoke-selected/$", views.revoke_selected, name="revoke-selected"),
    re_path(r"^revoke-all/$", views.revoke_all, name="revoke-all"),
    re_path(rf"^{NAME}/edit/$", views.edit, name="edit"),
    re_path(rf"^{NAME}/revoke/$", views.revoke, name="revoke"),
]
