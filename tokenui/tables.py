"""The state of a token table (search, sort, page, highlight), parsed from a request once, and
the URLs that table links to. Generic: a table says what its columns are and how to read a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

QUERY_LIMIT = 100  # characters of search kept: no name is longer than 50


@dataclass(frozen=True, slots=True)
class Column:
    """A sortable column: the word in `?sort=` and the key that sorts rows by it."""

    name: str
    key: Callable[[Any], Any]
    # Dates read best newest first on the first click; names A to Z.
    descending_first: bool = False


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What a table holds: its sortable columns, its default sort, how rows are named
    (the name a highlight picks and a search matches) and how many rows a page shows."""

    columns: tuple[Column, ...]
    default_sort: str
    name: Callable[[Any], str]
    page_size: int = 50

    def parse_sort(self, value: str | None) -> str:
        """`value` if it sorts by one of the columns ("name" or "-name"), else the default."""
        if value and value.removeprefix("-") in {column.name for column in self.columns}:
            return value
        return self.default_sort

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


@dataclass(frozen=True, slots=True)
class SortLink:
    url: str
    state: str  # the column header's aria-sort: ascending, descending or none


@dataclass(frozen=True)
class Table:
    """One table as the user is looking at it, and its links (every one keeps the search and
    sort, leaving out defaults)."""

    spec: TableSpec
    path: str  # the table's own URL, without a query string
    query: str
    sort: str
    page_number: str
    highlight: str
    # The control a page loaded whole was asked for by, where focus starts on it (ARRIVALS).
    arrived: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, spec: TableSpec, path: str) -> Table:
        view = _shown(request)
        return cls(
            spec=spec,
            path=path,
            query=view.get("q", "")[:QUERY_LIMIT],
            sort=spec.parse_sort(view.get("sort")),
            page_number=view.get("page", ""),
            # A highlight is asked for by a redirect to the table, never carried by an action.
            highlight=request.GET.get("highlight", ""),
            arrived=_arrived(request, spec),
        )

    @cached_property
    def params(self) -> QueryDict:
        """The search and sort as query parameters; the pager adds its page to these."""
        params = QueryDict(mutable=True)
        if self.query:
            params["q"] = self.query
        if self.sort != self.spec.default_sort:
            params["sort"] = self.sort
        return params

    @property
    def query_string(self) -> str:
        """`?q=…&sort=…` (or nothing): what a link away carries so that it can come back."""
        return f"?{self.params.urlencode()}" if self.params else ""

    def url(self, *, page: int = 1, highlight: str = "") -> str:
        """This table's URL: its search and sort, the page, and a row to highlight."""
        params = self.params.copy()
        if page > 1:
            params["page"] = str(page)
        if highlight:
            params["highlight"] = highlight
        return f"{self.path}?{params.urlencode()}" if params else self.path

    @cached_property
    def sort_links(self) -> dict[str, SortLink]:
        """Per column: the URL that sorts by it (flipping it when it is already the sort)."""
        return {column.name: self._sort_link(column) for column in self.spec.columns}

    def _sort_link(self, column: Column) -> SortLink:
        ascending, descending = column.name, f"-{column.name}"
        if self.sort in (ascending, descending):
            target = ascending if self.sort == descending else descending
            state = "ascending" if self.sort == ascending else "descending"
        else:
            target = descending if column.descending_first else ascending
            state = "none"
        params = {"sort": target} | ({"q": self.query} if self.query else {})
        return SortLink(f"?{urlencode(params)}", state)

    def matching(self, rows: Sequence[Any]) -> list[Any]:
        """The rows whose name holds the search, ignoring case, in the table's sort."""
        name = self.spec.name
        needle = self.query.strip().casefold()
        found = [row for row in rows if needle in name(row).casefold()] if needle else list(rows)
        column = self.spec.column(self.sort.removeprefix("-"))
        return sorted(found, key=column.key, reverse=self.sort.startswith("-"))

    def page(self, rows: Sequence[Any]) -> Page:
        """The page asked for, or else the page holding the highlighted row (else page 1)."""
        paginator = Paginator(rows, self.spec.page_size)
        return paginator.get_page(self.page_number or self._page_holding(rows))

    def _page_holding(self, rows: Sequence[Any]) -> int:
        name = self.spec.name
        index = next((i for i, row in enumerate(rows) if name(row) == self.highlight), 0)
        return index // self.spec.page_size + 1


# The pager names the first and last pages and the current one ±2; the rest are elided.
PAGER_EACH_SIDE = 2
PAGER_ENDS = 1


def page_numbers(page: Page) -> list[int | None]:
    """The pages the pager links to, in order, None where a run of them is elided: for page 10
    of 20, 1 None 8 9 10 11 12 None 20 (a gap of one page shows that page instead)."""
    numbers = page.paginator.get_elided_page_range(
        page.number, on_each_side=PAGER_EACH_SIDE, on_ends=PAGER_ENDS
    )
    return [None if number == page.paginator.ELLIPSIS else number for number in numbers]


def _arrived(request: HttpRequest, spec: TableSpec) -> str:
    """Which of the table's controls asked for this page, when it is loaded whole (JavaScript
    off, or a reload): "page" (the pager), "sort-NAME" (a sort link), "search" (the search
    form), or "" (none, or a row to highlight, which takes focus itself). A sort link puts its
    sort first in the URL and the search form its q, so the first parameter says which.
    An htmx swap is left alone: htmx gives focus back to an element of the same id, and an
    autofocus in a swapped table would take it from whoever is typing a search."""
    params = request.GET
    if request.method != "GET" or getattr(request, "htmx", None) or "highlight" in params:
        return ""
    if "page" in params:
        return "page"
    first = next(iter(params), "")
    if first == "sort":
        return "sort-" + spec.parse_sort(params.get("sort")).removeprefix("-")
    return "search" if first == "q" else ""


def _shown(request: HttpRequest) -> QueryDict:
    """The query of the table being shown: the URL's, or for an htmx action (say, Revoke from
    a filtered table) that of the page the user is looking at."""
    htmx = getattr(request, "htmx", None)
    if request.method == "POST" and htmx and htmx.current_url:
        try:
            return QueryDict(urlsplit(htmx.current_url).query)
        except ValueError:  # a broken or forged header; the action itself has already happened
            pass
    return request.GET
