"""A connected server's cPanel accounts, for a staff member (the same Accounts page as a WHM
operator's): each account links to its API tokens, through WHM's `uapi_cpanel`, with the service
token or inside its reseller's session; each reseller (an owner of accounts here) links to its
own WHM API tokens, inside a session WHM makes for it (systems/service.py)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.cptokens.accounts import AccountRow, ResellerRow, render_accounts
from tokenui.http import status_for
from tokenui.staff.through import through_server
from tokenui.systems.service import ServiceSession
from tokenui.whm.errors import WhmError
from tokenui.whm.types import Account

logger = logging.getLogger(__name__)


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
    resellers = session.connected.resellers(accounts)
    return render_accounts(
        request,
        accounts,
        lambda shown: _rows(session, shown, set(resellers)),
        url=url,
        resellers=_reseller_rows(session, accounts, resellers),
    )


def _rows(
    session: ServiceSession, accounts: Iterable[Account], resellers: set[str]
) -> list[AccountRow]:
    """Each account with its API Tokens link (in its owner's session when a reseller owns
    it), and a reseller's own account with its WHM API Tokens link too."""
    return [
        AccountRow(
            account,
            _tokens_url(session, account),
            "",
            _whm_tokens_url(session, account.user) if account.user in resellers else "",
        )
        for account in accounts
    ]


def _reseller_rows(
    session: ServiceSession, accounts: list[Account], resellers: list[str]
) -> list[ResellerRow]:
    owns = Counter(account.owner for account in accounts)
    own = {account.user: account for account in accounts}
    return [
        ResellerRow(
            name,
            owns[name],
            _whm_tokens_url(session, name),
            _tokens_url(session, own[name]) if name in own else "",
        )
        for name in resellers
    ]


def _tokens_url(session: ServiceSession, account: Account) -> str:
    kwargs = {"connected": session.server, "account": account.user}
    if not session.reaches(account.owner):  # a reseller's: inside the reseller's session
        kwargs["reseller"] = account.owner
    return reverse("staff-cptokens:index", kwargs=kwargs)


def _whm_tokens_url(session: ServiceSession, reseller: str) -> str:
    return reverse("staff-tokens:index", kwargs={"connected": session.server, "reseller": reseller})
