"""WHM's refusals on Generate and Edit: the whole reason, shown on the field it is about.

WHM writes each as `The system failed to create the API token: DETAIL` (…update…); older servers
and simulators send the detail alone, so both shapes are tried. A stub WHM at the network edge
stages the refusal that the form's own checks would otherwise stop first.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from tests.helpers import (
    StubReply,
    StubWhm,
    api_reply,
    field_errors,
    form_post,
    non_field_errors,
    sign_in_data,
)

pytestmark = pytest.mark.django_db

NEW = "/tokens/new/"
EDIT = "/tokens/billing-bot/edit/"
TYPED = {
    "name": "kept-name",
    "expiry": "date",
    "expires_on": (date.today() + timedelta(days=30)).isoformat(),
    "whitelist_ips": "192.0.2.77",
    "acls": ["list-accts"],
}
DETAILS = [
    ("A conflicting API token with the name “kept-name” already exists.", "name"),
    ("An API token with the name “kept-name” already exists.", "name"),
    (
        (
            "“kept-name” is not a valid API token name. An API token name must not be longer "
            "than 50 characters and may only contain the following characters: a-z A-Z 0-9 _ -"
        ),
        "name",
    ),
    ("Invalid or unauthorized ACL specified: list-accts", "acls"),
    ("Invalid or unauthorized ACLs specified: a, b, and c", "acls"),
    ("The “1609372800” value must be a future date.", "expires_on"),
    ("“abc” is not a valid UNIX epoch timestamp.", "expires_on"),
    ("Invalid IP address or CIDR range specified: 192.0.2.77", "whitelist_ips"),
    ("You have entered “101” IP addresses, which is above the limit of 100.", "whitelist_ips"),
    ("Specify a new name, updated ACLs, or IPs.", None),
    ("Disk quota exceeded", None),
]


def refusal(function: str, reason: str) -> StubReply:
    body = {"metadata": {"command": function, "reason": reason, "result": 0, "version": 1}}
    return StubReply(200, "application/json", json.dumps(body | {"data": {}}).encode())


@pytest.fixture
def refusing_whm(client: Client, stub_whm: StubWhm, settings) -> StubWhm:
    settings.WHM_SERVERS = {"simulator": stub_whm.url}
    record = {
        "name": "billing-bot",
        "create_time": 1_700_000_000,
        "expires_at": None,
        "acls": {"all": 0, "list-accts": 1},
    }
    stub_whm.replies = {
        "myprivs": api_reply("myprivs", {"privileges": [{"all": 1}]}),
        "api_token_list": api_reply("api_token_list", {"tokens": {"billing-bot": record}}),
    }
    assert form_post(client, "/sign-in/", sign_in_data("root", "any-password")).status_code == 302
    return stub_whm


@pytest.mark.parametrize("prefixed", [True, False], ids=["whm-prefix", "detail-only"])
@pytest.mark.parametrize(("detail", "field"), DETAILS)
@pytest.mark.parametrize(
    ("url", "function", "verb"),
    [(NEW, "api_token_create", "create"), (EDIT, "api_token_update", "update")],
    ids=["generate", "edit"],
)
def test_whms_whole_reason_is_shown_on_its_field(
    client: Client,
    refusing_whm: StubWhm,
    url: str,
    function: str,
    verb: str,
    detail: str,
    field: str | None,
    prefixed: bool,
) -> None:
    reason = f"The system failed to {verb} the API token: {detail}" if prefixed else detail
    refusing_whm.replies[function] = refusal(function, reason)
    client.get(url)

    response = form_post(client, url, TYPED)

    assert response.status_code == 422
    page = response.text
    shown = field_errors(page, field) if field else non_field_errors(page)
    assert reason in shown
    assert refusing_whm.log.count(function) == 1
    assert 'value="kept-name"' in page  # the input is kept


def test_a_date_reason_for_a_token_that_never_expires_is_not_hidden_with_the_date(
    client: Client, refusing_whm: StubWhm
) -> None:
    reason = "The system failed to create the API token: “0” is not a valid UNIX epoch timestamp."
    refusing_whm.replies["api_token_create"] = refusal("api_token_create", reason)
    client.get(NEW)

    response = form_post(client, NEW, TYPED | {"expiry": "never", "expires_on": ""})

    assert reason in non_field_errors(response.text)
