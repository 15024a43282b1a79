"""Django app config for connected servers."""

from __future__ import annotations

from django.apps import AppConfig


class ServersConfig(AppConfig):
    name = "tokenui.servers"
    label = "servers"
    verbose_name = "Connected servers"
