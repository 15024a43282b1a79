"""Rotation's last step (issue 17 item 20): **Revoke the old token now** asks first, as every
revoke does (Cancel before the button that revokes; a dialog with JavaScript, a page without),
naming the old token as it is called now; after **Later**, the *rotated, not yet revoked* mark
leads back to the step. WHM and cPanel, JavaScript on and off, focus checked at each step."""

from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    OWNERS,
    axe_violations,
    has_focus,
    js_on,
    open_table,
    press,
    settled_on_cancel,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db(transaction=True)

OLD = {"whm": "billing-bot", "cpanel": "deploy-script"}
NAME_LABEL = {"whm": "Name", "cpanel": "New API Token Name"}
REVOKE = {"whm": "Continue", "cpanel": "Yes, Revoke The Token"}


def still_there(sim: Simulator, system: str, name: str) -> bool:
    if system == "whm":
        return sim.store.token(OWNERS[system], name) is not None
    return sim.store.cpanel_token(OWNERS[system], name) is not None


def rename(sim: Simulator, system: str, name: str, new_name: str) -> None:
    """As another tool (or WHM's own page) would, behind the dashboard's back."""
    if system == "whm":
        token = sim.store.token(OWNERS[system], name)
        sim.store.replace_token(name, dataclasses.replace(token, name=new_name))
    else:
        assert sim.store.rename_cpanel_token(OWNERS[system], name, new_name)


def rotate(page: Page, system: str) -> str:
    """Rotate the system's old token from its table; the successor's name. Ends on its secret."""
    old = OLD[system]
    press(page, page.get_by_role("link", name=f"Rotate {old}"))
    page.get_by_label(NAME_LABEL[system], exact=True).fill(f"{old}-2")
    press(page, page.get_by_role("button", name="Rotate", exact=True))
    heading = page.get_by_role("heading", name="API Token Rotated")
    expect(heading).to_be_visible()
    has_focus(page, heading)  # the secret page opens on its heading (item 12)
    return f"{old}-2"


def question(page: Page, script: bool):
    """The question, as a dialog (JavaScript) or a page of its own."""
    where = page.locator("#dialog") if script else page.locator("main")
    expect(where.get_by_role("heading", name="Revoke API Token")).to_be_visible()
    settled_on_cancel(page, where, script)
    return where


@pytest.mark.parametrize("system", ["whm", "cpanel"])
def test_revoke_the_old_token_now_asks_first_naming_it_as_it_is_called_now(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    open_table(page, app_url, system)
    script = js_on(page)
    rotate(page, system)
    now_called = f"{OLD[system]}-legacy"
    rename(cpanel, system, OLD[system], now_called)

    asking = page.get_by_role("button", name="Revoke the old token now")
    press(page, asking)
    asked = question(page, script)
    expect(asked).to_contain_text(
        f"Are you certain that you want to revoke the API token, “{now_called}”?"
    )
    cancel = asked.get_by_role("button" if script else "link", name="Cancel")
    has_focus(page, cancel)  # on Cancel, never on the button that revokes
    page.keyboard.press("Tab")
    has_focus(page, asked.get_by_role("button", name=REVOKE[system]))  # Cancel comes first
    if script:  # axe-core runs in the page: it needs JavaScript
        assert axe_violations(page) == []
    press(page, cancel)
    assert still_there(cpanel, system, now_called)
    if script:  # the dialog closes on the secret, still there, and focus goes back
        expect(page.locator("#dialog")).to_be_hidden()
        expect(page.locator("#secret")).to_be_visible()
        has_focus(page, asking)
    else:  # back to the step, a page of its own
        has_focus(page, page.get_by_role("heading", name="Rotate API Token"))

    press(page, page.get_by_role("button", name="Revoke the old token now"))
    press(page, question(page, script).get_by_role("button", name=REVOKE[system]))
    said = f"The API token “{now_called}” has been revoked."
    if script:
        news = page.get_by_role("heading", name="Rotation complete")
        expect(page.locator("#next-steps")).to_contain_text(said)
        has_focus(page, news)
    else:
        expect(page.locator("#messages")).to_contain_text(said)
        has_focus(page, page.locator("#messages"))
    assert not still_there(cpanel, system, now_called)


@pytest.mark.parametrize("system", ["whm", "cpanel"])
def test_after_later_the_rotated_mark_leads_back_to_the_last_step(
    page_js: Page, app_url: str, cpanel: Simulator, system: str
) -> None:
    page = page_js
    table = open_table(page, app_url, system)
    script = js_on(page)
    old = OLD[system]
    successor = rotate(page, system)
    press(page, page.get_by_role("link", name="Later"))
    expect(page).to_have_url(re.compile(re.escape(table)))

    mark = page.locator(f"#token-{old}").get_by_role("link", name=re.compile("rotated, not yet"))
    press(page, mark)
    step = page.get_by_role("heading", name="Rotate API Token")
    has_focus(page, step)
    expect(page.locator("main")).to_contain_text(f"Then revoke the old token “{old}”.")
    expect(page.locator("#secret")).to_have_count(0)  # the secret was shown once, not here
    if script:
        assert axe_violations(page) == []

    # Later again dismisses it: nothing revoked, the mark still there.
    press(page, page.get_by_role("link", name="Later"))
    mark = page.locator(f"#token-{old}").get_by_role("link", name=re.compile("rotated, not yet"))
    expect(mark).to_be_visible()
    assert still_there(cpanel, system, old)

    press(page, mark)
    press(page, page.get_by_role("button", name="Revoke the old token now"))
    asked = question(page, script)
    expect(asked).to_contain_text(f"revoke the API token, “{old}”?")
    press(page, asked.get_by_role("button", name=REVOKE[system]))
    if script:
        has_focus(page, page.get_by_role("heading", name="Rotation complete"))
        expect(page.locator("#next-steps")).to_contain_text(f"Only “{successor}” works now.")
    else:
        has_focus(page, page.locator("#messages"))
        expect(page.locator("#messages")).to_contain_text(f"Only “{successor}” works now.")
    assert not still_there(cpanel, system, old)
    page.goto(table)
    expect(page.get_by_text("rotated, not yet revoked")).to_have_count(0)
