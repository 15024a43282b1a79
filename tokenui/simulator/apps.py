"""Django app config for the simulator: it carries the `whm_simulator` management command."""

from __future__ import annotations

from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "tokenui.simulator"
    label = "simulator"
    verbose_name = "WHM simulator"
