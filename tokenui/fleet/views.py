"""The All servers page: every signed-in server's tokens in one table, Refresh, Export CSV and
Export JSON, and Revoke Expired across the servers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tokenui.fleet import cleanup, inventory
from tokenui.fleet.inventory import FleetToken
from tokenui.fleet.table import FLEET_TABLE, STATES, Filters, matching, rows
from tokenui.http import redirect_to
from tokenui.kernel import export as exports
from tokenui.kernel.export import export_row
from tokenui.risk import ALL_FLAGS
from tokenui.sessions import credentials
from tokenui.sessions.auth import SignedInRequest, signed_in
from tokenui.systems import WhmTokens
from tokenui.tables import Table
from tokenui.whm.servers import configured_servers

# What a link back to the table may carry (Refresh comes back to the same filters).
_TABLE_PARAMS = ("q", "server", "state", "risky", "sort", "page")


@require_GET
@vary_on_headers("HX-Request")
@signed_in
def index(request: SignedInRequest) -> HttpResponse:
    # Opening the page reads every server; search, filters, sort and paging (htmx) redraw
    # from what it read, as the single-server table does.
    return _render(request, fresh=not request.htmx or request.htmx.boosted)


def _render(request: SignedInRequest, *, fresh: bool, changed: bool = False) -> HttpResponse:
    """The page, or (htmx) its table; after a change the table's swap also redraws the status
    lines and messages."""
    reads = inventory.read_servers(_sessions(request), scope=_scope(request), fresh=fresh)
    table = Table.from_request(request, FLEET_TABLE, reverse("fleet:index"))
    filters, found = _found(request, table, reads)
    page = table.page(found)
    context = {
        "whm": request.whm,
        "reads": reads,
        "table": table,
        "filters": filters,
        "states": STATES,
        "page": page,
        "rows": rows(page.object_list),
        "matching": len(found),
        "total": sum(len(read.tokens) for read in reads),
        "failed": [read for read in reads if not read.ok],
        "flag_legend": ALL_FLAGS,
        "sort_links": _sort_links(request, table),
        "back": _table_query(request.GET),
        "export_query": _table_query(request.GET, without=("page",)),
        "changed": changed,
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "fleet/index.html" + ("#fleet-table" if partial else ""), context)


def _found(
    request: HttpRequest, table: Table, reads: Sequence[inventory.ServerRead]
) -> tuple[Filters, list[FleetToken]]:
    """The filters asked for, and the tokens that pass them and the search, sorted."""
    filters = Filters.from_request(request, [read.server for read in reads])
    found = matching((t for read in reads for t in read.tokens), table.query, filters)
    column = FLEET_TABLE.column(table.sort.removeprefix("-"))
    found.sort(key=column.key, reverse=table.sort.startswith("-"))
    return filters, found


@require_GET
@signed_in
def export(request: SignedInRequest, kind: str) -> StreamingHttpResponse:
    """Export CSV / Export JSON: the table as it is filtered and sorted (every page of it),
    with each token's whole privileges list, streamed a row at a time.

    The page's kept reads hold only a summary of the privileges, so the export reads each
    server's full `api_token_list` now, concurrently through the same bounded pool of pooled
    clients as the page (inventory.each_server). A server that fails is left out of the file
    and of its name; its status line says why (the reads are kept for the page)."""
    sessions = _sessions(request)
    if (server := request.GET.get("server")) in {s.server for s in sessions}:
        sessions = [s for s in sessions if s.server == server]  # the file holds no other
    answers = inventory.each_server(sessions, lambda system: system.details())
    listed = {(a.session.server, t.name): t for a in answers if not a.error for t in a.value}
    reads = [_kept_read(request, answer) for answer in answers]
    _, found = _found(request, Table.from_request(request, FLEET_TABLE, ""), reads)
    now = timezone.now()
    file_rows = (
        export_row(
            listed[t.server, t.name],
            server=t.server,
            user=t.user,
            now=now,
            warning_days=settings.EXPIRY_WARNING_DAYS,
        )
        for t in found
    )
    servers = [read.server for read in reads if read.ok]
    return exports.response(file_rows, kind=kind, servers=servers, today=now.date())


def _kept_read(request: SignedInRequest, answer: inventory.Answer) -> inventory.ServerRead:
    """A server's read for the page, from a call made elsewhere (and kept for the partials)."""
    if answer.error:
        read = inventory.failed(answer.session, answer.error)
    else:
        read = inventory.server_read(answer.session, answer.value)
    inventory.keep(_scope(request), [read])
    return read


# ---------------------------------------------------------------------------------------------
# Revoke Expired, fleet-wide: the question (GET) and the action (POST)
# ---------------------------------------------------------------------------------------------
@method_decorator(signed_in, name="dispatch")
@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class RevokeExpiredView(View):
    """GET asks: how many expired tokens each server holds now (read fresh), and Continue.
    POST acts: one revoke call per server for what was confirmed, each server's outcome said."""

    http_method_names: ClassVar[list[str]] = ["get", "post"]

    def get(self, request: SignedInRequest) -> HttpResponse:
        expired = cleanup.read_expired(_sessions(request))
        context = {
            "expired": expired,
            "count": sum(len(e.names) for e in expired),
            "servers": sum(1 for e in expired if e.names),
            "confirmed": cleanup.encode(expired),
            "action": reverse("fleet:revoke-expired") + _table_query(request.GET),
            "back": reverse("fleet:index") + _table_query(request.GET),
        }
        template = "fleet/confirm_revoke_expired.html"
        return render(request, template + ("#confirm-dialog" if request.htmx else ""), context)

    def post(self, request: SignedInRequest) -> HttpResponse:
        sessions = _sessions(request)
        posted = request.POST.get("confirmed", "")
        try:
            confirmed = cleanup.decode(posted, [s.server for s in sessions])
        except cleanup.NotConfirmed:
            return HttpResponseBadRequest(
                "This confirmation was not written by TokenUI's question: ask again.",
                content_type="text/plain; charset=utf-8",
            )
        results = cleanup.revoke(request, sessions, confirmed)
        # Whatever came of them, every kept read of the servers asked is out of date (the
        # fleet's, and the single-server table's, through WhmTokens.forget).
        for session in sessions:
            if session.server in confirmed:
                WhmTokens(session, _scope(request)).forget()
        for result in results or [cleanup.Result("", message=cleanup.NOTHING_EXPIRED)]:
            _say(request, result)
        if request.htmx:
            return _render(request, fresh=False, changed=True)
        return redirect_to(request, reverse("fleet:index") + _table_query(request.GET))


def _say(request: SignedInRequest, result: cleanup.Result) -> None:
    prefix = f"{result.server}: " if result.server else ""
    if not result.ok:
        messages.error(request, prefix + result.message)
    elif not result.revoked:
        messages.info(request, prefix + result.message)
    elif len(result.revoked) == 1:
        messages.success(request, f"{prefix}The API token “{result.revoked[0]}” has been revoked.")
    else:
        messages.success(request, f"{prefix}{len(result.revoked)} API tokens have been revoked.")


@require_POST
@signed_in
def refresh(request: SignedInRequest) -> HttpResponse:
    """Refresh one server (`server` posted) or all: drop what was read, then show the table
    again with the same filters (opening it reads WHM)."""
    server = request.POST.get("server", "")
    sessions = [s for s in _sessions(request) if not server or s.server == server]
    inventory.forget(_scope(request), sessions)
    back = _table_query(QueryDict(request.POST.get("back", "")))
    return redirect_to(request, reverse("fleet:index") + back)


def _sessions(request: SignedInRequest) -> list[credentials.WhmSession]:
    """The signed-in WHM servers, in settings order (reading them counts as using them)."""
    order = {name: index for index, name in enumerate(configured_servers())}
    sessions = [s for s in credentials.signed_in(request.session) if s.server in order]
    for session in sessions:
        credentials.touch(request.session, session.server)
    return sorted(sessions, key=lambda session: order[session.server])


def _scope(request: SignedInRequest) -> str:
    return request.session.session_key or ""


def _table_query(params: QueryDict, without: Sequence[str] = ()) -> str:
    kept = [(key, params[key]) for key in _TABLE_PARAMS if params.get(key) and key not in without]
    return f"?{urlencode(kept)}" if kept else ""


def _sort_links(request: SignedInRequest, table: Table) -> dict[str, dict[str, str]]:
    """Per column, the URL that sorts by it (keeping search and filters) and its aria-sort.
    The sort comes first: it says a sort link asked for the page (tables.Table.arrived)."""
    kept = [(key, values) for key, values in request.GET.lists() if key not in ("page", "sort")]
    links = {}
    for name, link in table.sort_links.items():
        params = QueryDict(link.url.lstrip("?"), mutable=True)
        params.pop("q", None)
        for key, values in kept:
            params.setlist(key, values)
        links[name] = {"url": f"?{params.urlencode()}", "state": link.state}
    return links
