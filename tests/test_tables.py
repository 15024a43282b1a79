"""A table's state parsed from the request once, and the links it builds, for any kind of row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.paginator import Paginator
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from tokenui.tables import Column, Table, TableSpec, page_numbers


@dataclass(frozen=True)
class Server:
    """Not a token: the table knows nothing of what its rows are."""

    host: str
    load: int


SPEC = TableSpec(
    columns=(Column("host", lambda s: s.host), Column("load", lambda s: s.load, True)),
    default_sort="host",
    name=lambda s: s.host,
    page_size=2,
)
SERVERS = [Server("b.example", 3), Server("a.example", 1), Server("c.test", 2)]


def table(query: str = "", *, method: str = "GET", current_url: str | None = None) -> Table:
    factory = RequestFactory()
    headers = {"HX-Request": "true"} | ({"HX-Current-URL": current_url} if current_url else {})
    request = (
        factory.post(f"/servers/{query}", headers=headers)
        if method == "POST"
        else factory.get(f"/servers/{query}", headers=headers)
    )
    request.htmx = HtmxDetails(request)
    return Table.from_request(request, SPEC, "/servers/")


def test_state_is_read_from_the_query_string() -> None:
    shown = table("?q=Example&sort=-load&page=2&highlight=c.test")
    assert (shown.query, shown.sort, shown.page_number, shown.highlight) == (
        "Example",
        "-load",
        "2",
        "c.test",
    )


def test_search_is_capped_at_100_characters() -> None:
    assert table("?q=" + "x" * 150).query == "x" * 100


@pytest.mark.parametrize("sort", ["bogus", "-", "name", ""])
def test_an_unknown_sort_falls_back_to_the_default(sort: str) -> None:
    assert table(f"?sort={sort}").sort == "host"


def test_an_htmx_post_reads_the_table_the_user_is_looking_at() -> None:
    shown = table(method="POST", current_url="http://testserver/servers/?q=a&sort=-load")
    assert (shown.query, shown.sort) == ("a", "-load")


def test_a_broken_current_url_header_falls_back_to_the_request() -> None:
    assert table("?q=b", method="POST", current_url="http://[oops/servers/").query == "b"


def test_matching_filters_by_name_ignoring_case_and_sorts() -> None:
    assert [s.host for s in table("?q=EXAMPLE").matching(SERVERS)] == ["a.example", "b.example"]
    assert [s.load for s in table("?sort=-load").matching(SERVERS)] == [3, 2, 1]


def test_sort_links_flip_the_current_column_and_start_each_other_its_own_way() -> None:
    links = table("?q=a&sort=host").sort_links
    assert (links["host"].url, links["host"].state) == ("?sort=-host&q=a", "ascending")
    # Load reads best highest first.
    assert (links["load"].url, links["load"].state) == ("?sort=-load&q=a", "none")
    flipped = table("?sort=-load").sort_links["load"]
    assert (flipped.url, flipped.state) == ("?sort=load", "descending")


def test_urls_keep_search_and_sort_and_leave_defaults_out() -> None:
    shown = table("?q=a b&sort=-load&page=3&highlight=x")
    assert shown.url() == "/servers/?q=a+b&sort=-load"
    assert (
        shown.url(page=3, highlight="c.test")
        == "/servers/?q=a+b&sort=-load&page=3&highlight=c.test"
    )
    assert shown.query_string == "?q=a+b&sort=-load"
    assert table("?sort=host").url() == "/servers/"
    assert table().query_string == ""


def test_the_page_holding_the_highlighted_row_is_shown() -> None:
    shown = table("?highlight=c.test")
    page = shown.page(shown.matching(SERVERS))
    assert page.number == 2
    assert [s.host for s in page.object_list] == ["c.test"]


def test_a_page_asked_for_wins_over_the_highlight_and_nonsense_is_page_one() -> None:
    assert table("?page=1&highlight=c.test").page(SERVERS).number == 1
    assert table("?page=zzz").page(SERVERS).number == 1


@pytest.mark.parametrize(
    ("current", "pages", "shown"),
    [
        (1, 20, [1, 2, 3, None, 20]),
        (10, 20, [1, None, 8, 9, 10, 11, 12, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (5, 20, [1, 2, 3, 4, 5, 6, 7, None, 20]),  # a gap of one page shows that page
        (2, 4, [1, 2, 3, 4]),
    ],
)
def test_the_pager_names_first_last_and_the_current_page_two_either_side(
    current: int, pages: int, shown: list[int | None]
) -> None:
    page = Paginator(range(pages * 50), 50).page(current)

    assert page_numbers(page) == shown
