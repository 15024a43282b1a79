"""A connected server's cPanel accounts, for a staff member (the same Accounts page as a WHM
operator's): each account the service token reaches links to its API tokens, through WHM's
`uapi_cpanel`; a reseller's accounts wait for a reseller session (systems/service.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.cptokens.accounts import AccountRow, render_accounts
from tokenui.http import status_for
from tokenui.staff.through import through_server
from tokenui.systems.service import ServiceSession
from tokenui.whm.errors import WhmError
from tokenui.whm.types import Account

logger = logging.getLogger(__name__)
RESELLERS_LATER = "Owned by the reseller {owner}: reached inside a reseller session (not yet)."


@require_GET
@through_server
@vary_on_headers("HX-Request")
def index(request: HttpRequest) -> HttpResponse:
    session: ServiceSession = request.whm  # type: ignore[attr-defined]
    url = reverse("staff-cptokens:accounts", kwargs={"connected": session.server})
    try:
        accounts = session.connected.client().list_accounts()
    except WhmError as exc:
        messages.error(request, exc.message)
        logger.warning("listaccts failed: server=%s kind=%s", session.server, type(exc).__name__)
        return render_accounts(request, None, lambda _: [], url=url, status=status_for(exc))
    return render_accounts(request, accounts, lambda shown: _rows(session, shown), url=url)


def _rows(session: ServiceSession, accounts: Iterable[Account]) -> list[AccountRow]:
    rows = []
    for account in accounts:
        kwargs = {"connected": session.server, "account": account.user}
        if session.reaches(account.owner):
            rows.append(AccountRow(account, reverse("staff-cptokens:index", kwargs=kwargs), ""))
        else:
            rows.append(AccountRow(account, "", RESELLERS_LATER.format(owner=account.owner)))
    return rows
