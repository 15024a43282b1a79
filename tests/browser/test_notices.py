"""The Notices page and the delivery log in a real browser, JavaScript on and off: an admin adds
a rule (a refused webhook first: the message on its field, the input kept, the secret not), and
both screens pass axe-core at 1280 and 390 px without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import js_on
from tests.browser.test_staff import checker, signed_in_as_staff
from tests.notices.conftest import SECRET
from tokenui.notices.models import Delivery, Event, NoticeRule, Status

pytestmark = pytest.mark.django_db(transaction=True)


def screen_checker(page: Page) -> Callable[[str], None]:
    """axe-core and the 390 px check, with JavaScript on (axe-core is a script: with it off, the
    same screens are checked in the js-on run)."""
    check = checker(page)
    return lambda screen: check(screen) if js_on(page) else None


def test_an_admin_adds_a_notice_rule_and_a_mistake_comes_back_on_its_field(
    page_js: Page, app_url: str, settings
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    page, check = page_js, screen_checker(page_js)
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/")
    page.get_by_role("link", name="Notices").click()
    expect(page.get_by_text("No notice rules yet.")).to_be_visible()
    expect(page.get_by_label("Webhook URL")).to_be_hidden()  # E-mail is chosen
    check("notices, none")

    page.get_by_label("A webhook").check()
    page.get_by_label("Webhook URL").fill("https://169.254.169.254/latest")
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_label("Thresholds").fill("30, 7, expired")
    page.get_by_role("button", name="Add rule").click()

    expect(page.get_by_text("inside a private network")).to_be_visible()
    expect(page.get_by_label("Webhook URL")).to_have_value("https://169.254.169.254/latest")
    expect(page.get_by_label("Webhook URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Thresholds")).to_have_value("30, 7, expired")
    expect(page.get_by_label("Secret")).to_have_value("")
    check("notices, a webhook refused")

    page.get_by_label("Webhook URL").fill("https://hooks.example.com/tokenui")
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Added a notice rule: webhook to hooks.example.com.")).to_be_visible()
    expect(page.get_by_text("thresholds 30, 7, expired")).to_be_visible()
    assert NoticeRule.objects.get().days == [30, 7, 0]
    check("notices, one rule")


def test_the_delivery_log_shows_sent_pending_and_failed_notices(
    page_js: Page, app_url: str
) -> None:
    now = timezone.now()
    made = {"event": Event.EXPIRING, "subject": "s", "body": "b", "created": now}
    Delivery.objects.create(
        channel="mail", to="ops@example.com", count=3, status=Status.SENT, finished=now,
        attempts=1, **made,
    )  # fmt: skip
    Delivery.objects.create(
        channel="webhook", to="webhook to hooks.example.com", count=1, attempts=2,
        next_attempt=now + timedelta(minutes=2), error="The receiver returned 503 Service "
        "Unavailable.", **made,
    )  # fmt: skip
    Delivery.objects.create(
        channel="mail", to="gone@example.com", count=1, status=Status.FAILED, attempts=14,
        finished=now, error="The mail server refused the address: 550 No such user", **made,
    )  # fmt: skip
    page, check = page_js, screen_checker(page_js)
    signed_in_as_staff(page, app_url, User.objects.create_superuser("admin", password="x-1"))
    page.goto(f"{app_url}/staff/notices/")
    page.get_by_role("link", name="Delivery log").click()

    expect(page.get_by_text("The receiver returned 503 Service Unavailable.")).to_be_visible()
    expect(page.get_by_text("Next attempt")).to_be_visible()
    expect(page.get_by_text("550 No such user")).to_be_visible()
    check("delivery log")
