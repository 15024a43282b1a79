"""Django app config for the inventory."""

from __future__ import annotations

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "tokenui.inventory"
    label = "inventory"
    verbose_name = "Inventory"
