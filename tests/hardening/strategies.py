"""Hypothesis strategies for what people (and attackers) type into TokenUI, with what WHM allows.

Each field has a wide strategy (anything at all) and, where a test needs an oracle, a strategy
whose validity is known by construction: `ip_items` yields (text, network or None).
"""

from __future__ import annotations

import datetime
import ipaddress
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tokenui.acls import ACL_KEYS
from tokenui.simulator.seed import RESELLER_ACLS

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Text an HTTP form can carry: any code point but lone surrogates (UTF-8 cannot encode them).
FORM_CHARS = st.characters(exclude_categories=("Cs",))
NAME_CHARS = "abcxyzABCXYZ0189_-"
WHM_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")

# Per-property budgets: the cheap checks run the most examples; those over HTTP stay quick.
CHEAP = settings(max_examples=100, deadline=None)
OVER_HTTP = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- token names -----------------------------------------------------------------------------

LOOK_ALIKES = [
    "b\u0456lling-bot",  # Cyrillic i
    "r\u0435\u0440\u043erting",  # Cyrillic r, e, o
    "\uff42\uff49\uff4c\uff4c\uff49\uff4e\uff47",  # full-width
    "billing\u2010bot",  # U+2010 hyphen
    "billing\u2013bot",  # en dash
    "bill\u200bing",  # zero-width space
    "bill\u00ading",  # soft hyphen
    "deploy\u202ebot",  # right-to-left override
    "\u0391\u0392\u0393",  # Greek capitals that look Latin
    "\u0130stanbul",
    "stra\u00dfe",
]
EDGE_NAMES = [
    "",
    " ",
    "\t\n",
    "a" * 50,
    "a" * 51,
    "-" * 50,
    "_",
    "x" * 49 + "é",
    " reporting ",  # an existing name once stripped
    "reporting\u00a0",  # NBSP is whitespace to str.strip
    "nul\x00name",
    "\x7f",
    "a\r\nb",
    "../etc",
    "<script>",
    "name%00",
]
names = st.one_of(
    st.text(FORM_CHARS, max_size=60),
    st.text(NAME_CHARS + " \t\n\x00.é", max_size=55),
    st.from_regex(r"[A-Za-z0-9_-]{1,50}", fullmatch=True),
    st.sampled_from(LOOK_ALIKES + EDGE_NAMES),
)


def whm_accepts_name(raw: str, taken: frozenset[str] = frozenset()) -> bool:
    """Whether the Name box holding `raw` should be accepted (the form strips surrounding
    whitespace, as Django's CharField does)."""
    name = raw.strip()
    return WHM_NAME.fullmatch(name) is not None and name not in taken


# --- IP allow-lists --------------------------------------------------------------------------


def _usable(network: IPNetwork) -> bool:
    """TokenUI's policy on top of WHM's syntax: no entry that allows everyone, none that no
    caller can have, and no IPv4-mapped IPv6 (WHM sees such a caller as IPv4)."""
    if network.prefixlen == 0:
        return False
    if network.prefixlen == network.max_prefixlen and network.network_address.is_unspecified:
        return False
    if network.version == 6 and network.prefixlen >= 96:
        return network.network_address.ipv4_mapped is None
    return True


@st.composite
def _valid_ip_item(draw: st.DrawFn) -> tuple[str, IPNetwork]:
    version = draw(st.sampled_from([4, 6]))
    address = draw(st.ip_addresses(v=version))
    bits = 32 if version == 4 else 128
    prefix = draw(st.integers(1, bits))
    network = ipaddress.ip_network((address, prefix), strict=False)
    if not _usable(network):
        network = ipaddress.ip_network(
            ("10.0.0.0" if version == 4 else "2001:db8::", prefix // 2 or 1), strict=False
        )
    # Every spelling is made from the final network, never from what was drawn: the
    # replacement above has another prefix (writing the drawn one once made "2001:db8::/96"
    # stand for 2001:db8::/48).
    base, length = network.network_address, network.prefixlen
    written = [f"{base}/{length}", f"{base.exploded}/{length}", f"{base}/{length}".upper()]
    if length == network.max_prefixlen:
        written += [str(base), base.exploded.upper()]
    if version == 4:
        written.append(f"{base}/{network.netmask}")
    text = draw(st.sampled_from(written))
    assert _usable(network), network
    assert whm_ip_entry(text) == network, f"{text!r} is not {network}"
    return text, network


@st.composite
def _refused_ip_item(draw: st.DrawFn) -> str:
    v4 = draw(st.ip_addresses(v=4))
    v6 = draw(st.ip_addresses(v=6))
    kind = draw(st.integers(0, 9))
    if kind == 0:  # host bits set
        prefix = draw(st.integers(1, 31))
        return f"{ipaddress.IPv4Address(int(v4) | 1)}/{prefix}"  # the last bit is a host bit
    if kind == 1:  # allows everyone
        return draw(st.sampled_from([f"{v4}/0", f"{v6}/0", "0.0.0.0/0", "::/0", "::ffff:0:0/96"]))
    if kind == 2:  # no caller has it
        return draw(st.sampled_from(["0.0.0.0", "::", "0.0.0.0/32", "::/128", "0:0::0"]))  # noqa: S104
    if kind == 3:  # IPv4 written as IPv6
        prefix = draw(st.sampled_from(["", "/128", "/120", "/104"]))
        return f"::ffff:{v4}{prefix}"
    if kind == 4:  # an octet out of range
        octets = draw(
            st.lists(st.integers(0, 999), min_size=4, max_size=4).filter(lambda o: max(o) > 255)
        )
        return ".".join(map(str, octets))
    if kind == 5:  # a zone ID
        zone = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6))
        return f"{v6}%{zone}"
    if kind == 6:  # a prefix length out of range or not a number
        bad = draw(st.sampled_from(["33", "-1", "abc", "", "1.5", "\uff10"]))
        return f"{v4}/{bad}"
    if kind == 7:  # not an address at all (letters no address has)
        return draw(st.text("ghijklmnopqrstuvwxyz!@#$^&*()[]_=+", min_size=1, max_size=12))
    if kind == 8:  # a look-alike digit
        return str(v4).replace("1", "\uff11", 1) if "1" in str(v4) else f"\uff11{v4}"
    return f"{v4}:8080"


ip_items = st.one_of(
    _valid_ip_item(),
    _refused_ip_item().map(lambda item: (item, None)),
)
SEPARATORS = st.sampled_from(["\n", "\r\n", ",", ", ", " ", "\t", " ,\n ", ",,", "\n\n"])


@st.composite
def ip_lists(draw: st.DrawFn, max_size: int = 12) -> tuple[str, list[tuple[str, IPNetwork | None]]]:
    """A typed allow-list, and its items as (text, network or None when refused)."""
    items = draw(st.lists(ip_items, max_size=max_size))
    text = draw(st.sampled_from(["", " ", "\n"]))
    for item, _ in items:
        text += item + draw(SEPARATORS)
    return text, items


ip_texts = st.one_of(
    ip_lists().map(lambda pair: pair[0]),
    st.text(FORM_CHARS, max_size=80),
    st.text("0123456789abcdef.:/%, \n", max_size=80),
    st.sampled_from(
        ["0.0.0.0/0", "::/0", "1.1.1.1 " * 1300, "\x00", "\uff11.\uff11.\uff11.\uff11"]
    ),
)


def whm_ip_entry(entry: str) -> IPNetwork | None:
    """The network WHM reads from one whitelist entry, or None if WHM refuses it."""
    try:
        return ipaddress.ip_network(entry, strict=True)
    except ValueError:
        return None


def canonical(network: IPNetwork) -> str:
    """How TokenUI writes an entry: no /32 or /128, IPv6 compressed."""
    if network.prefixlen == network.max_prefixlen:
        return network.network_address.compressed
    return network.compressed


# --- dates -----------------------------------------------------------------------------------

TODAY = datetime.date(2026, 3, 14)  # the form's "today" in direct tests (not a leap day)


def latest_expiry(today: datetime.date) -> datetime.date:
    """The last date an expiry may be: the same day 100 years on, 28 February for a 29th
    whose year is not a leap year. (This once gave today itself for any 29 February, so on a
    leap day the over-HTTP tests, which use WHM's real today, expected tomorrow refused.)"""
    try:
        return today.replace(year=today.year + 100)
    except ValueError:
        return today.replace(year=today.year + 100, day=28)


LATEST = latest_expiry(TODAY)


def date_texts(today: datetime.date) -> st.SearchStrategy[str]:
    latest = latest_expiry(today)
    near = st.integers(-3, 3).map(lambda days: (today + datetime.timedelta(days=days)).isoformat())
    return st.one_of(
        near,
        st.dates().map(datetime.date.isoformat),
        st.sampled_from(
            [
                latest.isoformat(),
                (latest + datetime.timedelta(days=1)).isoformat(),
                "",
                "today",
                "2027-02-29",
                "2027-13-01",
                "2027-00-10",
                "0000-01-01",
                "9999-12-31",
                "2027/03/14",
                "14-03-2027",
                "2027-3-4",
                f" {today.isoformat()} ",
                "\uff12\uff10\uff12\uff17-\uff10\uff11-\uff10\uff11",
                "20270101",
                "1e3",
                "\x00",
            ]
        ),
        st.builds(
            "{:04d}-{:02d}-{:02d}".format,
            st.integers(0, 9999),
            st.integers(0, 99),
            st.integers(0, 99),
        ),
        st.text(FORM_CHARS, max_size=20),
    )


def accepted_date(raw: str, today: datetime.date) -> bool:
    """Whether raw is a YYYY-MM-DD date from today up to 100 years on."""
    try:
        day = datetime.datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        return False
    return today <= day <= latest_expiry(today)


expiry_choices = st.sampled_from(["date", "never", "", "DATE", "sometimes", "never\x00"])

# --- ACL lists -------------------------------------------------------------------------------

ACL_WORDS = [*ACL_KEYS, "", "demo", "software-ConfigServer-csf", "software-other", "ALL", "all "]
acl_lists = st.one_of(
    st.lists(st.sampled_from(ACL_WORDS), max_size=12),
    st.lists(st.sampled_from(RESELLER_ACLS), min_size=1, max_size=6),
    st.lists(st.text(FORM_CHARS, max_size=20), max_size=5),
    st.integers(0, 300).map(lambda n: ["kill-acct"] * n),  # huge and repetitive
)
