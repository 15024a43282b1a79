"""The service token, and what the admin typed, are never in a log line, a command's output or
the audit trail, through a service token's whole life."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.helpers import DEMO_ROOT, Whm, secret_of, stored_server
from tests.servers.conftest import Ran
from tokenui.audit.models import AuditEvent


def test_no_secret_in_logs_output_or_audit(
    connect: Callable[..., Ran],
    run: Callable[..., Ran],
    root_whm: Whm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin_token = root_whm.ok("api_token_create", {"token_name": "admin-once"})["token"]
    ran = [connect("main"), connect("main", "--token", secret=admin_token)]
    secrets = {DEMO_ROOT[1], admin_token, secret_of(stored_server())}
    stored_server().test_connection()
    ran.append(run("servers"))
    ran.append(run("rotate_service_token", "main"))
    secrets.add(secret_of(stored_server()))
    ran.append(run("disconnect_server", "main"))

    written = " ".join(f"{r.stdout} {r.stderr}" for r in ran)
    audit = " ".join(str(vars(event)) for event in AuditEvent.objects.all())
    assert "api_token_create" in caplog.text  # the calls were logged, as function names
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in written
        assert secret not in audit
