"""The Manage API Tokens pages: the table, Generate, Edit, and Revoke (one, selected, all)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from tokenui.accounts import credentials
from tokenui.accounts.auth import SignedInRequest, signed_in
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.http import redirect_to, status_for
from tokenui.tokens import display, listing
from tokenui.tokens.acl_groups import held_acl_groups, iter_acls
from tokenui.tokens.forms import TokenForm
from tokenui.tokens.validators import validate_token_name
from tokenui.whm.errors import WhmAuthError, WhmError, WhmTimeout
from tokenui.whm.servers import configured_servers
from tokenui.whm.types import ApiToken, CreatedToken

logger = logging.getLogger(__name__)

HELD_ACLS = "whm_held_acls"  # session key: the user's privileges, read from WHM's myprivs
NOTHING_TO_REVOKE = "There are no API tokens to revoke."
SIGNED_OUT_BY_WHM = "WHM no longer accepts the credential: TokenUI ended the session."
OUTCOME_UNKNOWN = (
    "WHM did not answer in time, so it may or may not have carried this out. "
    "Use Refresh List to see the tokens as they are now."
)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
@signed_in
@require_GET
@vary_on_headers("HX-Request", listing.REFRESH_HEADER)
def index(request: SignedInRequest) -> HttpResponse:
    # Search, sort and paging redraw the table the page loaded (as WHM's own Search does);
    # opening the page and Refresh List read WHM.
    fresh = not _wants_partial(request) or request.headers.get(listing.REFRESH_HEADER) == "true"
    try:
        tokens = listing.read(request) if fresh else listing.recent(request)
    except WhmError as exc:
        return _failed(request, exc, tokens=None)
    return _render_table(request, tokens)


def _render_table(
    request: SignedInRequest, tokens: Sequence[ApiToken] | None, *, status: int = 200
) -> HttpResponse:
    template = "tokens/index.html"
    if _wants_partial(request):
        template += "#token-table"
    return render(request, template, _table_context(request, tokens), status=status)


def _wants_partial(request: HttpRequest) -> bool:
    """An htmx swap of the table; a boosted link or Back to a page htmx did not keep (a
    history restore) needs the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _table_context(request: SignedInRequest, tokens: Sequence[ApiToken] | None) -> dict:
    view = _table_view(request)
    query = view.get("q", "")[:100]
    sort = display.parse_sort(view.get("sort"))
    matching = display.sort_tokens(display.search(tokens or (), query), sort)
    highlight = request.GET.get("highlight", "")
    page = Paginator(matching, display.PAGE_SIZE).get_page(
        view.get("page") or _page_holding(matching, highlight)
    )
    now = timezone.now()
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    placeholder = [display.RowUrls.PLACEHOLDER]
    urls = display.RowUrls.around(
        reverse("tokens:edit", args=placeholder), reverse("tokens:revoke", args=placeholder)
    )
    rows = [
        display.make_row(
            token,
            now=now,
            zone=zone,
            warning_days=settings.EXPIRY_WARNING_DAYS,
            session_token=request.whm.token_name,
            urls=urls,
        )
        for token in page.object_list
    ]
    return {
        "rows": rows,
        "page": page,
        "query": query,
        "sort": sort.value,
        "total": len(tokens) if tokens is not None else None,
        "matching": len(matching),
        "highlight": highlight,
        "loaded": tokens is not None,
        "whm": request.whm,
        "sort_links": _sort_links(query, sort),
        # Refresh List reads WHM again for the same view; Edit comes back to it.
        "refresh_url": _list_url(view=view, page=page.number),
        "edit_query": _view_query(view),
        "notice_icon": static("icons.svg") + "#notice",
    }


def _table_view(request: SignedInRequest) -> QueryDict:
    """Search, sort and page of the table being shown: from the URL, or for an htmx action
    (say, Revoke from a filtered table) from the page the user is looking at."""
    if request.method == "POST" and request.htmx and request.htmx.current_url:
        try:
            return QueryDict(urlsplit(request.htmx.current_url).query)
        except ValueError:  # a broken or forged header; the action itself has already happened
            pass
    return request.GET


def _page_holding(tokens: Sequence[ApiToken], name: str) -> int:
    """The page of the table on which the token `name` is, so that the row highlighted after
    Generate or Edit is on screen (page 1 when it is not in the list)."""
    index = next((i for i, token in enumerate(tokens) if token.name == name), 0)
    return index // display.PAGE_SIZE + 1


def _view_params(view: QueryDict) -> dict[str, str]:
    """The table's search and sort, checked, as query parameters (defaults left out)."""
    params = {}
    if query := view.get("q", "")[:100]:
        params["q"] = query
    if (sort := display.parse_sort(view.get("sort"))) != display.Sort.CREATED_DESC:
        params["sort"] = sort.value
    return params


def _view_query(view: QueryDict) -> str:
    params = _view_params(view)
    return f"?{urlencode(params)}" if params else ""


def _sort_links(query: str, current: display.Sort) -> dict[str, dict[str, str]]:
    """For each sortable column: the URL that sorts by it (flipping when already sorted by it)."""
    links = {}
    for column in ("name", "created", "expires"):
        ascending = display.Sort(column)
        descending = display.Sort(f"-{column}")
        target = ascending if current == descending else descending
        if column == "name" and current not in (ascending, descending):
            target = ascending
        params = {"sort": target.value} | ({"q": query} if query else {})
        state = {ascending: "ascending", descending: "descending"}.get(current, "none")
        links[column] = {"url": f"?{urlencode(params)}", "state": state}
    return links


# ---------------------------------------------------------------------------------------------
# Generate and Edit
# ---------------------------------------------------------------------------------------------
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def generate(request: SignedInRequest) -> HttpResponse:
    # The Generate POST *is* the page that shows the secret: no redirect, nothing stored.
    try:
        held, tokens = _held_acls(request, fresh=request.method == "GET"), _list(request)
    except WhmError as exc:
        _record_failed_read(request, Action.GENERATE, exc)
        return _form_read_failed(request, exc)
    form = _token_form(request, held, tokens)
    if request.method == "GET" or not form.is_valid():
        return _render_form(request, form, status=200 if request.method == "GET" else 422)
    data = form.cleaned_data
    try:
        with _changing(request, Action.GENERATE, [data["name"]]):
            created = request.whm_client.create_token(
                data["name"],
                acls=data["acls"],
                expires=data["expires"],
                whitelist_ips=data["whitelist_ips"],
            )
    except WhmError as exc:
        return _form_failed(request, form, exc)
    logger.info("token generated: server=%s name=%s", request.whm.server, data["name"])
    return render(request, "tokens/created.html", _created_context(request, created))


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def edit(request: SignedInRequest, name: str) -> HttpResponse:
    try:
        held, tokens = _held_acls(request, fresh=request.method == "GET"), _list(request)
    except WhmError as exc:
        _record_failed_read(request, Action.EDIT, exc, [name])
        return _form_read_failed(request, exc, name=name)
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        return _not_found(request, name, tokens, Action.EDIT)
    form = _token_form(request, held, tokens, token=token)
    if request.method == "GET" or not form.is_valid():
        return _render_form(request, form, status=200 if request.method == "GET" else 422)
    data = form.cleaned_data
    new_name = data["name"] if data["name"] != name else None
    try:
        # A rename is recorded as [old name, new name].
        with _changing(request, Action.EDIT, [name, new_name] if new_name else [name]):
            updated = request.whm_client.update_token(
                name,
                new_name=new_name,
                acls=data["acls"],
                expires=data["expires"],
                whitelist_ips=data["whitelist_ips"],
            )
    except WhmError as exc:
        return _form_failed(request, form, exc)
    if name == request.whm.token_name and updated.name != name:
        _renamed_session_token(request, updated.name)
    messages.success(request, f"The API token “{updated.name}” has been updated.")
    return redirect_to(request, _list_url(highlight=updated.name, view=request.GET))


@signed_in
@require_GET
def check_name(request: SignedInRequest) -> HttpResponse:
    """As-you-type check of a token name: WHM's rules, then uniqueness among the user's tokens."""
    name = request.GET.get("name", "").strip()
    original = request.GET.get("original") or None
    context: dict[str, object] = {"name": name, "ok": False, "message": ""}
    try:
        validate_token_name(name)
    except ValidationError as exc:
        context["message"] = " ".join(exc.messages)
    else:
        try:
            # The list the page loaded: Generate and Save check the name against WHM's own.
            taken = name != original and any(t.name == name for t in listing.recent(request))
        except WhmError as exc:
            context["message"] = f"Could not check the name with WHM: {exc.message}"
        else:
            context["ok"] = not taken
            context["message"] = (
                f"An API token with the name “{name}” already exists."
                if taken
                else f"“{name}” is available."
            )
    return render(request, "tokens/form.html#name-check", {"name_check": context})


def _token_form(
    request: SignedInRequest,
    held: frozenset[str],
    tokens: Sequence[ApiToken],
    *,
    token: ApiToken | None = None,
    original_name: str | None = None,
) -> TokenForm:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    initial = None
    if token is not None:
        held_keys = [acl.key for acl in iter_acls(held_acl_groups(held))]
        initial = {
            "name": token.name,
            "expiry": "date" if token.expires else "never",
            "expires_on": display.server_time(token.expires, zone).date()
            if token.expires
            else None,
            "whitelist_ips": "\n".join(token.whitelist_ips),
            # WHM shows a full-access token with every box ticked.
            "acls": held_keys if token.has_full_access else sorted(token.acls & set(held_keys)),
        }
    form = TokenForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        held_acls=held,
        existing_names={t.name for t in tokens},
        today=timezone.now().astimezone(zone).date(),
        time_zone=zone,
        original_name=token.name if token else original_name,
    )
    check_url = reverse("tokens:check-name")
    if form.original_name:
        check_url += f"?{urlencode({'original': form.original_name})}"
    form.fields["name"].widget.attrs.update(
        {
            "hx-get": check_url,
            "hx-trigger": "input changed delay:250ms",
            "hx-target": "#name-check",
            "hx-swap": "outerHTML",
            "hx-sync": "this:replace",
            "hx-indicator": "#name-busy",
        }
    )
    return form


def _render_form(
    request: SignedInRequest, form: TokenForm, *, status: int, outcome_unknown: bool = False
) -> HttpResponse:
    context = {
        "form": form,
        "editing": form.original_name,
        "name_check": None,
        "is_session_token": bool(form.original_name)
        and form.original_name == request.whm.token_name,
        "outcome_unknown": outcome_unknown,
        "list_url": _list_url(view=request.GET),  # back to the table the user came from
        "whm": request.whm,
    }
    return render(request, "tokens/form.html", context, status=status)


def _form_failed(request: SignedInRequest, form: TokenForm, exc: WhmError) -> HttpResponse:
    """WHM said no or failed: keep everything the user typed and say what happened."""
    if isinstance(exc, WhmAuthError):
        return _signed_out_by_whm(request)
    form.add_error(None, _failure_message(exc))
    status = 422 if getattr(exc, "reason", None) else status_for(exc)
    # The change may have happened: offer the list as it is now rather than a second try.
    return _render_form(request, form, status=status, outcome_unknown=exc.may_have_run)


def _form_read_failed(
    request: SignedInRequest, exc: WhmError, *, name: str | None = None
) -> HttpResponse:
    """WHM failed on the reads behind the form (myprivs, the token list). Opening the form,
    there is nothing to show; posting it, the form comes back as typed, checked against the
    privileges read when it was opened, so that nothing the user typed is lost."""
    if request.method != "POST" or isinstance(exc, WhmAuthError):
        return _failed(request, exc, template="tokens/form.html", editing=name)
    cached = request.session.get(HELD_ACLS)
    held = frozenset(cached) if isinstance(cached, list) else frozenset()
    form = _token_form(request, held, (), original_name=name)
    form.add_error(None, exc.message)
    logger.warning("WHM call failed: server=%s kind=%s", request.whm.server, type(exc).__name__)
    return _render_form(request, form, status=status_for(exc))


def _created_context(request: SignedInRequest, created: CreatedToken) -> dict:
    host = configured_servers()[request.whm.server].url
    header = f"Authorization: whm {request.whm.user}:{created.secret}"
    # The seed document's example; a private CA (the embedded simulator's too) needs --cacert.
    cacert = f"--cacert '{settings.WHM_CA_BUNDLE}' " if settings.WHM_CA_BUNDLE else ""
    # The seed document's own example: applist answers any working token, whatever it may do.
    curl = f"curl {cacert}-H'{header}' '{host}/json-api/applist?api.version=1'"
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    expires = created.token.expires
    return {
        "created": created,
        "header": header,
        "curl": curl,
        "expires": (
            display.server_time(expires, zone).strftime(display.WHM_TIME_FORMAT) if expires else ""
        ),
        "expires_iso": expires.isoformat() if expires else "",
        "list_url": _list_url(highlight=created.token.name),
        "whm": request.whm,
    }


# ---------------------------------------------------------------------------------------------
# Revoke: one, the selected ones, or all
# ---------------------------------------------------------------------------------------------
@signed_in
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def revoke(request: SignedInRequest, name: str) -> HttpResponse:
    return _revoke(request, names=[name], scope="one")


@signed_in
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def revoke_selected(request: SignedInRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    names = list(dict.fromkeys(source.getlist("name")))
    if not names:
        messages.warning(request, "Select at least one API token to revoke.")
        return redirect_to(request, _list_url())
    return _revoke(request, names=names, scope="selected")


@signed_in
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def revoke_all(request: SignedInRequest) -> HttpResponse:
    return _revoke(request, names=None, scope="all")


def _revoke(request: SignedInRequest, *, names: list[str] | None, scope: str) -> HttpResponse:
    try:
        tokens = _list(request)
    except WhmError as exc:
        _record_failed_read(request, _REVOKE_ACTIONS[scope], exc, names or ())
        return _failed(request, exc, tokens=None)
    existing = {t.name for t in tokens}
    if names is None:
        names = [t.name for t in tokens]
    missing = [n for n in names if n not in existing]
    if scope == "one" and missing:
        return _not_found(request, names[0], tokens, Action.REVOKE)
    names = [n for n in names if n in existing]
    if request.method == "GET":
        return _confirm_revoke(request, names, scope)
    if not names:
        # Nothing is sent to WHM, but the user asked for a change: the trail says what came of it.
        trail.record(
            request,
            _REVOKE_ACTIONS[scope],
            outcome=Outcome.REFUSED,
            token_names=missing,
            reason=NOTHING_TO_REVOKE,
        )
        messages.info(request, NOTHING_TO_REVOKE)
        return _after_revoke(request, tokens)
    try:
        with _changing(request, _REVOKE_ACTIONS[scope], names):
            request.whm_client.revoke_tokens(names)
    except WhmError as exc:
        return _failed(request, exc, tokens=tokens)
    logger.info("tokens revoked: server=%s count=%d", request.whm.server, len(names))
    if request.whm.token_name in names:
        credentials.forget(request.session)
        messages.warning(request, "You revoked the API token this session signed in with.")
        return redirect_to(request, reverse("accounts:sign-in"))
    messages.success(request, _revoked_message(names))
    gone = set(names)
    return _after_revoke(request, [t for t in tokens if t.name not in gone])


_REVOKE_ACTIONS = {
    "one": Action.REVOKE,
    "selected": Action.REVOKE_SELECTED,
    "all": Action.REVOKE_ALL,
}


def _confirm_revoke(request: SignedInRequest, names: list[str], scope: str) -> HttpResponse:
    if scope == "all":
        question = "Are you certain that you want to revoke all of your API tokens?"
    elif len(names) == 1:
        question = f"Are you certain that you want to revoke the API token, “{names[0]}”?"
    else:
        question = f"Are you certain that you want to revoke {len(names)} API tokens?"
    action = {
        "one": reverse("tokens:revoke", args=names[:1]) if names else "",
        "selected": reverse("tokens:revoke-selected"),
        "all": reverse("tokens:revoke-all"),
    }[scope]
    context = {
        "question": question,
        "names": names,
        "scope": scope,
        "action": action,
        "includes_session_token": request.whm.token_name in names,
        "whm": request.whm,
    }
    template = "tokens/confirm_revoke.html"
    if request.htmx:
        template += "#confirm-dialog"
    return render(request, template, context)


def _after_revoke(request: SignedInRequest, remaining: Sequence[ApiToken]) -> HttpResponse:
    if request.htmx:
        return _render_table(request, remaining)
    return redirect_to(request, _list_url())


def _revoked_message(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"The API token “{names[0]}” has been revoked."
    return f"{len(names)} API tokens have been revoked."


# ---------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------
def _list(request: SignedInRequest) -> list[ApiToken]:
    return request.whm_client.list_tokens()


@contextmanager
def _changing(request: SignedInRequest, action: Action, names: Sequence[str]) -> Iterator[None]:
    """Around a call that changes WHM: recorded in the audit trail, and, whatever its outcome,
    the list kept for the table's partials is dropped."""
    try:
        with trail.recording(request, action, names):
            yield
    finally:
        listing.forget(request)


def _record_failed_read(
    request: SignedInRequest, action: Action, exc: WhmError, names: Sequence[str] = ()
) -> None:
    """A POST that failed on the WHM read before its change (nothing changed): record it.
    A GET only shows a page, so it is not recorded."""
    if request.method != "POST":
        return
    # Only names WHM could hold: a forged form field has no business in the trail.
    names = [n for n in names if _is_token_name(n)]
    trail.record_error(request, action, exc, changes_state=False, token_names=names)


def _is_token_name(name: str) -> bool:
    try:
        validate_token_name(name)
    except ValidationError:
        return False
    return True


def _held_acls(request: SignedInRequest, *, fresh: bool) -> frozenset[str]:
    """The ACLs the user holds: read from WHM when a form opens, then reused from the session."""
    cached = request.session.get(HELD_ACLS)
    if fresh or not isinstance(cached, list):
        cached = sorted(request.whm_client.my_privileges().acls)
        request.session[HELD_ACLS] = cached
    return frozenset(cached)


def _renamed_session_token(request: SignedInRequest, new_name: str) -> None:
    whm = request.whm
    credentials.store(request.session, whm.server, whm.credential, new_name)


def _list_url(*, highlight: str = "", view: QueryDict | None = None, page: int = 1) -> str:
    """The table, showing the search and sort of `view` (the table the user came from)."""
    params = _view_params(view) if view is not None else {}
    if page > 1:
        params["page"] = str(page)
    if highlight:
        params["highlight"] = highlight
    url = reverse("tokens:index")
    return f"{url}?{urlencode(params)}" if params else url


def _not_found(
    request: SignedInRequest, name: str, tokens: Sequence[ApiToken], action: Action
) -> HttpResponse:
    """A token named in the URL that WHM does not list (gone since the page was drawn)."""
    message = f"The API token “{name}” does not exist."
    if request.method == "POST":  # a change was asked for; a GET only showed a page
        trail.record(request, action, outcome=Outcome.REFUSED, token_names=[name], reason=message)
    messages.error(request, message)
    return _render_table(request, tokens, status=404)


def _failed(
    request: SignedInRequest,
    exc: WhmError,
    *,
    tokens: Sequence[ApiToken] | None = None,
    template: str | None = None,
    editing: str | None = None,
) -> HttpResponse:
    """A WHM failure on a page without a form: say what happened, keep the page usable."""
    if isinstance(exc, WhmAuthError):
        return _signed_out_by_whm(request)
    messages.error(request, _failure_message(exc))
    logger.warning("WHM call failed: server=%s kind=%s", request.whm.server, type(exc).__name__)
    if template:
        context = {
            "form": None,
            "editing": editing,
            "list_url": _list_url(view=request.GET),
            "whm": request.whm,
        }
        return render(request, template, context, status=status_for(exc))
    return _render_table(request, tokens, status=status_for(exc))


def _failure_message(exc: WhmError) -> str:
    """What to tell the user; a change that timed out after it was sent may have happened."""
    if isinstance(exc, WhmTimeout) and exc.may_have_run:
        return OUTCOME_UNKNOWN
    return exc.message


def _signed_out_by_whm(request: SignedInRequest) -> HttpResponse:
    """WHM no longer accepts the credential (revoked, expired, password changed): sign out."""
    trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, reason=SIGNED_OUT_BY_WHM)
    credentials.forget(request.session)
    messages.error(request, "WHM no longer accepts your credentials. Sign in again.")
    return redirect_to(request, reverse("accounts:sign-in"))
