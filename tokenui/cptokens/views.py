"""cPanel's Manage API Tokens pages: the table, Create, Manage (rename), and Revoke (one, the
selected ones, all), for a cPanel user's own account or, through WHM's `uapi_cpanel`, for an
account a signed-in WHM operator owns."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from tokenui import risk, rotation
from tokenui.accounts import credentials
from tokenui.accounts.auth import SignedInRequest, signed_in_any
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.cptokens.forms import CreateForm, RenameForm
from tokenui.http import redirect_to, status_for
from tokenui.tables import Column, Table, TableSpec
from tokenui.tokens import display
from tokenui.tokens.forms import (
    EXPIRY_NEVER,
    fresh_name,
    is_prefill_query,
    link_prefill,
    link_query,
    quoted,
)
from tokenui.tokens.listing import REFRESH_HEADER, KeptList
from tokenui.tokens.validators import validate_token_name
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError, WhmTimeout
from tokenui.whm.servers import (
    configured_servers,
    cpanel_client_for,
    cpanel_client_via_whm,
    cpanel_server,
)
from tokenui.whm.types import LATEST, CpanelToken, CreatedCpanelToken
from tokenui.whm.uapi import CpanelClient

logger = logging.getLogger(__name__)

NOTHING_TO_REVOKE = "There are no API tokens to revoke."
NOTHING_SELECTED = "Select at least one API token to revoke."
MAX_SELECTED = display.PAGE_SIZE
TOO_MANY_SELECTED = (
    f"Select at most {MAX_SELECTED} API tokens to revoke at once (one page of the table). "
    "To revoke every API token, use Revoke All."
)
OUTCOME_UNKNOWN = (
    "cPanel did not answer in time, so it may or may not have carried this out. "
    "Use Refresh List to see the tokens as they are now."
)
# seed 004's own example: a UAPI call any working token of the account may make.
EXAMPLE_CALL = "/execute/Email/add_pop?email=newuser&password=12345luggage"


@dataclass(frozen=True, slots=True)
class Target:
    """Whose cPanel tokens this request works on, and the client that reaches them."""

    account: str
    client: CpanelClient
    via_whm: bool  # a WHM operator, through uapi_cpanel; else the cPanel user themself

    def url(self, name: str, *args: str) -> str:
        """A cptokens URL for this account (the operator's URLs name it, the user's do not)."""
        kwargs = {"account": self.account} if self.via_whm else {}
        if args:
            kwargs["name"] = args[0]
        return reverse(f"cptokens:{name}", kwargs=kwargs)


class CpanelRequest(SignedInRequest):
    cpanel: Target
    cpanel_account: str  # read by the audit trail: the account acted on


View = Callable[..., HttpResponse]


def cpanel_page(view: View) -> View:
    """A cPanel tokens view: signed in, and bound to the account it works on. A cPanel user
    works on their own account (a URL naming another is 404); a WHM user on the account the
    URL names, through WHM (without one, the Accounts page is where to pick it)."""

    @signed_in_any
    @wraps(view)
    def wrapper(
        request: CpanelRequest, *args: object, account: str | None = None, **kwargs: object
    ) -> HttpResponse:
        session = request.whm
        server = session.server
        if session.is_cpanel:
            if account is not None and account != session.user:
                raise Http404("Not this session's cPanel account.")
            target = Target(session.user, cpanel_client_for(server, session.credential), False)
        elif account is None:
            return redirect_to(request, reverse("cptokens:accounts"))
        else:
            client = cpanel_client_via_whm(server, session.credential, account)
            target = Target(account, client, True)
        request.cpanel = target
        request.cpanel_account = target.account
        return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
@cpanel_page
@require_GET
@vary_on_headers("HX-Request", REFRESH_HEADER)
def index(request: CpanelRequest) -> HttpResponse:
    # Search, sort and paging redraw the list the page read (as cPanel's own page filters the
    # table it loaded); opening the page and Refresh List read cPanel.
    fresh = not _wants_partial(request) or request.headers.get(REFRESH_HEADER) == "true"
    try:
        tokens = _tokens(request, fresh=fresh)
    except WhmError as exc:
        return _failed(request, exc)
    return _render_table(request, tokens)


# The list the table shows, kept for the session's search, sort and paging as WHM's table keeps
# its own (tokens/listing.py): per session, server, signed-in user and account; names and times,
# never a secret; dropped after every change this session makes.
_KEPT = KeptList("tokenui:cpanel-token-list:", CpanelToken)


def _tokens(request: CpanelRequest, *, fresh: bool) -> list[CpanelToken]:
    """The account's tokens: read from cPanel now when `fresh` (and kept for the partials that
    follow), else the list this session read within KEPT_SECONDS, or cPanel's when none is."""
    scope = _kept_scope(request)
    if not fresh and (kept := _KEPT.get(request, scope)) is not None:
        return kept
    listed = request.cpanel.client.list_tokens()
    _KEPT.keep(request, scope, listed)
    return listed


def _kept_scope(request: CpanelRequest) -> str:
    return f"{request.whm.server}\0{request.whm.user}\0{request.cpanel.account}"


@contextmanager
def _changing(request: CpanelRequest, action: Action, names: Sequence[str]) -> Iterator[None]:
    """Around a call that changes cPanel: recorded in the audit trail, and, whatever its
    outcome, the kept list is dropped."""
    try:
        with trail.recording(request, action, names):
            yield
    finally:
        _KEPT.forget(request, _kept_scope(request))


def _render_table(
    request: CpanelRequest, tokens: Sequence[CpanelToken] | None, *, status: int = 200
) -> HttpResponse:
    template = "cptokens/index.html"
    if _wants_partial(request):
        template += "#token-table"
    return render(request, template, _table_context(request, tokens), status=status)


def _wants_partial(request: HttpRequest) -> bool:
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


# As WHM's table (display.TOKEN_TABLE) sorts its tokens: newest first, never-expiring after
# every date. Its own spec: WHM's sorts WHM's token summaries by their Unix seconds.
CPANEL_TOKEN_TABLE = TableSpec(
    columns=(
        Column("name", lambda t: (t.name.casefold(), t.name)),
        Column("created", lambda t: (t.created, t.name), descending_first=True),
        Column("expires", lambda t: (t.expires or LATEST, t.name), descending_first=True),
    ),
    default_sort="-created",
    name=lambda t: t.name,
    page_size=display.PAGE_SIZE,
)


def _table(request: CpanelRequest) -> Table:
    return Table.from_request(request, CPANEL_TOKEN_TABLE, request.cpanel.url("index"))


@dataclass(frozen=True, slots=True)
class Row:
    """One row of cPanel's table, pre-formatted for the template."""

    token: CpanelToken
    created: str
    created_iso: str
    expires: str
    expires_iso: str
    expiry: display.Expiry
    expiry_words: str
    manage_url: str
    flags: tuple[risk.Flag, ...] = ()
    rotate_url: str = ""
    successor: str = ""  # rotated into this token, and not yet revoked

    @property
    def name(self) -> str:
        return self.token.name


def _rows(
    request: CpanelRequest, tokens: Sequence[CpanelToken], successors: dict[str, str]
) -> list[Row]:
    now = timezone.now()
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    warning_days = settings.EXPIRY_WARNING_DAYS
    placeholder = display.RowUrls.PLACEHOLDER
    before, _, after = request.cpanel.url("manage", placeholder).rpartition(placeholder)
    rotate_before, _, rotate_after = request.cpanel.url("rotate", placeholder).rpartition(
        placeholder
    )
    rows = []
    for token in tokens:
        state, words = display.expiry_state(token.expires, now=now, warning_days=warning_days)
        rows.append(
            Row(
                token=token,
                created=_when(token.created, zone),
                created_iso=token.created.isoformat(),
                expires=_when(token.expires, zone) if token.expires else "",
                expires_iso=token.expires.isoformat() if token.expires else "",
                expiry=state,
                expiry_words=words,
                manage_url=f"{before}{token.name}{after}",
                flags=risk.flags(token, now=now),
                rotate_url=f"{rotate_before}{token.name}{rotate_after}",
                successor=successors.get(token.name, ""),
            )
        )
    return rows


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return display.server_time(moment, zone).strftime(display.WHM_TIME_FORMAT)


def _table_context(request: CpanelRequest, tokens: Sequence[CpanelToken] | None) -> dict:
    table = _table(request)
    matching = table.matching(tokens or ())
    page = table.page(matching)
    return {
        **_page_context(request),
        "table": table,
        "rows": _rows(request, page.object_list, _successors(request, tokens, page.object_list)),
        "page": page,
        "query": table.query,
        "sort": table.sort,
        "total": len(tokens) if tokens is not None else None,
        "matching": len(matching),
        "highlight": table.highlight,
        "loaded": tokens is not None,
        "sort_links": table.sort_links,
        "refresh_url": table.url(page=page.number),
        "notice_icon": static("icons.svg") + "#notice",
        "risk_flags": risk.CPANEL_FLAGS,
    }


def _successors(
    request: CpanelRequest, tokens: Sequence[CpanelToken] | None, shown: Sequence[CpanelToken]
) -> dict[str, str]:
    """The shown tokens rotated and not yet revoked (whoever rotated them), each to its
    successor: one query a page."""
    return rotation.successors(
        server=request.whm.server,
        account=request.cpanel.account,
        listed={t.name for t in tokens or ()},
        shown={t.name: t.created for t in shown},
    )


def _page_context(request: CpanelRequest) -> dict:
    target = request.cpanel
    return {
        "whm": request.whm,
        "account": target.account,
        "via_whm": target.via_whm,
        "server": request.whm.server,
        # The template's names for the account's URLs (a dash does not read in a template).
        "urls": {
            name.replace("-", "_"): target.url(name)
            for name in ("index", "create", "revoke-selected", "revoke-all", "saved")
        },
    }


# ---------------------------------------------------------------------------------------------
# Create, and the page that shows the secret once
# ---------------------------------------------------------------------------------------------
@cpanel_page
@never_cache
@require_http_methods(["GET", "POST"])
def create(request: CpanelRequest) -> HttpResponse:
    # The Create POST *is* the page that shows the secret: no redirect, nothing stored.
    try:
        tokens = _tokens(request, fresh=True)
    except WhmError as exc:
        if request.method == "POST":
            trail.record_error(request, Action.CREATE, exc, changes_state=False)
        return _form_unavailable(request, exc, "cptokens/create.html")
    if request.method == "GET":
        return _render_create(request, _opened_create_form(request, tokens), status=200)
    if "copy_link" in request.POST:  # Copy link to this form, JavaScript off
        query = link_query(request.POST, privileges=False)
        return redirect_to(request, f"{request.cpanel.url('create')}?{query}#link")
    form = _create_form(request, tokens)
    if not form.is_valid():
        return _render_create(request, form, status=422)
    args = form.create_args()
    try:
        with _changing(request, Action.CREATE, [args["name"]]):
            created = request.cpanel.client.create_token(args["name"], expires=args["expires"])
    except WhmError as exc:
        return _create_failed(request, form, exc)
    logger.info(
        "cPanel token created: server=%s account=%s", request.whm.server, request.cpanel.account
    )
    return render(request, "cptokens/created.html", _created_context(request, created))


def _create_failed(request: CpanelRequest, form: CreateForm, exc: WhmError) -> HttpResponse:
    """cPanel refused or failed the create: its reason on the form, the input kept."""
    if isinstance(exc, WhmAuthError):
        return _signed_out(request)
    if isinstance(exc, WhmApiError):
        form.add_whm_reason(exc.message)
    else:
        form.add_error(None, _failure_message(exc))
    return _render_create(
        request, form, status=status_for(exc, on_form=True), outcome_unknown=exc.may_have_run
    )


def _create_form(
    request: CpanelRequest, tokens: Sequence[CpanelToken], data: QueryDict | None = None
) -> CreateForm:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    if data is None and request.method == "POST":
        data = request.POST
    return CreateForm(
        data,
        existing_names={t.name for t in tokens},
        today=timezone.now().astimezone(zone).date(),
        time_zone=zone,
    )


def _opened_create_form(request: CpanelRequest, tokens: Sequence[CpanelToken]) -> CreateForm:
    """Create as opened: empty, or filled in by a link (?name=N&expires=YYYY-MM-DD|never) or by
    "Generate a token like this" (?like=NAME). Never submitted: a GET changes nothing."""
    form = _create_form(request, tokens)
    query, notes = request.GET, []
    if "like" in query:
        query, notes = _like_query(request, query["like"], tokens)
    if not is_prefill_query(query):
        return form
    prefill = link_prefill(query, offered=(), today=form.today, privileges=False)
    prefill.notes += notes
    form = _create_form(request, tokens, data=prefill.data)
    form.show_prefill(prefill)
    return form


def _like_query(
    request: CpanelRequest, name: str, tokens: Sequence[CpanelToken]
) -> tuple[QueryDict, list[str]]:
    """A link for a token like `name`: a new name, and no expiry if it has none (cPanel's
    Create makes only full-access tokens, so that is all there is to copy)."""
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        messages.error(request, f"The API token {quoted(name)} does not exist.")
        return QueryDict(), []
    query = QueryDict(mutable=True)
    query["name"] = fresh_name(token.name, (t.name for t in tokens))
    if token.expires is None:
        query["expires"] = EXPIRY_NEVER
    note = f"Filled in like the API token “{token.name}”, with a new name."
    if not token.full_access or token.read_only:
        note += (
            " That token's access is limited; cPanel's Create makes full-access tokens only, so "
            "this one will have full access."
        )
    return query, [note]


def _render_create(
    request: CpanelRequest, form: CreateForm, *, status: int, outcome_unknown: bool = False
) -> HttpResponse:
    context = {
        **_page_context(request),
        "form": form,
        "outcome_unknown": outcome_unknown,
        "prefill": form.prefill,
        "form_link": (
            request.build_absolute_uri()
            if request.method == "GET" and form.prefill and "like" not in request.GET
            else ""
        ),
    }
    return render(request, "cptokens/create.html", context, status=status)


def _created_context(request: CpanelRequest, created: CreatedCpanelToken) -> dict:
    header = f"Authorization: cpanel {request.cpanel.account}:{created.secret}"
    # Seed 004's curl, as it is written there; a private CA (the embedded simulator's) needs
    # --cacert.
    cacert = f"--cacert '{settings.WHM_CA_BUNDLE}' " if settings.WHM_CA_BUNDLE else ""
    curl = f"curl {cacert}-H'{header}' '{_cpanel_url(request.whm.server)}{EXAMPLE_CALL}'"
    expires = created.token.expires
    return {
        **_page_context(request),
        "created": created,
        "header": header,
        "curl": curl,
        "expires": _when(expires, ZoneInfo(settings.WHM_TIME_ZONE)) if expires else "",
        "expires_iso": expires.isoformat() if expires else "",
    }


def _cpanel_url(server_name: str) -> str:
    """The server's cPanel: WHM's host (and scheme) at CPANEL_PORT."""
    return cpanel_server(configured_servers()[server_name]).url


@cpanel_page
@require_GET
def saved(request: CpanelRequest) -> HttpResponse:
    """Yes, I Saved My Token: back to the table (the new row highlighted), or to Create again
    when *Create another token after I click Yes, I saved my token* was ticked."""
    if request.GET.get("another"):
        return redirect_to(request, request.cpanel.url("create"))
    name = request.GET.get("name", "")
    return redirect_to(request, _table(request).url(highlight=name if _is_name(name) else ""))


# ---------------------------------------------------------------------------------------------
# Manage: rename (cPanel has no other change to make)
# ---------------------------------------------------------------------------------------------
@cpanel_page
@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: CpanelRequest, name: str) -> HttpResponse:
    try:
        tokens = _tokens(request, fresh=True)
    except WhmError as exc:
        if request.method == "POST":
            trail.record_error(request, Action.RENAME, exc, changes_state=False, token_names=[name])
        return _form_unavailable(request, exc, "cptokens/manage.html", name=name)
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        return _not_found(request, name, tokens, Action.RENAME)
    form = RenameForm(
        request.POST if request.method == "POST" else None,
        name=name,
        existing_names={t.name for t in tokens},
    )
    if request.method == "GET" or not form.is_valid():
        return _render_manage(request, form, token, status=200 if request.method == "GET" else 422)
    new_name = form.cleaned_data["new_name"]
    try:
        with _changing(request, Action.RENAME, [name, new_name]):
            request.cpanel.client.rename_token(name, new_name)
    except WhmError as exc:
        return _rename_failed(request, form, token, exc)
    messages.success(request, f"The API token “{name}” is now “{new_name}”.")
    return redirect_to(request, _table(request).url(highlight=new_name))


def _rename_failed(
    request: CpanelRequest, form: RenameForm, token: CpanelToken, exc: WhmError
) -> HttpResponse:
    """cPanel refused or failed the rename: its reason on the form, the input kept."""
    if isinstance(exc, WhmAuthError):
        return _signed_out(request)
    if isinstance(exc, WhmApiError):
        form.add_cpanel_reason(exc.message)
    else:
        form.add_error(None, _failure_message(exc))
    status = status_for(exc, on_form=True)
    return _render_manage(request, form, token, status=status, outcome_unknown=exc.may_have_run)


def _render_manage(
    request: CpanelRequest,
    form: RenameForm,
    token: CpanelToken,
    *,
    status: int,
    outcome_unknown: bool = False,
) -> HttpResponse:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    context = {
        **_page_context(request),
        "form": form,
        "token": token,
        "name": token.name,
        "created": _when(token.created, zone),
        "expires": _when(token.expires, zone) if token.expires else "",
        "revoke_url": request.cpanel.url("revoke", token.name),
        "outcome_unknown": outcome_unknown,
    }
    return render(request, "cptokens/manage.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Revoke: one, the selected ones, or all. Each is a question (GET) and an action (POST).
# ---------------------------------------------------------------------------------------------
@cpanel_page
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke(request: CpanelRequest, name: str) -> HttpResponse:
    tokens = _read_for_revoke(request, Action.REVOKE, [name])
    if isinstance(tokens, HttpResponse):
        return tokens
    if not any(t.name == name for t in tokens):
        return _not_found(request, name, tokens, Action.REVOKE)
    return _confirm(request, Action.REVOKE, [name])


@cpanel_page
@require_POST
@vary_on_headers("HX-Request")
def revoke(request: CpanelRequest, name: str) -> HttpResponse:
    tokens = _read_for_revoke(request, Action.REVOKE, [name])
    if isinstance(tokens, HttpResponse):
        return tokens
    if not any(t.name == name for t in tokens):
        return _not_found(request, name, tokens, Action.REVOKE)
    return _revoke(request, Action.REVOKE, tokens, [name])


@cpanel_page
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke_selected(request: CpanelRequest) -> HttpResponse:
    names = _selected(request, request.GET)
    if isinstance(names, HttpResponse):
        return names
    tokens = _read_for_revoke(request, Action.REVOKE_SELECTED, names)
    if isinstance(tokens, HttpResponse):
        return tokens
    existing = {t.name for t in tokens}
    return _confirm(request, Action.REVOKE_SELECTED, [n for n in names if n in existing])


@cpanel_page
@require_POST
@vary_on_headers("HX-Request")
def revoke_selected(request: CpanelRequest) -> HttpResponse:
    names = _selected(request, request.POST)
    if isinstance(names, HttpResponse):
        return names
    tokens = _read_for_revoke(request, Action.REVOKE_SELECTED, names)
    if isinstance(tokens, HttpResponse):
        return tokens
    return _revoke(request, Action.REVOKE_SELECTED, tokens, names)


@cpanel_page
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke_all(request: CpanelRequest) -> HttpResponse:
    tokens = _read_for_revoke(request, Action.REVOKE_ALL, [])
    if isinstance(tokens, HttpResponse):
        return tokens
    return _confirm(request, Action.REVOKE_ALL, [t.name for t in tokens])


@cpanel_page
@require_POST
@vary_on_headers("HX-Request")
def revoke_all(request: CpanelRequest) -> HttpResponse:
    tokens = _read_for_revoke(request, Action.REVOKE_ALL, [])
    if isinstance(tokens, HttpResponse):
        return tokens
    return _revoke(request, Action.REVOKE_ALL, tokens, [t.name for t in tokens])


def _read_for_revoke(
    request: CpanelRequest, action: Action, names: Sequence[str]
) -> list[CpanelToken] | HttpResponse:
    """cPanel's list as it is now, or the failure (recorded when a change was asked for)."""
    try:
        return _tokens(request, fresh=True)
    except WhmError as exc:
        if request.method == "POST":
            trail.record_error(request, action, exc, changes_state=False, token_names=names)
        return _failed(request, exc)


def _selected(request: CpanelRequest, source: QueryDict) -> list[str] | HttpResponse:
    asked = list(dict.fromkeys(source.getlist("name")))
    if len(asked) > MAX_SELECTED:
        messages.error(request, TOO_MANY_SELECTED)
        return redirect_to(request, request.cpanel.url("index"))
    if not asked:
        messages.warning(request, NOTHING_SELECTED)
        return redirect_to(request, request.cpanel.url("index"))
    return [name for name in asked if _is_name(name)]


def _confirm(request: CpanelRequest, action: Action, names: list[str]) -> HttpResponse:
    """The question, as a page or (for htmx) the dialog; the button posts to the action view."""
    if action is Action.REVOKE:
        url = request.cpanel.url("revoke", names[0])
    else:
        url = request.cpanel.url("revoke-all" if action is Action.REVOKE_ALL else "revoke-selected")
    htmx = request.htmx
    context = {
        **_page_context(request),
        # Asked from the table, the answer redraws it; from Manage, it is a plain post.
        "from_table": bool(htmx)
        and urlsplit(htmx.current_url or "").path == request.cpanel.url("index"),
        "question": _question(action, names),
        "names": names,
        "scope": {Action.REVOKE: "one", Action.REVOKE_SELECTED: "selected"}.get(action, "all"),
        "action": url,
    }
    template = "cptokens/confirm_revoke.html"
    if request.htmx:
        template += "#confirm-dialog"
    return render(request, template, context)


def _question(action: Action, names: Sequence[str]) -> str:
    if action is Action.REVOKE_ALL:
        return "Are you certain that you want to revoke all of this account's API tokens?"
    if len(names) == 1:
        return f"Are you certain that you want to revoke the API token, “{names[0]}”?"
    return f"Are you certain that you want to revoke {len(names)} API tokens?"


def _revoke(
    request: CpanelRequest,
    action: Action,
    tokens: Sequence[CpanelToken],
    asked: Sequence[str],
) -> HttpResponse:
    """Revoke the tokens in `asked` that cPanel lists, one call each (UAPI revokes one name at
    a time), recorded as one action; a failure stops the rest and says what was done."""
    existing = {t.name for t in tokens}
    names = [n for n in asked if n in existing]
    if not names:
        trail.record(
            request, action, outcome=Outcome.REFUSED, token_names=asked, reason=NOTHING_TO_REVOKE
        )
        messages.info(request, NOTHING_TO_REVOKE)
        return _after_revoke(request, tokens)
    done: list[str] = []
    try:
        with _changing(request, action, names):
            for name in names:
                request.cpanel.client.revoke_token(name)
                done.append(name)
    except WhmError as exc:
        if done:
            messages.warning(request, _revoked_message(done))
        gone = set(done)
        return _failed(request, exc, tokens=[t for t in tokens if t.name not in gone])
    messages.success(request, _revoked_message(names))
    gone = set(names)
    return _after_revoke(request, [t for t in tokens if t.name not in gone])


def _after_revoke(request: CpanelRequest, remaining: Sequence[CpanelToken]) -> HttpResponse:
    if request.htmx:
        return _render_table(request, remaining)
    return redirect_to(request, request.cpanel.url("index"))


def _revoked_message(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"The API token “{names[0]}” has been revoked."
    return f"{len(names)} API tokens have been revoked."


# ---------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------
def _is_name(name: str) -> bool:
    try:
        validate_token_name(name)
    except ValidationError:
        return False
    return True


def _not_found(
    request: CpanelRequest, name: str, tokens: Sequence[CpanelToken], action: Action
) -> HttpResponse:
    message = f"The API token “{name}” does not exist."
    if request.method == "POST":
        trail.record(request, action, outcome=Outcome.REFUSED, token_names=[name], reason=message)
    messages.error(request, message)
    return _render_table(request, tokens, status=404)


def _failed(
    request: CpanelRequest, exc: WhmError, *, tokens: Sequence[CpanelToken] | None = None
) -> HttpResponse:
    """A failure on the table or a revoke: say what happened, keep the page usable."""
    if isinstance(exc, WhmAuthError):
        return _signed_out(request)
    messages.error(request, _failure_message(exc))
    logger.warning(
        "cPanel call failed: server=%s account=%s kind=%s",
        request.whm.server,
        request.cpanel.account,
        type(exc).__name__,
    )
    return _render_table(request, tokens, status=status_for(exc))


def _form_unavailable(
    request: CpanelRequest, exc: WhmError, template: str, *, name: str | None = None
) -> HttpResponse:
    """The form cannot be shown without cPanel's list: say so, with a way to try again."""
    if isinstance(exc, WhmAuthError):
        return _signed_out(request)
    messages.error(request, _failure_message(exc))
    context = {**_page_context(request), "form": None, "name": name}
    return render(request, template, context, status=status_for(exc))


def _failure_message(exc: WhmError) -> str:
    if isinstance(exc, WhmTimeout) and exc.may_have_run:
        return OUTCOME_UNKNOWN
    return exc.message


def _signed_out(request: CpanelRequest) -> HttpResponse:
    """The server no longer accepts the session's credential (a revoked or expired token, a
    changed password): sign out, as WHM's own pages do."""
    who = "cPanel" if request.whm.is_cpanel else "WHM"
    reason = f"{who} no longer accepts the credential: TokenUI ended the session."
    trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, reason=reason)
    credentials.forget(request.session)
    messages.error(request, f"{who} no longer accepts your credentials. Sign in again.")
    return redirect_to(request, reverse("accounts:sign-in"))
