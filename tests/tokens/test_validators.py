"""Token name and IP allow-list rules: what passes, what is refused, and the exact words used."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tokenui.kernel.validators import (
    MAX_IP_TEXT_LENGTH,
    NAME_RULE,
    describe_character,
    parse_ip_list,
    validate_token_name,
)

WHM_RULE = (
    "An API token name must not be longer than 50 characters and may only contain the "
    "following characters: a-z A-Z 0-9 _ -"
)


def name_errors(value: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_token_name(value)
    return caught.value.messages


def ip_errors(text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_ip_list(text)
    return caught.value.messages


# --- token names --------------------------------------------------------------------------


def test_name_rule_is_whms_own_sentence() -> None:
    assert NAME_RULE == WHM_RULE


@pytest.mark.parametrize(
    "name",
    ["a", "Z", "0", "-", "_", "billing-bot", "Billing_Bot_2", "x" * 50, "-_-", "ALLCAPS"],
)
def test_name_accepts_1_to_50_allowed_characters(name: str) -> None:
    assert validate_token_name(name) is None


def test_name_rejects_empty() -> None:
    assert name_errors("") == ["Enter a name for the API token."]


@pytest.mark.parametrize(("length"), [51, 52, 200])
def test_name_rejects_over_50_chars_saying_how_long(length: int) -> None:
    assert name_errors("x" * length) == [f"This name is {length} characters long. {WHM_RULE}"]


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("my bot", "a space"),
        ("my\tbot", "a tab"),
        ("my\nbot", "a line break"),
        ("my\r\nbot", "a line break"),
        ("billing.bot", "“.”"),
        ("bot@example", "“@”"),
        ("a/b", "“/”"),
        ("b\u0430d", "“\u0430” (U+0430 CYRILLIC SMALL LETTER A)"),
        ("\u0392ot", "“\u0392” (U+0392 GREEK CAPITAL LETTER BETA)"),
        ("caf\u00e9", "“\u00e9” (U+00E9 LATIN SMALL LETTER E WITH ACUTE)"),
        ("cafe\u0301", "U+0301 COMBINING ACUTE ACCENT"),
        ("bot\U0001f600", "“\U0001f600” (U+1F600 GRINNING FACE)"),
        (
            "\uff21\uff22",
            (
                "“\uff21” (U+FF21 FULLWIDTH LATIN CAPITAL LETTER A) and “\uff22” "
                "(U+FF22 FULLWIDTH LATIN CAPITAL LETTER B)"
            ),
        ),
        ("a\u200bb", "U+200B ZERO WIDTH SPACE"),
        ("a\u00a0b", "U+00A0 NO-BREAK SPACE"),
        ("nul\x00", "U+0000"),
        ("bot\u0663", "“\u0663” (U+0663 ARABIC-INDIC DIGIT THREE)"),
    ],
)
def test_name_rejects_characters_outside_whms_set_naming_them(name: str, named: str) -> None:
    assert name_errors(name) == [f"This name contains {named}. {WHM_RULE}"]


def test_name_lists_each_bad_character_once_in_order() -> None:
    assert name_errors("a b!c d!") == [f"This name contains a space and “!”. {WHM_RULE}"]


def test_name_counts_bad_characters_beyond_five() -> None:
    assert name_errors("!@#$%^&") == [
        (
            "This name contains “!”, “@”, “#”, “$”, “%” and 2 other characters that are not "
            f"allowed. {WHM_RULE}"
        )
    ]


def test_name_reports_length_and_characters_together() -> None:
    assert name_errors("x" * 50 + "!") == [
        f"This name is 51 characters long and contains “!”. {WHM_RULE}"
    ]


def test_name_error_has_a_code() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_token_name("bad name")
    assert caught.value.code == "invalid_name"


@pytest.mark.parametrize(
    ("char", "described"),
    [
        (" ", "a space"),
        ("!", "“!”"),
        ("\x7f", "U+007F"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
        ("\u0430", "“\u0430” (U+0430 CYRILLIC SMALL LETTER A)"),
    ],
)
def test_describe_character_names_invisible_and_lookalike_characters(
    char: str, described: str
) -> None:
    assert describe_character(char) == described


# --- IP lists: accepted and normalised ------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\n", " , ,\n\t", "\r\n"])
def test_ip_list_blank_means_any_ip(text: str) -> None:
    assert parse_ip_list(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.5.3.33", ["10.5.3.33"]),
        ("10.5.3.0/24", ["10.5.3.0/24"]),
        ("  192.0.2.10  ", ["192.0.2.10"]),
        ("10.0.0.1/32", ["10.0.0.1"]),
        ("10.0.0.0/255.255.255.0", ["10.0.0.0/24"]),
        ("127.0.0.1", ["127.0.0.1"]),
        ("::1", ["::1"]),
        ("2001:DB8::1", ["2001:db8::1"]),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", ["2001:db8::1"]),
        ("fc00:abcd:0000:0000:0000:0000:0000:000f", ["fc00:abcd::f"]),
        ("fc00:abcd:0000:0000:0000:0000:0000:000f/128", ["fc00:abcd::f"]),
        ("12AB:0:0:CD30:123:4567:89AB:CDEF", ["12ab::cd30:123:4567:89ab:cdef"]),
        ("12AB:0:0:CD30::/60", ["12ab:0:0:cd30::/60"]),
        ("2001:db8::/32", ["2001:db8::/32"]),
        ("fe80::1", ["fe80::1"]),
        ("::192.0.2.1", ["::c000:201"]),
    ],
)
def test_ip_list_normalises_each_entry(text: str, expected: list[str]) -> None:
    assert parse_ip_list(text) == expected


def test_ip_list_splits_on_newlines_commas_and_whitespace() -> None:
    text = "10.0.0.1,10.0.0.2 10.0.0.3\n10.0.0.4\r\n10.0.0.5\t10.0.0.6,, \n\n10.0.0.7\u00a010.0.0.8"
    assert parse_ip_list(text) == [f"10.0.0.{n}" for n in range(1, 9)]


def test_ip_list_sorts_ipv4_then_ipv6_numerically() -> None:
    text = (
        "2001:db8::1\n10.0.0.10\n::1\n10.0.0.9\n10.0.0.0/24\n9.0.0.0/8\n10.0.0.0/8\n2001:db8::/64"
    )
    assert parse_ip_list(text) == [
        "9.0.0.0/8",
        "10.0.0.0/8",
        "10.0.0.0/24",
        "10.0.0.9",
        "10.0.0.10",
        "::1",
        "2001:db8::/64",
        "2001:db8::1",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1 10.0.0.1", ["10.0.0.1"]),
        ("10.0.0.1\n10.0.0.1/32", ["10.0.0.1"]),
        ("10.0.0.0/24, 10.0.0.0/255.255.255.0", ["10.0.0.0/24"]),
        ("2001:db8::1 2001:DB8:0:0:0:0:0:1 2001:db8::1/128", ["2001:db8::1"]),
        (
            "fc00:abcd:0000:0000:0000:0000:0000:000f fc00:abcd::f 10.0.0.1/32 10.0.0.1",
            ["10.0.0.1", "fc00:abcd::f"],
        ),
    ],
)
def test_ip_list_folds_duplicates_written_differently(text: str, expected: list[str]) -> None:
    assert parse_ip_list(text) == expected


def test_ip_list_keeps_an_address_inside_a_listed_range() -> None:
    assert parse_ip_list("10.0.0.1 10.0.0.0/24") == ["10.0.0.0/24", "10.0.0.1"]


# --- IP lists: refused, with the reason -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("10.0.0.5/24", "10.0.0.0/24"),
        ("192.168.1.1/16", "192.168.0.0/16"),
        ("10.1.2.3/255.255.0.0", "10.1.0.0/16"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001/32", "2001:db8::/32"),
    ],
)
def test_ip_list_suggests_network_when_host_bits_set(text: str, suggestion: str) -> None:
    assert ip_errors(text) == [f"“{text}” has host bits set. Did you mean {suggestion}?"]


@pytest.mark.parametrize(
    "item",
    [
        "300.1.1.1",
        "garbage",
        "10.0.0",
        "10.0.0.1.5",
        "10.0.0.1:8080",
        "[::1]",
        "010.0.0.1",
        "2001:db8:::1",
        "2001:db8::g",
        "/24",
        "-",
    ],
)
def test_ip_list_rejects_garbage(item: str) -> None:
    assert ip_errors(item) == [f"“{item}” is not an IP address or CIDR range."]


@pytest.mark.parametrize(
    ("item", "version", "bits"),
    [
        ("1.2.3.4/33", 4, 32),
        ("1.2.3.4/", 4, 32),
        ("1.2.3.4/abc", 4, 32),
        ("1.2.3.4/-1", 4, 32),
        ("1.2.3.4/24/8", 4, 32),
        ("2001:db8::/129", 6, 128),
    ],
)
def test_ip_list_explains_a_bad_prefix_length(item: str, version: int, bits: int) -> None:
    assert ip_errors(item) == [
        (
            f"“{item}” is not a valid CIDR range: an IPv{version} prefix length is a number "
            f"from 1 to {bits}."
        )
    ]


@pytest.mark.parametrize(
    ("item", "suggestion"),
    [
        ("fe80::1%eth0", "fe80::1"),
        ("fe80::1%25", "fe80::1"),
        ("fe80::1%eth0/64", "fe80::/64"),
    ],
)
def test_ip_list_rejects_zone_ids_suggesting_the_bare_address(item: str, suggestion: str) -> None:
    assert ip_errors(item) == [
        (
            f"“{item}” has a zone ID, which only means something on one machine. "
            f"Did you mean {suggestion}?"
        )
    ]


@pytest.mark.parametrize(
    ("item", "ipv4"),
    [
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::FFFF:c000:0201", "192.0.2.1"),
        ("0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.0/120", "192.0.2.0/24"),
    ],
)
def test_ip_list_asks_for_ipv4_mapped_addresses_as_ipv4(item: str, ipv4: str) -> None:
    assert ip_errors(item) == [f"“{item}” is an IPv4 address written as IPv6. Enter it as {ipv4}."]


@pytest.mark.parametrize(
    ("item", "why"),
    [
        ("0.0.0.0/0", "allows every IPv4 address"),
        ("0.0.0.0/0.0.0.0", "allows every IPv4 address"),
        ("::/0", "allows every IPv6 address"),
        ("::ffff:0.0.0.0/96", "allows every IPv4 address"),
        ("0.0.0.0", "is not an address that any caller can have"),  # noqa: S104 - refused
        ("0.0.0.0/32", "is not an address that any caller can have"),
        ("::", "is not an address that any caller can have"),
    ],
)
def test_ip_list_rejects_allow_everything_entries_asking_for_a_blank_box(
    item: str, why: str
) -> None:
    assert ip_errors(item) == [f"“{item}” {why}. To allow any IP address, leave the box blank."]


@pytest.mark.parametrize(
    ("item", "chars"),
    [
        (
            "\uff11.\uff12.\uff13.\uff14",
            (
                "“\uff11” (U+FF11 FULLWIDTH DIGIT ONE), "
                "“\uff12” (U+FF12 FULLWIDTH DIGIT TWO), "
                "“\uff13” (U+FF13 FULLWIDTH DIGIT THREE) and "
                "“\uff14” (U+FF14 FULLWIDTH DIGIT FOUR)"
            ),
        ),
        ("10.0.0.1\u200b", "U+200B ZERO WIDTH SPACE"),
        ("10.0.0.\u0661", "“\u0661” (U+0661 ARABIC-INDIC DIGIT ONE)"),
    ],
)
def test_ip_list_names_non_ascii_characters(item: str, chars: str) -> None:
    assert ip_errors(item) == [f"“{item}” is not an IP address or CIDR range: it contains {chars}."]


def test_ip_list_names_every_bad_item_in_input_order() -> None:
    text = "300.1.1.1, 10.0.0.1\nnope 10.0.0.5/24\n::ffff:192.0.2.1"
    assert ip_errors(text) == [
        "“300.1.1.1” is not an IP address or CIDR range.",
        "“nope” is not an IP address or CIDR range.",
        "“10.0.0.5/24” has host bits set. Did you mean 10.0.0.0/24?",
        "“::ffff:192.0.2.1” is an IPv4 address written as IPv6. Enter it as 192.0.2.1.",
    ]


def test_ip_list_names_a_repeated_bad_item_once() -> None:
    assert ip_errors("nope nope, other nope") == [
        "“nope” is not an IP address or CIDR range.",
        "“other” is not an IP address or CIDR range.",
    ]


def test_ip_list_counts_bad_items_beyond_25() -> None:
    messages = ip_errors(" ".join(f"bad{n}" for n in range(30)))
    assert len(messages) == 26
    assert messages[0] == "“bad0” is not an IP address or CIDR range."
    assert messages[24] == "“bad24” is not an IP address or CIDR range."
    assert messages[25] == "5 more entries are not valid either."


def hosts(count: int) -> list[str]:
    return [f"10.0.{n // 256}.{n % 256}" for n in range(count)]


def test_ip_list_accepts_100_entries() -> None:
    assert parse_ip_list("\n".join(hosts(100))) == hosts(100)


@pytest.mark.parametrize("count", [101, 150])
def test_ip_list_rejects_over_100_entries(count: int) -> None:
    assert ip_errors("\n".join(hosts(count))) == [
        f"You entered {count} IP addresses or ranges. The limit is 100."
    ]


def test_ip_list_counts_entries_after_folding_duplicates() -> None:
    assert len(parse_ip_list("\n".join([*hosts(100), "10.0.0.0/32", "10.0.0.1"]))) == 100


def test_ip_list_reports_the_limit_and_the_bad_items_together() -> None:
    assert ip_errors("\n".join([*hosts(100), "nope"])) == [
        "You entered 101 IP addresses or ranges. The limit is 100.",
        "“nope” is not an IP address or CIDR range.",
    ]


def test_ip_list_accepts_text_at_the_length_limit() -> None:
    text = "10.0.0.1" + " " * (MAX_IP_TEXT_LENGTH - 8)
    assert len(text) == 10_000
    assert parse_ip_list(text) == ["10.0.0.1"]


def test_ip_list_rejects_text_over_the_length_limit() -> None:
    assert ip_errors("1" * 10_001) == [
        "This list is 10,001 characters long. The limit is 10,000 characters."
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("10.0.0.5/24", "host_bits"),
        ("nope", "invalid_ip"),
        ("0.0.0.0/0", "any_ip"),
        ("1" * 10_001, "too_long"),
        ("\n".join(hosts(101)), "too_many"),
    ],
)
def test_ip_list_errors_carry_codes(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_ip_list(text)
    assert [error.code for error in caught.value.error_list] == [code]
