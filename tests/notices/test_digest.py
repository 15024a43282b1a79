"""The digest builder, in the database: which tokens each rule is told of, at which threshold,
once ever; scope, recipients, risky new tokens, and queries that do not grow with the tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tokenui.audit.trail import Staff
from tokenui.inventory.models import InventoryToken, OwnerKind
from tokenui.notices import digest
from tokenui.notices.models import RISKY, Delivery, Event, Notice, Recipient
from tokenui.notices.rules import RuleSpec, add_rule
from tokenui.risk import ANY_IP_FLAG, BYPASS_FLAG, FULL_ACCESS_FLAG, NO_EXPIRY_FLAG
from tokenui.servers.models import ConnectedServer

Make = Callable[..., InventoryToken]


def email_rule(to: str = "ops@example.com", **options: object):
    return add_rule(RuleSpec(Recipient.EMAIL, to, **options), Staff("test"))  # type: ignore[arg-type]


def told(rule_id: int | None = None) -> set[tuple[str, int]]:
    notices = Notice.objects.select_related("token")
    if rule_id is not None:
        notices = notices.filter(rule_id=rule_id)
    return {(notice.token.name, notice.threshold) for notice in notices}


def test_a_token_is_told_of_at_the_nearest_threshold_it_has_passed_only(
    inventoried: Make,
) -> None:
    rule = email_rule()
    inventoried("six-days", 6)
    inventoried("forty-days", 40)
    inventoried("ninety-days", 90)

    digest.run(timezone.now())

    assert told(rule.pk) == {("six-days", 7), ("forty-days", 60)}


def test_running_again_tells_nothing_new_until_a_nearer_threshold_is_passed(
    inventoried: Make,
) -> None:
    email_rule()
    inventoried("six-days", 6)
    now = timezone.now()
    assert len(digest.run(now)) == 1

    assert digest.run(now) == []
    assert digest.run(now + timedelta(days=2)) == []  # 4 days left: still past 7 only
    assert len(digest.run(now + timedelta(days=5, hours=12))) == 1  # half a day left

    assert told() == {("six-days", 7), ("six-days", 1)}
    assert Delivery.objects.count() == 2


def test_expired_tokens_are_told_of_only_by_rules_with_the_expired_threshold(
    inventoried: Make,
) -> None:
    with_expired = email_rule("a@example.com")
    without = email_rule("b@example.com", days=(30, 7))
    inventoried("expired-yesterday", -1)

    digest.run(timezone.now())

    assert told(with_expired.pk) == {("expired-yesterday", 0)}
    assert told(without.pk) == set()


def test_a_rule_tells_only_of_its_servers_and_owners(
    inventoried: Make, main_server: ConnectedServer
) -> None:
    other = ConnectedServer.objects.create(
        name="eu", url="https://eu.example.com:2087", username="root", token_name="tokenui-eu",
        token_created=timezone.now(), sealed_token="enc:fernet:test-1:x", key_id="test-1",
    )  # fmt: skip
    spec = RuleSpec(Recipient.EMAIL, "ops@example.com", servers=("eu",), owners=("acme",))
    rule = add_rule(spec, Staff("test"))
    inventoried("on-main", 5)
    inventoried("eu-acme", 5, server=other)
    inventoried("eu-garage", 5, server=other, owner="garage")

    digest.run(timezone.now())

    assert told(rule.pk) == {("eu-acme", 7)}


def test_tokens_no_longer_there_are_not_told_of(inventoried: Make) -> None:
    email_rule()
    gone = inventoried("revoked", 3)
    gone.gone = timezone.now()
    gone.save()

    assert digest.run(timezone.now()) == []


def test_one_digest_per_address_however_many_rules_and_groups_name_it(
    inventoried: Make,
) -> None:
    ops = Group.objects.create(name="ops")
    ana = User.objects.create_user("ana", email="ana@example.com")
    ben = User.objects.create_user("ben", email="ben@example.com")
    User.objects.create_user("cy").groups.add(ops)  # no address: not told, said so
    ana.groups.add(ops)
    ben.groups.add(ops)
    add_rule(RuleSpec(Recipient.GROUP, "ops"), Staff("test"))
    add_rule(RuleSpec(Recipient.USER, "ana"), Staff("test"))
    inventoried("six-days", 6)
    inventoried("twenty-days", 20, owner="garage")

    digest.run(timezone.now())

    deliveries = {d.to: (d.count, d.status) for d in Delivery.objects.all()}
    assert deliveries == {
        "ana@example.com": (2, "pending"),
        "ben@example.com": (2, "pending"),
        "staff user cy": (2, "skipped"),  # on the delivery log, not sent
    }
    # Each rule's notice of each token is made once, whichever delivery carries it.
    assert Notice.objects.count() == 4


def test_a_risky_new_token_alerts_rules_that_ask_once(inventoried: Make) -> None:
    before = inventoried("older-full-access", None, flags=(FULL_ACCESS_FLAG.key,))
    rule = email_rule(risky=True, days=(7,))
    quiet = email_rule("quiet@example.com", days=(7,))
    inventoried("full", 200, flags=(FULL_ACCESS_FLAG.key,))
    inventoried("forever", None, flags=(NO_EXPIRY_FLAG.key,))
    inventoried("anywhere", 200, flags=(ANY_IP_FLAG.key,))
    inventoried("bypass-only", 200, flags=(BYPASS_FLAG.key,))
    assert before.first_seen < rule.created

    digest.run(timezone.now())
    assert digest.run(timezone.now()) == []

    assert told(rule.pk) == {("full", RISKY), ("forever", RISKY), ("anywhere", RISKY)}
    assert told(quiet.pk) == set()
    alert = Delivery.objects.get()
    assert (alert.event, alert.count) == (Event.RISKY, 3)


@pytest.mark.parametrize("count", [3, 60])
def test_the_digest_builder_asks_the_database_the_same_number_of_times_for_any_count(
    inventoried: Make, django_assert_num_queries, count: int
) -> None:
    email_rule()
    add_rule(RuleSpec(Recipient.EMAIL, "risky@example.com", risky=True), Staff("test"))
    for number in range(count):
        inventoried(f"token-{number}", number % 7, kind=OwnerKind.WHM, flags=(ANY_IP_FLAG.key,))

    # The savepoint and its release; the rules; per rule and kind (expiring, risky) its servers
    # and its tokens; one insert per delivery; the notices in one: never one per token.
    with django_assert_num_queries(13):
        made = digest.run(timezone.now())
    assert len(made) == 3
