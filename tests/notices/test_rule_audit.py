"""Notice rules are audited: adding and removing one (on the Notices page or with add_notice and
remove_notice) writes an entry naming the staff member (or the shell) and the rule's recipient;
a webhook by its host alone (its path and query string may hold a key), never its secret."""

from __future__ import annotations

import getpass
from collections.abc import Callable

from django.test import Client

from tests.notices.conftest import SECRET
from tests.notices.test_rules import NOTICES, command, form
from tokenui.audit.models import Action, AuditEvent, AuthKind, Outcome, Service
from tokenui.notices.models import NoticeRule
from tokenui.staff.models import Role

# A webhook whose path and query string carry keys, as Slack's and others' do.
KEYED_URL = "https://hooks.example.com/services/T0/B0/path-key-123?token=query-key-456"


def only_entry(action: Action) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action=action)
    return event


def secrets_in_trail() -> list[str]:
    """The secrets any audit entry holds, in any field."""
    held = []
    for values in AuditEvent.objects.values():
        text = " ".join(str(value) for value in values.values())
        held += [s for s in (SECRET, "path-key-123", "query-key-456", "/services/") if s in text]
    return held


def test_adding_and_removing_a_rule_on_the_page_is_audited_under_the_staff_member(
    staff_client: Callable[..., Client], db: None
) -> None:
    client = staff_client(Role.ADMIN, name="ada")
    client.post(NOTICES, form(email="ops@example.com", days="7, 1"))
    rule = NoticeRule.objects.get()

    added = only_entry(Action.ADD_NOTICE_RULE)
    assert (added.service, added.staff, added.server) == (Service.STAFF, "ada", "")
    assert (added.outcome, added.auth_kind) == (Outcome.SUCCEEDED, AuthKind.PASSWORD)
    assert added.client_address == "127.0.0.1"
    assert added.reason == (
        f"Notice rule {rule.pk} for ops@example.com: all servers; all owners; thresholds 7, 1."
    )

    client.post(f"{NOTICES}{rule.pk}/remove/")
    removed = only_entry(Action.REMOVE_NOTICE_RULE)
    assert removed.staff == "ada"
    assert removed.reason == f"Notice rule {rule.pk} for ops@example.com removed."


def test_a_webhook_rule_is_audited_by_its_host_never_its_secret_path_or_query(
    staff_client: Callable[..., Client], settings, db: None
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client = staff_client(Role.ADMIN, name="ada")
    client.post(NOTICES, form(recipient="webhook", webhook=KEYED_URL, secret=SECRET))
    rule = NoticeRule.objects.get()
    client.post(f"{NOTICES}{rule.pk}/remove/")

    assert "webhook to hooks.example.com" in only_entry(Action.ADD_NOTICE_RULE).reason
    assert "webhook to hooks.example.com" in only_entry(Action.REMOVE_NOTICE_RULE).reason
    assert secrets_in_trail() == []


def test_add_notice_and_remove_notice_are_audited_under_the_shell(settings, db: None) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    command("add_notice", "--webhook", KEYED_URL, "--secret", "-", "--risky", stdin=SECRET)
    rule = NoticeRule.objects.get()
    command("remove_notice", str(rule.pk))

    shell = f"shell:{getpass.getuser()}"
    added, removed = only_entry(Action.ADD_NOTICE_RULE), only_entry(Action.REMOVE_NOTICE_RULE)
    assert (added.staff, removed.staff) == (shell, shell)
    assert (added.client_address, added.service) == (None, Service.STAFF)
    assert added.reason.startswith(f"Notice rule {rule.pk} for webhook to hooks.example.com: ")
    assert added.reason.endswith("; risky new tokens.")
    assert secrets_in_trail() == []


def test_a_rule_that_cannot_be_made_or_removed_writes_nothing(
    staff_client: Callable[..., Client], db: None
) -> None:
    client = staff_client(Role.ADMIN)
    assert client.post(NOTICES, form(email="ops@")).status_code == 422
    client.post(f"{NOTICES}999/remove/")
    assert not AuditEvent.objects.filter(
        action__in=[Action.ADD_NOTICE_RULE, Action.REMOVE_NOTICE_RULE]
    ).exists()


def test_the_staff_audit_page_shows_rule_changes_and_filters_by_them(
    staff_client: Callable[..., Client], db: None
) -> None:
    client = staff_client(Role.ADMIN, name="ada")
    client.post(NOTICES, form(email="ops@example.com"))

    page = client.get("/staff/audit/", {"action": "add-notice-rule"}).text

    event = only_entry(Action.ADD_NOTICE_RULE)
    assert f'id="audit-{event.pk}"' in page
    assert "Add notice rule" in page
    assert "ops@example.com" in page
    assert '<option value="remove-notice-rule">Remove notice rule</option>' in page
