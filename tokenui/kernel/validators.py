"""Reusable rules for API token names and IP allow-lists, checked locally before WHM sees them."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NAME_MAX_LENGTH = 50
# WHM's own sentence (api_token_create's "bad name" reason), so both say the same thing.
NAME_RULE = (
    "An API token name must not be longer than 50 characters and may only contain "
    "the following characters: a-z A-Z 0-9 _ -"
)
# An explicit ASCII class: \w would let in "é", Cyrillic look-alikes and other letters WHM refuses.
_NAME_CHAR = re.compile(r"[A-Za-z0-9_-]")

MAX_IPS = 100
# 100 fully expanded IPv6 ranges with separators take about 4,500 characters; anything far
# beyond that is a wrong paste, and parsing it would only produce a wall of errors.
MAX_IP_TEXT_LENGTH = 10_000
# Beyond this many bad entries, one more line counts the rest instead of naming each.
MAX_LISTED_BAD_IPS = 25
_IP_SEPARATORS = re.compile(r"[\s,]+")

_PLAIN_NAMES = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a line break"}


def describe_character(char: str) -> str:
    """Name one character plainly, so an invisible or look-alike character can be found."""
    if char in _PLAIN_NAMES:
        return _PLAIN_NAMES[char]
    if char.isascii() and char.isprintable():
        return f"“{char}”"
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    described = f"{code} {name}" if name else code
    # Spaces, control, format and combining characters show nothing (or something misleading)
    # between quotes; a look-alike such as Cyrillic "a" (U+0430) is shown and named.
    if char.isspace() or unicodedata.category(char)[0] in {"C", "M", "Z"}:
        return described
    return f"“{char}” ({described})"


def join_words(items: Sequence[str]) -> str:
    """Join as English prose: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def validate_token_name(value: str) -> None:
    """Raise ValidationError unless value is 1-50 of WHM's characters: a-z A-Z 0-9 _ -."""
    if not value:
        raise ValidationError("Enter a name for the API token.", code="required")
    problems: list[str] = []
    if len(value) > NAME_MAX_LENGTH:
        problems.append(f"is {len(value)} characters long")
    # Described, then deduplicated: "\r\n" is one line break, not two.
    bad = list(dict.fromkeys(describe_character(c) for c in value if not _NAME_CHAR.fullmatch(c)))
    if bad:
        shown = bad[:5]
        if len(bad) > 5:
            shown.append(f"{len(bad) - 5} other characters that are not allowed")
        problems.append(f"contains {join_words(shown)}")
    if problems:
        raise ValidationError(
            "This name %(problems)s. %(rule)s",
            code="invalid_name",
            params={"problems": " and ".join(problems), "rule": NAME_RULE},
        )


def format_ip_network(network: IPNetwork) -> str:
    """Write a network as TokenUI shows and sends it: no /32 or /128, IPv6 compressed."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _any_ip_error(item: str, what: str) -> ValidationError:
    return ValidationError(
        "“%(item)s” %(what)s. To allow any IP address, leave the box blank.",
        code="any_ip",
        params={"item": item, "what": what},
    )


def _parse_ip_item(item: str) -> IPNetwork:
    """Parse one address or CIDR range, raising a ValidationError that says what to type."""
    if not item.isascii():
        raise _non_ascii_error(item)
    address, slash, prefix = item.partition("/")
    if "%" in address:
        raise _zone_id_error(item, address.split("%", 1)[0] + slash + prefix)
    try:
        network = ipaddress.ip_network(item)
    except ValueError:
        raise _unparsable(item, item) from None
    return _check_usable(item, network)


def _non_ascii_error(item: str) -> ValidationError:
    odd = dict.fromkeys(char for char in item if not char.isascii())
    return ValidationError(
        "“%(item)s” is not an IP address or CIDR range: it contains %(chars)s.",
        code="invalid_ip",
        params={"item": item, "chars": join_words([describe_character(c) for c in odd])},
    )


def _zone_id_error(item: str, bare: str) -> ValidationError:
    """The error for an item with a zone ID (fe80::1%eth0); `bare` is the item without it.

    A zone ID names an interface on one machine; WHM compares the caller's address without
    one, so the entry could never match.
    """
    try:
        network = ipaddress.ip_network(bare, strict=False)
    except ValueError:
        return _unparsable(item, bare)
    # Suggest the bare entry only if it would be accepted; else say why it would not.
    try:
        _check_usable(item, network)
    except ValidationError as error:
        return error
    return ValidationError(
        "“%(item)s” has a zone ID, which only means something on one machine. "
        "Did you mean %(bare)s?",
        code="invalid_ip",
        params={"item": item, "bare": format_ip_network(network)},
    )


def _check_usable(item: str, network: IPNetwork) -> IPNetwork:
    """Return network (parsed from item) if an allow-list may hold it, else raise the error
    that says why not. Any entry it suggests instead is one this function accepts."""
    if network.prefixlen == 0:
        family = "IPv4" if network.version == 4 else "IPv6"
        raise _any_ip_error(item, f"allows every {family} address")
    if network.prefixlen == network.max_prefixlen and network.network_address.is_unspecified:
        raise _any_ip_error(item, "is not an address that any caller can have")
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None and network.prefixlen >= 96:
            # WHM sees an IPv4 caller as IPv4, so "::ffff:192.0.2.1" would never match it.
            ipv4 = ipaddress.IPv4Network((mapped, network.prefixlen - 96))
            _check_usable(item, ipv4)  # ::ffff:0:0/96 allows every IPv4 address, say so
            raise ValidationError(
                "“%(item)s” is an IPv4 address written as IPv6. Enter it as %(ipv4)s.",
                code="invalid_ip",
                params={"item": item, "ipv4": format_ip_network(ipv4)},
            )
    return network


def _unparsable(item: str, text: str) -> ValidationError:
    """The error for an item whose text (item, or item without its zone ID) ipaddress refused:
    host bits set, bad prefix, or not an address."""
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        loose = None
    if loose is not None:
        return _host_bits_error(item, loose)
    address, slash, _ = text.partition("/")
    version = _address_version(address) if slash else None
    if version is not None:
        bits = 32 if version == 4 else 128
        return ValidationError(
            "“%(item)s” is not a valid CIDR range: an IPv%(version)s prefix length is "
            "a number from 1 to %(bits)s.",
            code="invalid_ip",
            params={"item": item, "version": version, "bits": bits},
        )
    return ValidationError(
        "“%(item)s” is not an IP address or CIDR range.", code="invalid_ip", params={"item": item}
    )


def _host_bits_error(item: str, loose: IPNetwork) -> ValidationError:
    """The error for an item that is a network once its host bits are cleared (`loose`)."""
    # With its host bits cleared, would the entry do? 1.2.3.4/0 would allow everyone, and
    # ::ffff:1.2.3.4/120 is IPv4: say that rather than suggest what would be refused next.
    try:
        _check_usable(item, loose)
    except ValidationError as error:
        return error
    return ValidationError(
        "“%(item)s” has host bits set. Did you mean %(network)s?",
        code="host_bits",
        params={"item": item, "network": format_ip_network(loose)},
    )


def _address_version(address: str) -> int | None:
    """4 or 6 for an IP address, None for anything else."""
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def parse_ip_list(text: str) -> list[str]:
    """Parse an IP allow-list into WHM's form: normalised, deduplicated, IPv4 then IPv6.

    Items are separated by line breaks, commas or spaces; blank text means any IP address (an
    empty list). Each item is an IPv4 or IPv6 address or CIDR range (a netmask such as
    /255.255.255.0 is accepted and saved as /24). Refused, each with a hint: host bits set,
    zone IDs, IPv4-mapped IPv6 (enter the IPv4 address), and entries that allow everything
    (0.0.0.0/0, ::/0, 0.0.0.0, ::), since an allow-list that allows every caller misleads
    whoever reads it: leaving the box blank says so plainly. One ValidationError names every
    bad item and the 100-entry limit together.
    """
    if len(text) > MAX_IP_TEXT_LENGTH:
        raise ValidationError(
            "This list is %(length)s characters long. The limit is %(limit)s characters.",
            code="too_long",
            params={"length": f"{len(text):,}", "limit": f"{MAX_IP_TEXT_LENGTH:,}"},
        )
    networks, bad = _parse_ip_items(item for item in _IP_SEPARATORS.split(text) if item)
    errors = _listed(list(bad.values()))
    entries = len(networks) + len(bad)
    if entries > MAX_IPS:
        errors.insert(0, _too_many(entries))
    if errors:
        raise ValidationError(errors)
    ordered = sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen))
    return [format_ip_network(network) for network in ordered]


def _parse_ip_items(items: Iterable[str]) -> tuple[set[IPNetwork], dict[str, ValidationError]]:
    """The networks the good items name, and each bad item with its error (once)."""
    networks: set[IPNetwork] = set()
    bad: dict[str, ValidationError] = {}
    for item in items:
        if item in bad:
            continue
        try:
            networks.add(_parse_ip_item(item))
        except ValidationError as error:
            bad[item] = error
    return networks, bad


def _listed(errors: list[ValidationError]) -> list[ValidationError]:
    """The first MAX_LISTED_BAD_IPS errors, and a line that counts the rest."""
    if len(errors) <= MAX_LISTED_BAD_IPS:
        return errors
    more = ValidationError(
        "%(count)s more entries are not valid either.",
        code="invalid_ip",
        params={"count": f"{len(errors) - MAX_LISTED_BAD_IPS:,}"},
    )
    return [*errors[:MAX_LISTED_BAD_IPS], more]


def _too_many(entries: int) -> ValidationError:
    return ValidationError(
        "You entered %(count)s IP addresses or ranges. The limit is %(limit)s.",
        code="too_many",
        params={"count": entries, "limit": MAX_IPS},
    )


def is_token_name(name: str) -> bool:
    """Whether `name` could name a token (WHM's and cPanel's rules): a value from a form or a
    URL that could not names none, and has no place in the audit trail."""
    try:
        validate_token_name(name)
    except ValidationError:
        return False
    return True
