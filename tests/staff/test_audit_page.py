"""The audit trail for staff (/staff/audit/): the entries of the servers a member holds a role
on, each naming the staff member (and their single sign-on subject), the server and whom they
acted as; admins filter by staff member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import field_errors, text
from tokenui.audit.models import AuditEvent, Service
from tokenui.staff.models import Role

pytestmark = pytest.mark.django_db

AUDIT = "/staff/audit/"


@pytest.fixture(autouse=True)
def _empty_trail(connected) -> None:
    """Only the entries each test adds (connecting "main" is audited too)."""
    AuditEvent.objects.all().delete()


def add(server: str = "main", **fields: object) -> AuditEvent:
    values = {
        "at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "whm_user": "root",
        "auth_kind": "token",
        "session_token_name": "tokenui-main",
        "action": "revoke",
        "token_names": ["t"],
        "outcome": "succeeded",
    }
    return AuditEvent.objects.create(server=server, **(values | fields))


def shown(page: str) -> list[int]:
    """The ids of the entries the page lists, newest first."""
    return [e.pk for e in AuditEvent.objects.all() if f'id="audit-{e.pk}"' in page]


def test_a_viewer_sees_the_entries_of_their_servers_and_their_own(staff_client, connected) -> None:
    client = staff_client(Role.VIEWER, connected, name="vera")
    on_main = add(staff="otto", staff_subject="sub-otto", account="shop")
    tokenui_itself = add(token_names=["tokenui-main"], action="rotate")
    elsewhere = add(server="eu", staff="otto")
    staff_sign_in = add(server="", service=Service.STAFF, whm_user="otto", staff="otto")
    own_sign_in = add(server="", service=Service.STAFF, whm_user="vera", staff="vera")

    page = client.get(AUDIT)

    assert page.status_code == 200
    listed = shown(page.text)
    assert {on_main.pk, tokenui_itself.pk, own_sign_in.pk} <= set(listed)
    assert elsewhere.pk not in listed
    assert staff_sign_in.pk not in listed
    assert 'name="staff"' not in page.text  # only admins filter by staff member


def test_each_entry_names_the_staff_member_subject_server_and_whom_they_acted_as(
    staff_client, connected
) -> None:
    client = staff_client(Role.VIEWER, connected)
    event = add(staff="otto", staff_subject="sub-otto", account="shop")

    page = client.get(AUDIT).text

    row = text(page.split(f'id="audit-{event.pk}"', 1)[1].split("</tr>", 1)[0])
    assert "Staff otto (subject sub-otto) as WHM user root on cPanel account shop" in row
    assert "main" in row


def test_an_admin_filters_by_staff_member(staff_client, connected) -> None:
    client = staff_client(Role.ADMIN, connected)
    otto = add(staff="otto")
    add(staff="vera")
    add(staff="ottoman")

    page = client.get(AUDIT, {"staff": "otto"})

    assert page.status_code == 200
    assert shown(page.text) == [otto.pk]
    assert 'value="otto"' in page.text  # the filter is kept in its field
    assert "1 entry matches these filters." in text(page.text)


def test_a_viewer_cannot_filter_by_staff_member(staff_client, connected) -> None:
    client = staff_client(Role.VIEWER, connected)
    otto, vera = add(staff="otto"), add(staff="vera")

    page = client.get(AUDIT, {"staff": "otto"})

    assert set(shown(page.text)) == {otto.pk, vera.pk}


def test_a_staff_filter_that_names_nobody_is_said_on_its_field(staff_client, connected) -> None:
    page = staff_client(Role.ADMIN).get(AUDIT, {"staff": "<otto>"})

    assert page.status_code == 422
    assert field_errors(page.text, "staff") == [
        "Staff usernames hold only letters, numbers, spaces and @ . + - _."
    ]
    assert 'value="&lt;otto&gt;"' in page.text


def test_the_server_filter_offers_only_the_members_servers(staff_client, connected) -> None:
    client = staff_client(Role.VIEWER, connected)
    on_main = add()
    add(server="eu")

    assert shown(client.get(AUDIT, {"server": "main"}).text) == [on_main.pk]
    assert client.get(AUDIT, {"server": "eu"}).status_code == 422


def test_an_admin_everywhere_also_sees_tokenui_itself(staff_client, connected) -> None:
    sign_in = add(server="", service=Service.STAFF, whm_user="otto", staff="otto")

    page = staff_client(Role.ADMIN).get(AUDIT).text

    assert shown(page) == [sign_in.pk]
    assert "TokenUI itself" in text(page)


def test_staff_without_a_role_see_only_their_own_entries(staff_client, connected) -> None:
    client = staff_client(None, name="nora")
    add()
    own = add(server="", service=Service.STAFF, whm_user="nora", staff="nora")

    page = client.get(AUDIT)

    assert page.status_code == 200
    assert shown(page.text) == [own.pk]


def test_the_audit_page_asks_a_visitor_to_sign_in_as_staff(client) -> None:
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert "service=staff" in response["Location"]


def test_the_staff_header_links_to_the_audit_trail(staff_client, connected) -> None:
    page = staff_client(Role.VIEWER, connected).get("/staff/").text
    assert f'href="{AUDIT}"' in page
