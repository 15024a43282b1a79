"""A connected server's cPanel accounts, for a staff member: each the service token reaches
has an API Tokens link to that account's tokens (through WHM's `uapi_cpanel`)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tokenui.http import status_for
from tokenui.staff.through import through_server
from tokenui.systems.service import ServiceSession
from tokenui.whm.errors import WhmError

logger = logging.getLogger(__name__)
RESELLERS_LATER = "Owned by the reseller {owner}: reached inside a reseller session (not yet)."


@require_GET
@through_server
def index(request: HttpRequest) -> HttpResponse:
    session: ServiceSession = request.whm  # type: ignore[assignment]
    status, rows = 200, []
    try:
        accounts = session.connected.client().list_accounts()
    except WhmError as exc:
        messages.error(request, exc.message)
        logger.warning("listaccts failed: server=%s kind=%s", session.server, type(exc).__name__)
        status, accounts = status_for(exc), []
    for account in accounts:
        reached = session.reaches(account.owner)
        url = reverse(
            "staff-cptokens:index", kwargs={"connected": session.server, "account": account.user}
        )
        why = "" if reached else RESELLERS_LATER.format(owner=account.owner)
        rows.append((account, url if reached else "", why))
    context = {"session": session, "rows": rows, "loaded": status == 200}
    return render(request, "staff/accounts.html", context, status=status)
