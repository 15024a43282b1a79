"""What the charts count, in SQL over the inventory: tokens expiring per week over the next 90
days (by server or by risk) and risky tokens week by week over the last 12 weeks.

Each chart is one grouped query with one conditional count per week, so its cost grows with the
tokens the database scans, not with what Python loops over: the rows come back already summed,
one per server or per set of risk flags (a few dozen at most).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import formats, timezone

from tokenui.inventory.models import InventoryToken
from tokenui.risk import ALL_FLAGS, EXPIRED_FLAG, NO_EXPIRY_FLAG

WEEK = timedelta(days=7)
HORIZON = timedelta(days=90)  # the expiry timeline looks this far ahead
WEEKS_AHEAD = 13  # weeks starting now; the 13th ends at the horizon (day 90)
WEEKS_BACK = 12  # the risk history: now and each of the 12 weeks before
TOP_SERVERS = 8  # by server, the servers with most tokens expiring; the rest are summed
NO_FLAG = "No risk flag"
# By risk, a token expiring ahead is counted once, under the first of its flags in ALL_FLAGS'
# order (the table's order); it cannot have No expiry nor, yet, Expired.
EXPIRY_RISKS = tuple(f for f in ALL_FLAGS if f not in (NO_EXPIRY_FLAG, EXPIRED_FLAG))
BY_CHOICES = {"server": "By server", "risk": "By risk"}


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart's numbers: a label per column (week) and a series per line or stack."""

    labels: tuple[str, ...]
    moments: tuple[datetime, ...]  # where each column starts (or, over time, the moment)
    series: tuple[Series, ...]

    def rows(self) -> list[tuple[str, datetime, list[tuple[str, int]], int]]:
        """The table beside the chart: per column its label, its moment, each series' name
        and value, and their sum."""
        rows = []
        for i, (label, moment) in enumerate(zip(self.labels, self.moments, strict=True)):
            cells = [(s.name, s.values[i]) for s in self.series]
            rows.append((label, moment, cells, sum(value for _, value in cells)))
        return rows

    @property
    def empty(self) -> bool:
        return not any(s.total for s in self.series)


def label(moment: datetime) -> str:
    """A week's short label: its first day, in the server's time zone (e.g. 7 Dec)."""
    return formats.date_format(timezone.localtime(moment), "j M")


def visible_tokens(server_ids: Iterable[int] | None) -> QuerySet[InventoryToken]:
    """The inventory of these servers (None: every server), unordered for grouping."""
    tokens = InventoryToken.objects.order_by()
    return tokens if server_ids is None else tokens.filter(server_id__in=list(server_ids))


def weeks_ahead(now: datetime) -> list[tuple[datetime, datetime]]:
    """The timeline's weeks: [start, end) from now, the last one cut at the horizon."""
    end = now + HORIZON
    return [(now + k * WEEK, min(now + (k + 1) * WEEK, end)) for k in range(WEEKS_AHEAD)]


def expiry_timeline(server_ids: Iterable[int] | None, by: str, now: datetime) -> Chart:
    """Tokens still listed that expire in each week of the next 90 days, by server or by risk."""
    weeks = weeks_ahead(now)
    counts = {
        f"w{k}": Count("pk", filter=Q(expires__gte=start, expires__lt=end))
        for k, (start, end) in enumerate(weeks)
    }
    tokens = visible_tokens(server_ids).filter(
        gone__isnull=True, expires__gte=now, expires__lt=weeks[-1][1]
    )
    if by == "server":
        group, grouped = "server__name", tokens.values("server__name")
    else:
        group, grouped = "flag_text", _with_flag_text(tokens).values("flag_text")
    found = [(row[group], _values(row, "w", len(weeks))) for row in grouped.annotate(**counts)]
    series = _by_server(found) if by == "server" else _by_risk(found)
    starts = tuple(start for start, _ in weeks)
    return Chart(tuple(map(label, starts)), starts, series)


def _with_flag_text(tokens: QuerySet[InventoryToken]) -> QuerySet[InventoryToken]:
    """Group by the set of flags as the database writes it: a few dozen sets at most."""
    return tokens.annotate(flag_text=Cast("flags", TextField()))


def _values(row: dict[str, int], prefix: str, n: int) -> tuple[int, ...]:
    return tuple(row[f"{prefix}{k}"] for k in range(n))


def _by_server(found: list[tuple[str, tuple[int, ...]]]) -> tuple[Series, ...]:
    ranked = sorted(found, key=lambda item: (-sum(item[1]), item[0]))
    series = [Series(name, values) for name, values in ranked[:TOP_SERVERS]]
    rest = ranked[TOP_SERVERS:]
    if rest:
        summed = tuple(map(sum, zip(*(values for _, values in rest), strict=True)))
        others = "1 other server" if len(rest) == 1 else f"{len(rest)} other servers"
        series.append(Series(others, summed))
    return tuple(series)


def _by_risk(found: list[tuple[str, tuple[int, ...]]]) -> tuple[Series, ...]:
    width = len(found[0][1]) if found else WEEKS_AHEAD
    sums = {name: [0] * width for name in [f.words for f in EXPIRY_RISKS] + [NO_FLAG]}
    for flag_text, values in found:
        keys = set(json.loads(flag_text))
        first = next((f.words for f in EXPIRY_RISKS if f.key in keys), NO_FLAG)
        sums[first] = [a + b for a, b in zip(sums[first], values, strict=True)]
    return tuple(Series(name, tuple(values)) for name, values in sums.items())


def moments_back(now: datetime) -> list[datetime]:
    """The risk history's moments: a week apart, the last one now."""
    return [now - (WEEKS_BACK - k) * WEEK for k in range(WEEKS_BACK + 1)]


def risky_over_time(server_ids: Iterable[int] | None, now: datetime) -> Chart:
    """How many tokens were listed with each risk flag at each moment, and with any.

    A token was listed from its first sighting until the read that found it gone. Its flags
    are those of its last read, except Expired, which is worked out for each moment from its
    expiry (a token becomes expired without changing)."""
    moments = moments_back(now)
    counts = {}
    for k, moment in enumerate(moments):
        listed = Q(first_seen__lte=moment) & (Q(gone__isnull=True) | Q(gone__gt=moment))
        counts[f"p{k}"] = Count("pk", filter=listed)
        counts[f"e{k}"] = Count("pk", filter=listed & Q(expires__lte=moment))
    tokens = visible_tokens(server_ids).filter(Q(gone__isnull=True) | Q(gone__gt=moments[0]))
    grouped = _with_flag_text(tokens).values("flag_text")
    sums = {name: [0] * len(moments) for name in ["Any risk flag", *(f.words for f in ALL_FLAGS)]}
    for row in grouped.annotate(**counts):
        _add_group(sums, row, len(moments))
    series = tuple(Series(name, tuple(values)) for name, values in sums.items())
    return Chart(tuple(map(label, moments)), tuple(moments), series)


def _add_group(sums: dict[str, list[int]], row: dict[str, object], n: int) -> None:
    """Add one set of flags' counts to each of its flags' series, and to Any risk flag."""
    kept = set(json.loads(str(row["flag_text"]))) - {EXPIRED_FLAG.key}
    words = [f.words for f in ALL_FLAGS if f.key in kept]
    listed, expired = _values(row, "p", n), _values(row, "e", n)  # type: ignore[arg-type]
    for k in range(n):
        for name in words:
            sums[name][k] += listed[k]
        sums[EXPIRED_FLAG.words][k] += expired[k]
        sums["Any risk flag"][k] += listed[k] if kept else expired[k]


def describe_expiry(chart: Chart, by: str) -> str:
    """The timeline's text alternative: what it shows, the total and its busiest week."""
    totals = [total for *_, total in chart.rows()]
    what = "server" if by == "server" else "risk flag"
    words = (
        f"Stacked bars, one per week from {chart.labels[0]} to {chart.labels[-1]}, of the "
        f"tokens expiring that week, a colour per {what}: {sum(totals)} in all"
    )
    if sum(totals):
        busiest = totals.index(max(totals))
        words += f", the most ({totals[busiest]}) in the week from {chart.labels[busiest]}"
    return f"{words}. The table after the chart gives every number."


def describe_risky(chart: Chart) -> str:
    """The history's text alternative: what it shows and how the count of risky tokens went."""
    any_flag = chart.series[0].values
    return (
        f"Lines, one per risk flag, of the tokens listed with it each week from "
        f"{chart.labels[0]} to {chart.labels[-1]}: tokens with any risk flag went from "
        f"{any_flag[0]} to {any_flag[-1]}. The table after the chart gives every number."
    )
