"""The Manage API Tokens pages: the table, its export, Generate, Edit, and Revoke (one,
selected, all, expired)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from tokenui import risk, rotation
from tokenui.accounts import credentials
from tokenui.accounts.auth import SignedInRequest, signed_in
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.http import redirect_to, status_for
from tokenui.presets import PRESETS
from tokenui.tables import Table
from tokenui.tokens import display, listing
from tokenui.tokens import export as exports
from tokenui.tokens.export import export_row
from tokenui.tokens.forms import (
    TokenForm,
    fresh_name,
    is_prefill_query,
    like_query,
    link_prefill,
    link_query,
    post_prefill,
    preset_note,
    quoted,
)
from tokenui.tokens.validators import validate_token_name
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError, WhmTimeout
from tokenui.whm.servers import configured_servers
from tokenui.whm.types import ApiToken, CreatedToken, TokenSummary

logger = logging.getLogger(__name__)

HELD_ACLS = "whm_held_acls"  # session key: the user's privileges, read from WHM's myprivs
NOTHING_TO_REVOKE = "There are no API tokens to revoke."
NOTHING_EXPIRED = "There are no expired API tokens to revoke."
NOTHING_SELECTED = "Select at least one API token to revoke."
# Revoke Selected posts the ticked rows of one page of the table: a longer list did not come
# from it, and it would go into the audit trail as it is.
MAX_SELECTED = display.PAGE_SIZE
TOO_MANY_SELECTED = (
    f"Select at most {MAX_SELECTED} API tokens to revoke at once (one page of the table). "
    "To revoke every API token, use Revoke All."
)
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
        tokens = listing.tokens(request, fresh=fresh)
    except WhmError as exc:
        return _failed(request, exc)
    return _render_table(request, tokens)


def _render_table(
    request: SignedInRequest, tokens: Sequence[TokenSummary] | None, *, status: int = 200
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


def _table(request: HttpRequest) -> Table:
    return Table.from_request(request, display.TOKEN_TABLE, reverse("tokens:index"))


def _table_context(request: SignedInRequest, tokens: Sequence[TokenSummary] | None) -> dict:
    table = _table(request)
    matching = table.matching(tokens or ())
    page = table.page(matching)
    return {
        "table": table,
        "rows": display.rows(page.object_list, session_token=request.whm.token_name),
        "page": page,
        "query": table.query,
        "sort": table.sort,
        "total": len(tokens) if tokens is not None else None,
        "matching": len(matching),
        "highlight": table.highlight,
        "loaded": tokens is not None,
        "whm": request.whm,
        "sort_links": table.sort_links,
        # Refresh List reads WHM again for the same view; Edit comes back to it.
        "refresh_url": table.url(page=page.number),
        "edit_query": table.query_string,
        # The exports carry the search and sort, and every page of the result.
        "export_query": table.query_string,
        "notice_icon": static("icons.svg") + "#notice",
        "risk_flags": risk.ALL_FLAGS,
        "successors": _successors(request, tokens or (), page.object_list),
        "successor_url": reverse("tokens:index"),
    }


def _successors(
    request: SignedInRequest, tokens: Sequence[TokenSummary], shown: Sequence[TokenSummary]
) -> dict[str, str]:
    """Rotated tokens on this page not yet revoked, each with its successor's name."""
    return rotation.successors(
        server=request.whm.server,
        user=request.whm.user,
        listed={t.name for t in tokens},
        shown={t.name: t.created for t in shown},
    )


@signed_in
@require_GET
def export(request: SignedInRequest, kind: str) -> StreamingHttpResponse | HttpResponse:
    """Export CSV / Export JSON: the table as it is searched and sorted (every page of it),
    read from WHM now with the privileges, streamed a row at a time."""
    try:
        tokens = listing.with_acls(request)
    except WhmError as exc:
        return _failed(request, exc)
    by_name = {t.name: t for t in tokens}
    shown = _table(request).matching([TokenSummary.of(t) for t in tokens])
    now, whm = timezone.now(), request.whm
    rows = (
        export_row(
            by_name[summary.name],
            server=whm.server,
            user=whm.user,
            now=now,
            warning_days=settings.EXPIRY_WARNING_DAYS,
        )
        for summary in shown
    )
    return exports.response(rows, kind=kind, servers=[whm.server], today=now.date())


# ---------------------------------------------------------------------------------------------
# Generate and Edit
# ---------------------------------------------------------------------------------------------
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def generate(request: SignedInRequest) -> HttpResponse:
    # The Generate POST *is* the page that shows the secret: no redirect, nothing stored.
    # A GET only ever fills the form in (a prefilled link, "like this"): it changes nothing.
    try:
        held, tokens = _form_reads(request)
    except WhmError as exc:
        _record_failed_read(request, Action.GENERATE, exc)
        return _form_read_failed(request, exc)
    if request.method == "GET":
        return _render_form(request, _opened_form(request, held, tokens), status=200)
    if (round_trip := _round_trip(request, held, tokens)) is not None:
        return round_trip
    form = _token_form(request, held, tokens)
    if not form.is_valid():
        return _render_form(request, form, status=422)
    args = form.create_args()
    try:
        with _changing(request, Action.GENERATE, [args["name"]]):
            created = request.whm_client.create_token(**args)
    except WhmError as exc:
        return _form_failed(request, form, exc)
    logger.info("token generated: server=%s name=%s", request.whm.server, args["name"])
    return render(request, "tokens/created.html", _created_context(request, created))


def _opened_form(
    request: SignedInRequest, held: frozenset[str], tokens: Sequence[ApiToken]
) -> TokenForm:
    """The Generate form as opened: empty, or filled in by a link or "like this"."""
    form = _token_form(request, held, tokens)
    query, notes = request.GET, []
    if "like" in query:
        query, notes = _like_query(request, form, query["like"], tokens)
    if not is_prefill_query(query):
        return form
    prefill = link_prefill(query, offered=form.held_keys, today=form.today)
    prefill.notes += notes
    form = _token_form(request, held, tokens, data=prefill.data)
    form.show_prefill(prefill)
    return form


def _like_query(
    request: SignedInRequest, form: TokenForm, name: str, tokens: Sequence[ApiToken]
) -> tuple[QueryDict, list[str]]:
    """The link that "Generate a token like this" stands for, from the token as WHM lists it
    now (the table's kept list has no privileges), and what to say about it."""
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        messages.error(request, f"The API token {quoted(name)} does not exist.")
        return QueryDict(), []
    fresh = fresh_name(token.name, (t.name for t in tokens))
    note = (
        f"Filled in like the API token “{token.name}”: its privileges and IP addresses, and a "
        "new name. Check them, then select Generate."
    )
    if token.has_full_access:
        note += (
            " It has full access, so every privilege you hold is ticked: the new token has full "
            "access too."
        )
    return like_query(token, name=fresh, offered=form.held_keys), [note]


def _round_trip(
    request: SignedInRequest, held: frozenset[str], tokens: Sequence[ApiToken]
) -> HttpResponse | None:
    """The form's two buttons that do not generate, for JavaScript off (tokenui.js does both
    in the page): a role preset, re-rendered with its boxes ticked; Copy link to this form,
    redirected to the prefilled link."""
    post = request.POST
    if "copy_link" in post:
        return redirect_to(request, f"{reverse('tokens:generate')}?{link_query(post)}#link")
    if "apply_preset" not in post:
        return None
    form = _token_form(request, held, tokens)
    prefill = post_prefill(post, post["apply_preset"], form.held_keys)
    form = _token_form(request, held, tokens, data=prefill.data)
    form.show_prefill(prefill)
    return _render_form(request, form, status=200 if prefill.preset else 422)


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def edit(request: SignedInRequest, name: str) -> HttpResponse:
    try:
        held, tokens = _form_reads(request)
    except WhmError as exc:
        _record_failed_read(request, Action.EDIT, exc, [name])
        return _form_read_failed(request, exc, name=name)
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        return _not_found(request, name, [TokenSummary.of(t) for t in tokens], Action.EDIT)
    form = _token_form(request, held, tokens, token=token)
    if request.method == "GET" or not form.is_valid():
        return _render_form(request, form, status=200 if request.method == "GET" else 422)
    args = form.update_args()
    try:
        # A rename is recorded as [old name, new name].
        with _changing(request, Action.EDIT, [name, *filter(None, [args["new_name"]])]):
            updated = request.whm_client.update_token(**args)
    except WhmError as exc:
        return _form_failed(request, form, exc)
    if name == request.whm.token_name and updated.name != name:
        _renamed_session_token(request, updated.name)
    messages.success(request, f"The API token “{updated.name}” has been updated.")
    return redirect_to(request, _table(request).url(highlight=updated.name))


@signed_in
@require_GET
def check_name(request: SignedInRequest) -> HttpResponse:
    """As-you-type check of a token name: WHM's rules, then uniqueness among the user's tokens."""
    name = request.GET.get("name", "").strip()
    original = request.GET.get("original") or None
    context: dict[str, object] = {"name": name, "ok": False, "message": ""}
    try:
        validate_token_name(name)
        # The list the page loaded: Generate and Save check the name against WHM's own.
        taken = name != original and any(
            t.name == name for t in listing.tokens(request, fresh=False)
        )
    except ValidationError as exc:
        context["message"] = " ".join(exc.messages)
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


@signed_in
@require_GET
def form_flags(request: SignedInRequest) -> HttpResponse:
    """The Generate/Edit form's risk flags redrawn as the user ticks and types: the rules stay
    in tokenui/risk.py, asked here, rather than copied into JavaScript. No WHM call: the
    privileges held are those read when the form opened."""
    cached = request.session.get(HELD_ACLS)
    held = frozenset(cached) if isinstance(cached, list) else frozenset()
    form = _token_form(request, held, ())
    form.data, form.is_bound = request.GET, True
    context = {"form_flags": form.risk_flags(timezone.now()), "risk_flags": risk.ALL_FLAGS}
    return render(request, "tokens/form.html#form-flags", context)


def _form_reads(request: SignedInRequest) -> tuple[frozenset[str], list[ApiToken]]:
    """What the form is checked against: the privileges held and WHM's list as it is now."""
    held = _held_acls(request, fresh=request.method == "GET")
    return held, listing.with_acls(request)


def _token_form(
    request: SignedInRequest,
    held: frozenset[str],
    tokens: Sequence[ApiToken],
    *,
    token: ApiToken | None = None,
    original_name: str | None = None,
    data: QueryDict | None = None,
) -> TokenForm:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    if data is None and request.method == "POST":
        data = request.POST
    kwargs = {
        "held_acls": held,
        "existing_names": {t.name for t in tokens},
        "today": timezone.now().astimezone(zone).date(),
        "time_zone": zone,
    }
    if token is not None:
        return TokenForm.for_token(token, data, **kwargs)
    return TokenForm(data, original_name=original_name, **kwargs)


def _render_form(
    request: SignedInRequest, form: TokenForm, *, status: int, outcome_unknown: bool = False
) -> HttpResponse:
    context = {
        "form": form,
        "form_flags": form.risk_flags(timezone.now()),
        "risk_flags": risk.ALL_FLAGS,
        "editing": form.original_name,
        "name_check": None,
        "is_session_token": bool(form.original_name)
        and form.original_name == request.whm.token_name,
        "outcome_unknown": outcome_unknown,
        "list_url": _table(request).url(),  # back to the table the user came from
        "whm": request.whm,
        # Generate only: role presets, and the link to the form as a link filled it in.
        "presets": () if form.original_name else _preset_choices(form),
        "prefill": form.prefill,
        "form_link": request.build_absolute_uri() if _is_link(request, form) else "",
    }
    return render(request, "tokens/form.html", context, status=status)


def _preset_choices(form: TokenForm) -> list[dict]:
    """Each preset's button: what it ticks among the boxes offered, and what it would say."""
    choices = []
    for preset in PRESETS:
        ticked, _ = preset.split(form.held_keys)
        choices.append(
            {
                "preset": preset,
                "acls": " ".join(ticked),
                "note": preset_note(preset, form.held_keys),
            }
        )
    return choices


def _is_link(request: SignedInRequest, form: TokenForm) -> bool:
    return request.method == "GET" and form.prefill is not None and "like" not in request.GET


def _form_failed(request: SignedInRequest, form: TokenForm, exc: WhmError) -> HttpResponse:
    """WHM said no or failed: keep everything the user typed and say what happened."""
    if isinstance(exc, WhmAuthError):
        return _signed_out_by_whm(request)
    if isinstance(exc, WhmApiError):
        form.add_whm_reason(exc.reason)
    else:
        form.add_error(None, _failure_message(exc))
    # The change may have happened: offer the list as it is now rather than a second try.
    status = status_for(exc, on_form=True)
    return _render_form(request, form, status=status, outcome_unknown=exc.may_have_run)


def _form_read_failed(
    request: SignedInRequest, exc: WhmError, *, name: str | None = None
) -> HttpResponse:
    """WHM failed on the reads behind the form (myprivs, the token list). Opening the form,
    there is nothing to show; posting it, the form comes back as typed, checked against the
    privileges read when it was opened, so that nothing the user typed is lost."""
    if request.method != "POST" or isinstance(exc, WhmAuthError):
        return _form_unavailable(request, exc, name=name)
    cached = request.session.get(HELD_ACLS)
    held = frozenset(cached) if isinstance(cached, list) else frozenset()
    form = _token_form(request, held, (), original_name=name)
    form.add_error(None, exc.message)
    logger.warning("WHM call failed: server=%s kind=%s", request.whm.server, type(exc).__name__)
    return _render_form(request, form, status=status_for(exc, on_form=True))


def _form_unavailable(request: SignedInRequest, exc: WhmError, *, name: str | None) -> HttpResponse:
    """The form cannot be shown without WHM's answers: say so, with a way to try again."""
    if isinstance(exc, WhmAuthError):
        return _signed_out_by_whm(request)
    messages.error(request, _failure_message(exc))
    logger.warning("WHM call failed: server=%s kind=%s", request.whm.server, type(exc).__name__)
    context = {"form": None, "editing": name, "list_url": _table(request).url(), "whm": request.whm}
    return render(request, "tokens/form.html", context, status=status_for(exc))


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
        "list_url": _table(request).url(highlight=created.token.name),
        "whm": request.whm,
    }


# ---------------------------------------------------------------------------------------------
# Revoke: one, the selected ones, or all. Each is a question (GET) and an action (POST).
# ---------------------------------------------------------------------------------------------
@signed_in
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke(request: SignedInRequest, name: str) -> HttpResponse:
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        return _failed(request, exc)
    if not any(t.name == name for t in tokens):
        return _not_found(request, name, tokens, Action.REVOKE)
    return _confirm(request, Action.REVOKE, [name])


@signed_in
@require_POST
@vary_on_headers("HX-Request")
def revoke(request: SignedInRequest, name: str) -> HttpResponse:
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        _record_failed_read(request, Action.REVOKE, exc, [name])
        return _failed(request, exc)
    if not any(t.name == name for t in tokens):
        return _not_found(request, name, tokens, Action.REVOKE)
    return _revoke(request, Action.REVOKE, tokens, [name])


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke_selected(request: SignedInRequest) -> HttpResponse:
    names = _selected(request, request.GET)
    if isinstance(names, HttpResponse):
        return names
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        return _failed(request, exc)
    existing = {t.name for t in tokens}
    return _confirm(request, Action.REVOKE_SELECTED, [n for n in names if n in existing])


@signed_in
@require_POST
@vary_on_headers("HX-Request")
def revoke_selected(request: SignedInRequest) -> HttpResponse:
    names = _selected(request, request.POST)
    if isinstance(names, HttpResponse):
        return names
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        _record_failed_read(request, Action.REVOKE_SELECTED, exc, names)
        return _failed(request, exc)
    return _revoke(request, Action.REVOKE_SELECTED, tokens, names)


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke_all(request: SignedInRequest) -> HttpResponse:
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        return _failed(request, exc)
    return _confirm(request, Action.REVOKE_ALL, [t.name for t in tokens])


@signed_in
@require_POST
@vary_on_headers("HX-Request")
def revoke_all(request: SignedInRequest) -> HttpResponse:
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        _record_failed_read(request, Action.REVOKE_ALL, exc)
        return _failed(request, exc)
    return _revoke(request, Action.REVOKE_ALL, tokens, [t.name for t in tokens])


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def confirm_revoke_expired(request: SignedInRequest) -> HttpResponse:
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        return _failed(request, exc)
    return _confirm(request, Action.REVOKE_EXPIRED, _expired(tokens))


@signed_in
@require_POST
@vary_on_headers("HX-Request")
def revoke_expired(request: SignedInRequest) -> HttpResponse:
    # Expired as WHM lists them now: one that was renewed since the question is left alone.
    try:
        tokens = listing.tokens(request, fresh=True)
    except WhmError as exc:
        _record_failed_read(request, Action.REVOKE_EXPIRED, exc)
        return _failed(request, exc)
    return _revoke(request, Action.REVOKE_EXPIRED, tokens, _expired(tokens))


def _expired(tokens: Sequence[TokenSummary]) -> list[str]:
    """Expired but not revoked: WHM keeps listing these until someone revokes them."""
    now = timezone.now()
    return [t.name for t in tokens if risk.EXPIRED_FLAG in risk.flags(t, now=now)]


def _selected(request: SignedInRequest, source: QueryDict) -> list[str] | HttpResponse:
    """The names ticked for Revoke Selected, each by WHM's rules (a name outside them names
    no token, and has no place in the audit trail), or the way back to the table saying why."""
    asked = list(dict.fromkeys(source.getlist("name")))
    if len(asked) > MAX_SELECTED:
        return _back_to_table(request, messages.ERROR, TOO_MANY_SELECTED)
    if not asked:
        return _back_to_table(request, messages.WARNING, NOTHING_SELECTED)
    return [name for name in asked if _is_token_name(name)]


def _back_to_table(request: SignedInRequest, level: int, message: str) -> HttpResponse:
    messages.add_message(request, level, message)
    return redirect_to(request, reverse("tokens:index"))


def _confirm(request: SignedInRequest, action: Action, names: list[str]) -> HttpResponse:
    """The question, as a page or (for htmx) the dialog; Continue posts to the action view."""
    context = {
        "question": _question(action, names),
        "names": names,
        # The template's word for the kind of revoke.
        "scope": _SCOPES[action],
        "action": reverse(_URL_NAMES[action], args=names if action is Action.REVOKE else ()),
        "includes_session_token": request.whm.token_name in names,
        "whm": request.whm,
    }
    template = "tokens/confirm_revoke.html"
    if request.htmx:
        template += "#confirm-dialog"
    return render(request, template, context)


def _question(action: Action, names: Sequence[str]) -> str:
    if action is Action.REVOKE_ALL:
        return "Are you certain that you want to revoke all of your API tokens?"
    if action is Action.REVOKE_EXPIRED:
        count = f"{len(names)} expired API token{'s' if len(names) != 1 else ''}"
        return f"Are you certain that you want to revoke {count}?"
    if len(names) == 1:
        return f"Are you certain that you want to revoke the API token, “{names[0]}”?"
    return f"Are you certain that you want to revoke {len(names)} API tokens?"


_SCOPES = {
    Action.REVOKE: "one",
    Action.REVOKE_SELECTED: "selected",
    Action.REVOKE_ALL: "all",
    Action.REVOKE_EXPIRED: "expired",
}
_URL_NAMES = {
    Action.REVOKE: "tokens:revoke",
    Action.REVOKE_SELECTED: "tokens:revoke-selected",
    Action.REVOKE_ALL: "tokens:revoke-all",
    Action.REVOKE_EXPIRED: "tokens:revoke-expired",
}


def _revoke(
    request: SignedInRequest, action: Action, tokens: Sequence[TokenSummary], asked: Sequence[str]
) -> HttpResponse:
    """Revoke the tokens in `asked` that WHM lists, record it, and show the table after."""
    existing = {t.name for t in tokens}
    names = [n for n in asked if n in existing]
    if not names:
        # Nothing is sent to WHM, but the user asked for a change: the trail says what came of it.
        nothing = NOTHING_EXPIRED if action is Action.REVOKE_EXPIRED else NOTHING_TO_REVOKE
        trail.record(request, action, outcome=Outcome.REFUSED, token_names=asked, reason=nothing)
        messages.info(request, nothing)
        return _after_revoke(request, tokens)
    try:
        with _changing(request, action, names):
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


def _after_revoke(request: SignedInRequest, remaining: Sequence[TokenSummary]) -> HttpResponse:
    if request.htmx:
        return _render_table(request, remaining)
    return redirect_to(request, reverse("tokens:index"))


def _revoked_message(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"The API token “{names[0]}” has been revoked."
    return f"{len(names)} API tokens have been revoked."


# ---------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------
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


def _not_found(
    request: SignedInRequest, name: str, tokens: Sequence[TokenSummary], action: Action
) -> HttpResponse:
    """A token named in the URL that WHM does not list (gone since the page was drawn)."""
    message = f"The API token “{name}” does not exist."
    if request.method == "POST":  # a change was asked for; a GET only showed a page
        trail.record(request, action, outcome=Outcome.REFUSED, token_names=[name], reason=message)
    messages.error(request, message)
    return _render_table(request, tokens, status=404)


def _failed(
    request: SignedInRequest, exc: WhmError, *, tokens: Sequence[TokenSummary] | None = None
) -> HttpResponse:
    """A WHM failure on the table or a revoke: say what happened, keep the page usable."""
    if isinstance(exc, WhmAuthError):
        return _signed_out_by_whm(request)
    messages.error(request, _failure_message(exc))
    logger.warning("WHM call failed: server=%s kind=%s", request.whm.server, type(exc).__name__)
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
