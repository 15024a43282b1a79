"""`make run OIDC=1`'s local OpenID provider (tokenui.devserver.sso): a real provider on
loopback whose demo member signs in through single sign-on and is an operator on the simulator
through their group's role, with no role given to them by name."""

from __future__ import annotations

import io
from contextlib import ExitStack

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.helpers import offline_server
from tokenui.devserver import sso
from tokenui.staff.models import Role, RoleGrant
from tokenui.staff.roles import access_for

pytestmark = pytest.mark.django_db


def test_the_demo_member_signs_in_and_is_an_operator_on_the_simulator_by_group(
    client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        monkeypatch.setenv(name, "")  # restored after: the provider sets them for runserver
    simulator = offline_server(sso.SERVER)
    out = io.StringIO()
    with ExitStack() as stack:
        oidc = sso.start_demo_provider(stack, out)
        for name, value in oidc.items():
            setattr(settings, name, value)
        settings.OIDC_RP_CLIENT_ID = oidc["OIDC_CLIENT_ID"]
        settings.OIDC_RP_CLIENT_SECRET = oidc["OIDC_CLIENT_SECRET"]
        settings.OIDC_ENABLED = True
        assert f"sign in there as {sso.MEMBER}" in out.getvalue()
        assert "Continue with single sign-on" in client.get("/sign-in/").text
        authorize = client.get("/staff/sso/start/")["Location"]
        assert authorize.startswith(f"{oidc['OIDC_ISSUER']}/oauth2/authorize?")
        back = httpx.post(authorize, data={"sub": sso.MEMBER})
        assert back.status_code == 302
        assert client.get(back.headers["Location"])["Location"] == "/staff/"
    member = User.objects.get(username=sso.MEMBER)
    assert list(member.groups.values_list("name", flat=True)) == [sso.GROUP]
    assert not RoleGrant.objects.filter(user=member).exists()
    assert access_for(member).role(simulator) == Role.OPERATOR
