"""Generate and Edit over HTTP with generated input: a refused form is re-rendered (422) with the
error on its field and the input intact, never a 5xx, and nothing WHM would refuse is sent to it
(checked on the simulator's request log)."""

from __future__ import annotations

import datetime
import ipaddress
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import (
    FORM_CHARS,
    OVER_HTTP,
    IPNetwork,
    accepted_date,
    acl_lists,
    canonical,
    date_texts,
    ip_lists,
    ip_texts,
    names,
    whm_accepts_name,
)
from tests.helpers import (
    DEMO_RESELLER,
    DEMO_ROOT,
    DEMO_TOKEN_NAMES,
    RESELLER_HELD,
    ROOT_HELD,
    assert_only_valid_writes,
    calls,
    checked,
    field_errors,
    form_post,
    input_value,
    non_field_errors,
    numbered,
    sign_in_data,
    textarea_value,
    writes,
)
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

NEW = "/tokens/new/"
EDIT = "/tokens/billing-bot/edit/"
VALID = {
    "name": "typed-name",
    "expiry": "never",
    "expires_on": "",
    "whitelist_ips": "",
    "acls": ["list-accts"],
}


def whm_today() -> datetime.date:
    return datetime.datetime.now(ZoneInfo(django_settings.WHM_TIME_ZONE)).date()


def assert_refused_on(page: str, field: str) -> None:
    assert field_errors(page, field), f"no error on {field}: {non_field_errors(page)}"


# --- one field at a time, with an oracle -----------------------------------------------------


@OVER_HTTP
@given(name=names)
@example(name="a" * 50)
@example(name="a" * 51)
@example(name="")
@example(name=" reporting ")
@example(name="b\u0456lling-bot")  # a Cyrillic i
def test_generate_takes_a_name_exactly_when_whm_would_and_keeps_a_refused_one_as_typed(
    reseller_client: Client, whm: Simulator, name: str
) -> None:
    whm.reset()

    response = form_post(reseller_client, NEW, VALID | {"name": name})

    assert_only_valid_writes(whm.requests(), RESELLER_HELD)
    if whm_accepts_name(name, DEMO_TOKEN_NAMES):
        assert response.status_code == 200, field_errors(response.text, "name")
        (create,) = calls(whm, "api_token_create")
        assert create.params["token_name"] == name.strip()
        return
    assert response.status_code == 422
    assert_refused_on(response.text, "name")
    assert input_value(response.text, "name") == name
    assert writes(whm) == []


@OVER_HTTP
@given(typed=ip_lists())
@example(typed=("0.0.0.0/0", [("0.0.0.0/0", None)]))
@example(typed=("::ffff:192.0.2.1", [("::ffff:192.0.2.1", None)]))
@example(  # once drawn with 2001:db8::/48 as the second network: ip_lists wrote the wrong prefix
    typed=(
        "0.0.0.0/1\n2001:db8::/96",
        [
            ("0.0.0.0/1", ipaddress.ip_network("0.0.0.0/1")),
            ("2001:db8::/96", ipaddress.ip_network("2001:db8::/96")),
        ],
    )
)
def test_generate_takes_an_ip_list_exactly_when_every_entry_is_valid_and_keeps_a_refused_one(
    reseller_client: Client, whm: Simulator, typed: tuple[str, list[tuple[str, IPNetwork | None]]]
) -> None:
    text, items = typed
    whm.reset()

    response = form_post(reseller_client, NEW, VALID | {"whitelist_ips": text})

    assert_only_valid_writes(whm.requests(), RESELLER_HELD)
    if all(network is not None for _, network in items):
        assert response.status_code == 200, field_errors(response.text, "whitelist_ips")
        (create,) = calls(whm, "api_token_create")
        sent = numbered(create.params, "whitelist_ip")
        assert set(sent) == {canonical(network) for _, network in items}
        return
    assert response.status_code == 422
    assert_refused_on(response.text, "whitelist_ips")
    assert textarea_value(response.text, "whitelist_ips") == text
    assert writes(whm) == []


@pytest.mark.parametrize(("count", "status"), [(100, 200), (101, 422)])
def test_generate_sends_at_most_100_ips_and_refuses_101_keeping_them(
    reseller_client: Client, whm: Simulator, count: int, status: int
) -> None:
    typed = "\n".join(f"10.1.{n // 256}.{n % 256}" for n in range(count))

    response = form_post(reseller_client, NEW, VALID | {"whitelist_ips": typed})

    assert response.status_code == status
    assert_only_valid_writes(whm.requests(), RESELLER_HELD)
    if status == 200:
        (create,) = calls(whm, "api_token_create")
        assert len(numbered(create.params, "whitelist_ip")) == 100
        return
    assert field_errors(response.text, "whitelist_ips") == [
        "You entered 101 IP addresses or ranges. The limit is 100."
    ]
    assert textarea_value(response.text, "whitelist_ips") == typed
    assert writes(whm) == []


@OVER_HTTP
@given(expiry=st.sampled_from(["date", "never"]), expires_on=date_texts(whm_today()))
@example(expiry="date", expires_on=whm_today().isoformat())
@example(expiry="date", expires_on=(whm_today() - datetime.timedelta(days=1)).isoformat())
@example(expiry="never", expires_on="not a date")
def test_generate_takes_an_expiry_from_today_to_100_years_and_keeps_a_refused_one(
    reseller_client: Client, whm: Simulator, expiry: str, expires_on: str
) -> None:
    whm.reset()
    today = whm_today()

    data = VALID | {"expiry": expiry, "expires_on": expires_on}
    response = form_post(reseller_client, NEW, data)

    assert_only_valid_writes(whm.requests(), RESELLER_HELD)
    if expiry == "never" or (expiry == "date" and accepted_date(expires_on, today)):
        assert response.status_code == 200, field_errors(response.text, "expires_on")
        (create,) = calls(whm, "api_token_create")
        if expiry == "never":
            assert "expires_at" not in create.params
        else:
            day = datetime.datetime.strptime(expires_on.strip(), "%Y-%m-%d").date()
            zone = ZoneInfo(django_settings.WHM_TIME_ZONE)
            end_of_day = datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=zone)
            assert create.params["expires_at"] == str(int(end_of_day.timestamp()))
        return
    assert response.status_code == 422
    assert_refused_on(response.text, "expires_on")
    assert input_value(response.text, "expires_on") == expires_on
    assert writes(whm) == []


@OVER_HTTP
@given(acls=acl_lists)
@example(acls=["all"])
@example(acls=["list-accts", "kill-acct"])
@example(acls=["list-accts", "list-accts", "list-accts"])
@example(acls=[])
@example(acls=[""])
@example(acls=sorted(RESELLER_HELD))
def test_generate_refuses_privileges_the_reseller_does_not_hold_and_sends_only_held_ones(
    reseller_client: Client, whm: Simulator, acls: list[str]
) -> None:
    whm.reset()
    chosen = [acl for acl in acls if acl]

    response = form_post(reseller_client, NEW, VALID | {"acls": acls})

    assert_only_valid_writes(whm.requests(), RESELLER_HELD)
    if chosen and set(chosen) <= RESELLER_HELD:
        assert response.status_code == 200, field_errors(response.text, "acls")
        (create,) = calls(whm, "api_token_create")
        sent = numbered(create.params, "acl")
        assert sorted(sent) == sorted(set(chosen))
        return
    assert response.status_code == 422
    assert_refused_on(response.text, "acls")
    assert set(checked(response.text, "acls")) == set(chosen) & RESELLER_HELD
    assert writes(whm) == []


@pytest.mark.parametrize("expiry", ["", "sometimes", "DATE", "never\x00"])
def test_generate_names_a_missing_or_unknown_expiry_choice_on_its_field(
    root_client: Client, whm: Simulator, expiry: str
) -> None:
    response = form_post(root_client, NEW, VALID | {"expiry": expiry})

    assert response.status_code == 422
    assert writes(whm) == []
    assert field_errors(response.text, "expiry") == ["Choose whether the API token should expire."]


# --- everything at once ----------------------------------------------------------------------

extra_fields = st.dictionaries(
    st.text(FORM_CHARS, min_size=1, max_size=12).filter(
        lambda key: key not in {"name", "expiry", "expires_on", "whitelist_ips", "acls"}
    ),
    st.text(FORM_CHARS, max_size=12),
    max_size=3,
)
# The expiry radios always send one of their two values; tampering with them is tested below.
forms = st.fixed_dictionaries(
    {"expiry": st.sampled_from(["date", "never"])},
    optional={
        "name": names,
        "expires_on": date_texts(whm_today()),
        "whitelist_ips": ip_texts,
        "acls": acl_lists,
    },
)


def assert_whm_never_has_to_refuse(response, whm: Simulator, held: frozenset[str]) -> None:
    """Never a 5xx; what was sent is valid; a refusal is ours, shown, and sent nothing."""
    assert response.status_code in {200, 302, 422}
    assert_only_valid_writes(whm.requests(), held)
    assert all(r.result == 1 for r in writes(whm)), "WHM refused what TokenUI sent"
    if response.status_code == 422:
        assert writes(whm) == []
        errors = [field_errors(response.text, f) for f in VALID] + [non_field_errors(response.text)]
        assert any(errors)


@OVER_HTTP
@given(form=forms, extra=extra_fields, reseller=st.booleans())
def test_generate_with_anything_typed_never_fails_and_sends_whm_only_valid_tokens(
    whm: Simulator, db: None, form: dict, extra: dict, reseller: bool
) -> None:
    whm.reset()
    client = Client()  # a browser of its own: the test below shares one
    signed_in = form_post(
        client, "/sign-in/", sign_in_data(*(DEMO_RESELLER if reseller else DEMO_ROOT))
    )
    assert signed_in.status_code == 302

    response = form_post(client, NEW, extra | form)

    assert_whm_never_has_to_refuse(response, whm, RESELLER_HELD if reseller else ROOT_HELD)
    if response.status_code == 422:
        if isinstance(form.get("name"), str):
            assert input_value(response.text, "name") == form["name"]
        if isinstance(form.get("whitelist_ips"), str):
            assert textarea_value(response.text, "whitelist_ips") == form["whitelist_ips"]


def test_signing_in_as_another_user_drops_the_previous_users_privileges(
    client: Client, whm: Simulator, db: None
) -> None:
    assert form_post(client, "/sign-in/", sign_in_data(*DEMO_ROOT)).status_code == 302
    client.get(NEW)  # root's privileges (all) are read and kept for the form
    signed_in = form_post(client, "/sign-in/", sign_in_data(*DEMO_RESELLER))
    assert signed_in.status_code == 302
    whm.clear_requests()

    response = form_post(client, NEW, VALID | {"acls": ["list-accts", "kill-acct"]})

    assert calls(whm, "api_token_create") == []
    assert response.status_code == 422
    assert "Terminate Accounts (kill-acct)" in " ".join(field_errors(response.text, "acls"))


@OVER_HTTP
@given(form=forms, extra=extra_fields)
@example(form={"name": "automation", "acls": ["list-accts"], "expiry": "never"}, extra={})
@example(form={"name": "billing-bot", "acls": ["list-accts"], "expiry": "never"}, extra={})
def test_edit_with_anything_typed_never_fails_and_sends_whm_only_valid_updates(
    reseller_client: Client, whm: Simulator, form: dict, extra: dict
) -> None:
    whm.reset()

    response = form_post(reseller_client, EDIT, extra | form)

    assert_whm_never_has_to_refuse(response, whm, RESELLER_HELD)
    for update in calls(whm, "api_token_update"):
        assert update.params["token_name"] == "billing-bot"
        assert update.params.get("new_name", "billing-bot") not in DEMO_TOKEN_NAMES - {
            "billing-bot"
        }
    if response.status_code == 422 and isinstance(form.get("name"), str):
        assert input_value(response.text, "name") == form["name"]
