"""The All servers table at 12,000 tokens: a page shows a slice, search and paging filter the
list read from the servers."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from tests.fleet.conftest import sign_in_to
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_client(client: Client, big_simulator: Simulator, settings) -> Client:
    # One simulator under two names: two servers of 6,000 tokens each.
    settings.WHM_SERVERS = {"east": big_simulator.url, "west": big_simulator.url}
    settings.WHM_TIMEOUT = 20.0
    return sign_in_to(client, "east", "west")


def test_twelve_thousand_tokens_are_paged(big_client: Client):
    page = big_client.get("/fleet/").content.decode()

    assert "12000 of 12000 API tokens on 2 servers." in page
    assert page.count('<th scope="row" class="token-name">') == 50
    assert "Page 1 of 240" in page
    last = big_client.get("/fleet/?page=240", headers={"HX-Request": "true"}).content.decode()
    assert "Page 240 of 240" in last
    assert last.count('<th scope="row" class="token-name">') == 50


def test_search_and_filters_over_twelve_thousand_tokens_answer_quickly(big_client: Client):
    big_client.get("/fleet/")

    started = time.monotonic()
    partial = big_client.get(
        "/fleet/?q=expired&server=west&sort=-expires", headers={"HX-Request": "true"}
    ).content.decode()
    took = time.monotonic() - started

    assert took < 1.5, f"{took:.2f} s"
    servers = set(re.findall(r'<td data-label="Server">([^<]*)</td>', partial))
    assert servers == {"west"}


def test_twelve_thousand_tokens_export_as_a_stream(big_client: Client):
    response = big_client.get("/fleet/export.csv")
    chunks = iter(response.streaming_content)
    first = next(chunks)
    lines = 1 + sum(chunk.count(b"\n") for chunk in chunks)

    assert response.streaming
    # Written a row at a time: the header is a chunk of its own, not the start of one string.
    assert first == b"server,user,name,created,expires,state,ips,privileges,flags\r\n"
    assert lines == 12001


def test_the_pager_numbers_pages_around_the_current_one_keeping_the_filters(big_client: Client):
    big_client.get("/fleet/")

    partial = big_client.get(
        "/fleet/?server=west&sort=-expires&page=60", headers={"HX-Request": "true"}
    ).content.decode()
    pager = re.search(
        r'<nav class="pager" aria-label="Pages of API tokens">.*?</nav>', partial, re.S
    )

    assert pager is not None
    shown = re.findall(
        r'<li(?: class="gap" aria-hidden="true">…|><a id="page-\d+" href="[^"]*page=(\d+)")',
        pager[0],
    )
    assert shown == ["1", "", "58", "59", "60", "61", "62", "", "120"]
    assert 'href="?server=west&amp;sort=-expires&amp;page=61"' in pager[0]
    assert re.search(r'page=60"[^>]* aria-current="page"', pager[0])
