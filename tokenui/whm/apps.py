"""Django app config for the WHM package (it has no models; it carries management commands)."""

from __future__ import annotations

from django.apps import AppConfig


class WhmConfig(AppConfig):
    name = "tokenui.whm"
    label = "whm"
    verbose_name = "WHM API 1"
