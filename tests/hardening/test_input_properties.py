"""Properties of the validators and the token form, checked on wide generated input (no HTTP).

Whatever is typed: a rule either accepts it, and then the value satisfies WHM's rules, or raises
ValidationError with a message a person can read; never another exception.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import (
    CHEAP,
    LATEST,
    TODAY,
    WHM_NAME,
    IPNetwork,
    accepted_date,
    acl_lists,
    canonical,
    date_texts,
    expiry_choices,
    ip_lists,
    ip_texts,
    names,
    whm_accepts_name,
    whm_ip_entry,
)
from tokenui.acls import ACL_KEYS
from tokenui.kernel.validators import parse_ip_list, validate_token_name
from tokenui.simulator.seed import RESELLER_ACLS
from tokenui.tokens.forms import TokenForm

FIELDS = {"name", "expiry", "expires_on", "whitelist_ips", "acls"}
ZONE = ZoneInfo("America/Chicago")
# A suggestion inside a refusal: "Did you mean X?" or "Enter it as X."
SUGGESTION = re.compile(r"(?:Did you mean|Enter it as) (\S+?)[?.]$")


def messages(error: ValidationError) -> list[str]:
    shown = error.messages  # formats every message with its params: must not fail either
    assert shown
    assert all(isinstance(m, str) and m.strip() for m in shown)
    return shown


# --- names -----------------------------------------------------------------------------------


@CHEAP
@given(st.one_of(names, st.text()))  # st.text() includes lone surrogates
@example("a" * 50)
@example("a" * 51)
@example("")
def test_a_token_name_is_accepted_exactly_when_whm_would_accept_it(name: str) -> None:
    try:
        validate_token_name(name)
    except ValidationError as error:
        assert not WHM_NAME.fullmatch(name)
        messages(error)
    else:
        assert WHM_NAME.fullmatch(name)


# --- IP allow-lists --------------------------------------------------------------------------


def assert_whm_accepts(entries: list[str]) -> None:
    """What parse_ip_list returns is what WHM takes, in TokenUI's one canonical spelling."""
    assert len(entries) <= 100
    networks = []
    for entry in entries:
        network = whm_ip_entry(entry)
        assert network is not None, f"WHM would refuse {entry!r}"
        assert entry == canonical(network)  # round-trips through ipaddress unchanged
        assert network.prefixlen > 0
        assert not (
            network.network_address.is_unspecified and network.prefixlen == network.max_prefixlen
        )
        assert not (
            network.version == 6 and network.prefixlen >= 96 and network.network_address.ipv4_mapped
        )
        networks.append(network)
    assert len(set(networks)) == len(networks)
    assert networks == sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen))


@CHEAP
@given(st.one_of(ip_texts, st.text()))
@example("0.0.0.0/0")
@example("1.1.1.1 " * 1300)
def test_an_ip_list_either_parses_into_entries_whm_accepts_or_raises_validation_error(
    text: str,
) -> None:
    try:
        entries = parse_ip_list(text)
    except ValidationError as error:
        messages(error)
    else:
        assert_whm_accepts(entries)
        assert parse_ip_list("\n".join(entries)) == entries  # idempotent


@CHEAP
@given(ip_lists())
@example(("10.0.0.5/24 ::ffff:1.2.3.4/120", [("10.0.0.5/24", None), ("::ffff:1.2.3.4/120", None)]))
@example(  # once drawn with 2001:db8::/48 as the second network: ip_lists wrote the wrong prefix
    (
        "0.0.0.0/1\n2001:db8::/96",
        [
            ("0.0.0.0/1", ipaddress.ip_network("0.0.0.0/1")),
            ("2001:db8::/96", ipaddress.ip_network("2001:db8::/96")),
        ],
    )
)
def test_an_ip_list_is_accepted_exactly_when_every_entry_is_and_keeps_them_all(
    typed: tuple[str, list[tuple[str, IPNetwork | None]]],
) -> None:
    text, items = typed
    refused = list(dict.fromkeys(item for item, network in items if network is None))
    try:
        entries, shown = parse_ip_list(text), []
    except ValidationError as error:
        entries, shown = None, messages(error)
    if not refused:
        assert entries is not None, f"refused a list of valid entries: {shown}"
        assert_whm_accepts(entries)
        expected = {network for _, network in items}
        assert {ipaddress.ip_network(entry) for entry in entries} == expected
        return
    assert entries is None, f"accepted {refused}"
    for item in refused:  # each bad entry is named (at most 25 are listed)
        assert f"“{item}”" in " ".join(shown)


@pytest.mark.parametrize(("count", "accepted"), [(100, True), (101, False)])
def test_an_ip_list_holds_at_most_100_entries(count: int, accepted: bool) -> None:
    text = ", ".join(str(ipaddress.IPv4Address("10.0.0.1") + n) for n in range(count))
    if accepted:
        assert len(parse_ip_list(text)) == 100
        return
    with pytest.raises(ValidationError) as caught:
        parse_ip_list(text)
    assert caught.value.messages == ["You entered 101 IP addresses or ranges. The limit is 100."]


def test_the_same_entry_written_101_ways_counts_once() -> None:
    text = "\n".join(["10.0.0.1", "10.0.0.1/32", "10.0.0.1/255.255.255.255"] * 34)
    assert parse_ip_list(text) == ["10.0.0.1"]


@CHEAP
@given(ip_lists(max_size=4))
@example(("1.2.3.4/0", []))
@example(("::ffff:1.2.3.4/96", []))
@example(("::ffff:1.2.3.4/120", []))
@example(("::ffff:0.0.0.0", []))
@example(("foo%eth0", []))
@example(("::%eth0", []))
@example(("1.2.3.4%eth0/0", []))
def test_every_did_you_mean_in_a_refusal_is_itself_accepted(
    typed: tuple[str, list[tuple[str, IPNetwork | None]]],
) -> None:
    try:
        parse_ip_list(typed[0])
    except ValidationError as error:
        for message in messages(error):
            match = SUGGESTION.search(message)
            if match:
                try:
                    parse_ip_list(match.group(1))
                except ValidationError as again:
                    pytest.fail(f"{message!r} suggests a refused entry: {again.messages}")


ANY = "To allow any IP address, leave the box blank."


@pytest.mark.parametrize(
    ("item", "message"),
    [
        # These once suggested 0.0.0.0/0, ::ffff:0.0.0.0/96, ::ffff:1.2.3.0/120, 0.0.0.0, "foo",
        # "::" and "fe80::1/129": each refused in turn.
        ("1.2.3.4/0", f"“1.2.3.4/0” allows every IPv4 address. {ANY}"),
        ("::ffff:1.2.3.4/96", f"“::ffff:1.2.3.4/96” allows every IPv4 address. {ANY}"),
        (
            "::ffff:1.2.3.4/120",
            "“::ffff:1.2.3.4/120” is an IPv4 address written as IPv6. Enter it as 1.2.3.0/24.",
        ),
        ("::ffff:0.0.0.0", f"“::ffff:0.0.0.0” is not an address that any caller can have. {ANY}"),
        ("foo%eth0", "“foo%eth0” is not an IP address or CIDR range."),
        ("::%eth0", f"“::%eth0” is not an address that any caller can have. {ANY}"),
        ("1.2.3.4%eth0/0", f"“1.2.3.4%eth0/0” allows every IPv4 address. {ANY}"),
        (
            "fe80::1%eth0/129",
            (
                "“fe80::1%eth0/129” is not a valid CIDR range: an IPv6 prefix length is a number "
                "from 1 to 128."
            ),
        ),
        # Unchanged: a usable suggestion is still made.
        ("10.0.0.5/24", "“10.0.0.5/24” has host bits set. Did you mean 10.0.0.0/24?"),
        (
            "fe80::1%eth0",
            (
                "“fe80::1%eth0” has a zone ID, which only means something on one machine. "
                "Did you mean fe80::1?"
            ),
        ),
    ],
)
def test_a_refused_entry_is_told_what_to_enter_only_if_that_would_be_accepted(
    item: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_ip_list(item)
    assert caught.value.messages == [message]


# --- the whole token form --------------------------------------------------------------------


def post(data: dict[str, object]) -> QueryDict:
    body = QueryDict(mutable=True)
    for key, value in data.items():
        body.setlist(key, value if isinstance(value, list) else [value])
    return body


@CHEAP
@given(
    name=names,
    expiry=expiry_choices,
    expires_on=date_texts(TODAY),
    whitelist=ip_texts,
    acls=acl_lists,
    reseller=st.booleans(),
    editing=st.booleans(),
    omitted=st.sets(st.sampled_from(sorted(FIELDS))),
)
def test_the_token_form_accepts_only_what_whm_accepts_and_says_which_field_is_wrong(
    name: str,
    expiry: str,
    expires_on: str,
    whitelist: str,
    acls: list[str],
    reseller: bool,
    editing: bool,
    omitted: set[str],
) -> None:
    held = RESELLER_ACLS if reseller else ("all",)
    offered = frozenset(RESELLER_ACLS if reseller else ACL_KEYS)
    taken = frozenset({"billing-bot", "reporting"})
    data = {
        "name": name,
        "expiry": expiry,
        "expires_on": expires_on,
        "whitelist_ips": whitelist,
        "acls": acls,
    }
    for field in omitted:
        del data[field]
    form = TokenForm(
        post(data),
        held_acls=held,
        existing_names=taken,
        today=TODAY,
        time_zone=ZONE,
        original_name="billing-bot" if editing else None,
    )

    valid = form.is_valid()

    assert set(form.errors) <= FIELDS | {"__all__"}
    for field_errors in form.errors.as_data().values():
        for error in field_errors:
            messages(error)
    allowed_names = taken - {"billing-bot"} if editing else taken
    assert ("name" in form.errors) != whm_accepts_name(data.get("name", ""), allowed_names)
    chosen = [a for a in data.get("acls", []) if a]
    assert ("acls" in form.errors) != (bool(chosen) and set(chosen) <= offered)
    chose = data.get("expiry", "")
    assert ("expiry" in form.errors) != (chose in {"date", "never"})
    if chose == "never":
        assert "expires_on" not in form.errors
    if chose == "date":
        date_ok = accepted_date(data.get("expires_on", ""), TODAY)
        assert ("expires_on" in form.errors) != date_ok
    if "whitelist_ips" not in form.errors:
        assert_whm_accepts(form.cleaned_data["whitelist_ips"])
    if not valid:
        return
    cleaned = form.cleaned_data
    assert WHM_NAME.fullmatch(cleaned["name"])
    assert cleaned["acls"]
    assert set(cleaned["acls"]) <= offered
    assert len(set(cleaned["acls"])) == len(cleaned["acls"])
    if chose == "never":
        assert cleaned["expires"] is None
    else:
        expires = cleaned["expires"]
        assert expires.tzinfo is ZONE
        assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)
        assert TODAY <= expires.date() <= LATEST
        assert expires.timestamp() > datetime.datetime(1970, 1, 2, tzinfo=datetime.UTC).timestamp()
