"""The staff All servers table over the inventory, in SQL: search, filters, sort and a page, each
sort served by an index of tokens still there (tokenui/inventory/models.py), so a page of
100,000 tokens reads a slice rather than sorting them all. The page and the benchmark
(bench/) both call `find` and `page`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from tokenui.inventory.models import InventoryToken, OwnerKind

PAGE_SIZE = 50
TRIGRAM = 3  # the shortest needle the trigram index finds (SQLite's FTS5 trigram tokenizer)
TRIGRAM_MATCH = "SELECT rowid FROM inventory_search WHERE inventory_search MATCH %s"
QUERY_LIMIT = 100
# The state filter: WHM's words for a token's expiry, and the tokens no longer there.
STATES = {
    "expired": "Expired",
    "expiring": "Expiring soon",
    "gone": "Gone",
}
# Each sort's order, ascending; "-" before its name reverses every part. The id last makes
# the order total, so that a page never shows a row twice.
SORTS = {
    "server": (F("server_name"), Lower("name"), F("id")),
    "owner": (Lower("owner"), F("id")),
    "name": (Lower("name"), F("id")),
    "created": (F("created"), F("id")),
    "expires": (F("expires"), F("id")),
}


@dataclass(frozen=True, slots=True)
class Criteria:
    """What the table shows: the servers the staff member may see (ids; None: every server,
    which lets the sort's index drive the query), narrowed by search, server, owner kind,
    risk and state, in one sort."""

    servers: Sequence[int] | None
    query: str = ""
    server: int | None = None
    owner_kind: str = ""
    risky: bool = False
    state: str = ""
    sort: str = "server"
    warning_days: int = 7


def find(criteria: Criteria, now: datetime | None = None) -> QuerySet[InventoryToken]:
    """The tokens that pass the criteria, in their sort (a lazy queryset: page it)."""
    now = now or timezone.now()
    tokens = InventoryToken.objects.filter(gone__isnull=criteria.state != "gone")
    if criteria.server is not None and (
        criteria.servers is None or criteria.server in criteria.servers
    ):
        tokens = tokens.filter(server_id=criteria.server)
    elif criteria.servers is not None:
        tokens = tokens.filter(server_id__in=list(criteria.servers))
    if criteria.state == "expired":
        tokens = tokens.filter(expires__lte=now)
    elif criteria.state == "expiring":
        tokens = tokens.filter(expires__gt=now, expires__lte=now + _days(criteria.warning_days))
    if criteria.owner_kind in OwnerKind.values:
        tokens = tokens.filter(owner_kind=criteria.owner_kind)
    if criteria.risky:
        tokens = tokens.filter(risky=True)
    if needle := criteria.query.strip()[:QUERY_LIMIT].lower():
        tokens = _searched(tokens, needle)
    return tokens.order_by(*_order(criteria.sort))


def _searched(tokens: QuerySet[InventoryToken], needle: str) -> QuerySet[InventoryToken]:
    """The tokens whose name, owner or server holds `needle`. On SQLite, a needle of three
    characters or more is looked up in the trigram index (migration 0004) rather than by a
    scan of every row; the trigram index finds exactly the rows LIKE would."""
    if connection.vendor != "sqlite" or len(needle) < TRIGRAM:
        return tokens.filter(search__contains=needle)
    phrase = '"' + needle.replace('"', '""') + '"'
    # A constant query; the needle goes as a parameter.
    return tokens.filter(pk__in=RawSQL(TRIGRAM_MATCH, [phrase]))  # noqa: S611


def _days(days: int) -> timedelta:
    return timedelta(days=days)


def _order(sort: str) -> list[object]:
    """The sort's ORDER BY. Only an expiry can be empty (never): last going up, first going
    down; the other parts say nothing of NULLs, so that their index serves them as written."""
    column = sort.removeprefix("-")
    descending = sort.startswith("-")
    order = []
    for part in SORTS.get(column, SORTS["server"]):
        if column == "expires" and part is SORTS["expires"][0]:
            order.append(part.desc(nulls_first=True) if descending else part.asc(nulls_last=True))
        else:
            order.append(part.desc() if descending else part.asc())
    return order


def page(criteria: Criteria, number: str | int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of the tokens found (a count and a slice: two queries)."""
    return Paginator(find(criteria), size).get_page(number)
