"""Role presets, prefilled links and "Generate a token like this" on the Generate form, over
the Django test client against the WHM simulator: what the form shows, and that opening or
filling it never changes anything in WHM."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from tests.helpers import (
    DEMO_RESELLER,
    RESELLER_HELD,
    checked,
    field_errors,
    form_post,
    input_value,
    sign_in_data,
    text,
    textarea_value,
    writes,
)
from tokenui.acls import ACLS_BY_KEY
from tokenui.presets import PRESETS, PRESETS_BY_KEY
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

NEW = "/tokens/new/"


def link(**params: object) -> str:
    return f"{NEW}?{urlencode(params, doseq=True)}"


def preset_note(page: str) -> str:
    match = re.search(r'<p id="preset-note"[^>]*>(.*?)</p>', page, re.S)
    assert match, "no preset note"
    return text(match.group(1))


def preset_errors(page: str) -> list[str]:
    match = re.search(r'<ul class="errorlist" id="preset-errors">(.*?)</ul>', page, re.S)
    return [text(li) for li in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []


def form_data(page: str) -> dict[str, object]:
    """The Generate form's values as the page shows them (what a browser would post)."""
    return {
        "name": input_value(page, "name"),
        "expiry": checked(page, "expiry")[0],
        "expires_on": input_value(page, "expires_on"),
        "whitelist_ips": textarea_value(page, "whitelist_ips"),
        "acls": checked(page, "acls"),
    }


# --- the presets as data ---------------------------------------------------------------------


def test_every_preset_acl_is_in_whms_catalogue() -> None:
    for preset in PRESETS:
        assert preset.acls, preset.key
        assert all(key in ACLS_BY_KEY for key in preset.acls), preset.key
        assert preset.source, preset.key


def test_the_presets_are_the_issues_five_roles() -> None:
    assert set(PRESETS_BY_KEY) == {"billing", "dns", "monitoring", "backup", "dns-cluster"}


# --- presets: links and the JavaScript-off round trip ----------------------------------------


def test_every_preset_link_ticks_exactly_its_privileges_for_root(root_client: Client) -> None:
    for preset in PRESETS:
        page = root_client.get(link(preset=preset.key)).text
        assert checked(page, "acls") == list(preset.acls) or set(checked(page, "acls")) == set(
            preset.acls
        ), preset.key
        assert preset_note(page) == f"“{preset.title}”: its privileges are ticked."


def test_preset_for_a_reseller_ticks_what_it_holds_and_names_the_rest(
    reseller_client: Client,
) -> None:
    page = reseller_client.get(link(preset="billing")).text
    billing = PRESETS_BY_KEY["billing"]
    assert set(checked(page, "acls")) == set(billing.acls) & RESELLER_HELD
    assert "kill-acct" not in checked(page, "acls")
    assert preset_note(page) == (
        "“Billing system provisioning accounts (WHMCS-like)” needs privileges that you do not "
        "hold: Terminate Accounts and Upgrade/Downgrade Accounts. Its other privileges are ticked."
    )
    assert field_errors(page, "acls") == []


def test_preset_the_reseller_holds_nothing_of_ticks_nothing_and_says_so(
    reseller_client: Client,
) -> None:
    page = reseller_client.get(link(preset="dns-cluster")).text
    assert checked(page, "acls") == []
    assert preset_note(page) == (
        "“DNS cluster member” needs a privilege that you do not hold: DNS Clustering. "
        "Nothing is ticked."
    )


def test_preset_round_trip_without_javascript_keeps_the_other_input(
    reseller_client: Client, whm: Simulator
) -> None:
    data = {
        "name": "dns-bot",
        "expiry": "date",
        "expires_on": "2031-02-03",
        "whitelist_ips": "192.0.2.7",
        "acls": ["list-accts"],
        "apply_preset": "dns",
    }
    response = form_post(reseller_client, NEW, data)
    assert response.status_code == 200
    page = response.text
    assert set(checked(page, "acls")) == {"create-dns", "edit-dns", "manage-dns-records"}
    assert input_value(page, "name") == "dns-bot"
    assert input_value(page, "expires_on") == "2031-02-03"
    assert textarea_value(page, "whitelist_ips") == "192.0.2.7"
    assert 'aria-pressed="true"' in re.search(r'<button[^>]*value="dns"[^>]*>', page).group(0)
    assert "Remove DNS Zones and Park DNS Zones" in preset_note(page)
    assert writes(whm) == []


def test_a_posted_form_cannot_add_a_privilege_the_user_lacks(
    reseller_client: Client, whm: Simulator
) -> None:
    # A forged Generate post: the preset's unheld privileges are refused, never sent.
    data = {
        "name": "forged",
        "expiry": "never",
        "expires_on": "",
        "whitelist_ips": "",
        "acls": ["list-accts", "kill-acct"],
        "preset": "billing",
    }
    response = form_post(reseller_client, NEW, data)
    assert response.status_code == 422
    assert field_errors(response.text, "acls") == [
        "This token cannot have a privilege that you do not hold: Terminate Accounts (kill-acct)."
    ]
    assert writes(whm) == []


def test_unknown_preset_is_named_on_the_presets(root_client: Client) -> None:
    page = root_client.get(link(preset="<b>nope</b>")).text
    assert "<b>nope</b>" not in page
    (error,) = preset_errors(page)
    assert error.startswith("There is no role preset “<b>nope</b>”. The presets are “billing”")


# --- prefilled links -------------------------------------------------------------------------


def test_link_fills_in_every_field_and_shows_itself(root_client: Client, whm: Simulator) -> None:
    day = (date.today() + timedelta(days=30)).isoformat()
    url = link(
        name="ci-deploy",
        acl=["list-accts", "create-acct"],
        ip=["192.0.2.10", "198.51.100.0/24"],
        expires=day,
    )
    response = root_client.get(url)
    assert response.status_code == 200
    page = response.text
    assert form_data(page) == {
        "name": "ci-deploy",
        "expiry": "date",
        "expires_on": day,
        "whitelist_ips": "192.0.2.10\n198.51.100.0/24",
        "acls": ["list-accts", "create-acct"],
    }
    assert input_value(page, "form-link-url") is None  # readonly box has an id, not a name
    assert f'value="http://testserver{url.replace("&", "&amp;")}"' in page
    assert writes(whm) == []


def test_link_without_a_name_shows_no_missing_name(root_client: Client) -> None:
    page = root_client.get(link(acl="list-accts")).text
    assert field_errors(page, "name") == []
    assert checked(page, "acls") == ["list-accts"]
    # The default expiry, as in an empty form: one year.
    assert checked(page, "expiry") == ["date"]


def test_link_with_never_expires(root_client: Client) -> None:
    page = root_client.get(link(name="x", expires="never")).text
    assert checked(page, "expiry") == ["never"]


def test_link_with_empty_acl_ticks_nothing(root_client: Client) -> None:
    page = root_client.get(link(name="x", acl="")).text
    assert checked(page, "acls") == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"name": "bad name!"},
            "name",
            "This name contains a space and “!”.",
        ),
        ({"acl": ["nope"]}, "acls", "“nope” is not a WHM privilege, so the form leaves it out."),
        (
            {"ip": ["300.1.1.1"]},
            "whitelist_ips",
            "“300.1.1.1” is not an IP address or CIDR range.",
        ),
        ({"expires": "2020-01-01"}, "expires_on", "The expiration date must be today"),
        ({"expires": "soon"}, "expires_on", "Enter the date as YYYY-MM-DD"),
        ({"expires": "2031-02-30"}, "expires_on", "“2031-02-30” is not a date"),
    ],
)
def test_link_values_that_fail_show_as_errors_on_their_fields(
    root_client: Client, whm: Simulator, params: dict, field: str, message: str
) -> None:
    response = root_client.get(link(**params))
    assert response.status_code == 200
    errors = field_errors(response.text, field)
    assert any(error.startswith(message) for error in errors), errors
    assert writes(whm) == []


def test_link_acl_the_reseller_lacks_is_named_by_whms_label(
    reseller_client: Client, whm: Simulator
) -> None:
    page = reseller_client.get(link(acl=["list-accts", "kill-acct"])).text
    assert field_errors(page, "acls") == [
        "This token cannot have a privilege that you do not hold: Terminate Accounts (kill-acct)."
    ]
    assert checked(page, "acls") == ["list-accts"]
    assert writes(whm) == []


def test_link_with_preset_and_acls_ticks_the_acls_and_marks_the_preset(root_client: Client) -> None:
    page = root_client.get(link(preset="dns", acl=["edit-dns"])).text
    assert checked(page, "acls") == ["edit-dns"]
    assert 'id="preset-chosen" value="dns"' in page


def pressed(page: str) -> list[str]:
    """The presets whose buttons show pressed (aria-pressed="true")."""
    buttons = re.findall(r'<button[^>]*name="apply_preset"[^>]*>', page)
    return [
        re.search(r'value="([^"]*)"', b).group(1) for b in buttons if 'aria-pressed="true"' in b
    ]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"preset": "dns", "acl": ["edit-dns"]}, []),  # issue 17: 1 of its 5 privileges
        ({"preset": "dns"}, ["dns"]),
        ({"acl": list(PRESETS_BY_KEY["dns"].acls)}, ["dns"]),  # no preset named: the same boxes
        ({"preset": "dns", "acl": [*PRESETS_BY_KEY["dns"].acls, "list-accts"]}, []),  # one more
        ({"acl": ["clustering"]}, ["dns-cluster"]),
        ({}, []),  # the form's own default: every privilege but "all"
    ],
)
def test_a_preset_shows_pressed_only_when_the_boxes_are_exactly_its_own(
    root_client: Client, query: dict, shown: list[str]
) -> None:
    assert pressed(root_client.get(link(**query)).text) == shown


def test_a_reseller_s_preset_is_pressed_with_the_part_of_it_they_hold(
    reseller_client: Client,
) -> None:
    assert pressed(reseller_client.get(link(preset="dns")).text) == ["dns"]
    # Holding none of "DNS cluster member", the reseller gets nothing ticked, and no preset shown.
    assert pressed(reseller_client.get(link(preset="dns-cluster")).text) == []


def test_a_preset_applied_without_javascript_is_pressed_until_a_box_differs(
    reseller_client: Client,
) -> None:
    data = {"name": "dns-bot", "expiry": "never", "acls": ["list-accts"], "apply_preset": "dns"}
    page = form_post(reseller_client, NEW, data).text
    assert pressed(page) == ["dns"]
    # Copy link to this form, one box unticked: the link opens the form with "DNS only" unpressed.
    data = {**data, "acls": ["create-dns", "edit-dns"], "preset": "dns", "copy_link": "1"}
    data.pop("apply_preset")
    response = form_post(reseller_client, NEW, data)
    assert pressed(reseller_client.get(response.headers["Location"]).text) == []


def test_link_survives_sign_in(client: Client, whm: Simulator) -> None:
    url = link(preset="dns", name="dns-bot", acl=["edit-dns"], expires="never")
    response = client.get(url)
    assert response.status_code == 302
    sign_in = response["Location"]
    assert urlsplit(sign_in).path == "/sign-in/"
    assert parse_qs(urlsplit(sign_in).query)["next"] == [url]
    signed = client.post(sign_in, sign_in_data(*DEMO_RESELLER))
    assert signed["Location"] == url
    page = client.get(signed["Location"]).text
    assert input_value(page, "name") == "dns-bot"
    assert checked(page, "acls") == ["edit-dns"]


# --- Copy link to this form, without JavaScript ----------------------------------------------


def test_copy_link_without_javascript_lands_on_the_link_of_the_form_as_typed(
    reseller_client: Client, whm: Simulator
) -> None:
    data = {
        "name": "dns-bot",
        "expiry": "date",
        "expires_on": "2031-02-03",
        "whitelist_ips": "192.0.2.7, 2001:db8::/32",
        "acls": ["edit-dns", "create-dns"],
        "preset": "dns",
        "copy_link": "1",
    }
    response = form_post(reseller_client, NEW, data)
    assert response.status_code == 302
    location = response["Location"]
    assert location.endswith("#link")
    assert parse_qs(urlsplit(location).query, keep_blank_values=True) == {
        "preset": ["dns"],
        "name": ["dns-bot"],
        "acl": ["edit-dns", "create-dns"],
        "ip": ["192.0.2.7", "2001:db8::/32"],
        "expires": ["2031-02-03"],
    }
    page = reseller_client.get(location).text
    assert form_data(page) == {
        "name": "dns-bot",
        "expiry": "date",
        "expires_on": "2031-02-03",
        "whitelist_ips": "192.0.2.7\n2001:db8::/32",
        "acls": ["create-dns", "edit-dns"],  # page order
    }
    assert writes(whm) == []


def test_copy_link_never_carries_the_csrf_token(root_client: Client) -> None:
    page = root_client.get(NEW).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = form_post(
        root_client,
        NEW,
        {"csrfmiddlewaretoken": token, "name": "a", "expiry": "never", "copy_link": "1"},
    )
    assert token not in response["Location"]
    assert "csrf" not in response["Location"]


# --- Generate a token like this --------------------------------------------------------------


def test_like_this_copies_privileges_and_ips_with_a_fresh_name(
    root_client: Client, whm: Simulator
) -> None:
    page = root_client.get(f"{NEW}?like=billing-bot").text
    assert input_value(page, "name") == "billing-bot-2"
    ips = textarea_value(page, "whitelist_ips").split("\n")
    # IPv6 as the table shows it, not as WHM stores it (issue 17 item 17).
    assert ips == ["192.0.2.10", "198.51.100.0/24", "2001:db8::/32"]
    assert checked(page, "acls")
    assert "Filled in like the API token “billing-bot”" in text(page)
    assert field_errors(page, "name") == []
    assert writes(whm) == []


def test_like_this_of_a_full_access_token_keeps_full_access(root_client: Client) -> None:
    page = root_client.get(f"{NEW}?like=automation").text
    assert "all" in checked(page, "acls")
    assert "It has full access" in text(page)
    assert "Full access" in text(re.search(r'id="form-flags".*?</div>', page, re.S).group(0))


def test_like_this_generates_a_twin(root_client: Client, whm: Simulator) -> None:
    page = root_client.get(f"{NEW}?like=reporting").text
    data = form_data(page)
    response = form_post(root_client, NEW, data)
    assert response.status_code == 200, field_errors(response.text, "acls")
    (created,) = [r for r in writes(whm) if r.function == "api_token_create"]
    assert created.params["token_name"] == "reporting-2"


def test_like_this_of_a_gone_token_says_so(root_client: Client) -> None:
    response = root_client.get(f"{NEW}?like=nothing-here")
    assert response.status_code == 200
    assert "The API token “nothing-here” does not exist." in text(response.text)


def test_fresh_name_stays_within_50_characters_and_unique() -> None:
    from tokenui.kernel.links import fresh_name

    long = "a" * 50
    assert fresh_name(long, {long}) == "a" * 48 + "-2"
    assert fresh_name("x", {"x", "x-2", "x-3"}) == "x-4"
    assert fresh_name("x-2", {"x", "x-2"}) == "x-3"


def test_table_rows_offer_generate_a_token_like_this(root_client: Client) -> None:
    page = root_client.get("/tokens/").text
    assert re.search(
        r'<a href="/tokens/new/\?like=reporting"[^>]*>Generate a token like this</a>', page
    )


def test_a_forged_unknown_preset_post_generates_nothing(
    root_client: Client, whm: Simulator
) -> None:
    data = {"name": "forged", "expiry": "never", "acls": ["list-accts"], "apply_preset": "nope"}
    response = form_post(root_client, NEW, data)
    assert response.status_code == 422
    assert preset_errors(response.text)[0].startswith("There is no role preset “nope”.")
    assert checked(response.text, "acls") == ["list-accts"]
    assert writes(whm) == []


def test_the_export_writes_ipv6_as_the_table_shows_it(root_client: Client) -> None:
    response = root_client.get("/tokens/export.json")
    exported = b"".join(response.streaming_content).decode()
    billing = next(row for row in json.loads(exported) if row["name"] == "billing-bot")
    assert billing["ips"] == ["192.0.2.10", "198.51.100.0/24", "2001:db8::/32"]
