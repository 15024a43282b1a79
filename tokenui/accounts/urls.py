"""URLs for signing in and out, and for the other servers of a session."""

from __future__ import annotations

from django.urls import path

from tokenui.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("servers/add/", views.add_server, name="add-server"),
    path("servers/switch/", views.switch_server, name="switch-server"),
]
