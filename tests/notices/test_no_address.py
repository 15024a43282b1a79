"""Staff a rule would tell (a staff user, a group's members) who have no e-mail address: the
Notices page says so beside the rule, and each run's skip is on the delivery log and in
send_notices' output; they are told once they have an address."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.helpers import text
from tests.notices.conftest import Mailbox
from tokenui.audit.trail import Staff
from tokenui.inventory.models import InventoryToken
from tokenui.notices import digest
from tokenui.notices.models import Delivery, Notice, Recipient, Status
from tokenui.notices.rules import RuleSpec, add_rule
from tokenui.staff.models import Role

Make = Callable[..., InventoryToken]


@pytest.fixture
def ops(db: None) -> Group:
    """Group ops: ana (an address), cy and dee (none), and eve (none, but deactivated)."""
    group = Group.objects.create(name="ops")
    for name, email, active in [("ana", "ana@example.com", True), ("cy", "", True),
                                ("dee", "", True), ("eve", "", False)]:  # fmt: skip
        User.objects.create_user(name, email=email, is_active=active).groups.add(group)
    add_rule(RuleSpec(Recipient.GROUP, "ops"), Staff("test"))
    return group


def skipped() -> dict[str, tuple[int, str]]:
    rows = Delivery.objects.filter(status=Status.SKIPPED)
    return {d.to: (d.count, d.error) for d in rows}


def test_a_run_logs_each_member_without_an_address_as_not_sent(inventoried: Make, ops) -> None:
    inventoried("six-days", 6)
    inventoried("twenty-days", 20)

    made = digest.run(timezone.now())

    assert [Delivery.objects.get(pk=pk).to for pk in made] == ["ana@example.com"]
    assert skipped() == {
        "staff user cy": (2, "Staff user cy has no e-mail address: not told."),
        "staff user dee": (2, "Staff user dee has no e-mail address: not told."),
    }
    assert not Delivery.objects.filter(status=Status.SKIPPED, finished__isnull=True).exists()
    assert Notice.objects.count() == 2  # carried by ana's mail, once each


def test_a_user_without_an_address_is_told_once_they_have_one(inventoried: Make, db) -> None:
    cy = User.objects.create_user("cy")
    add_rule(RuleSpec(Recipient.USER, "cy"), Staff("test"))
    inventoried("six-days", 6)

    assert digest.run(timezone.now()) == []
    assert digest.run(timezone.now()) == []  # not told, so still due: said again
    assert list(skipped()) == ["staff user cy"]
    assert Delivery.objects.filter(status=Status.SKIPPED).count() == 2
    assert not Notice.objects.exists()

    cy.email = "cy@example.com"
    cy.save()
    (made,) = digest.run(timezone.now())
    assert Delivery.objects.get(pk=made).to == "cy@example.com"


def test_send_notices_says_who_was_not_told(inventoried: Make, mailbox: Mailbox, ops) -> None:
    inventoried("six-days", 6)
    out = io.StringIO()

    call_command("send_notices", stdout=out)

    assert out.getvalue().splitlines() == [
        "Notices: 1 sent, 0 to retry, 0 failed for good.",
        "Not told, no e-mail address: staff user cy, staff user dee.",
    ]
    assert len(mailbox.messages) == 1


def test_the_delivery_log_shows_the_skip_and_why(
    inventoried: Make, ops, staff_client: Callable[..., Client]
) -> None:
    inventoried("six-days", 6)
    digest.run(timezone.now())

    page = text(staff_client(Role.VIEWER).get("/staff/notices/log/").content.decode())

    assert "1 token, mail to staff user cy" in page
    assert "<strong>Not sent</strong>: Staff user cy has no e-mail address: not told." in page


def test_the_notices_page_says_who_in_a_group_has_no_address(
    ops, staff_client: Callable[..., Client]
) -> None:
    page = text(staff_client(Role.VIEWER).get("/staff/notices/").content.decode())

    assert "2 members have no e-mail address and are not told: cy, dee." in page
    assert "eve" not in page  # deactivated: not a member who would be told


def test_the_notices_page_says_a_staff_user_has_no_address(
    db, staff_client: Callable[..., Client]
) -> None:
    User.objects.create_user("cy")
    User.objects.create_user("ana", email="ana@example.com")
    add_rule(RuleSpec(Recipient.USER, "cy"), Staff("test"))
    add_rule(RuleSpec(Recipient.USER, "ana"), Staff("test"))

    page = text(staff_client(Role.VIEWER).get("/staff/notices/").content.decode())

    assert page.count("no e-mail address") == 1
    assert "Staff user cy has no e-mail address and is not told." in page
