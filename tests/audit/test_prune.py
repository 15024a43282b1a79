"""`manage.py prune_audit`: rows older than AUDIT_RETENTION_DAYS go, newer ones stay."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tokenui.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def add(age: timedelta, user: str = "root") -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now() - age,
        server="simulator",
        whm_user=user,
        auth_kind="password",
        action="generate",
        token_names=["t"],
        outcome="succeeded",
    )


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


def test_deletes_rows_older_than_the_retention_setting_and_keeps_the_rest(settings) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    for days in (0, 29, 31, 400):
        add(timedelta(days=days, hours=1), user=f"user{days}")
    add(timedelta(days=30, minutes=-5))  # just inside the window

    output = prune()

    kept = sorted(AuditEvent.objects.values_list("whm_user", flat=True))
    assert kept == ["root", "user0", "user29"]
    assert output.startswith("Deleted 2 audit events older than 30 days (before ")


def test_the_default_keeps_a_year() -> None:
    add(timedelta(days=364))
    add(timedelta(days=366), user="old")

    prune()

    assert list(AuditEvent.objects.values_list("whm_user", flat=True)) == ["root"]


def test_dry_run_counts_and_deletes_nothing(settings) -> None:
    settings.AUDIT_RETENTION_DAYS = 7
    add(timedelta(days=8))
    add(timedelta(days=9))
    add(timedelta(days=1))

    output = prune("--dry-run")

    assert output.startswith("Would delete 2 audit events older than 7 days (before ")
    assert AuditEvent.objects.count() == 3


def test_days_overrides_the_setting(settings) -> None:
    settings.AUDIT_RETENTION_DAYS = 365
    add(timedelta(days=2))
    add(timedelta(hours=1), user="recent")

    assert prune("--days", "1").startswith("Deleted 1 audit event older than 1 day ")
    assert list(AuditEvent.objects.values_list("whm_user", flat=True)) == ["recent"]


@pytest.mark.parametrize("value", ["0", "-3", "a week", "36501"])
def test_a_bad_number_of_days_is_refused_and_nothing_deleted(value: str) -> None:
    add(timedelta(days=900))

    with pytest.raises(CommandError, match="is not a number of days from 1 to 36500"):
        prune("--days", value)

    assert AuditEvent.objects.count() == 1


def test_nothing_to_delete_says_so() -> None:
    add(timedelta(days=1))

    assert prune().startswith("Deleted 0 audit events")
    assert AuditEvent.objects.count() == 1
