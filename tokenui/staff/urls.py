"""URLs for staff: single sign-on, and the staff pages."""

from __future__ import annotations

from django.urls import path

from tokenui.staff import oidc, views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("sso/start/", oidc.SingleSignOnStart.as_view(), name="oidc-start"),
    path("sso/callback/", oidc.SingleSignOnCallback.as_view(), name="oidc-callback"),
    path("roles/", views.roles, name="roles"),
    path("roles/<int:grant_id>/revoke/", views.revoke, name="revoke-role"),
]
