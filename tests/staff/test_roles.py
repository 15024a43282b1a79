"""Roles per server: what each role allows where, the Roles page, and `manage.py grant` and
`revoke_role`."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.helpers import offline_server
from tokenui.audit.models import Action, AuditEvent, Service
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant
from tokenui.staff.roles import access_for

pytestmark = pytest.mark.django_db

ROLES = "/staff/roles/"


def test_a_superuser_is_admin_on_every_server() -> None:
    boss = User.objects.create_superuser("boss", password="break-glass-pass-1")
    assert access_for(boss).role(offline_server("a")) == Role.ADMIN
    assert access_for(boss).role() == Role.ADMIN


def test_the_highest_role_counts_from_the_user_and_their_groups() -> None:
    a, b = offline_server("a"), offline_server("b")
    user = User.objects.create_user("sam")
    support = Group.objects.create(name="support")
    user.groups.add(support)
    RoleGrant.objects.create(role=Role.VIEWER, group=support)  # every server
    RoleGrant.objects.create(role=Role.OPERATOR, user=user, server=a)
    access = access_for(user)
    assert (access.role(a), access.role(b), access.role()) == (
        Role.OPERATOR,
        Role.VIEWER,
        Role.VIEWER,
    )
    assert access.on(a).can_act
    assert not access.on(b).can_act
    assert {s.name for s in access.visible()} == {"a", "b"}


def test_a_role_on_one_server_shows_only_that_server() -> None:
    a, _ = offline_server("a"), offline_server("b")
    user = User.objects.create_user("sam")
    RoleGrant.objects.create(role=Role.VIEWER, user=user, server=a)
    assert [s.name for s in access_for(user).visible()] == ["a"]


@pytest.mark.parametrize("role", [None, Role.VIEWER, Role.OPERATOR])
def test_the_roles_page_refuses_anyone_not_admin_everywhere_with_a_plain_403(
    staff_client, role
) -> None:
    client = staff_client(role)
    response = client.get(ROLES)
    assert response.status_code == 403
    assert "Your staff role does not allow this." in response.text
    assert client.post(ROLES, {"role": "admin", "holder": "user", "name": "x"}).status_code == 403
    assert not RoleGrant.objects.filter(role=Role.ADMIN).exists()


def test_an_admin_grants_a_role_to_a_group_that_has_no_member_yet(staff_client) -> None:
    offline_server("eu")
    client = staff_client(Role.ADMIN, name="ada")
    data = {"role": "operator", "holder": "group", "name": "support", "server": "eu"}
    response = client.post(ROLES, data)
    assert response.status_code == 302
    given = RoleGrant.objects.get(group__name="support")
    assert (given.role, given.server.name, given.granted_by) == ("operator", "eu", "ada")
    page = client.get(ROLES).text
    assert "Granted Operator to group support on eu." in page
    event = AuditEvent.objects.get(action=Action.GRANT_ROLE)
    assert (event.service, event.staff, event.server) == (Service.STAFF, "ada", "eu")


def test_granting_again_replaces_the_role_held_there(staff_client) -> None:
    client = staff_client(Role.ADMIN)
    for role in ("viewer", "operator"):
        client.post(ROLES, {"role": role, "holder": "group", "name": "ops", "server": ""})
    assert list(RoleGrant.objects.filter(group__name="ops").values_list("role", flat=True)) == [
        "operator"
    ]


def test_an_unknown_user_is_named_on_the_field_and_the_input_kept(staff_client) -> None:
    client = staff_client(Role.ADMIN)
    data = {"role": "viewer", "holder": "user", "name": "nobody", "server": ""}
    response = client.post(ROLES, data)
    assert response.status_code == 422
    assert "No staff user is called &#x27;nobody&#x27;." in response.text
    assert 'value="nobody"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_an_admin_revokes_a_role_from_the_page(staff_client) -> None:
    client = staff_client(Role.ADMIN)
    given = RoleGrant.objects.create(role=Role.VIEWER, group=Group.objects.create(name="ops"))
    response = client.post(f"/staff/roles/{given.pk}/revoke/")
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=given.pk).exists()
    assert AuditEvent.objects.get(action=Action.REVOKE_ROLE).reason == (
        "Viewer taken from group ops on all servers."
    )


def test_grant_and_revoke_role_commands() -> None:
    offline_server("eu")
    User.objects.create_user("sam")
    out = io.StringIO()
    call_command("grant", "operator", "--user", "sam", "--server", "eu", stdout=out)
    assert out.getvalue() == "Granted Operator to user sam on eu.\n"
    assert access_for(User.objects.get(username="sam")).role(ConnectedServer.objects.get()) == (
        Role.OPERATOR
    )
    call_command("revoke_role", "operator", "--user", "sam", "--server", "eu", stdout=out)
    assert not RoleGrant.objects.exists()
    assert AuditEvent.objects.filter(staff__startswith="shell:").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grant", "viewer", "--user", "nobody"], "No staff user is called 'nobody'."),
        (["grant", "viewer", "--group", "ops", "--server", "nope"], "No server named 'nope'"),
        (["revoke_role", "admin", "--group", "ops"], "Group ops does not hold Admin on all"),
    ],
)
def test_role_commands_refuse_plainly(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=io.StringIO())


def test_a_staff_member_with_no_role_is_told_so(staff_client) -> None:
    page = staff_client(None).get("/staff/").text
    assert "You hold no role on any connected server" in page


def test_the_home_page_lists_the_servers_a_member_may_reach_with_their_role(
    staff_client,
) -> None:
    client = staff_client(Role.VIEWER, offline_server("eu"))
    offline_server("us")
    page = client.get("/staff/").text
    assert '<strong>eu</strong> <span class="staff-role">Viewer</span>' in page
    assert "<strong>us</strong>" not in page
