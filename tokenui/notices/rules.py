"""Making and removing notice rules (the Notices page and `manage.py add_notice` share these),
and the webhook secret: sealed under the service keys when the rule is made, opened only to
sign a delivery, never shown or logged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.notices.models import DEFAULT_DAYS, NoticeRule, Recipient
from tokenui.notices.webhooks import DeliveryError, checked_url
from tokenui.sealing import PREFIX, Keyring, SealError
from tokenui.servers.keys import NoServiceKeys, service_keyring
from tokenui.servers.models import ConnectedServer
from tokenui.staff.roles import staff_actor

EXPIRED_WORD = "expired"
MAX_DAYS = 365
MIN_SECRET = 16


class RuleError(Exception):
    """A rule that cannot be made; `field` names the form field (or command option) it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class RuleSpec:
    """A rule as asked for: one recipient (`to`: a username, group name, address or URL)."""

    recipient: Recipient
    to: str
    secret: str = field(default="", repr=False)
    servers: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    days: tuple[int, ...] = DEFAULT_DAYS
    risky: bool = False


def parse_days(text: str) -> tuple[int, ...]:
    """ "60,30,7,1,expired" as thresholds (0 for expired), nearest last; ValueError naming the
    item that is not one."""
    days: set[int] = set()
    for item in filter(None, (part.strip().lower() for part in text.split(","))):
        if item == EXPIRED_WORD:
            days.add(0)
        elif item.isdigit() and 1 <= int(item) <= MAX_DAYS:
            days.add(int(item))
        else:
            raise ValueError(f"{item!r} is not a number of days from 1 to {MAX_DAYS} or expired.")
    if not days:
        raise ValueError("Name at least one threshold, such as 60,30,7,1,expired.")
    return tuple(sorted(days, reverse=True))


def days_words(days: Iterable[int]) -> str:
    return ", ".join(EXPIRED_WORD if d == 0 else f"{d}" for d in sorted(days, reverse=True))


@transaction.atomic
def add_rule(spec: RuleSpec, by: trail.Staff, request: HttpRequest | None = None) -> NoticeRule:
    """Make a rule, audited under `by` (`request`: the page's, for the client address; None
    from a command); RuleError naming what is wrong (nothing is made, nothing audited)."""
    rule = NoticeRule(recipient=spec.recipient, days=list(spec.days), risky=spec.risky)
    rule.owners, rule.created_by = sorted(set(spec.owners)), by.username
    _set_recipient(rule, spec)
    servers = list(ConnectedServer.objects.filter(name__in=spec.servers))
    missing = set(spec.servers) - {server.name for server in servers}
    if missing:
        raise RuleError(f"No server named {sorted(missing)[0]!r} is connected.", "servers")
    rule.save()
    rule.servers.set(servers)
    scope = "; ".join(rule_scope(rule, [server.name for server in servers]))
    _record(Action.ADD_NOTICE_RULE, by, f"Notice rule {rule.pk} for {rule.to}: {scope}.", request)
    return rule


def rule_scope(rule: NoticeRule, servers: list[str]) -> list[str]:
    """A rule's scope in words, as the Notices page and the audit trail give it."""
    scope = [", ".join(servers) or "all servers", ", ".join(rule.owners) or "all owners"]
    scope.append(f"thresholds {days_words(rule.days)}")
    return [*scope, "risky new tokens"] if rule.risky else scope


def _record(action: Action, by: trail.Staff, reason: str, request: HttpRequest | None) -> None:
    # The reason names the recipient as `NoticeRule.to` does: a webhook by its host alone.
    trail.record(request, action, outcome=Outcome.SUCCEEDED, actor=staff_actor(by), reason=reason)


def _set_recipient(rule: NoticeRule, spec: RuleSpec) -> None:
    to = spec.to.strip()
    if not to:
        raise RuleError("Name who is told.", spec.recipient)
    if spec.recipient == Recipient.USER:
        rule.user = get_user_model().objects.filter(username=to).first()
        if rule.user is None:
            raise RuleError(f"No staff user is called {to!r}.", "user")
    elif spec.recipient == Recipient.GROUP:
        rule.group = Group.objects.filter(name=to).first()
        if rule.group is None:
            raise RuleError(f"No group is called {to!r}.", "group")
    elif spec.recipient == Recipient.EMAIL:
        try:
            validate_email(to)
        except ValidationError:
            raise RuleError("Enter an e-mail address such as ops@example.com.", "email") from None
        rule.email = to
    else:
        rule.webhook_url, rule.sealed_secret = _webhook(to, spec.secret)


def _webhook(url: str, secret: str) -> tuple[str, str]:
    try:
        url = checked_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except DeliveryError as exc:
        raise RuleError(exc.message, "webhook") from None
    if len(secret) < MIN_SECRET:
        raise RuleError(
            f"The secret signs each call: use at least {MIN_SECRET} random characters.", "secret"
        )
    try:
        return url, service_keyring().seal(secret.encode())
    except NoServiceKeys as exc:
        raise RuleError(exc.message, "secret") from None


def open_secret(rule: NoticeRule) -> bytes:
    """The webhook's secret, for signing one call; DeliveryError when its key is gone."""
    try:
        return service_keyring().open(rule.sealed_secret)
    except (SealError, NoServiceKeys) as exc:
        raise DeliveryError(
            "The webhook's secret cannot be opened: the service key that sealed it is not "
            "configured (SERVICE_KEYS)."
        ) from exc


@transaction.atomic
def remove_rule(rule_id: int, by: trail.Staff, request: HttpRequest | None = None) -> NoticeRule:
    """Remove a rule, audited under `by` (its notices go with it; the delivery log keeps what
    was sent)."""
    rule = NoticeRule.objects.select_related("user", "group").filter(pk=rule_id).first()
    if rule is None:
        raise RuleError(f"There is no notice rule {rule_id}.")
    rule.delete()
    _record(Action.REMOVE_NOTICE_RULE, by, f"Notice rule {rule_id} for {rule.to} removed.", request)
    return rule


def reseal_secrets(keys: Keyring) -> int:
    """Seal every webhook secret not under `keys`' newest key again under it; how many moved
    (`manage.py rotate_service_keys` runs this)."""
    moved = 0
    newest = f"{PREFIX}{keys.newest_id}:"
    rules = NoticeRule.objects.exclude(sealed_secret="").exclude(sealed_secret__startswith=newest)
    for rule_id, sealed in rules.values_list("pk", "sealed_secret"):
        resealed = keys.reseal(sealed)
        # Only if it is still the value read: a rule removed or remade meanwhile is left alone.
        moved += NoticeRule.objects.filter(pk=rule_id, sealed_secret=sealed).update(
            sealed_secret=resealed
        )
    return moved
