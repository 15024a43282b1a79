"""URLs of the API tokens pages. Token names are WHM's `[A-Za-z0-9_-]{1,50}`; others are 404.

A revoke URL asks its question on GET and acts on POST: two views, one per method.
"""

from __future__ import annotations

from django.urls import re_path

from tokenui.http import by_method
from tokenui.tokens import rotation, views

app_name = "tokens"
NAME = r"(?P<name>[A-Za-z0-9_-]{1,50})"

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^new/$", views.generate, name="generate"),
    re_path(r"^check-name/$", views.check_name, name="check-name"),
    re_path(r"^form-flags/$", views.form_flags, name="form-flags"),
    re_path(r"^export\.csv$", views.export, {"kind": "csv"}, name="export-csv"),
    re_path(r"^export\.json$", views.export, {"kind": "json"}, name="export-json"),
    re_path(
        r"^revoke-selected/$",
        by_method(GET=views.confirm_revoke_selected, POST=views.revoke_selected),
        name="revoke-selected",
    ),
    re_path(
        r"^revoke-all/$",
        by_method(GET=views.confirm_revoke_all, POST=views.revoke_all),
        name="revoke-all",
    ),
    re_path(
        r"^revoke-expired/$",
        by_method(GET=views.confirm_revoke_expired, POST=views.revoke_expired),
        name="revoke-expired",
    ),
    re_path(rf"^{NAME}/edit/$", views.edit, name="edit"),
    re_path(rf"^{NAME}/rotate/$", rotation.rotate, name="rotate"),
    re_path(
        rf"^{NAME}/rotate/finish/$",
        by_method(GET=rotation.confirm_finish, POST=rotation.finish),
        name="rotate-finish",
    ),
    re_path(
        rf"^{NAME}/revoke/$",
        by_method(GET=views.confirm_revoke, POST=views.revoke),
        name="revoke",
    ),
]
