"""Django app config for the development server: it carries the `rundashboard` command."""

from __future__ import annotations

from django.apps import AppConfig


class DevserverConfig(AppConfig):
    name = "tokenui.devserver"
    label = "devserver"
    verbose_name = "Development server"
