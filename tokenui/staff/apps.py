"""Django app config for staff accounts."""

from __future__ import annotations

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "tokenui.staff"
    label = "staff"
    verbose_name = "Staff"
