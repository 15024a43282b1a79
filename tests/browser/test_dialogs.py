"""Confirmations close through the platform: a <form method="dialog"> in the dialog htmx opened,
links back to the table on a page of their own."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, sign_in
from tests.helpers import DEMO_ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def open_revoke_expired(page: Page) -> None:
    page.get_by_role("button", name="Table actions").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Revoke Expired").focus()
    page.keyboard.press("Enter")


def test_a_dialog_with_nothing_to_revoke_closes_on_close_and_gives_focus_back(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    dialog = page.locator("dialog#dialog")
    open_revoke_expired(page)
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#token-old-migration")).to_have_count(0)

    open_revoke_expired(page)
    expect(dialog).to_contain_text("There are no expired API tokens to revoke.")
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Table actions")).to_be_focused()
    expect(dialog.locator("*")).to_have_count(0)  # the stale question does not stay in the page


def test_a_question_opened_as_a_page_cancels_through_a_link_to_the_table(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, *DEMO_ROOT)
    page.goto(f"{app_url}/tokens/revoke-all/")
    cancel = page.get_by_role("link", name="Cancel")
    expect(cancel).to_be_focused()
    expect(page.locator("#dialog-close")).to_have_count(0)
    cancel.click()
    expect(page).to_have_url(f"{app_url}/tokens/")
    expect(page.locator("#token-reporting")).to_be_visible()
