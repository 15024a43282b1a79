"""Prefilled links with generated, hostile query strings (very long values, control characters,
HTML, repeated and unknown parameters): the form opens (200), shows the link's name as given,
escapes everything, and a GET never sends WHM or cPanel a state-changing call."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import FORM_CHARS, OVER_HTTP
from tests.helpers import (
    CPANEL_ROOTS,
    RESELLER_HELD,
    checked,
    input_value,
    sign_in_data,
    writes,
)
from tokenui.acls import ACL_KEYS
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

NEW = "/tokens/new/"
CREATE = "/cpanel/tokens/create/"
HOSTILE = '<script>alert("x")</script>'
PARAMS = ("preset", "name", "acl", "ip", "expires", "like", "other")

values = st.one_of(
    st.text(FORM_CHARS, max_size=60),
    st.text(FORM_CHARS, min_size=500, max_size=3000),
    st.sampled_from(
        [
            HOSTILE,
            "\x00",
            "\r\nSet-Cookie: x=1",
            "dns",
            "billing",
            "never",
            "2031-01-01",
            "1999-12-31",
            "192.0.2.1",
            "0.0.0.0/0",
            "all",
            "kill-acct",
            "billing-bot",
            "a" * 51,
        ]
    ),
    st.sampled_from(sorted(ACL_KEYS)),
)
queries = st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=12)


@pytest.fixture
def cp_client(client: Client, cpanel: Simulator, db: None) -> Client:
    """Signed in to cPanel as a demo account of root's (one sign-in for every example)."""
    signed = client.post("/sign-in/", sign_in_data(*CPANEL_ROOTS[0], cpanel=True))
    assert signed.status_code == 302
    return client


def _check_page(page: str, pairs: list[tuple[str, str]]) -> None:
    assert HOSTILE not in page
    names = [value for key, value in pairs if key == "name"]
    if names and not any(key == "like" for key, _ in pairs):
        assert input_value(page, "name") == names[-1]


@OVER_HTTP
@given(pairs=queries)
@example(pairs=[("name", HOSTILE), ("preset", HOSTILE), ("acl", HOSTILE), ("ip", HOSTILE)])
@example(pairs=[("expires", HOSTILE), ("like", HOSTILE)])
@example(pairs=[("name", "a"), ("name", "b"), ("preset", "dns"), ("preset", "billing")])
@example(pairs=[("acl", "all")] * 200)
@example(pairs=[("ip", "192.0.2.1")] * 150)
@example(pairs=[("like", "automation"), ("name", "x")])
def test_any_link_opens_the_form_and_changes_nothing_in_whm(
    reseller_client: Client, whm: Simulator, pairs: list[tuple[str, str]]
) -> None:
    whm.clear_requests()

    response = reseller_client.get(f"{NEW}?{urlencode(pairs)}")

    assert response.status_code == 200
    _check_page(response.text, pairs)
    # Never more than the reseller holds, whatever the link asked for.
    assert set(checked(response.text, "acls")) <= RESELLER_HELD
    assert writes(whm) == []


@OVER_HTTP
@given(pairs=queries)
@example(pairs=[("name", HOSTILE), ("expires", HOSTILE), ("acl", "all"), ("ip", "::/0")])
@example(pairs=[("like", "deploy-script"), ("like", HOSTILE)])
def test_any_cpanel_link_opens_create_and_creates_nothing(
    cp_client: Client, cpanel: Simulator, pairs: list[tuple[str, str]]
) -> None:
    before = {t.name for t in cpanel.store.cpanel_tokens(CPANEL_ROOTS[0][0])}
    cpanel.clear_requests()

    response = cp_client.get(f"{CREATE}?{urlencode(pairs)}")

    assert response.status_code == 200
    _check_page(response.text, pairs)
    assert {r.function for r in cpanel.requests()} <= {"Tokens::list"}
    assert {t.name for t in cpanel.store.cpanel_tokens(CPANEL_ROOTS[0][0])} == before
