"""Django app config for the audit trail."""

from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tokenui.audit"
    label = "audit"
    verbose_name = "Audit trail"
