"""The Charts page: the expiry timeline and the risky tokens over time, over the inventory of the
servers the member holds a role on, each with its numbers in a table. The numbers expected are
counted here, row by row, from the tokens each test makes, not by the page's queries."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import offline_server
from tokenui.charts.drawing import COLOURS, STYLE, SVG_POLICY
from tokenui.inventory.models import InventoryToken, OwnerKind
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CHARTS = f"/staff/charts/?at={NOW.timestamp()}"
DAY = timedelta(days=1)
STABLE = ("full-access", "bypass", "no-expiry", "any-ip", "wide-range")
WORDS = {
    "full-access": "Full access",
    "bypass": "Can bypass limits",
    "no-expiry": "No expiry",
    "any-ip": "Any IP",
    "wide-range": "Wide range",
    "expired": "Expired",
}
ROW = re.compile(r"<tr><th scope=\"row\"><time [^>]*>([^<]*)</time></th>(.*?)</tr>", re.S)
CELL = re.compile(r'<td data-label="([^"]*)">(\d+)</td>')


def make_tokens(server: ConnectedServer, count: int, seed: int) -> list[InventoryToken]:
    """`count` tokens of every kind: expiring before, within and after 90 days or never, with
    random flags, seen first up to 20 weeks ago, some gone since."""
    rng = random.Random(seed)
    tokens = []
    for i in range(count):
        expires = None if rng.random() < 0.2 else NOW + rng.uniform(-40, 120) * DAY
        flags = [key for key in STABLE if key != "no-expiry" and rng.random() < 0.3]
        flags += ["no-expiry"] if expires is None else []
        flags += ["expired"] if expires is not None and expires <= NOW else []
        first_seen = NOW - rng.uniform(0, 140) * DAY
        gone = None if rng.random() < 0.7 else first_seen + (NOW - first_seen) * rng.random()
        tokens.append(
            InventoryToken(
                server=server,
                owner_kind=OwnerKind.WHM,
                owner="root",
                name=f"{server.name}-{i}",
                created=first_seen - DAY,
                expires=expires,
                privileges="",
                flags=flags,
                first_seen=first_seen,
                last_seen=gone or NOW,
                gone=gone,
            )
        )
    return InventoryToken.objects.bulk_create(tokens)


def table(page: str, caption: str) -> dict[str, dict[str, int]]:
    """A chart's table, as {row's label: {column: number}}."""
    body = page[page.index(f"<caption>{caption}</caption>") :]
    body = body[: body.index("</table>")]
    return {
        label: {name: int(value) for name, value in CELL.findall(cells)}
        for label, cells in ROW.findall(body)
    }


def week_label(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"


def expected_expiry(tokens: list[InventoryToken], key) -> dict[str, dict[str, int]]:
    """Per week from NOW (the 13th cut at 90 days): the tokens not gone expiring in it, per
    `key(token)`."""
    counts: dict[str, dict[str, int]] = {}
    for week in range(13):
        start, end = NOW + week * 7 * DAY, min(NOW + (week + 1) * 7 * DAY, NOW + 90 * DAY)
        row = counts.setdefault(week_label(start), {})
        for token in tokens:
            if token.gone is None and token.expires and start <= token.expires < end:
                row[key(token)] = row.get(key(token), 0) + 1
    return counts


def first_risk(token: InventoryToken) -> str:
    for key in ("full-access", "bypass", "any-ip", "wide-range"):
        if key in token.flags:
            return WORDS[key]
    return "No risk flag"


def expected_risky(tokens: list[InventoryToken]) -> dict[str, dict[str, int]]:
    """At NOW and each of the 12 weeks before: the tokens listed then, per flag, and with any."""
    counts = {}
    for week in range(12, -1, -1):
        moment = NOW - week * 7 * DAY
        row = dict.fromkeys(["Any risk flag", *WORDS.values()], 0)
        for token in tokens:
            if token.first_seen > moment or (token.gone and token.gone <= moment):
                continue
            held = [WORDS[k] for k in STABLE if k in token.flags]
            if token.expires is not None and token.expires <= moment:
                held.append("Expired")
            for words in held:
                row[words] += 1
            row["Any risk flag"] += bool(held)
        counts[week_label(moment)] = row
    return counts


def shown(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The table's numbers without the zeros (the expected counts leave them out)."""
    return {
        label: {k: v for k, v in row.items() if v and k != "Total"} for label, row in counts.items()
    }


def at_the_edges(tokens: list[InventoryToken]) -> list[InventoryToken]:
    """Move some tokens' expiry onto the timeline's edges: a minute either side of now, of a
    week's turn and of the 90th day."""
    edges = [NOW, NOW + 7 * DAY, NOW + 90 * DAY]
    moments = [edge + minutes * timedelta(minutes=1) for edge in edges for minutes in (-1, 0, 1)]
    listed = [token for token in tokens if token.gone is None]
    for token, moment in zip(listed, moments, strict=False):
        token.expires = moment
        token.flags = [key for key in token.flags if key not in ("no-expiry", "expired")]
        token.flags += ["expired"] if moment <= NOW else []
    InventoryToken.objects.bulk_update(listed, ["expires", "flags"])
    return tokens


@pytest.fixture
def fleet() -> dict[str, list[InventoryToken]]:
    """Three servers' inventories, 80 tokens each, some expiring on the timeline's edges."""
    return {
        name: at_the_edges(make_tokens(offline_server(name), 80, seed))
        for seed, name in enumerate(("eu", "us", "asia"))
    }


def test_the_charts_need_a_staff_role(staff_client, fleet) -> None:
    client = staff_client(None)
    for url in (CHARTS, "/staff/charts/expiry.svg", "/staff/charts/risky.svg"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Your staff role does not allow this." in response.text


def test_the_expiry_timeline_counts_each_servers_tokens_per_week(staff_client, fleet) -> None:
    page = staff_client(Role.VIEWER).get(CHARTS).text
    every = [token for tokens in fleet.values() for token in tokens]
    numbers = table(page, "Tokens expiring per week")
    assert len(numbers) == 13
    expected = expected_expiry(every, lambda token: token.server.name)
    assert sum(len(row) for row in expected.values()) > 20  # most weeks have some on each server
    assert shown(numbers) == expected
    assert all(row["Total"] == sum(row.values()) - row["Total"] for row in numbers.values())


def test_the_expiry_timeline_by_risk_counts_each_token_under_its_first_flag(
    staff_client, fleet
) -> None:
    page = staff_client(Role.VIEWER).get(f"{CHARTS}&by=risk").text
    every = [token for tokens in fleet.values() for token in tokens]
    assert shown(table(page, "Tokens expiring per week")) == expected_expiry(every, first_risk)
    assert 'value="risk" checked' in page


def test_risky_tokens_over_time_count_the_tokens_listed_each_week(staff_client, fleet) -> None:
    page = staff_client(Role.VIEWER).get(CHARTS).text
    every = [token for tokens in fleet.values() for token in tokens]
    expected = expected_risky(every)
    assert all(sum(row[name] for row in expected.values()) for name in WORDS.values())
    assert table(page, "Risky tokens listed, week by week") == expected


def test_a_role_on_one_server_charts_only_its_tokens(staff_client, fleet) -> None:
    eu = ConnectedServer.objects.get(name="eu")
    page = staff_client(Role.VIEWER, eu).get(CHARTS).text
    expiring = table(page, "Tokens expiring per week")
    assert shown(expiring) == expected_expiry(fleet["eu"], lambda token: token.server.name)
    assert table(page, "Risky tokens listed, week by week") == expected_risky(fleet["eu"])
    assert "us" not in {name for row in expiring.values() for name in row}
    svg = staff_client(Role.VIEWER, eu, name="eu-only").get(
        f"/staff/charts/expiry.svg?at={NOW.timestamp()}"
    )
    assert ">eu<" in svg.text
    assert ">us<" not in svg.text
    assert ">asia<" not in svg.text


def test_beyond_eight_servers_the_rest_are_summed(staff_client) -> None:
    tokens = []
    for i in range(10):
        tokens += make_tokens(offline_server(f"s{i:02}"), 5 + 3 * i, seed=i)
    page = staff_client(Role.VIEWER).get(CHARTS).text
    numbers = table(page, "Tokens expiring per week")
    totals: dict[str, int] = {}
    for token in tokens:
        if token.gone is None and token.expires and NOW <= token.expires < NOW + 90 * DAY:
            totals[token.server.name] = totals.get(token.server.name, 0) + 1
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    columns = [name for row in numbers.values() for name in row]
    assert set(columns) == {*ranked[:8], f"{len(ranked) - 8} other servers", "Total"}
    other = sum(row[f"{len(ranked) - 8} other servers"] for row in numbers.values())
    assert other == sum(totals[name] for name in ranked[8:])


def test_each_chart_is_an_svg_image_under_its_own_policy(staff_client, fleet) -> None:
    client = staff_client(Role.VIEWER)
    page = client.get(CHARTS)
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    pictures = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page.text)
    narrow = re.findall(r'<source media="[^"]+" srcset="([^"]+)"', page.text)
    assert [alt.split(",")[0] for _, alt in pictures] == ["Stacked bars", "Lines"]
    for url in [src.replace("&amp;", "&") for src in [src for src, _ in pictures] + narrow]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
        assert response.headers["Content-Security-Policy"] == SVG_POLICY
        assert "<svg" in response.text
        assert "pygal" in response.text
    assert client.get("/staff/charts/other.svg").status_code == 404


def test_the_text_alternative_names_the_total_and_the_busiest_week(staff_client, fleet) -> None:
    page = staff_client(Role.VIEWER).get(CHARTS).text
    numbers = table(page, "Tokens expiring per week")
    total = sum(row["Total"] for row in numbers.values())
    busiest = max(numbers, key=lambda label: numbers[label]["Total"])
    assert (
        f"{total} in all, the most ({numbers[busiest]['Total']}) in the week from {busiest}" in page
    )


def test_the_staff_nav_links_to_the_charts(staff_client, fleet) -> None:
    page = staff_client(Role.VIEWER).get("/staff/").text
    assert '<a href="/staff/charts/">Charts</a>' in page
    assert (
        'href="/staff/charts/" aria-current="page">Charts<'
        in staff_client(Role.VIEWER, name="another").get(CHARTS).text
    )


def test_all_servers_and_the_charts_link_to_each_other(staff_client, fleet) -> None:
    client = staff_client(Role.VIEWER)
    all_servers = client.get("/staff/fleet/").text
    # Near the heading (the staff menu's own Charts link comes before it).
    head = all_servers[all_servers.index("<h1>") : all_servers.index('id="servers-heading"')]
    assert '<a href="/staff/charts/">Charts</a>' in head
    charts = client.get(CHARTS).text
    head = charts[charts.index("<h1>") : charts.index('id="expiry-title"')]
    assert '<a href="/staff/fleet/">All servers</a>' in head


def contrast_on_white(colour: str) -> float:
    """WCAG's contrast ratio of `colour` (#rrggbb) against white."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * red + 0.7152 * green + 0.0722 * blue + 0.05)


@pytest.mark.parametrize("colour", [*COLOURS, STYLE.foreground, STYLE.foreground_subtle])
def test_every_colour_of_the_pictures_reads_on_white(colour: str) -> None:
    assert STYLE.background == STYLE.plot_background == "#ffffff"
    assert contrast_on_white(colour) >= 4.5


def test_an_empty_inventory_says_so_and_draws_nothing_but_zeros(staff_client) -> None:
    offline_server("eu")
    client = staff_client(Role.VIEWER)
    page = client.get(CHARTS).text
    assert "No token on your servers expires in the next 90 days." in page
    assert all(row == {"Total": 0} for row in table(page, "Tokens expiring per week").values())
    risky = table(page, "Risky tokens listed, week by week")
    assert len(risky) == 13
    assert not any(value for row in risky.values() for value in row.values())
    assert "No tokens" in client.get(f"/staff/charts/expiry.svg?at={NOW.timestamp()}").text
    assert client.get(f"/staff/charts/risky.svg?at={NOW.timestamp()}").status_code == 200
