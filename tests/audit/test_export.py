"""`manage.py export_audit`: JSON lines, oldest first, every field, filters, stdout or a file."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tokenui.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "at",
    "server",
    "service",
    "whm_user",
    "account",
    "staff",
    "staff_subject",
    "auth_kind",
    "session_token_name",
    "client_address",
    "action",
    "token_names",
    "outcome",
    "reason",
}
JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)


def add(at: datetime, *, user: str = "root", server: str = "simulator", **fields) -> AuditEvent:
    values = {
        "auth_kind": "password",
        "action": "generate",
        "token_names": ["t"],
        "outcome": "succeeded",
    }
    return AuditEvent.objects.create(at=at, server=server, whm_user=user, **(values | fields))


def export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("export_audit", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_export_writes_one_json_object_per_event_with_every_field(root_client: Client) -> None:
    root_client.post(
        "/tokens/reporting/edit/", {"name": "renamed", "expiry": "never", "acls": ["list-accts"]}
    )
    root_client.post("/tokens/revoke-selected/", {"name": ["automation", "billing-bot"]})
    lines = export()
    assert [line["action"] for line in lines] == ["sign-in", "edit", "revoke-selected"]
    assert all(set(line) == FIELDS for line in lines)
    sign_in, edit, revoke = lines
    assert sign_in | {"id": 0, "at": ""} == {
        "id": 0,
        "at": "",
        "server": "simulator",
        "service": "whm",
        "whm_user": "root",
        "account": "",
        "staff": "",
        "staff_subject": "",
        "auth_kind": "password",
        "session_token_name": "",
        "client_address": "127.0.0.1",
        "action": "sign-in",
        "token_names": [],
        "outcome": "succeeded",
        "reason": "",
    }
    assert edit["token_names"] == ["reporting", "renamed"]
    assert revoke["token_names"] == ["automation", "billing-bot"]
    assert datetime.fromisoformat(sign_in["at"]).utcoffset() == timedelta(0)


def test_export_carries_the_staff_member_and_whom_they_acted_as() -> None:
    add(JAN_1, staff="otto", staff_subject="sub-otto", account="shop", server="main")
    add(JAN_1, staff="vera", server="main")
    add(JAN_1)

    (otto,) = export("--staff", "otto")

    assert (otto["staff"], otto["staff_subject"], otto["server"]) == ("otto", "sub-otto", "main")
    assert (otto["whm_user"], otto["account"]) == ("root", "shop")
    assert [e["staff"] for e in export("--server", "main")] == ["otto", "vera"]


def csv_export(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_audit", "--format", "csv", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_csv_export_has_the_same_fields_and_the_staff_columns() -> None:
    add(JAN_1, staff="otto", staff_subject="sub-otto", token_names=["a", "b"], server="main")

    (row,) = csv_export()

    assert set(row) == FIELDS
    assert (row["staff"], row["staff_subject"], row["whm_user"]) == ("otto", "sub-otto", "root")
    assert row["token_names"] == "a b"
    assert row["at"] == "2026-01-01T00:00:00+00:00"
    assert row["client_address"] == ""


def test_csv_export_writes_no_cell_a_spreadsheet_would_run(tmp_path: Path) -> None:
    add(JAN_1, token_names=["-cmd"], staff="=HYPERLINK(1)", reason="@SUM(A1)")
    target = tmp_path / "audit.csv"
    out = io.StringIO()

    call_command("export_audit", "--format", "csv", "--output", str(target), stdout=out)

    (row,) = csv.DictReader(target.open(encoding="utf-8", newline=""))
    assert (row["token_names"], row["staff"], row["reason"]) == (
        "'-cmd",
        "'=HYPERLINK(1)",
        "'@SUM(A1)",
    )
    assert out.getvalue() == f"Wrote 1 audit event to {target}.\n"


def test_export_is_oldest_first_with_iso_timestamps() -> None:
    later = add(JAN_1 + timedelta(days=1))
    earlier = add(JAN_1)
    lines = export()
    assert [line["id"] for line in lines] == [earlier.pk, later.pk]
    assert lines[0]["at"] == "2026-01-01T00:00:00+00:00"


def test_export_filters_by_server_and_user() -> None:
    root = add(JAN_1)
    reseller = add(JAN_1, user="reseller")
    root_eu = add(JAN_1, server="eu")
    assert [e["id"] for e in export("--user", "root")] == [root.pk, root_eu.pk]
    assert [e["id"] for e in export("--server", "simulator")] == [root.pk, reseller.pk]
    assert [e["id"] for e in export("--server", "eu", "--user", "root")] == [root_eu.pk]
    assert export("--server", "nowhere") == []


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-01-02", ["jan-2", "jan-3"]),
        ("2026-01-02T12:00:00+00:00", ["jan-2", "jan-3"]),  # at, included
        ("2026-01-02T12:00:01+00:00", ["jan-3"]),
        ("2026-01-02T13:00:00+01:00", ["jan-2", "jan-3"]),
        ("2025-12-31", ["jan-1", "jan-2", "jan-3"]),
    ],
)
def test_export_since_keeps_events_at_or_after_the_moment(since: str, expected: list[str]) -> None:
    for day in (1, 2, 3):
        add(JAN_1 + timedelta(days=day - 1, hours=12), token_names=[f"jan-{day}"])
    assert [e["token_names"][0] for e in export("--since", since)] == expected


def test_export_since_without_an_offset_is_in_whms_time_zone(settings) -> None:
    settings.WHM_TIME_ZONE = "America/Chicago"  # UTC-6 in January
    add(datetime(2026, 1, 2, 3, 0, tzinfo=UTC), token_names=["before"])  # Jan 1, 21:00 there
    add(datetime(2026, 1, 2, 7, 0, tzinfo=UTC), token_names=["after"])  # Jan 2, 01:00 there
    assert [e["token_names"][0] for e in export("--since", "2026-01-02")] == ["after"]


def test_export_refuses_a_since_that_is_not_a_date() -> None:
    with pytest.raises(CommandError, match="is not an ISO date"):
        export("--since", "last tuesday")


def test_export_writes_to_a_file_and_says_how_many(tmp_path: Path) -> None:
    add(JAN_1)
    add(JAN_1 + timedelta(hours=1))
    target = tmp_path / "audit.jsonl"
    out = io.StringIO()
    call_command("export_audit", "--output", str(target), stdout=out)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert all(set(json.loads(line)) == FIELDS for line in lines)
    assert out.getvalue() == f"Wrote 2 audit events to {target}.\n"


def bulk_add(start: int, count: int) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=JAN_1 + timedelta(seconds=n),
            server="simulator",
            whm_user="root",
            auth_kind="token",
            action="revoke",
            token_names=[f"t-{n}"],
            outcome="succeeded",
            reason="WHM did not answer within 15 seconds.",
        )
        for n in range(start, start + count)
    )


class _Sink(io.TextIOBase):
    """stdout that counts lines and keeps nothing (the export's own memory is what is measured)."""

    lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)


def peak_memory(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_holds_a_few_rows_at_a_time_not_the_table() -> None:
    bulk_add(0, 2000)
    sink = _Sink()
    exported = peak_memory(lambda: call_command("export_audit", stdout=sink))
    assert sink.lines == 2000
    # What merely holding every row would take (an export that read the whole table first).
    whole_table = peak_memory(lambda: list(AuditEvent.objects.values()))
    assert exported < whole_table / 2, (exported, whole_table)
