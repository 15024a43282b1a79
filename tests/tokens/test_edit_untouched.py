"""Edit changes only what the user changed: the expiry's exact time, a full-access token's
inherited rights and WHM's stored IP list survive a save that did not touch them (issue 9:
items 3, 9 and 13). Each form is posted back as the page drew it, against the simulator."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.helpers import checked, input_value, textarea_value
from tokenui.simulator import Simulator
from tokenui.simulator.seed import DEMO_WHITELIST

pytestmark = pytest.mark.django_db


def as_drawn(client: Client, name: str) -> dict[str, object]:
    """The Edit form's fields as the page fills them, posted as a browser does (CRLF lines)."""
    page = client.get(f"/tokens/{name}/edit/").text
    return {
        "name": input_value(page, "name"),
        "expiry": checked(page, "expiry")[0],
        "expires_on": input_value(page, "expires_on") or "",
        "whitelist_ips": (textarea_value(page, "whitelist_ips") or "").replace("\n", "\r\n"),
        "acls": checked(page, "acls"),
    }


def update_params(whm: Simulator) -> dict:
    (update,) = [r for r in whm.requests() if r.function == "api_token_update"]
    return update.params


def test_saving_an_untouched_token_keeps_its_exact_expiry(
    root_client: Client, whm: Simulator
) -> None:
    expires_at = int(time.time()) + 40 * 86400 + 1234  # not the end of a day
    whm.store.add_token(
        "root",
        "odd-time",
        acls=("list-accts",),
        create_time=int(time.time()),
        expires_at=expires_at,
    )
    form = as_drawn(root_client, "odd-time")
    whm.clear_requests()

    response = root_client.post("/tokens/odd-time/edit/", form)

    assert response.status_code == 302
    assert "expires_at" not in update_params(whm)
    assert whm.store.token("root", "odd-time").expires_at == expires_at


def test_an_expired_token_can_be_renamed_without_picking_a_new_date(
    root_client: Client, whm: Simulator
) -> None:
    expired_at = whm.store.token("root", "old-migration").expires_at
    form = as_drawn(root_client, "old-migration") | {"name": "old-migration-2024"}
    whm.clear_requests()

    response = root_client.post("/tokens/old-migration/edit/", form)

    assert response.status_code == 302
    assert update_params(whm)["new_name"] == "old-migration-2024"
    assert "expires_at" not in update_params(whm)
    assert whm.store.token("root", "old-migration-2024").expires_at == expired_at


def test_a_changed_date_is_sent(root_client: Client, whm: Simulator) -> None:
    form = as_drawn(root_client, "old-migration")
    whm.clear_requests()

    root_client.post("/tokens/old-migration/edit/", form | {"expires_on": "2099-01-31"})

    assert int(update_params(whm)["expires_at"]) > time.time()


@pytest.mark.parametrize("user_client", ["root_client", "reseller_client"])
def test_an_untouched_full_access_token_stays_full_access(
    request: pytest.FixtureRequest, whm: Simulator, user_client: str
) -> None:
    client: Client = request.getfixturevalue(user_client)
    user = "root" if user_client == "root_client" else "reseller"
    form = as_drawn(client, "automation") | {"name": "automation-2"}
    whm.clear_requests()

    response = client.post("/tokens/automation/edit/", form)

    assert response.status_code == 302
    assert not any(key.startswith("acl") for key in update_params(whm))
    assert whm.store.token(user, "automation-2").full_access


def test_changed_privileges_are_sent_as_a_list(root_client: Client, whm: Simulator) -> None:
    form = as_drawn(root_client, "automation") | {"acls": ["list-accts"]}
    whm.clear_requests()

    root_client.post("/tokens/automation/edit/", form)

    assert update_params(whm)["acl-0"] == "list-accts"
    assert not whm.store.token("root", "automation").full_access


def test_an_untouched_ip_list_is_sent_back_exactly_as_whm_stores_it(
    root_client: Client, whm: Simulator
) -> None:
    form = as_drawn(root_client, "billing-bot")
    whm.clear_requests()

    root_client.post("/tokens/billing-bot/edit/", form)

    params = update_params(whm)
    sent = [params[f"whitelist_ip-{n}"] for n in range(len(DEMO_WHITELIST))]
    assert sent == list(DEMO_WHITELIST)  # IPv6 fully expanded, as stored
    assert form["whitelist_ips"] == "\r\n".join(DEMO_WHITELIST)  # Edit's field holds it as is
