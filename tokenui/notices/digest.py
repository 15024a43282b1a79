"""The digest builder: which tokens each rule is told of in a run (nearing a threshold of
expiry, or new and risky), found set-based in SQL (one query per rule and kind, however many
tokens), and the deliveries that carry them, made in one transaction with their notices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast

from tokenui.inventory.models import InventoryToken
from tokenui.notices import content
from tokenui.notices.models import RISKY, Delivery, Event, Notice, NoticeRule, Recipient, Status
from tokenui.risk import ANY_IP_FLAG, FULL_ACCESS_FLAG, NO_EXPIRY_FLAG

# A new token with any of these sends a risky-token alert.
RISKY_FLAGS = (FULL_ACCESS_FLAG.key, NO_EXPIRY_FLAG.key, ANY_IP_FLAG.key)
_FIELDS = ("pk", "server__name", "owner_kind", "owner", "name", "expires", "flags", "threshold")


@dataclass
class Digest:
    """What one recipient is sent in one run of one event: each token once (its nearest
    threshold), and each (rule, token, threshold) notice it carries."""

    channel: str
    to: str
    event: str
    rule: NoticeRule
    # Not sent: `to` names a staff user the rule would tell who has no e-mail address.
    skipped: bool = False
    rows: dict[int, content.Row] = field(default_factory=dict)
    notices: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, rule: NoticeRule, row: content.Row) -> None:
        held = self.rows.get(row.token_id)
        if held is None or row.threshold < held.threshold:
            self.rows[row.token_id] = row
        self.notices.append((rule.pk, row.token_id, row.threshold))


def run(now: datetime) -> list[int]:
    """Find every notice due at `now` and make its delivery; the deliveries' ids (to send).
    Runs one at a time (the rules locked), so two runs never make one notice twice."""
    with transaction.atomic():
        rules = NoticeRule.objects.select_for_update(of=("self",)).select_related("user", "group")
        rules = rules.prefetch_related("group__user_set")
        return record(plan(list(rules), now), now)


def plan(rules: Iterable[NoticeRule], now: datetime) -> list[Digest]:
    """The digests of one run: per mail address (however many rules name it) and per
    webhook rule, and per event; and per staff user without an address, one not sent."""
    digests: dict[tuple[str, str, str], Digest] = {}
    for rule in rules:
        found = [(Event.EXPIRING, expiring(rule, now))]
        if rule.risky:
            found.append((Event.RISKY, risky(rule)))
        for event, query in found:
            rows = [content.Row(*values) for values in query.values_list(*_FIELDS)]
            for channel, to in destinations(rule) if rows else ():
                key = (channel, to if channel == "mail" else str(rule.pk), event)
                _add(digests.setdefault(key, Digest(channel, to, event, rule)), rule, rows)
            for name in unreachable(rule) if rows else ():
                skip = Digest("mail", f"staff user {name}", event, rule, skipped=True)
                _add(digests.setdefault(("skip", name, event), skip), rule, rows)
    return list(digests.values())


def _add(digest: Digest, rule: NoticeRule, rows: list[content.Row]) -> None:
    for row in rows:
        digest.add(rule, row)


def expiring(rule: NoticeRule, now: datetime) -> QuerySet[InventoryToken]:
    """The tokens in `rule`'s scope past one of its thresholds and not yet told of at it or a
    nearer one, each annotated with the nearest threshold it has passed (its `threshold`)."""
    days = sorted(set(rule.days))
    if not days:
        return InventoryToken.objects.none()
    tokens = scoped(rule).filter(expires__lte=now + timedelta(days=days[-1]))
    if days[0] > 0:  # without "expired", a token already expired is not told of
        tokens = tokens.filter(expires__gt=now)
    nearest = Case(*(When(expires__lte=now + timedelta(days=d), then=Value(d)) for d in days))
    told = Notice.objects.filter(
        rule=rule, token=OuterRef("pk"), threshold__gte=0, threshold__lte=OuterRef("threshold")
    )
    return tokens.annotate(threshold=nearest).filter(~Exists(told))


def risky(rule: NoticeRule) -> QuerySet[InventoryToken]:
    """The tokens in `rule`'s scope first seen after it was made, with a risky flag, and not
    yet alerted of."""
    flags = Cast("flags", TextField())  # a JSON list; a key matched with its quotes
    has_flag = Q()
    for key in RISKY_FLAGS:
        has_flag |= Q(flag_text__contains=f'"{key}"')
    told = Notice.objects.filter(rule=rule, token=OuterRef("pk"), threshold=RISKY)
    tokens = scoped(rule).filter(first_seen__gt=rule.created).annotate(flag_text=flags)
    return tokens.filter(has_flag).filter(~Exists(told)).annotate(threshold=Value(RISKY))


def scoped(rule: NoticeRule) -> QuerySet[InventoryToken]:
    """The tokens still there on the rule's servers and of its owners (none listed: all)."""
    tokens = InventoryToken.objects.filter(gone__isnull=True)
    servers = list(rule.servers.values_list("pk", flat=True))
    if servers:
        tokens = tokens.filter(server__in=servers)
    return tokens.filter(owner__in=rule.owners) if rule.owners else tokens


def destinations(rule: NoticeRule) -> list[tuple[str, str]]:
    """(channel, to) of a rule: its webhook, or the mail addresses it names (a staff user's, a
    group's members' that have one)."""
    if rule.recipient == Recipient.WEBHOOK:
        return [("webhook", rule.to)]
    if rule.recipient == Recipient.EMAIL:
        return [("mail", rule.email)]
    return sorted({("mail", user.email) for user in told_staff(rule) if user.email})


def unreachable(rule: NoticeRule) -> list[str]:
    """The usernames of the staff `rule` would tell (a staff user, a group's members) who have
    no e-mail address, and so are not told."""
    return sorted(user.get_username() for user in told_staff(rule) if not user.email)


def told_staff(rule: NoticeRule) -> list[AbstractBaseUser]:
    """The active staff users a user's or group's rule tells (none for an address or webhook);
    a group's members as prefetched, if they were."""
    if rule.recipient == Recipient.USER:
        users = [rule.user] if rule.user else []
    elif rule.recipient == Recipient.GROUP and rule.group:
        users = list(rule.group.user_set.all())
    else:
        users = []
    return [user for user in users if user.is_active]


def record(digests: list[Digest], now: datetime) -> list[int]:
    """Make each digest's delivery (its words fixed now) and its notices; their ids."""
    made: list[int] = []
    # A group's rule reaches several addresses: each notice is recorded once, with the first
    # delivery that carries it.
    notices: dict[tuple[int, int, int], Notice] = {}
    for digest in digests:
        if digest.skipped:  # logged, and nothing recorded as told: still due next run
            skipped_delivery(digest, now)
            continue
        delivery = made_delivery(digest, now)
        made.append(delivery.pk)
        for rule_id, token_id, days in digest.notices:
            notice = Notice(rule_id=rule_id, token_id=token_id, threshold=days, delivery=delivery)
            notices.setdefault((rule_id, token_id, days), notice)
    Notice.objects.bulk_create(notices.values(), batch_size=2000)
    return made


def made_delivery(digest: Digest, now: datetime) -> Delivery:
    """The delivery of one digest, saved, due now."""
    shown = content.items(digest.rows.values(), now)
    delivery = Delivery(channel=digest.channel, to=digest.to, event=digest.event)
    delivery.rule, delivery.count, delivery.created = digest.rule, len(shown), now
    delivery.next_attempt = now
    if digest.channel == "mail":
        delivery.subject, delivery.body, delivery.html = content.mail(digest.event, shown)
    else:
        delivery.subject = Event(digest.event).label
        delivery.body = content.webhook(digest.event, shown)
    delivery.save()
    return delivery


def skipped_delivery(digest: Digest, now: datetime) -> Delivery:
    """The delivery log's line for a staff user a digest would have gone to, who has no
    e-mail address: not sent, never tried."""
    return Delivery.objects.create(
        channel=digest.channel, to=digest.to, event=digest.event, rule=digest.rule,
        subject=Event(digest.event).label, body="", count=len(digest.rows),
        status=Status.SKIPPED, created=now, finished=now,
        error=f"{digest.to.capitalize()} has no e-mail address: not told.",
    )  # fmt: skip


def not_told(now: datetime) -> list[str]:
    """Whom the run at `now` did not tell for want of an e-mail address ("staff user X")."""
    skipped = Delivery.objects.filter(status=Status.SKIPPED, created=now)
    return sorted(set(skipped.values_list("to", flat=True)))
