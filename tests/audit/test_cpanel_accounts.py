"""The audit trail of cPanel token work: *WHM user X on cPanel account Y* and *cPanel user Y*,
the account filter on the page (an account's owner also sees what its own user did), and the
export's account column and filter."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.helpers import CPANEL_RESELLERS, CPANEL_ROOTS, sign_in_data, text
from tokenui.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CUSTOMER = CPANEL_RESELLERS[0][0]  # the demo reseller's
ROOTS = CPANEL_ROOTS[0][0]  # root's


def add(user: str, *, service: str = "whm", account: str = "", **fields) -> AuditEvent:
    values = {
        "at": timezone.now(),
        "server": "simulator",
        "auth_kind": "password",
        "action": "create",
        "token_names": ["t"],
        "outcome": "succeeded",
    }
    return AuditEvent.objects.create(
        whm_user=user, service=service, account=account, **(values | fields)
    )


def row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="audit-(\d+)"', page)]


@pytest.mark.parametrize(
    ("user", "service", "account", "words"),
    [
        ("reseller", "whm", "", "WHM user reseller"),
        ("reseller", "whm", "shop", "WHM user reseller on cPanel account shop"),
        ("shop", "cpanel", "shop", "cPanel user shop"),
    ],
)
def test_who_says_who_acted_and_on_which_account(
    user: str, service: str, account: str, words: str
) -> None:
    assert add(user, service=service, account=account).who == words


def test_the_account_filter_picks_one_accounts_entries(reseller_client: Client) -> None:
    on_customer = add("reseller", account=CUSTOMER)
    on_other = add("reseller", account=f"{CUSTOMER}x")
    whm_own = add("reseller", action="generate")
    page = reseller_client.get("/audit/").content.decode()
    assert {on_customer.pk, on_other.pk, whm_own.pk} <= set(row_ids(page))
    assert f"WHM user reseller on cPanel account {CUSTOMER}" in text(page)
    page = reseller_client.get("/audit/", {"account": CUSTOMER}).content.decode()
    assert row_ids(page) == [on_customer.pk]


def test_an_owner_filtering_by_their_account_also_sees_its_users_entries(
    reseller_client: Client,
) -> None:
    by_customer = add(CUSTOMER, service="cpanel", account=CUSTOMER)
    by_root_account = add(ROOTS, service="cpanel", account=ROOTS)
    assert by_customer.pk not in row_ids(reseller_client.get("/audit/").content.decode())
    page = reseller_client.get("/audit/", {"account": CUSTOMER}).content.decode()
    assert by_customer.pk in row_ids(page)
    assert f"cPanel user {CUSTOMER}" in text(page)
    # Not the reseller's account: its user's entries stay its own.
    page = reseller_client.get("/audit/", {"account": ROOTS}).content.decode()
    assert by_root_account.pk not in row_ids(page)


def test_a_cpanel_user_sees_only_their_own_entries(client: Client, cpanel) -> None:
    user, password = CPANEL_ROOTS[0]
    assert client.post("/sign-in/", sign_in_data(user, password, cpanel=True)).status_code == 302
    same_name_on_whm = add(user)
    by_owner = add("root", account=user)
    page = client.get("/audit/").content.decode()
    ids = row_ids(page)
    assert same_name_on_whm.pk not in ids
    assert by_owner.pk not in ids
    assert f"cPanel user {user}" in text(page)  # their own sign-in


def test_a_bad_account_filter_is_said_on_its_field(reseller_client: Client) -> None:
    response = reseller_client.get("/audit/", {"account": "a b"})
    assert response.status_code == 422
    assert "cPanel account names hold only" in text(response.content.decode())


def test_export_has_the_account_and_filters_by_it() -> None:
    add("reseller", account=CUSTOMER)
    add("reseller")
    add(CUSTOMER, service="cpanel", account=CUSTOMER)
    out = io.StringIO()
    call_command("export_audit", "--account", CUSTOMER, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["service"], line["whm_user"]) for line in lines] == [
        ("whm", "reseller"),
        ("cpanel", CUSTOMER),
    ]
    assert {line["account"] for line in lines} == {CUSTOMER}
