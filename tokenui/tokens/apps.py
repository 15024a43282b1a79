"""Django app config for the API tokens pages."""

from __future__ import annotations

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokenui.tokens"
    label = "tokens"
