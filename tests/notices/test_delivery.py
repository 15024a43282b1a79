"""Deliveries against real processes on loopback: an SMTP server (aiosmtpd) and an HTTP
receiver that checks the signature. A token expiring in 6 days gives one mail and one signed
webhook, and nothing more when the notices run again; a receiver down for a while gets its
notice afterwards; a mail server that refuses is on the delivery log and retried; and a
delivery that keeps failing is given up a day on. The clock is passed in: no test sleeps."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.helpers import Whm
from tests.inventory.conftest import (  # noqa: F401 - fixtures, used by name
    connect,
    connected,
    root_whm,
    run,
    server,
)
from tests.notices.conftest import SECRET, Mailbox, Receiver
from tokenui.audit.trail import Staff
from tokenui.inventory.models import InventoryToken
from tokenui.inventory.tasks import inventory_server
from tokenui.notices import delivery, digest, tasks
from tokenui.notices.delivery import GIVE_UP_AFTER, wait_after
from tokenui.notices.mail import NOT_SET_UP
from tokenui.notices.models import Delivery, Recipient, Status
from tokenui.notices.rules import RuleSpec, add_rule
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role

Make = Callable[..., InventoryToken]


def send_notices() -> str:
    out = io.StringIO()
    call_command("send_notices", stdout=out)
    return out.getvalue()


def webhook_rule(receiver: Receiver, **options: object):
    spec = RuleSpec(Recipient.WEBHOOK, receiver.url, secret=SECRET, **options)  # type: ignore[arg-type]
    return add_rule(spec, Staff("test"))


def test_a_token_expiring_in_6_days_gives_one_mail_and_one_signed_webhook_once(
    connected: ConnectedServer,  # noqa: F811
    root_whm: Whm,  # noqa: F811
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    expires = int(time.time()) + 6 * 86400
    root_whm.ok("api_token_create", {"token_name": "deploy-bot", "expires_at": str(expires)})
    inventory_server.call(connected.pk)
    add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))
    webhook_rule(receiver)

    assert "2 sent, 0 to retry" in send_notices()

    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "ops@example.com"
    assert mail["From"] == "TokenUI <tokenui@example.com>"
    assert "deploy-bot (owner root on main)" in mailbox.texts()[0]
    assert "(in 6 days)" in mailbox.texts()[0]
    html = str(mail.get_body(("html",)).get_content())
    # Each token links to its History (its id, not its name: the link outlives a rename).
    deploy_bot = InventoryToken.objects.get(server=connected, name="deploy-bot")
    history = f"http://localhost:8000/staff/fleet/tokens/{deploy_bot.pk}/history/"
    assert f'href="{history}"' in html
    (call,) = receiver.calls
    assert call.signed
    assert call.json["event"] == "tokens.expiring"
    bot = next(token for token in call.json["tokens"] if token["name"] == "deploy-bot")
    assert bot == {
        "server": "main",
        "owner": "root",
        "name": "deploy-bot",
        "expires_at": timezone.datetime.fromtimestamp(expires, timezone.UTC).isoformat(),
        "days_left": 6,
        "url": history,
    }

    assert "0 sent, 0 to retry" in send_notices()
    assert len(mailbox.messages) == 1
    assert len(receiver.calls) == 1


def test_a_receiver_down_for_a_while_gets_its_notice_afterwards_and_only_once(
    inventoried: Make, receiver: Receiver
) -> None:
    webhook_rule(receiver)
    inventoried("six-days", 6)
    start = timezone.now()
    receiver.down()
    (made,) = digest.run(start)

    assert delivery.attempt(made, start) == Status.PENDING
    first = Delivery.objects.get(pk=made)
    assert first.error == "The receiver could not be reached (connection refused)."
    assert first.next_attempt == start + wait_after(1)
    assert tasks.retry(start + wait_after(1) - timedelta(seconds=1)) == {}  # not due yet

    receiver.up()
    receiver.status = 503
    later = start + wait_after(1)
    assert tasks.retry(later) == {Status.PENDING: 1}
    assert Delivery.objects.get(pk=made).error == "The receiver returned 503 Service Unavailable."
    assert Delivery.objects.get(pk=made).next_attempt == later + wait_after(2)

    receiver.status = 200
    assert tasks.retry(later + wait_after(2)) == {Status.SENT: 1}
    assert tasks.retry(later + timedelta(hours=5)) == {}
    sent = Delivery.objects.get(pk=made)
    assert (sent.status, sent.attempts) == (Status.SENT, 3)
    assert [call.signed for call in receiver.calls] == [True, True]  # the 503 and the 200
    assert receiver.calls[0].body == receiver.calls[1].body
    assert receiver.calls[1].headers["X-TokenUI-Delivery"] == str(made)


def test_the_retries_wait_twice_as_long_each_time_up_to_four_hours(settings) -> None:
    settings.NOTICE_RETRY_SECONDS = 60
    waits = [wait_after(n) for n in range(1, 11)]
    minutes = [1, 2, 4, 8, 16, 32, 64, 128, 240, 240]
    assert waits == [timedelta(minutes=m) for m in minutes]


def test_a_delivery_that_keeps_failing_is_given_up_a_day_after_it_was_made(
    inventoried: Make, receiver: Receiver
) -> None:
    webhook_rule(receiver)
    inventoried("six-days", 6)
    receiver.status = 500
    start = timezone.now()
    (made,) = digest.run(start)

    moment, tries = start, 0
    while Delivery.objects.get(pk=made).status == Status.PENDING:
        delivery.attempt(made, moment)
        tries += 1
        moment = Delivery.objects.get(pk=made).next_attempt or moment

    given_up = Delivery.objects.get(pk=made)
    assert given_up.status == Status.FAILED
    assert given_up.finished == start + GIVE_UP_AFTER
    # The first try and 8 more after waits of 1, 2, 4 ... 128 minutes (4h15m), then every 4 hours,
    # the last at the very end of the day: 14 in all.
    assert tries == len(receiver.calls) == 14


def test_a_mail_server_that_refuses_is_on_the_delivery_log_and_retried(
    inventoried: Make, mailbox: Mailbox, staff_client: Callable[..., Client]
) -> None:
    add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))
    inventoried("six-days", 6)
    mailbox.refuse = "554 5.7.1 Relaying refused for the test"
    start = timezone.now()

    assert tasks.send_now(start) == {Status.PENDING: 1}

    page = staff_client(Role.VIEWER).get("/staff/notices/log/").content.decode()
    assert "Pending" in page
    assert "The mail server refused the mail: 554 5.7.1 Relaying refused for the test" in page
    assert "Next attempt" in page
    mailbox.refuse = ""
    assert tasks.retry(start + wait_after(1)) == {Status.SENT: 1}
    assert len(mailbox.messages) == 1
    page = staff_client(Role.VIEWER, name="second").get("/staff/notices/log/").content.decode()
    assert "<strong>Sent</strong>" in page


def test_without_a_mail_server_each_mail_notice_says_so(inventoried: Make, settings) -> None:
    settings.MAILERS = {}
    add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))
    inventoried("six-days", 6)

    tasks.send_now()

    assert Delivery.objects.get().error == NOT_SET_UP


@pytest.mark.parametrize("allowed", [True, False])
def test_a_webhook_to_an_inward_address_is_refused_when_it_is_sent(
    inventoried: Make, receiver: Receiver, settings, allowed: bool
) -> None:
    """A rule made while private addresses were allowed: once they are not, its calls are
    refused before any connection (the name is checked where it resolves, at each call)."""
    spec = RuleSpec(Recipient.WEBHOOK, f"http://localhost:{receiver.port}/x", secret=SECRET)
    add_rule(spec, Staff("test"))
    settings.WEBHOOK_ALLOW_PRIVATE = allowed
    inventoried("six-days", 6)

    ended = tasks.send_now()

    if allowed:
        assert ended == {Status.SENT: 1}
    else:
        assert ended == {Status.PENDING: 1}
        assert receiver.calls == []
        assert "Use https://" in Delivery.objects.get().error
