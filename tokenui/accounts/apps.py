"""Django app config for sign-in and the WHM session."""

from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tokenui.accounts"
    label = "accounts"
