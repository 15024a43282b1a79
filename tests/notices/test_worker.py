"""The notices in a real worker process (`manage.py worker`, on each backend): its schedule
sends the day's digest on its own, to the real SMTP server and HTTP receiver of this test; the
receiver, down when the digest goes, gets its notice once it is back (the retries, a second
apart here: NOTICE_RETRY_SECONDS=1); and nothing is sent twice."""

from __future__ import annotations

from collections.abc import Callable

from tests.inventory.test_workers import Workers, wait_for, workers  # noqa: F401 - a fixture
from tests.notices.conftest import SECRET, Mailbox, Receiver
from tokenui.audit.trail import Staff
from tokenui.inventory.models import InventoryToken
from tokenui.notices.models import Delivery, NoticeDay, Recipient, Status
from tokenui.notices.rules import RuleSpec, add_rule


def test_a_worker_sends_the_daily_digest_and_retries_a_receiver_that_was_down(
    workers: Workers,  # noqa: F811
    inventoried: Callable[..., InventoryToken],
    mailbox: Mailbox,
    receiver: Receiver,
) -> None:
    add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))
    add_rule(RuleSpec(Recipient.WEBHOOK, receiver.url, secret=SECRET), Staff("test"))
    inventoried("six-days", 6)
    receiver.down()

    workers.start(
        "notices",
        EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
        WEBHOOK_ALLOW_PRIVATE="true",
        NOTICE_RETRY_SECONDS="1",
    )
    wait_for("the digest mail", lambda: len(mailbox.messages) == 1, workers)
    wait_for("a failed webhook call", lambda: _webhook().attempts >= 1, workers)
    assert "connection refused" in _webhook().error
    receiver.up()
    wait_for("the webhook, once back", lambda: _webhook().status == Status.SENT, workers)

    (call,) = receiver.calls
    assert call.signed
    assert "six-days" in mailbox.texts()[0]
    assert NoticeDay.objects.count() == 1
    assert Delivery.objects.filter(status=Status.SENT).count() == 2


def _webhook() -> Delivery:
    return Delivery.objects.get(channel="webhook")
