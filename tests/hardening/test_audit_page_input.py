"""The audit page with any query string: filters (`action`, `outcome`, `token`), `page`, repeated
and unknown keys, broken percent-escapes, with and without htmx. It answers 200 exactly when every
filter is valid, else a clear 4xx (422 naming the filter, 400 for too many fields), never a 5xx,
and it only ever lists or counts the signed-in user's own entries on this server."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hardening.strategies import FORM_CHARS, OVER_HTTP
from tests.helpers import DEMO_ROOT
from tokenui.audit.models import Action, AuditEvent, Outcome

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"
ROOT, SERVER = DEMO_ROOT[0], "simulator"
PAGE_SIZE = 50
# Written here from the form's documented rules, not imported from it: a filter is blank or one
# of the model's choices; a token filter is at most 50 of WHM's name characters once stripped of
# surrounding whitespace (as Django's CharField strips it, with str.strip).
ACTIONS = frozenset(Action.values)
OUTCOMES = frozenset(Outcome.values)
TOKEN_FILTER = re.compile(r"[A-Za-z0-9_-]{0,50}")
MAX_FIELDS = 1000  # DATA_UPLOAD_MAX_NUMBER_FIELDS, Django's default: beyond it, 400
# Every name on another user's (or server's) entry holds this; no name on root's own does.
FOREIGN = "foreign"


# --- the entries -----------------------------------------------------------------------------


def _add(
    user: str, server: str, n: int, names: list[str], action: str, outcome: str, reason: str
) -> None:
    AuditEvent.objects.create(
        # Interleaved in time with root's own, so a leak would show on the first page.
        at=timezone.now() - timedelta(minutes=n),
        server=server,
        whm_user=user,
        auth_kind="password",
        client_address="192.0.2.7",
        action=action,
        token_names=names,
        outcome=outcome,
        reason=reason,
    )


@pytest.fixture
def audited_client(root_client: Client) -> Client:
    """Root, signed in, with more than a page of entries of every action and outcome, beside
    entries of other users on this server (one differing only in case) and of root elsewhere."""
    actions, outcomes = sorted(ACTIONS), sorted(OUTCOMES)
    for n in range(70):
        action, outcome = actions[n % len(actions)], outcomes[n % len(outcomes)]
        names = {0: [], 1: [f"own-{n:02d}-bot"], 2: ["reporting", f"Quarterly-{n:02d}"]}[n % 3]
        _add(ROOT, SERVER, n, names, action, outcome, "Root's own.")
        for user, server in [("reseller", SERVER), ("ROOT", SERVER), (ROOT, "eu")]:
            foreign = [f"{FOREIGN}-{user}-{server}-{n:02d}", "reporting"]
            _add(user, server, n, foreign, action, outcome, f"{FOREIGN}: {user} on {server}")
    return root_client


def own_entries() -> list[AuditEvent]:
    """Root's own entries here, newest first (as the page orders them)."""
    return list(AuditEvent.objects.filter(server=SERVER, whm_user=ROOT).order_by("-at", "-id"))


def matches(event: AuditEvent, action: str, outcome: str, token: str) -> bool:
    return (
        (not action or event.action == action)
        and (not outcome or event.outcome == outcome)
        and (not token or any(token.lower() in name.lower() for name in event.token_names))
    )


# --- reading the page ------------------------------------------------------------------------


def row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="audit-(\d+)"', page)]


def table_body(page: str) -> str:
    match = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert match, "no table body"
    return match.group(1)


def counted(page: str) -> int:
    """The entry count in the status line ("3 entries match these filters.")."""
    match = re.search(r'id="audit-status"[^>]*>\s*(\d+) entr(?:y|ies)\b', page)
    assert match, "no entry count"
    return int(match.group(1))


# --- query strings ---------------------------------------------------------------------------

KEYS = ["action", "outcome", "token", "page"]
anything = st.text(FORM_CHARS, max_size=30)
values = st.one_of(
    anything,
    st.sampled_from(["", *sorted(ACTIONS), *sorted(OUTCOMES)]),
    st.sampled_from(["SIGN-IN", "generate ", "revoke\x00", "maybe", "drop-tables", "all", "*"]),
    st.from_regex(r"[A-Za-z0-9_-]{0,52}", fullmatch=True),
    st.sampled_from(["bot", "OWN", "report", "quarterly-1", FOREIGN, "FOREIGN-reseller", "_", "%"]),
    st.sampled_from([" bot ", "bot\u3000", '", "', "reporting,", "r%", "\x00", "a" * 50, "a" * 51]),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["0", "1", "2", "-1", "last", "1e3", "2.0", "1_0", " 2", "\u0662", "9" * 5000]),
)
pairs = st.lists(st.tuples(st.one_of(st.sampled_from(KEYS), anything), values), max_size=8)
# Raw text, sent as it is: the keys' and choices' letters, broken escapes ("%", "%zz"), invalid
# UTF-8 ("%ff"), "+" for a space, empty keys and values, ";" (not a separator since Django 3.2).
raw = st.text("abcdefgiklmnoprstuvwz0123456789FZ=&%;+_-", max_size=60)
query_strings = st.one_of(
    pairs.map(lambda items: urlencode(items, quote_via=quote)),
    raw,
)
htmx_headers = st.sampled_from(
    [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}]
)


def last_values(query: str) -> dict[str, str]:
    """What each key means to the page: the last of its values (QueryDict.get, which the form's
    widgets and the view's page number read)."""
    return dict(parse_qsl(query, keep_blank_values=True))


def filters_valid(asked: dict[str, str]) -> bool:
    return (
        asked.get("action", "") in ACTIONS | {""}
        and asked.get("outcome", "") in OUTCOMES | {""}
        and TOKEN_FILTER.fullmatch(asked.get("token", "").strip()) is not None
    )


@OVER_HTTP
@given(query=query_strings, headers=htmx_headers)
@example(query="", headers={})
@example(query="page=9999&action=revoke", headers={})  # past the last page: the last one
@example(query="page=" + "9" * 5000, headers={"HX-Request": "true"})
@example(query="token=FOREIGN&outcome=succeeded", headers={})  # valid, and nothing of root's
@example(query="token=%ff&action=%", headers={"HX-Request": "true"})
@example(query="action=revoke&action=drop-tables", headers={})  # the last value counts
@example(query="action=drop-tables&action=revoke", headers={})
@example(query="token=+bot+&page=2", headers={})
@example(query="&".join(["page=1"] * (MAX_FIELDS + 1)), headers={})
def test_the_audit_page_answers_any_query_string_and_lists_only_the_users_own_entries(
    audited_client: Client, query: str, headers: dict[str, str]
) -> None:
    response = audited_client.get(f"{AUDIT}?{query}", headers=headers)

    if query and 1 + query.count("&") > MAX_FIELDS:
        assert response.status_code == 400
        return
    asked = last_values(query)
    valid = filters_valid(asked)
    assert response.status_code == (200 if valid else 422), asked
    page = response.text
    if headers == {"HX-Request": "true"}:
        assert page.lstrip().startswith('<div id="audit-table"')
    else:
        assert "<h1>Audit Trail</h1>" in page
    shown = row_ids(page)
    if not valid:
        assert shown == []
        assert "Correct the filters to see entries." in page
        assert "No entries: the filters need correcting." in page
        return
    token = asked.get("token", "").strip()
    expected = [
        event.pk
        for event in own_entries()
        if matches(event, asked.get("action", ""), asked.get("outcome", ""), token)
    ]
    assert counted(page) == len(expected)
    assert FOREIGN not in table_body(page).lower()  # no other user's names or reasons
    # Whatever `page` says (missing, junk, past the end), one whole page of these, in order.
    starts = range(0, max(len(expected), 1), PAGE_SIZE)
    assert any(shown == expected[start : start + PAGE_SIZE] for start in starts), (shown, asked)


@OVER_HTTP
@given(query=query_strings, headers=htmx_headers)
def test_the_audit_page_signed_out_sends_any_query_string_to_sign_in(
    client: Client, db: None, query: str, headers: dict[str, str]
) -> None:
    response = client.get(f"{AUDIT}?{query}", headers=headers)

    if headers:  # htmx is told to load the sign-in page as a full page
        assert response.status_code == 200
        sign_in = response["HX-Redirect"]
    else:
        assert response.status_code == 302
        sign_in = response["Location"]
    assert sign_in.startswith("/sign-in/")
    assert client.get(sign_in).status_code == 200
