"""Django app config for the expiry notices."""

from __future__ import annotations

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "tokenui.notices"
    label = "notices"
    verbose_name = "Expiry notices"
