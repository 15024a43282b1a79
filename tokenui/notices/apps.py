"""Django app config for the expiry notices."""

from __future__ import annotations

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "tokenui.notices"
    label = "notices"
    verbose_name = "Expiry notices"

    def ready(self) -> None:
        # Imported here: the rules' module needs the models, which load after the app configs.
        from tokenui.notices.rules import reseal_secrets
        from tokenui.sealing import RESEALERS

        RESEALERS["notice webhook secrets"] = reseal_secrets
