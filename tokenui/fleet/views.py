"""The All servers page: every signed-in server's tokens in one table, and Refresh."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tokenui.accounts import credentials
from tokenui.accounts.auth import SignedInRequest, signed_in
from tokenui.fleet import inventory
from tokenui.fleet.table import FLEET_TABLE, STATES, Filters, matching, rows
from tokenui.http import redirect_to
from tokenui.risk import ALL_FLAGS
from tokenui.tables import Table
from tokenui.whm.servers import configured_servers

# What a link back to the table may carry (Refresh comes back to the same filters).
_TABLE_PARAMS = ("q", "server", "state", "risky", "sort", "page")


@require_GET
@vary_on_headers("HX-Request")
@signed_in
def index(request: SignedInRequest) -> HttpResponse:
    sessions = _sessions(request)
    # Opening the page reads every server; search, filters, sort and paging (htmx) redraw
    # from what it read, as the single-server table does.
    fresh = not request.htmx or request.htmx.boosted
    reads = inventory.read_servers(sessions, scope=_scope(request), fresh=fresh)
    table = Table.from_request(request, FLEET_TABLE, reverse("fleet:index"))
    servers = [read.server for read in reads]
    filters = Filters.from_request(request, servers)
    found = matching((t for read in reads for t in read.tokens), table.query, filters)
    column = FLEET_TABLE.column(table.sort.removeprefix("-"))
    found.sort(key=column.key, reverse=table.sort.startswith("-"))
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
    }
    template = (
        "fleet/index.html#fleet-table"
        if request.htmx and not request.htmx.boosted
        else "fleet/index.html"
    )
    return render(request, template, context)


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


def _table_query(params: QueryDict) -> str:
    kept = [(key, params[key]) for key in _TABLE_PARAMS if params.get(key)]
    return f"?{urlencode(kept)}" if kept else ""


def _sort_links(request: SignedInRequest, table: Table) -> dict[str, dict[str, str]]:
    """Per column, the URL that sorts by it (keeping search and filters) and its aria-sort."""
    links = {}
    for name, link in table.sort_links.items():
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = QueryDict(link.url.lstrip("?"))["sort"]
        links[name] = {"url": f"?{params.urlencode()}", "state": link.state}
    return links
