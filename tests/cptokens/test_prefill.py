"""cPanel's Create form filled in by a link (?name=N&expires=YYYY-MM-DD|never), by Copy link to
this form without JavaScript, and by "Generate a token like this", over real HTTP to the
simulator's cPanel: opening the form never creates anything."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    checked,
    field_errors,
    form_post,
    input_value,
    sign_in_data,
    text,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

USER = CPANEL_ROOTS[0][0]
CREATE = "/cpanel/tokens/create/"
CUSTOMER = CPANEL_RESELLERS[0][0]
VIA_CREATE = f"/cpanel/accounts/{CUSTOMER}/tokens/create/"
CPANEL_WRITES = {"create_full_access", "rename", "revoke"}


def cpanel_writes(sim: Simulator) -> list:
    """The calls that change an account's tokens: direct (`Tokens::NAME`) or through WHM."""
    return [
        r
        for r in sim.requests()
        if r.function.removeprefix("Tokens::") in CPANEL_WRITES
        or (r.function == "uapi_cpanel" and r.params.get("cpanel.function") in CPANEL_WRITES)
    ]


def test_cpanel_writes_sees_a_create(cp_client: Client, cpanel: Simulator) -> None:
    # The check the tests below rely on, shown to catch a real create.
    response = form_post(cp_client, CREATE, {"name": "seen", "expiry": "never", "expires_on": ""})
    assert response.status_code == 200
    assert [r.function for r in cpanel_writes(cpanel)] == ["Tokens::create_full_access"]


def names(sim: Simulator, user: str) -> set[str]:
    return {t.name for t in sim.store.cpanel_tokens(user)}


def test_link_fills_in_name_and_date(cp_client: Client, cpanel: Simulator) -> None:
    before = names(cpanel, USER)
    day = (date.today() + timedelta(days=10)).isoformat()
    url = f"{CREATE}?{urlencode({'name': 'site-sync', 'expires': day})}"
    response = cp_client.get(url)
    assert response.status_code == 200
    page = response.text
    assert input_value(page, "name") == "site-sync"
    assert checked(page, "expiry") == ["date"]
    assert input_value(page, "expires_on") == day
    assert 'id="form-link-url"' in page
    assert names(cpanel, USER) == before
    assert cpanel_writes(cpanel) == []


def test_link_never_and_bad_values_show_on_their_fields(
    cp_client: Client, cpanel: Simulator
) -> None:
    page = cp_client.get(f"{CREATE}?name=deploy-script&expires=never").text
    assert checked(page, "expiry") == ["never"]
    assert field_errors(page, "name") == [
        "A conflicting API token with the name “deploy-script” already exists."
    ]
    page = cp_client.get(f"{CREATE}?name=%3Cscript%3E&expires=1999-01-01").text
    assert "<script>" not in page.split("<main", 1)[1]
    assert field_errors(page, "name")[0].startswith("This name contains “<” and “>”")
    assert field_errors(page, "expires_on")[0].startswith("The expiration date must be today")
    assert cpanel_writes(cpanel) == []


def test_link_privileges_and_ips_are_left_out_and_said(cp_client: Client) -> None:
    page = cp_client.get(f"{CREATE}?name=x&acl=all&ip=192.0.2.1&preset=dns").text
    assert "cPanel's API tokens have no privileges, IP addresses or role presets" in text(page)
    assert 'name="acls"' not in page
    assert 'name="whitelist_ips"' not in page


def test_copy_link_without_javascript_lands_on_the_link(
    cp_client: Client, cpanel: Simulator
) -> None:
    data = {"name": "site-sync", "expiry": "never", "expires_on": "", "copy_link": "1"}
    response = form_post(cp_client, CREATE, data)
    assert response.status_code == 302
    location = response["Location"]
    assert urlsplit(location).path == CREATE
    assert parse_qs(urlsplit(location).query) == {"name": ["site-sync"], "expires": ["never"]}
    page = cp_client.get(location).text
    assert input_value(page, "name") == "site-sync"
    assert checked(page, "expiry") == ["never"]
    assert cpanel_writes(cpanel) == []


def test_like_this_gives_a_fresh_name_and_the_same_kind_of_expiry(
    cp_client: Client, cpanel: Simulator
) -> None:
    page = cp_client.get(f"{CREATE}?like=deploy-script").text
    assert input_value(page, "name") == "deploy-script-2"
    assert "Filled in like the API token “deploy-script”" in text(page)
    page = cp_client.get(f"{CREATE}?like=stats-reader").text
    assert "cPanel's Create makes full-access tokens only" in text(page)
    assert cpanel_writes(cpanel) == []


def test_rows_offer_generate_a_token_like_this(cp_client: Client) -> None:
    page = cp_client.get("/cpanel/tokens/").text
    assert re.search(
        rf'<a href="{CREATE}\?like=deploy-script"[^>]*>Generate a token like this</a>', page
    )


def test_operator_link_fills_the_customers_form_and_writes_nothing(
    operator_client: Client, cpanel: Simulator
) -> None:
    page = operator_client.get(f"{VIA_CREATE}?name=from-support&expires=never").text
    assert input_value(page, "name") == "from-support"
    assert cpanel_writes(cpanel) == []


def test_link_survives_the_customers_cpanel_sign_in(client: Client, cpanel: Simulator) -> None:
    url = f"{CREATE}?{urlencode({'name': 'from-support', 'expires': 'never'})}"
    response = client.get(url)
    assert response.status_code == 302
    sign_in = response["Location"]
    assert parse_qs(urlsplit(sign_in).query)["next"] == [url]
    signed = client.post(sign_in, sign_in_data(*CPANEL_ROOTS[0], cpanel=True))
    assert signed["Location"] == url
    assert input_value(client.get(url).text, "name") == "from-support"


def test_cpanel_sign_in_still_refuses_a_next_off_its_pages(
    client: Client, cpanel: Simulator
) -> None:
    for target in ("/tokens/new/?name=x", "//evil.example/cpanel/tokens/", "/audit/"):
        signed = client.post(
            f"/sign-in/?{urlencode({'next': target})}",
            sign_in_data(*CPANEL_ROOTS[0], cpanel=True),
        )
        assert signed["Location"] == "/cpanel/tokens/", target
        client.post("/sign-out/")
