"""The Accounts page: the cPanel accounts a WHM operator sees (`listaccts`), each they own with
an **API Tokens** link to that account's tokens (reached through WHM's `uapi_cpanel`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tokenui.http import redirect_to, status_for
from tokenui.sessions.auth import SignedInRequest, signed_in
from tokenui.tables import Column, Table, TableSpec
from tokenui.whm.errors import WhmAuthError, WhmError
from tokenui.whm.types import Account

logger = logging.getLogger(__name__)

ROOT = "root"
CPANEL_API = "cpanel-api"
PAGE_SIZE = 50
# Why an operator sees no API Tokens links: WHM would refuse every uapi_cpanel call.
NO_CPANEL_API = (
    "Your WHM user does not hold the “Perform cPanel API and UAPI functions through the WHM "
    "API” privilege (cpanel-api), which TokenUI needs to reach an account's API tokens "
    "through WHM, so no account has an API Tokens link. Ask your server's administrator to "
    "grant it, or sign in to the account's cPanel instead."
)
NOT_OWNED = "Not yours: only the account's owner (or root) can manage its API tokens."

# Search matches the user or the domain: the row's "name" holds both, apart by a character
# neither can contain, so a search never matches across the two.
ACCOUNT_TABLE = TableSpec(
    columns=(
        Column("user", lambda a: a.user),
        Column("domain", lambda a: (a.domain.casefold(), a.user)),
        Column("owner", lambda a: (a.owner, a.user)),
        Column("plan", lambda a: (a.plan.casefold(), a.user)),
        Column("suspended", lambda a: (not a.suspended, a.user)),
    ),
    default_sort="user",
    name=lambda a: f"{a.user}\0{a.domain}",
    page_size=PAGE_SIZE,
)


@dataclass(frozen=True, slots=True)
class AccountRow:
    account: Account
    tokens_url: str  # "" when the operator cannot reach its tokens
    why_not: str  # why there is no link, when it is not the privilege (said once, above)
    # A reseller's own account (staff): marked, with a link to the reseller's WHM API tokens.
    whm_tokens_url: str = ""


@dataclass(frozen=True, slots=True)
class ResellerRow:
    """A reseller (staff): how many accounts it owns, and its WHM API tokens' link; its own
    account's API tokens' link when it has one here."""

    name: str
    owns: int
    whm_tokens_url: str
    tokens_url: str = ""


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def index(request: SignedInRequest) -> HttpResponse:
    try:
        accounts = request.whm_client.list_accounts()
        may_call = request.whm_client.my_privileges().holds(CPANEL_API)
    except WhmError as exc:
        if isinstance(exc, WhmAuthError):
            messages.error(request, "WHM no longer accepts your credentials. Sign in again.")
            return redirect_to(request, reverse("accounts:sign-in"))
        messages.error(request, exc.message)
        logger.warning(
            "listaccts failed: server=%s kind=%s", request.whm.server, type(exc).__name__
        )
        return _render(request, None, may_call=False, status=status_for(exc))
    return _render(request, accounts, may_call=may_call)


def _render(
    request: SignedInRequest, accounts: list[Account] | None, *, may_call: bool, status: int = 200
) -> HttpResponse:
    user = request.whm.user
    return render_accounts(
        request,
        accounts,
        lambda shown: _rows(shown, user, may_call=may_call),
        url=reverse("cptokens:accounts"),
        status=status,
        may_call=may_call,
    )


def render_accounts(
    request: HttpRequest,
    accounts: list[Account] | None,
    rows_of: Callable[[Iterable[Account]], list[AccountRow]],
    *,
    url: str,
    status: int = 200,
    may_call: bool = True,
    resellers: Sequence[ResellerRow] = (),
) -> HttpResponse:
    """The Accounts page at `url` (its table, for htmx): the accounts searched, sorted, paged,
    each row made by `rows_of` (a WHM operator's links, or a staff member's); above them, the
    `resellers` a staff member reaches."""
    table = Table.from_request(request, ACCOUNT_TABLE, url)
    context = _table_context(table, accounts, rows_of) | {
        "whm": request.whm,  # type: ignore[attr-defined]
        "accounts_url": url,
        "may_call": may_call,
        "no_cpanel_api": NO_CPANEL_API,
        "resellers": resellers,
    }
    return render(request, _template(request), context, status=status)


def _table_context(
    table: Table,
    accounts: list[Account] | None,
    rows_of: Callable[[Iterable[Account]], list[AccountRow]],
) -> dict[str, Any]:
    """The accounts table's part of the page: the page of rows, and what the search found."""
    matching = table.matching(accounts or ())
    page = table.page(matching)
    return {
        "table": table,
        "rows": rows_of(page.object_list),
        "page": page,
        "query": table.query,
        "sort": table.sort,
        "sort_links": table.sort_links,
        "total": len(accounts) if accounts is not None else None,
        "matching": len(matching),
        "loaded": accounts is not None,
    }


def _template(request: HttpRequest) -> str:
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = htmx and not htmx.boosted and not htmx.history_restore_request
    return "cptokens/accounts.html#account-table" if partial else "cptokens/accounts.html"


def _rows(accounts: Iterable[Account], user: str, *, may_call: bool) -> list[AccountRow]:
    """The page's accounts, each with its API Tokens link where `user` owns it (root owns
    every one) and may reach its tokens."""
    rows = []
    for account in accounts:
        owned = user == ROOT or account.owner == user
        url = reverse("cptokens:index", kwargs={"account": account.user})
        rows.append(
            AccountRow(account, url if owned and may_call else "", "" if owned else NOT_OWNED)
        )
    return rows
