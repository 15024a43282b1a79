"""Django app config for background work."""

from __future__ import annotations

from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "tokenui.background"
    label = "background"
    verbose_name = "Background work"
