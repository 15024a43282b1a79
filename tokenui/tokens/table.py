"""A token system's table: its state (search, sort, page, highlight) read from the request, its
rows, the rotation marks, and the page or (for an htmx swap) the table partial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tokenui.audit import rotations
from tokenui.kernel import display
from tokenui.kernel.display import RowUrls
from tokenui.sessions.auth import SignedInRequest
from tokenui.systems import TokenSystem
from tokenui.tables import Table

# The URLs each page links to, by the name the templates use (a dash does not read there).
PAGE_URLS = ("index", "create", "check-name", "revoke-selected", "revoke-all")
EXPORT_URLS = ("export-csv", "export-json")


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap of the table; a boosted link or Back to a page htmx did not keep (a
    history restore) needs the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def table_state(request: HttpRequest, system: TokenSystem) -> Table:
    return Table.from_request(request, system.table, system.url("index"))


def page_context(request: SignedInRequest) -> dict[str, Any]:
    """What every page of a token system shows: the system, its words and what it can do."""
    system: TokenSystem = request.system  # type: ignore[attr-defined]
    names = PAGE_URLS + (EXPORT_URLS if system.caps.export else ())
    names += ("revoke-expired",) if system.caps.revoke_expired else ()
    names += ("saved",) if system.caps.saved_then_create else ()
    names += ("form-flags",) if system.caps.privileges else ()
    return {
        "system": system,
        "words": system.words,
        "caps": system.caps,
        "whm": request.whm,
        "urls": {name.replace("-", "_"): system.url(name) for name in names},
    }


def render_table(
    request: SignedInRequest, tokens: Sequence[Any] | None, *, status: int = 200
) -> HttpResponse:
    """The table page, or the table alone for an htmx swap; `tokens` None: not loaded."""
    template = "tokens/index.html"
    if wants_partial(request):
        template += "#token-table"
    return render(request, template, table_context(request, tokens), status=status)


def table_context(request: SignedInRequest, tokens: Sequence[Any] | None) -> dict[str, Any]:
    system: TokenSystem = request.system  # type: ignore[attr-defined]
    table = table_state(request, system)
    matching = table.matching(tokens or ())
    page = table.page(matching)
    return {
        **page_context(request),
        "table": table,
        "rows": rows(system, page.object_list),
        "page": page,
        "query": table.query,
        "sort": table.sort,
        "total": len(tokens) if tokens is not None else None,
        "matching": len(matching),
        "highlight": table.highlight,
        "loaded": tokens is not None,
        # These tokens cannot be had at all (a cPanel package without API Tokens).
        "unavailable": getattr(request, "unavailable", False),
        "sort_links": table.sort_links,
        # Refresh List reads the server again for the same view; Edit comes back to it.
        "refresh_url": table.url(page=page.number),
        "edit_query": table.query_string,
        # The exports carry the search and sort, and every page of the result.
        "export_query": table.query_string,
        "risk_flags": system.risk_flags,
        "successors": successors(system, tokens or (), page.object_list),
        "service_tokens": system.service_tokens(tokens or ()),  # found in the whole list
        # The mark leads back to the rotation's next steps (revoke the old token, or not yet).
        "finish_url": system.url("rotate-finish", RowUrls.PLACEHOLDER),
    }


def rows(system: TokenSystem, shown: Sequence[Any]) -> list[display.TokenRow]:
    """The page's rows, their links reversed once for the table, not once a row."""
    placeholder = RowUrls.PLACEHOLDER
    urls = RowUrls.around(system.url("edit", placeholder), system.url("revoke", placeholder))
    return display.rows(
        shown, urls=urls, session_token=system.session_token, access=system.access_words
    )


def successors(system: TokenSystem, tokens: Sequence[Any], shown: Sequence[Any]) -> dict[str, str]:
    """Rotated tokens on this page not yet revoked, each with its successor's name."""
    if not shown:  # nothing to mark: no query
        return {}
    return rotations.successors(
        server=system.server,
        listed={t.name for t in tokens},
        shown={t.name: t.created for t in shown},
        **system.marks_scope(),
    )
