"""`make run OIDC=1`: a local OpenID provider for trying single sign-on, beside the embedded
simulator only. It is oidc-provider-mock (a dev dependency, so `make run OIDC=1` installs the dev
group): its sign-in page takes any subject, and knows one demo member whose groups claim makes
them an operator on the simulator through a role given to the group. Never for production."""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from typing import TextIO

from django.conf import settings
from django.contrib.auth.models import Group

from tokenui.devserver.staff import SERVER
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role, RoleGrant

VARIABLE = "TOKENUI_DEMO_OIDC"  # set by `make run OIDC=1`
MEMBER = "sso-operator"
GROUP = "tokenui-operators"


def wanted() -> bool:
    return os.environ.get(VARIABLE) == "1"


def start_demo_provider(stack: ExitStack, out: TextIO) -> dict[str, str]:
    """Start the provider for as long as `stack` is open; the OIDC_* settings that name it (put
    in the environment, for runserver's child process)."""
    from oidc_provider_mock import User, run_server_in_thread  # a dev dependency

    claims = {"preferred_username": MEMBER, "groups": [GROUP], "email": f"{MEMBER}@localhost"}
    server = stack.enter_context(
        run_server_in_thread(require_nonce=True, user_claims=[User(sub=MEMBER, claims=claims)])
    )
    issuer = f"http://localhost:{server.server_port}"
    oidc = {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "tokenui-demo"}
    oidc["OIDC_CLIENT_SECRET"] = secrets.token_urlsafe(24)
    os.environ.update(oidc)
    _give_the_group_its_role(out)
    out.write(
        f"Single sign-on: a local OpenID provider at {issuer}. Choose Staff, then Continue with "
        f"single sign-on, and sign in there as {MEMBER} (group {GROUP}: operator on "
        f"{SERVER!r}).\n"
    )
    return oidc


def _give_the_group_its_role(out: TextIO) -> None:
    server = ConnectedServer.objects.filter(name=SERVER).first()
    if server is None:
        out.write(f"No role for {GROUP}: the simulator is not connected.\n")
        return
    group, _ = Group.objects.get_or_create(name=GROUP)
    RoleGrant.objects.update_or_create(group=group, server=server, defaults={"role": Role.OPERATOR})


def apply(oidc: dict[str, str]) -> None:
    """The settings in this process too (runserver --noreload serves from it)."""
    for name, value in oidc.items():
        setattr(settings, name, value)
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = (
        oidc["OIDC_CLIENT_ID"],
        oidc["OIDC_CLIENT_SECRET"],
    )
    settings.OIDC_ENABLED = True
