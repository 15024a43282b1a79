"""All servers for staff: every token of every connected server the staff member holds a role
on, read from the inventory (no sign-in per server, no call to WHM while the page waits); each
token's History; Refresh now and a fleet-wide Revoke Expired, each with a progress page that
polls with htmx and refreshes itself without JavaScript."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from tokenui import risk
from tokenui.fleet import tasks
from tokenui.http import redirect_to
from tokenui.inventory import history, query
from tokenui.inventory import tasks as inventory
from tokenui.inventory.models import InventoryRun, InventoryToken, OwnerKind, RevokeRun
from tokenui.kernel import export as exports
from tokenui.kernel.display import RowTimes, compressed_ip, expiry_state, row_times
from tokenui.servers.models import ConnectedServer
from tokenui.staff.access import REFUSED, StaffRequest, staff_only
from tokenui.staff.models import Role, staff_of
from tokenui.tables import Column, Table, TableSpec

FLAGS_BY_KEY = {flag.key: flag for flag in risk.ALL_FLAGS}
# The table's sorts (done in SQL by tokenui.inventory.query); the keys sort nothing here.
STAFF_TABLE = TableSpec(
    columns=tuple(
        Column(name, str, descending_first=name in ("created", "expires")) for name in query.SORTS
    ),
    default_sort="server",
    name=lambda token: token.name,
    page_size=query.PAGE_SIZE,
)
FILTERS = ("q", "server", "kind", "state", "risky", "sort")
POLL_SECONDS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffRow(RowTimes):
    """One inventory token as the table shows it, with its links."""

    token: InventoryToken
    ips: tuple[str, ...]
    flags: tuple[risk.Flag, ...]
    page_url: str  # the token's own table, where the staff pages reach its owner; "" if gone
    history_url: str


@dataclass(frozen=True, slots=True)
class ServerState:
    """One server's part of the table: how old its inventory is, and why a read failed."""

    server: ConnectedServer
    run: InventoryRun | None

    @property
    def read(self) -> datetime | None:
        return self.run.read if self.run else None

    @property
    def error(self) -> str:
        return self.run.error if self.run else ""

    @property
    def problems(self) -> list[str]:
        return self.run.problems if self.run else []

    @property
    def asked(self) -> datetime | None:
        """When its first read was asked for, while it has none yet (a server just connected)."""
        return self.run.requested if self.run and not self.run.read else None


# Past this many servers the page sums their reads up (the failed ones named, every one on a
# page of its own), and the Server filter is a name typed rather than a list to choose from:
# a line and an option per server made the page grow with the fleet (bench/all-servers-report).
SERVER_LINES = 12
SERVER_OPTIONS = 40


@dataclass(frozen=True, slots=True)
class Fleet:
    """The servers' reads as the page shows them: each one, or, past SERVER_LINES, a summary
    with the failed ones named."""

    states: list[ServerState]

    @property
    def failed(self) -> list[ServerState]:
        return [state for state in self.states if state.error]

    @property
    def summed(self) -> bool:
        return len(self.states) > SERVER_LINES

    @property
    def shown(self) -> list[ServerState]:
        return self.failed[:SERVER_LINES] if self.summed else self.states

    @property
    def oldest(self) -> datetime | None:
        return min((s.read for s in self.states if s.read), default=None)

    @property
    def newest(self) -> datetime | None:
        return max((s.read for s in self.states if s.read), default=None)

    @property
    def unread(self) -> int:
        return sum(1 for state in self.states if state.read is None)

    @property
    def typed_server(self) -> bool:
        return len(self.states) > SERVER_OPTIONS


def _fleet(servers: list[ConnectedServer], everywhere: bool = False) -> Fleet:
    # Only what a server's line shows; every run at once when every server is theirs (no list
    # of a thousand ids to send).
    runs = InventoryRun.objects.only("server_id", "requested", "read", "error", "problems")
    runs = runs.all() if everywhere else runs.filter(server__in=servers)
    runs = {run.server_id: run for run in runs}
    return Fleet([ServerState(server, runs.get(server.pk)) for server in servers])


def _servers(request: StaffRequest) -> list[ConnectedServer]:
    return sorted(request.access.visible(), key=lambda server: server.name)


NO_SERVER = -1  # a server id no row has


def _criteria(
    request: StaffRequest, servers: list[ConnectedServer], table: Table
) -> query.Criteria:
    by_name = {server.name: server.pk for server in servers}
    params = request.GET
    return query.Criteria(
        # Every server: let the sort's index drive the query (no list of ids).
        servers=None if request.access.role() else list(by_name.values()),
        query=table.query,
        # A name no server of theirs has matches nothing (it is said above the table).
        server=by_name.get(params["server"], NO_SERVER) if params.get("server") else None,
        owner_kind=params.get("kind", ""),
        risky=params.get("risky") == "1",
        state=params.get("state", "") if params.get("state") in query.STATES else "",
        sort=table.sort,
        warning_days=settings.EXPIRY_WARNING_DAYS,
    )


def _query_string(request: HttpRequest, without: tuple[str, ...] = ()) -> str:
    kept = [
        (key, request.GET[key]) for key in FILTERS if request.GET.get(key) and key not in without
    ]
    return f"?{urlencode(kept)}" if kept else ""


def token_page(token: InventoryToken, server: ConnectedServer) -> str:
    """The token's own table, highlighted, where the staff pages reach its owner: the service
    user's WHM tokens, a reseller's (in its session), or a cPanel account's, under its
    reseller's path when a reseller owns it (as the Accounts page links it)."""
    kwargs = {"connected": server.name}
    if token.owner_kind == OwnerKind.CPANEL:
        kwargs["account"] = token.owner
        if token.account_owner not in ("", server.username):
            kwargs["reseller"] = token.account_owner
        page = reverse("staff-cptokens:index", kwargs=kwargs)
    else:
        if token.owner != server.username:
            kwargs["reseller"] = token.owner
        page = reverse("staff-tokens:index", kwargs=kwargs)
    return page + "?" + urlencode({"highlight": token.name})


def _rows(tokens: list[InventoryToken], servers: dict[int, ConnectedServer]) -> list[StaffRow]:
    now, zone = timezone.now(), ZoneInfo(settings.WHM_TIME_ZONE)
    return [
        StaffRow(
            token=token,
            **row_times(
                token.created,
                token.expires,
                now=now,
                zone=zone,
                warning_days=settings.EXPIRY_WARNING_DAYS,
            ),
            ips=tuple(map(compressed_ip, token.ips)),
            flags=tuple(FLAGS_BY_KEY[key] for key in token.flags if key in FLAGS_BY_KEY),
            page_url="" if token.gone else token_page(token, servers[token.server_id]),
            history_url=reverse("staff-fleet:history", args=[token.pk]),
        )
        for token in tokens
    ]


@require_GET
@vary_on_headers("HX-Request")
@staff_only(Role.VIEWER, anywhere=True)
def reads(request: StaffRequest) -> HttpResponse:
    """Every server's read, one line each: how old its tokens are, and why a read failed."""
    return render(request, "fleet/staff_reads.html", {"fleet": _fleet(_servers(request))})


@staff_only(Role.VIEWER, anywhere=True)
def index(request: StaffRequest) -> HttpResponse:
    """The table (or, htmx, its partial): search, filters, sort and a page, all in SQL."""
    context = _table_context(request)
    partial = request.htmx and not request.htmx.boosted
    return render(request, "fleet/staff.html" + ("#staff-table" if partial else ""), context)


def _table_context(request: StaffRequest) -> dict[str, object]:
    servers = _servers(request)
    table = Table.from_request(request, STAFF_TABLE, reverse("staff-fleet:index"))
    criteria = _criteria(request, servers, table)
    page = query.page(criteria, table.page_number or 1)
    fleet = _fleet(servers, everywhere=request.access.role() is not None)
    return {
        "fleet": fleet,
        "states": fleet.states,
        "failed": fleet.failed,
        "unknown_server": criteria.server == NO_SERVER,
        "table": table,
        "criteria": criteria,
        "filters": request.GET,
        "kinds": OwnerKind.choices,
        "state_words": query.STATES,
        "page": page,
        "rows": _rows(list(page.object_list), {server.pk: server for server in servers}),
        "matching": page.paginator.count,
        "flag_legend": risk.ALL_FLAGS,
        "sort_links": _sort_links(request, table),
        "back": _query_string(request),
        "export_query": _query_string(request),
        "can_revoke": _operator_servers(request, servers) != [],
    }


def _sort_links(request: StaffRequest, table: Table) -> dict[str, dict[str, str]]:
    """Per column, the URL that sorts by it (its sort first, keeping the filters)."""
    kept = [(k, request.GET[k]) for k in FILTERS if request.GET.get(k) and k not in ("q", "sort")]
    return {
        name: {"url": link.url + ("&" + urlencode(kept) if kept else ""), "state": link.state}
        for name, link in table.sort_links.items()
    }


@require_GET
@staff_only(Role.VIEWER, anywhere=True)
def export(request: StaffRequest, kind: str) -> StreamingHttpResponse:
    """Export CSV / Export JSON of the table as filtered and sorted (every page), from the
    inventory; each cell that a spreadsheet would run is neutralised (tokenui.kernel.export)."""
    servers = _servers(request)
    table = Table.from_request(request, STAFF_TABLE, "")
    criteria = _criteria(request, servers, table)
    now = timezone.now()
    days = settings.EXPIRY_WARNING_DAYS
    rows = (_export_row(token, now, days) for token in query.find(criteria).iterator(2000))
    names = [s.name for s in servers if criteria.server in (None, s.pk)]
    return exports.response(rows, kind=kind, servers=names, today=now.date())


def _export_row(token: InventoryToken, now: datetime, days: int) -> exports.ExportRow:
    expiry, _ = expiry_state(token.expires, now=now, warning_days=days)
    return exports.ExportRow(
        server=token.server_name,
        user=token.owner,
        name=token.name,
        created=token.created,
        expires=token.expires,
        state=exports.state_word(expiry),
        ips=tuple(map(compressed_ip, token.ips)),
        privileges=(token.privileges,),
        flags=tuple(FLAGS_BY_KEY[key] for key in token.flags if key in FLAGS_BY_KEY),
    )


@require_GET
@staff_only(Role.VIEWER, anywhere=True)
def token_history(request: StaffRequest, token_id: int) -> HttpResponse:
    """One token's History: each change a read found, and who made it."""
    token = get_object_or_404(InventoryToken.objects.select_related("server"), pk=token_id)
    if not request.access.on(token.server).can_view:
        raise PermissionDenied(REFUSED)
    context = {
        "token": token,
        "events": history.of(token),
        "page_url": "" if token.gone else token_page(token, token.server),
        "outside": history.OUTSIDE,
    }
    return render(request, "fleet/history.html", context)


# ---------------------------------------------------------------------------------------------
# Refresh now, and its progress
# ---------------------------------------------------------------------------------------------
@require_POST
@staff_only(Role.VIEWER, anywhere=True)
def refresh(request: StaffRequest) -> HttpResponse:
    """Refresh now: ask the inventory for each of the member's servers; show its progress."""
    moments = [inventory.request(server.pk) for server in _servers(request)]
    since = min(moments, default=timezone.now()).timestamp()
    url = reverse("staff-fleet:refresh-progress") + "?" + urlencode({"since": f"{since:.6f}"})
    return redirect_to(request, url)


@require_GET
@vary_on_headers("HX-Request")
@staff_only(Role.VIEWER, anywhere=True)
def refresh_progress(request: StaffRequest) -> HttpResponse:
    """How far Refresh now has come: servers read of the total, and those that failed."""
    try:
        since = datetime.fromtimestamp(float(request.GET.get("since", "")), UTC)
    except (ValueError, OverflowError, OSError):
        since = timezone.now()
    servers = _servers(request)
    runs = {run.server_id: run for run in InventoryRun.objects.filter(server__in=servers)}
    finished = [runs[s.pk] for s in servers if s.pk in runs and runs[s.pk].done_since(since)]
    context = {
        "title": "Refresh now",
        "total": len(servers),
        "done": len(finished),
        "failures": [(run.server.name, run.error) for run in finished if run.error],
        "finished": len(finished) == len(servers),
    }
    return _progress(request, context)


def _progress(request: StaffRequest, context: dict[str, object]) -> HttpResponse:
    """The progress page, or (htmx polling) its live part; htmx stops polling once done."""
    context |= {"poll_seconds": POLL_SECONDS, "back": reverse("staff-fleet:index")}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "fleet/progress.html#progress", context)
        # 286 tells htmx to stop polling: the job is done.
        response.status_code = 286 if context["finished"] else 200
        return response
    return render(request, "fleet/progress.html", context)


# ---------------------------------------------------------------------------------------------
# Revoke Expired, fleet-wide, through each server's service token
# ---------------------------------------------------------------------------------------------
def _operator_servers(
    request: StaffRequest, servers: list[ConnectedServer]
) -> list[ConnectedServer]:
    return [server for server in servers if request.access.on(server).can_act]


def _expired(servers: list[ConnectedServer]) -> dict[ConnectedServer, list[InventoryToken]]:
    """Each server's tokens the inventory holds as expired and still there."""
    found: dict[ConnectedServer, list[InventoryToken]] = {server: [] for server in servers}
    by_id = {server.pk: server for server in servers}
    expired = InventoryToken.objects.filter(
        server__in=servers, gone__isnull=True, expires__lte=timezone.now()
    ).order_by("server_name", "owner", "name")
    for token in expired:
        found[by_id[token.server_id]].append(token)
    return found


@require_http_methods(["GET", "POST"])
@staff_only(Role.OPERATOR, anywhere=True)
def revoke_expired(request: StaffRequest) -> HttpResponse:
    """GET asks (the expired tokens the inventory holds, on the servers the member operates);
    POST starts one run per server for the tokens confirmed and shows their progress."""
    expired = _expired(_operator_servers(request, _servers(request)))
    if request.method == "POST":
        posted = {int(v) for v in request.POST.getlist("token") if v.isdigit()}
        confirmed = {
            server: [t.pk for t in tokens if t.pk in posted]
            for server, tokens in expired.items()
            if any(t.pk in posted for t in tokens)
        }
        job = tasks.ask(staff_of(request.user), confirmed)
        return redirect_to(request, reverse("staff-fleet:revoke-progress", args=[job]))
    context = {
        "expired": {server: tokens for server, tokens in expired.items() if tokens},
        "count": sum(len(tokens) for tokens in expired.values()),
        "back": reverse("staff-fleet:index"),
    }
    return render(request, "fleet/staff_revoke_expired.html", context)


@require_GET
@vary_on_headers("HX-Request")
@staff_only(Role.OPERATOR, anywhere=True)
def revoke_progress(request: StaffRequest, job: uuid.UUID) -> HttpResponse:
    """How far a Revoke Expired has come: servers done of the total, what each revoked, and
    those that failed, in WHM's words."""
    runs = [
        run
        for run in RevokeRun.objects.filter(job=job).select_related("server")
        if request.access.on(run.server).can_act
    ]
    if not runs:
        raise PermissionDenied(REFUSED)
    done = [run for run in runs if run.state == "done"]
    context = {
        "title": "Revoke Expired",
        "total": len(runs),
        "done": len(done),
        "failures": [(run.server.name, run.message) for run in done if not run.ok],
        "revoked": [(run.server.name, run.revoked) for run in done if run.revoked],
        "finished": len(done) == len(runs),
    }
    return _progress(request, context)
