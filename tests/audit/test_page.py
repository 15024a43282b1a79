"""The audit page: the signed-in user's own entries on this server, newest first, filterable,
paged, in accessible table markup; with and without htmx."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.helpers import DEMO_RESELLER, sign_in_data
from tokenui.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"
HTMX = {"HX-Request": "true"}


def add(
    action: str = "generate",
    *,
    names: list[str] | None = None,
    outcome: str = "succeeded",
    user: str = "root",
    server: str = "simulator",
    at: datetime | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        server=server,
        whm_user=user,
        auth_kind="password",
        client_address="192.0.2.1",
        action=action,
        token_names=names if names is not None else ["some-token"],
        outcome=outcome,
        reason=reason,
    )


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="audit-(\d+)"', html)]


def row(html: str, event: AuditEvent) -> str:
    match = re.search(rf'<tr id="audit-{event.pk}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for event {event.pk}"
    return match.group(0)


def test_the_audit_page_needs_sign_in(client: Client, whm) -> None:
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_header_links_to_the_audit_page_when_signed_in(root_client: Client) -> None:
    assert '<a href="/audit/">Audit trail</a>' in root_client.get("/tokens/").text
    assert '<a href="/audit/" aria-current="page">Audit trail</a>' in root_client.get(AUDIT).text


def test_the_page_lists_only_the_users_own_entries_on_this_server(root_client: Client) -> None:
    reseller_client = Client()  # signs in too, recording a sign-in that root must not see
    reseller_client.post("/sign-in/", sign_in_data(*DEMO_RESELLER))
    own = add(names=["roots-token"])
    resellers = add(names=["resellers-token"], user="reseller")
    elsewhere = add(names=["other-server-token"], server="eu")
    page = root_client.get(AUDIT).text
    assert own.pk in row_ids(page)
    assert resellers.pk not in row_ids(page)
    assert elsewhere.pk not in row_ids(page)
    assert "resellers-token" not in page
    assert "other-server-token" not in page
    actions = {e.action for e in AuditEvent.objects.filter(pk__in=row_ids(page))}
    assert actions == {"sign-in", "generate"}  # root's own sign-in, not the reseller's
    reseller_page = reseller_client.get(AUDIT).text
    assert row_ids(reseller_page) == [
        e.pk for e in AuditEvent.objects.filter(whm_user="reseller", server="simulator")
    ]


def test_entries_are_newest_first(root_client: Client) -> None:
    now = timezone.now()
    older = add(at=now - timedelta(days=2))
    newest = add(at=now + timedelta(minutes=1))
    middle = add(at=now - timedelta(days=1))
    ids = row_ids(root_client.get(AUDIT).text)
    assert ids.index(newest.pk) < ids.index(middle.pk) < ids.index(older.pk)


def test_a_row_shows_time_in_whms_zone_and_every_field_in_words(
    root_client: Client, settings
) -> None:
    settings.WHM_TIME_ZONE = "America/Chicago"
    event = add(
        "revoke",
        names=["billing-bot"],
        outcome="unknown",
        at=datetime(2026, 1, 15, 18, 4, 5, tzinfo=UTC),
        reason="WHM did not answer within 15 seconds.",
    )
    html = row(root_client.get(AUDIT).text, event)
    assert '<time datetime="2026-01-15T18:04:05+00:00">01 15 2026 12:04:05</time>' in html
    assert "<td>Revoke</td>" in html
    assert "billing-bot" in html
    assert '<span class="outcome">Outcome unknown</span>' in html
    assert "WHM did not answer within 15 seconds." in html
    assert "192.0.2.1" in html
    assert "Password" in html


def test_a_rename_shows_both_names(root_client: Client) -> None:
    event = add("edit", names=["reporting", "quarterly"])
    html = row(root_client.get(AUDIT).text, event)
    assert re.search(r"reporting .*renamed to.* quarterly", html)


def test_the_table_is_accessible_markup(root_client: Client) -> None:
    page = root_client.get(AUDIT).text
    assert '<caption class="visually-hidden">Audit trail of root on simulator' in page
    assert page.count('<th scope="col">') == 8
    assert '<th scope="row"><time datetime=' in page
    assert "style=" not in page
    assert "<script>" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "revoke"}, {"revoke-ok", "revoke-refused"}),
        ({"outcome": "refused"}, {"revoke-refused", "generate-refused"}),
        ({"action": "revoke", "outcome": "refused"}, {"revoke-refused"}),
        ({"token": "BILLING"}, {"generate-refused"}),
        ({"token": "quarter"}, {"rename"}),  # the new name of a rename
        ({"token": "reporting"}, {"rename", "revoke-ok"}),  # the old one, and a plain match
        ({"token": "nothing-like-it"}, set()),
    ],
)
def test_filters_narrow_the_entries(
    root_client: Client, query: dict[str, str], expected: set[str]
) -> None:
    AuditEvent.objects.all().delete()  # just the entries made here, not root's sign-in
    events = {
        "revoke-ok": add("revoke", names=["reporting"]),
        "revoke-refused": add("revoke", names=["automation"], outcome="refused"),
        "generate-refused": add("generate", names=["billing-bot"], outcome="refused"),
        "rename": add("edit", names=["reporting-old", "quarterly"]),
    }
    response = root_client.get(AUDIT, query)
    assert response.status_code == 200
    shown = set(row_ids(response.text))
    assert shown == {events[key].pk for key in expected}
    assert f'value="{query.get("token", "")}"' in response.text or "token" not in query
    assert re.search(r"match(es)? these filters\.", response.text)


@pytest.mark.parametrize(
    "query",
    [{"action": "drop-tables"}, {"outcome": "maybe"}, {"token": '", "'}, {"token": "x" * 51}],
)
def test_an_invalid_filter_is_named_and_lists_nothing(
    root_client: Client, query: dict[str, str]
) -> None:
    add(names=["a-token"])
    response = root_client.get(AUDIT, query)
    assert response.status_code == 422
    assert row_ids(response.text) == []
    assert 'class="errorlist' in response.text  # beside the field
    assert "Correct the filters to see entries." in response.text
    assert "No entries: the filters need correcting." in response.text


def test_an_invalid_filter_under_htmx_says_why_inside_the_swapped_table(
    root_client: Client,
) -> None:
    response = root_client.get(AUDIT, {"token": "no spaces"}, headers=HTMX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="audit-table"')
    assert "Token name: Token names hold only letters" in response.text
    assert "No entries: the filters need correcting." in response.text


def test_the_page_is_paged_by_50_and_the_pages_keep_the_filters(root_client: Client) -> None:
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now - timedelta(seconds=n),
            server="simulator",
            whm_user="root",
            auth_kind="password",
            action="revoke",
            token_names=[f"bulk-{n:03d}"],
            outcome="succeeded",
        )
        for n in range(120)
    )
    first = root_client.get(AUDIT, {"action": "revoke"}).text
    assert len(row_ids(first)) == 50
    assert "Page 1 of 3" in first
    assert "120 entries match these filters." in first
    assert 'href="?action=revoke&amp;page=2"' in first
    third = root_client.get(AUDIT, {"action": "revoke", "page": 3}).text
    assert len(row_ids(third)) == 20
    assert "bulk-119" in third
    assert 'href="?action=revoke&amp;page=2"' in third


def test_htmx_filtering_returns_only_the_table_and_the_live_count(root_client: Client) -> None:
    add("revoke", names=["reporting"])
    response = root_client.get(AUDIT, {"action": "revoke"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="audit-table"')
    assert (
        '<span id="audit-status" hx-swap-oob="innerHTML">1 entry matches these filters.</span>'
        in response.text
    )
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_works_without_javascript(root_client: Client) -> None:
    page = root_client.get(AUDIT).text
    form = re.search(r"<form [^>]*role=\"search\".*?</form>", page, re.S).group(0)
    assert 'method="get" action="/audit/"' in form
    assert 'hx-get="/audit/"' in form
    assert '<button type="submit">Filter</button>' in form
    assert '<label for="id_action">Action</label>' in form
