"""The Generate/Edit token form: WHM's labels, each rule, the cleaned values and the rendering."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.http import QueryDict

from tokenui.acls import ACL_KEYS, BYPASS_WARNING
from tokenui.kernel.links import years_after
from tokenui.tokens.forms import ACLS_REQUIRED, TokenForm

UTC = ZoneInfo("UTC")
CHICAGO = ZoneInfo("America/Chicago")
TODAY = datetime.date(2026, 3, 14)
RESELLER = ["status", "kill-acct", "list-accts", "acct-summary", "create-acct", "passwd"]
WHM_RULE = (
    "An API token name must not be longer than 50 characters and may only contain the "
    "following characters: a-z A-Z 0-9 _ -"
)
NEVER_HINT = "choose “The API Token will not expire.”"


def post(**fields: str | list[str]) -> QueryDict:
    """A POST body as the browser sends it; every field may be overridden or left out."""
    values: dict[str, str | list[str]] = {
        "name": "billing-bot",
        "expiry": "date",
        "expires_on": "2027-03-14",
        "whitelist_ips": "",
        "acls": ["list-accts"],
    }
    values.update(fields)
    data = QueryDict(mutable=True)
    for key, value in values.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def make_form(
    data: QueryDict | None = None,
    *,
    held: Iterable[str] = ("all",),
    existing: Iterable[str] = (),
    today: datetime.date = TODAY,
    zone: ZoneInfo = UTC,
    original_name: str | None = None,
    initial: dict[str, Any] | None = None,
) -> TokenForm:
    return TokenForm(
        data,
        initial=initial,
        held_acls=held,
        existing_names=existing,
        today=today,
        time_zone=zone,
        original_name=original_name,
    )


def errors(form: TokenForm) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {field: list(messages) for field, messages in form.errors.items()}


# --- fields as WHM shows them ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("name", "Name"),
        ("expiry", "Should the API Token Expire?"),
        ("expires_on", "API Token Expiration Date"),
        ("whitelist_ips", "IPs"),
        ("acls", "Privileges"),
    ],
)
def test_fields_carry_whms_labels(field: str, label: str) -> None:
    form = make_form()
    assert form.fields[field].label == label
    assert f">{label}</" in form[field].as_field_group()


@pytest.mark.parametrize(
    ("field", "widget"),
    [
        ("name", forms.TextInput),
        ("expiry", forms.RadioSelect),
        ("expires_on", forms.DateInput),
        ("whitelist_ips", forms.Textarea),
        ("acls", forms.CheckboxSelectMultiple),
    ],
)
def test_fields_use_the_expected_widgets(field: str, widget: type[forms.Widget]) -> None:
    assert type(make_form().fields[field].widget) is widget


def test_expiry_choices_are_whms_words() -> None:
    assert make_form().fields["expiry"].choices == [
        ("never", "The API Token will not expire."),
        ("date", "Specify an expiration date."),
    ]


def test_ips_help_text() -> None:
    assert make_form().fields["whitelist_ips"].help_text == (
        "One IP address or CIDR range per line (commas and spaces also work). "
        "Leave blank to allow any IP address. At most 100."
    )


def test_name_input_is_limited_to_50_characters() -> None:
    html = str(make_form()["name"])
    assert 'maxlength="50"' in html
    assert "required" in html


def test_date_input_is_typed_in_iso_format_with_a_calendar_beside_it() -> None:
    form = make_form(initial={"expires_on": datetime.date(2030, 1, 2)})
    assert str(form["expires_on"]) == (
        '<input type="text" name="expires_on" value="2030-01-02" inputmode="numeric" '
        'placeholder="YYYY-MM-DD" pattern="\\d{4}-\\d{2}-\\d{2}" maxlength="10" '
        'autocomplete="off" data-date-picker id="id_expires_on">'
    )


# --- initial values -------------------------------------------------------------------------


def test_generate_defaults_to_an_expiry_one_year_from_today() -> None:
    form = make_form()
    assert form["expiry"].value() == "date"
    assert form["expires_on"].value() == datetime.date(2027, 3, 14)
    assert 'value="2027-03-14"' in str(form["expires_on"])


def test_generate_default_expiry_from_29_february_is_28_february() -> None:
    form = make_form(today=datetime.date(2028, 2, 29))
    assert form["expires_on"].value() == datetime.date(2029, 2, 28)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (datetime.date(2026, 3, 14), 1, datetime.date(2027, 3, 14)),
        (datetime.date(2028, 2, 29), 1, datetime.date(2029, 2, 28)),
        (datetime.date(2028, 2, 29), 4, datetime.date(2032, 2, 29)),
        (datetime.date(2026, 12, 31), 100, datetime.date(2126, 12, 31)),
        (datetime.date(9999, 1, 1), 1, datetime.date.max),
    ],
)
def test_years_after(day: datetime.date, years: int, expected: datetime.date) -> None:
    assert years_after(day, years) == expected


def test_generate_ticks_every_held_acl_except_all() -> None:
    form = make_form(held=["all"])
    assert form["acls"].value() == [key for key in ACL_KEYS if key != "all"]


def test_edit_initial_overrides_the_generate_defaults() -> None:
    form = make_form(
        original_name="billing-bot",
        initial={
            "name": "billing-bot",
            "expiry": "never",
            "expires_on": None,
            "whitelist_ips": "10.0.0.1\n2001:db8::1",
            "acls": ["list-accts"],
        },
    )
    assert form["name"].value() == "billing-bot"
    assert form["expiry"].value() == "never"
    assert form["expires_on"].value() is None
    assert form["acls"].value() == ["list-accts"]
    assert not form.renamed


# --- a valid submission ---------------------------------------------------------------------


def test_generate_cleans_to_what_the_whm_client_needs() -> None:
    form = make_form(
        post(whitelist_ips="192.0.2.16/28\n192.0.2.10", acls=["create-acct", "list-accts"])
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "billing-bot",
        "expiry": "date",
        "expires_on": datetime.date(2027, 3, 14),
        "expires": datetime.datetime(2027, 3, 14, 23, 59, 59, tzinfo=UTC),
        "whitelist_ips": ["192.0.2.10", "192.0.2.16/28"],
        "acls": ["list-accts", "create-acct"],
    }


def test_never_expiring_token_has_no_expiry() -> None:
    form = make_form(post(expiry="never", expires_on=""))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires"] is None
    assert form.cleaned_data["expires_on"] is None


@pytest.mark.parametrize("leftover", ["2020-01-01", "garbage", "2026-02-30", "9999-12-31"])
def test_never_ignores_whatever_the_date_box_still_holds(leftover: str) -> None:
    form = make_form(post(expiry="never", expires_on=leftover))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires"] is None


# --- name -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "x" * 50, "Billing_Bot-2"])
def test_generate_accepts_valid_names(name: str) -> None:
    form = make_form(post(name=name))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == name


def test_generate_strips_surrounding_whitespace_from_the_name() -> None:
    form = make_form(post(name="  billing-bot \t"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "billing-bot"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_generate_requires_a_name(name: str) -> None:
    assert errors(make_form(post(name=name))) == {"name": ["Enter a name for the API token."]}


def test_generate_rejects_name_over_50_chars() -> None:
    # One message, not Django's generic "at most 50 characters" beside WHM's rule.
    assert errors(make_form(post(name="x" * 51))) == {
        "name": [f"This name is 51 characters long. {WHM_RULE}"]
    }


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("billing bot", "a space"),
        ("bill\u0456ng", "“\u0456” (U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I)"),
        ("b\u0430d", "“\u0430” (U+0430 CYRILLIC SMALL LETTER A)"),
        ("\u00fcber", "“\u00fc” (U+00FC LATIN SMALL LETTER U WITH DIAERESIS)"),
        ("bot\U0001f916", "“\U0001f916” (U+1F916 ROBOT FACE)"),
        ("nul\x00byte", "U+0000"),
    ],
)
def test_generate_rejects_names_with_characters_whm_refuses(name: str, named: str) -> None:
    assert errors(make_form(post(name=name))) == {
        "name": [f"This name contains {named}. {WHM_RULE}"]
    }


def test_generate_rejects_a_taken_name_in_whms_words() -> None:
    form = make_form(post(name="billing-bot"), existing=["read-only", "billing-bot"])
    assert errors(form) == {
        "name": ["A conflicting API token with the name “billing-bot” already exists."]
    }


def test_names_are_compared_case_sensitively() -> None:
    form = make_form(post(name="Billing-Bot"), existing=["billing-bot"])
    assert form.is_valid(), form.errors


def test_edit_keeps_its_own_name() -> None:
    form = make_form(
        post(name="billing-bot"), existing=["billing-bot", "other"], original_name="billing-bot"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "billing-bot"
    assert not form.renamed


def test_edit_rejects_a_rename_onto_a_taken_name() -> None:
    form = make_form(
        post(name="other"), existing=["billing-bot", "other"], original_name="billing-bot"
    )
    assert errors(form) == {"name": ["An API token with the name “other” already exists."]}
    assert form.renamed


def test_edit_accepts_a_rename_to_a_free_name() -> None:
    form = make_form(
        post(name="billing-bot-2"), existing=["billing-bot", "other"], original_name="billing-bot"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "billing-bot-2"
    assert form.renamed


@pytest.mark.parametrize(
    ("submitted", "renamed"),
    [("billing-bot", False), ("  billing-bot  ", False), ("Billing-Bot", True), ("x", True)],
)
def test_renamed_compares_the_stripped_name(submitted: str, renamed: bool) -> None:
    form = make_form(post(name=submitted), existing=["billing-bot"], original_name="billing-bot")
    assert form.renamed is renamed


def test_generate_is_never_a_rename() -> None:
    assert make_form(post(name="anything")).renamed is False


# --- expiry ---------------------------------------------------------------------------------


def test_expiry_is_required() -> None:
    data = post()
    del data["expiry"]
    assert errors(make_form(data)) == {"expiry": ["Choose whether the API token should expire."]}


def test_expiry_must_be_one_of_the_choices() -> None:
    assert errors(make_form(post(expiry="sometimes"))) == {
        "expiry": ["Choose whether the API token should expire."]
    }


def test_expiry_date_is_required_when_the_token_expires() -> None:
    assert errors(make_form(post(expires_on=""))) == {
        "expires_on": [f"Enter the date the API token should expire, or {NEVER_HINT}"]
    }


@pytest.mark.parametrize(
    ("day", "zone", "expected_utc"),
    [
        ("2026-03-14", UTC, datetime.datetime(2026, 3, 14, 23, 59, 59, tzinfo=datetime.UTC)),
        # Chicago in summer is UTC-5 (CDT), in winter UTC-6 (CST).
        ("2026-07-04", CHICAGO, datetime.datetime(2026, 7, 5, 4, 59, 59, tzinfo=datetime.UTC)),
        ("2026-12-25", CHICAGO, datetime.datetime(2026, 12, 26, 5, 59, 59, tzinfo=datetime.UTC)),
        ("2027-03-14", CHICAGO, datetime.datetime(2027, 3, 15, 4, 59, 59, tzinfo=datetime.UTC)),
    ],
)
def test_token_expires_at_23_59_59_in_whms_time_zone(
    day: str, zone: ZoneInfo, expected_utc: datetime.datetime
) -> None:
    form = make_form(post(expires_on=day), zone=zone)
    assert form.is_valid(), form.errors
    expires = form.cleaned_data["expires"]
    assert expires.tzinfo is zone
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)
    assert expires.date() == datetime.date.fromisoformat(day)
    assert expires == expected_utc
    assert int(expires.timestamp()) == int(expected_utc.timestamp())


def test_expiry_today_is_allowed() -> None:
    form = make_form(post(expires_on="2026-03-14"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires"] == datetime.datetime(2026, 3, 14, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("day", ["2026-03-13", "2020-01-01", "0001-01-01"])
def test_expiry_in_the_past_is_rejected(day: str) -> None:
    assert errors(make_form(post(expires_on=day))) == {
        "expires_on": ["The expiration date must be today (2026-03-14) or later."]
    }


def test_today_is_whms_date_not_the_servers() -> None:
    # 14 March in Chicago while it is already 15 March in UTC: the view passes WHM's today.
    form = make_form(post(expires_on="2026-03-14"), today=TODAY, zone=CHICAGO)
    assert form.is_valid(), form.errors


def test_expiry_up_to_100_years_ahead_is_allowed() -> None:
    form = make_form(post(expires_on="2126-03-14"))
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("day", ["2126-03-15", "9999-12-31"])
def test_expiry_beyond_100_years_is_rejected(day: str) -> None:
    assert errors(make_form(post(expires_on=day))) == {
        "expires_on": [
            (
                "The expiration date must be within 100 years, by 2126-03-14. For a token that "
                f"does not expire, {NEVER_HINT}"
            )
        ]
    }


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-02-30", "February 2026 has 28 days"),
        ("2028-02-30", "February 2028 has 29 days"),
        ("2027-02-29", "February 2027 has 28 days"),
        ("2027-04-31", "April 2027 has 30 days"),
        ("2027-04-00", "April 2027 has 30 days"),
        ("2027-13-01", "there is no month 13"),
        ("2027-00-10", "there is no month 0"),
    ],
)
def test_impossible_dates_say_what_is_wrong(day: str, why: str) -> None:
    assert errors(make_form(post(expires_on=day))) == {
        "expires_on": [f"“{day}” is not a date: {why}."]
    }


@pytest.mark.parametrize(
    "text",
    [
        "14/03/2027",
        "03/14/2027",
        "2027/03/14",
        "20270314",
        "2027-03-14T00:00",
        "2027-03-14 23:59",
        "tomorrow",
        "10000-01-01",
        "0000-01-01",
        "2027-O3-14",
    ],
)
def test_malformed_dates_ask_for_yyyy_mm_dd(text: str) -> None:
    assert errors(make_form(post(expires_on=text))) == {
        "expires_on": ["Enter the date as YYYY-MM-DD (year, month, day), such as 2031-12-31."]
    }


# --- IP addresses ---------------------------------------------------------------------------


def test_blank_ip_list_means_any_ip() -> None:
    form = make_form(post(whitelist_ips="  \n "))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["whitelist_ips"] == []


def test_missing_ip_field_means_any_ip() -> None:
    data = post()
    del data["whitelist_ips"]
    form = make_form(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["whitelist_ips"] == []


def test_ip_list_is_normalised() -> None:
    form = make_form(post(whitelist_ips="2001:DB8::1, 10.0.0.1/32\n10.0.0.1 9.9.9.9"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["whitelist_ips"] == ["9.9.9.9", "10.0.0.1", "2001:db8::1"]


def test_ip_errors_attach_to_the_ip_field_naming_each_item() -> None:
    form = make_form(post(whitelist_ips="10.0.0.5/24\n300.1.1.1\n10.0.0.1"))
    assert errors(form) == {
        "whitelist_ips": [
            "“10.0.0.5/24” has host bits set. Did you mean 10.0.0.0/24?",
            "“300.1.1.1” is not an IP address or CIDR range.",
        ]
    }


def test_ip_list_over_100_is_rejected() -> None:
    text = "\n".join(f"10.0.{n // 256}.{n % 256}" for n in range(101))
    assert errors(make_form(post(whitelist_ips=text))) == {
        "whitelist_ips": ["You entered 101 IP addresses or ranges. The limit is 100."]
    }


# --- ACLs -----------------------------------------------------------------------------------


def test_root_is_offered_every_catalogue_acl_in_whms_order() -> None:
    assert [key for key, _ in make_form(held=["all"]).fields["acls"].choices] == list(ACL_KEYS)


def test_reseller_is_offered_only_its_own_acls_with_additional_software_in_whms_place() -> None:
    form = make_form(held=[*RESELLER, "software-cloudlinux", "demo"])
    assert form.fields["acls"].choices == [
        ("acct-summary", "Account Summary"),
        ("list-accts", "List Accounts"),
        ("create-acct", "Create Accounts"),
        ("kill-acct", "Terminate Accounts"),
        ("passwd", "Change Passwords"),
        ("software-cloudlinux", "software-cloudlinux"),
        ("status", "View Server Status"),
    ]


@pytest.mark.parametrize("acls", [[], [""]])
def test_at_least_one_acl_is_required_in_whms_words(acls: list[str]) -> None:
    assert errors(make_form(post(acls=acls))) == {"acls": [ACLS_REQUIRED]}
    assert ACLS_REQUIRED == "You must specify at least one ACL for this token."


def test_missing_acls_field_is_the_same_as_none_ticked() -> None:
    data = post()
    del data["acls"]
    assert errors(make_form(data)) == {"acls": [ACLS_REQUIRED]}


@pytest.mark.parametrize(
    ("acls", "message"),
    [
        (
            ["list-accts", "kill-dns"],
            "This token cannot have a privilege that you do not hold: Remove DNS Zones (kill-dns).",
        ),
        (
            ["foo", "list-accts", "all", "foo"],
            "This token cannot have privileges that you do not hold: “foo” and All Features (all).",
        ),
        (
            ["software-other"],
            "This token cannot have a privilege that you do not hold: “software-other”.",
        ),
        (["demo"], "This token cannot have a privilege that you do not hold: “demo”."),
        (
            ["x" * 61],
            f"This token cannot have a privilege that you do not hold: “{'x' * 60}…”.",
        ),
    ],
)
def test_acls_not_held_are_named(acls: list[str], message: str) -> None:
    form = make_form(post(acls=acls), held=[*RESELLER, "software-cloudlinux", "demo"])
    assert errors(form) == {"acls": [message]}


def test_many_refused_acls_are_counted_beyond_ten() -> None:
    refused = [f"nope{n}" for n in range(12)]
    form = make_form(post(acls=refused), held=RESELLER)
    named = ", ".join(f"“nope{n}”" for n in range(10))
    assert errors(form) == {
        "acls": [f"This token cannot have privileges that you do not hold: {named} and 2 others."]
    }


def test_acls_are_deduplicated_into_catalogue_order() -> None:
    form = make_form(
        post(acls=["software-x", "status", "all", "list-accts", "status", "acct-summary"]),
        held=["all", "software-x"],
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["acls"] == [
        "acct-summary",
        "list-accts",
        "software-x",
        "status",
        "all",
    ]


def test_all_is_sent_alongside_whatever_else_was_ticked() -> None:
    form = make_form(post(acls=["all", "passwd"]))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["acls"] == ["passwd", "all"]


def test_held_plugin_acl_is_accepted() -> None:
    form = make_form(post(acls=["software-cloudlinux"]), held=[*RESELLER, "software-cloudlinux"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["acls"] == ["software-cloudlinux"]


# --- the ACL groups the template renders ------------------------------------------------------


def test_acl_groups_pair_each_held_acl_with_its_checkbox() -> None:
    form = make_form(post(acls=["passwd", "status"]), held=[*RESELLER, "software-cloudlinux"])
    assert [
        (group.title, section.title, [(c.key, c.label, c.checked) for c in section.acls])
        for group in form.acl_groups
        for section in group.sections
    ] == [
        ("Basic Privileges", "Initial Privileges", [("acct-summary", "Account Summary", False)]),
        ("Standard Privileges", "Account Information", [("list-accts", "List Accounts", False)]),
        (
            "Standard Privileges",
            "Account Management",
            [
                ("create-acct", "Create Accounts", False),
                ("kill-acct", "Terminate Accounts", False),
                ("passwd", "Change Passwords", True),
            ],
        ),
        ("Additional Software", "", [("software-cloudlinux", "software-cloudlinux", False)]),
        ("Global Privileges", "Server Information", [("status", "View Server Status", True)]),
    ]


def test_acl_checkbox_renders_with_its_value_state_and_id() -> None:
    form = make_form(post(acls=["passwd"]), held=["passwd", "list-accts"])
    choices = {c.key: c for g in form.acl_groups for s in g.sections for c in s.acls}
    assert choices["passwd"].checkbox.tag() == (
        '<input type="checkbox" name="acls" value="passwd" id="id_acls_1" checked>'
    )
    assert choices["passwd"].checkbox.id_for_label == "id_acls_1"
    assert choices["list-accts"].checked is False


def test_acl_groups_carry_whms_warnings() -> None:
    form = make_form(held=["all"])
    warned = {
        c.key: c.warning for g in form.acl_groups for s in g.sections for c in s.acls if c.warning
    }
    assert warned["manage-api-tokens"] == BYPASS_WARNING
    assert warned["create-user-session"] == BYPASS_WARNING
    assert len(warned) == 10


def test_unbound_generate_form_shows_every_acl_but_all_checked() -> None:
    form = make_form(held=["all"])
    checked = {c.key: c.checked for g in form.acl_groups for s in g.sections for c in s.acls}
    assert len(checked) == 64
    assert checked.pop("all") is False
    assert set(checked.values()) == {True}


# --- rendering an invalid form --------------------------------------------------------------


def test_invalid_form_keeps_the_input_exactly_as_typed() -> None:
    typed = {
        "name": "  my bot ",
        "expires_on": "2026-02-30",
        "whitelist_ips": "10.0.0.5/24,  fe80::1%eth0\n\n",
    }
    form = make_form(post(**typed, acls=["passwd", "nope"]), held=["passwd", "list-accts"])
    assert set(errors(form)) == {"name", "expires_on", "whitelist_ips", "acls"}
    for field, value in typed.items():
        assert form[field].value() == value
    assert 'value="  my bot "' in str(form["name"])
    assert 'value="2026-02-30"' in str(form["expires_on"])
    assert ">\n10.0.0.5/24,  fe80::1%eth0\n\n</textarea>" in str(form["whitelist_ips"])
    assert form["acls"].value() == ["passwd", "nope"]


@pytest.mark.parametrize(
    ("field", "data", "described_by"),
    [
        ("name", post(name="my bot"), "id_name_error"),
        ("expires_on", post(expires_on="2020-01-01"), "id_expires_on_error"),
        (
            "whitelist_ips",
            post(whitelist_ips="nope"),
            "id_whitelist_ips_helptext id_whitelist_ips_error",
        ),
    ],
)
def test_errors_render_with_aria_invalid_and_describedby(
    field: str, data: QueryDict, described_by: str
) -> None:
    form = make_form(data)
    assert list(errors(form)) == [field]
    html = form[field].as_field_group()
    assert 'aria-invalid="true"' in html
    assert f'aria-describedby="{described_by}"' in html
    assert f'<ul class="errorlist" id="id_{field}_error">' in html


def test_acl_errors_describe_the_fieldset() -> None:
    form = make_form(post(acls=[]))
    html = form["acls"].as_field_group()
    assert '<fieldset aria-describedby="id_acls_error">' in html
    assert f"<li>{ACLS_REQUIRED}</li>" in html


def test_no_error_is_left_without_a_field() -> None:
    form = make_form(post(name="", expires_on="", acls=[], whitelist_ips="nope"))
    assert not form.is_valid()
    assert form.non_field_errors() == []
