"""The pages of every token system, written once: the table and its export, Create (WHM's
Generate), Edit (cPanel's Manage), Revoke (one, selected, all, expired) and Rotate.

Each view works on `request.system` (tokenui/systems), bound by `token_page`, which also answers
every server failure a view does not answer itself (tokens/binding.py). What differs between WHM
and cPanel is the system's data: its words, its capabilities, its form."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from tokenui import risk
from tokenui.acls import ACLS_BY_KEY
from tokenui.audit import rotations, trail
from tokenui.audit.models import Action, Outcome
from tokenui.http import redirect_to, status_for
from tokenui.kernel import display, rotation
from tokenui.kernel import export as exports
from tokenui.kernel.kept import REFRESH_HEADER
from tokenui.kernel.links import EXPIRY_DATE, quoted
from tokenui.kernel.validators import is_token_name, validate_token_name
from tokenui.sessions import credentials
from tokenui.systems import PartialRevoke, TokenSystem
from tokenui.tokens import editing
from tokenui.tokens.binding import (
    BackToTable,
    NotListed,
    TokenRequest,
    attempting,
    failure_message,
    token_page,
)
from tokenui.tokens.forms import NameExpiryForm
from tokenui.tokens.table import page_context, render_table, table_state, wants_partial
from tokenui.whm.errors import WhmAuthError, WhmError

logger = logging.getLogger(__name__)

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


# ---------------------------------------------------------------------------------------------
# The table and its export
# ---------------------------------------------------------------------------------------------
@token_page
@require_GET
@vary_on_headers("HX-Request", REFRESH_HEADER)
def index(request: TokenRequest) -> HttpResponse:
    # Search, sort and paging redraw the table the page loaded (as WHM's own Search does);
    # opening the page and Refresh List read the server.
    fresh = not wants_partial(request) or request.headers.get(REFRESH_HEADER) == "true"
    return render_table(request, request.system.tokens(fresh=fresh))


@token_page
@require_GET
def export(request: TokenRequest, kind: str) -> StreamingHttpResponse:
    """Export CSV / Export JSON: the table as it is searched and sorted (every page of it),
    read from the server now with the privileges, streamed a row at a time."""
    system = request.system
    tokens = system.details()
    by_name = {t.name: t for t in tokens}
    shown = table_state(request, system).matching(system.summaries(tokens))
    now, server, user = timezone.now(), system.server, system.owner
    rows = (
        exports.export_row(
            by_name[s.name], server=server, user=user, now=now, warning_days=_warning_days()
        )
        for s in shown
    )
    return exports.response(rows, kind=kind, servers=[server], today=now.date())


def _warning_days() -> int:
    return settings.EXPIRY_WARNING_DAYS


# ---------------------------------------------------------------------------------------------
# Create (WHM's Generate), and the page that shows the secret once
# ---------------------------------------------------------------------------------------------
@token_page
@never_cache
@require_http_methods(["GET", "POST"])
def create(request: TokenRequest) -> HttpResponse:
    # The Create POST *is* the page that shows the secret: no redirect, nothing stored.
    # A GET only ever fills the form in (a prefilled link, "like this"): it changes nothing.
    kit = editing.FormKit(request)
    try:
        tokens = kit.read(Action.GENERATE if request.system.caps.privileges else Action.CREATE)
    except WhmError as exc:
        return kit.read_failed(exc)
    if request.method == "GET":
        return kit.render(kit.opened(tokens), status=200)
    # The form's two buttons that do not create, for JavaScript off.
    if "copy_link" in request.POST:
        return kit.copy_link()
    if "apply_preset" in request.POST and request.system.caps.privileges:
        return kit.apply_preset(tokens)
    form = kit.form(tokens)
    if not form.is_valid():
        return kit.render(form, status=422)
    args = form.create_args()
    try:
        with changing(request, kit.action, [args["name"]]):
            created = request.system.create(**args)
    except WhmError as exc:
        return kit.failed(form, exc)
    logger.info("token created: server=%s owner=%s", request.system.server, request.system.owner)
    context = created_context(request, created)
    # Asked for read-only, made full access: a server before cPanel 11.137 ignores `readonly`.
    context["read_only_ignored"] = args.get("read_only") and not created.token.read_only
    return render(request, "tokens/created.html", context)


def created_context(request: TokenRequest, created: Any) -> dict[str, Any]:
    """The secret's page: the token, its header and curl (never kept), and the way back."""
    system = request.system
    example = system.example(created)
    expires = created.token.expires
    return {
        **page_context(request),
        "created": created,
        "header": example.header,
        "curl": example.curl,
        "expires": editing.when(expires) if expires else "",
        "expires_iso": expires.isoformat() if expires else "",
        "list_url": table_state(request, system).url(highlight=created.token.name),
    }


@token_page
@require_GET
def saved(request: TokenRequest) -> HttpResponse:
    """Yes, I Saved My Token: back to the table (the new row highlighted), or to Create again
    when *Create another token after I click Yes, I saved my token* was ticked."""
    system = request.system
    if request.GET.get("another"):
        return redirect_to(request, system.url("create"))
    name = request.GET.get("name", "")
    highlight = name if is_token_name(name) else ""
    return redirect_to(request, table_state(request, system).url(highlight=highlight))


# ---------------------------------------------------------------------------------------------
# Edit (cPanel's Manage, which renames)
# ---------------------------------------------------------------------------------------------
@token_page
@never_cache
@require_http_methods(["GET", "POST"])
def edit(request: TokenRequest, name: str) -> HttpResponse:
    kit = editing.FormKit(request, name=name)
    try:
        tokens = kit.read(editing.EDIT_ACTIONS[request.system.caps.edit], [name])
    except WhmError as exc:
        return kit.read_failed(exc)
    token = next((t for t in tokens if t.name == name), None)
    if token is None:
        raise NotListed(name, request.system.summaries(tokens), kit.action)
    form = kit.edit_form(token, tokens)
    if request.method == "GET" or not form.is_valid():
        return kit.render_edit(form, token, status=200 if request.method == "GET" else 422)
    args = form.edit_args()
    try:
        # A rename is recorded as [old name, new name].
        with changing(request, kit.action, [name, *filter(None, [args.get("new_name")])]):
            new_name = request.system.edit(name, args)
    except WhmError as exc:
        return kit.failed(form, exc, token=token)
    if name == request.system.session_token and new_name != name:
        whm = request.whm
        credentials.store(request.session, whm.server, whm.credential, new_name)
    messages.success(request, kit.edited_message(name, new_name))
    return redirect_to(request, table_state(request, request.system).url(highlight=new_name))


@token_page
@require_GET
def check_name(request: TokenRequest) -> HttpResponse:
    """As-you-type check of a token name: the rules, then uniqueness among the owner's tokens."""
    name = request.GET.get("name", "").strip()
    original = request.GET.get("original") or None
    context: dict[str, object] = {"name": name, "ok": False, "message": ""}
    try:
        validate_token_name(name)
        # The list the page loaded: Create and Save check the name against the server's own.
        taken = name != original and any(t.name == name for t in request.system.tokens(fresh=False))
    except ValidationError as exc:
        context["message"] = " ".join(exc.messages)
    except WhmError as exc:
        context["message"] = (
            f"Could not check the name with {request.system.words.server}: {exc.message}"
        )
    else:
        context["ok"] = not taken
        # WHM's own words, as Save will say them: one sentence for a taken name, not two.
        conflict = "An" if original else "A conflicting"
        context["message"] = (
            f"{conflict} API token with the name “{name}” already exists."
            if taken
            else f"“{name}” is available."
        )
    return render(request, "tokens/form.html#name-check", {"name_check": context})


@token_page
@require_GET
def form_flags(request: TokenRequest) -> HttpResponse:
    """The Generate/Edit form's risk flags redrawn as the user ticks and types: the rules stay
    in tokenui/risk.py, asked here, rather than copied into JavaScript. No server call: the
    privileges held are those read when the form opened."""
    form = editing.FormKit(request).form((), data=request.GET)
    context = {"form_flags": form.risk_flags(timezone.now()), "risk_flags": risk.ALL_FLAGS}
    return render(request, "tokens/form.html#form-flags", context)


# ---------------------------------------------------------------------------------------------
# Revoke: one, the selected ones, all, or the expired ones. GET asks, POST acts.
# ---------------------------------------------------------------------------------------------
@method_decorator(token_page, name="dispatch")
@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class RevokeView(View):
    """Revoke one token. Subclasses name the tokens otherwise: `names()` picks them from the
    server's list as it is now (one that is gone, or renewed, is left alone)."""

    http_method_names: ClassVar[list[str]] = ["get", "post"]
    action: ClassVar[Action] = Action.REVOKE
    scope: ClassVar[str] = "one"  # the template's word for the kind of revoke
    url_name: ClassVar[str] = "revoke"
    nothing: ClassVar[str] = NOTHING_TO_REVOKE

    def get(self, request: TokenRequest, name: str = "") -> HttpResponse:
        asked = self.asked(request, request.GET, name)
        tokens = request.system.tokens(fresh=True)
        return self.confirm(request, self.names(tokens, asked), tokens)

    def post(self, request: TokenRequest, name: str = "") -> HttpResponse:
        asked = self.asked(request, request.POST, name)
        attempting(request, self.action, asked)
        tokens = request.system.tokens(fresh=True)
        request.listed = tokens  # the table to show if the revoke itself fails
        return revoke(request, self.action, tokens, self.names(tokens, asked), asked)

    def asked(self, request: TokenRequest, source: QueryDict, name: str) -> list[str]:
        return [name]

    def names(self, tokens: Sequence[Any], asked: Sequence[str]) -> list[str]:
        """The asked names the server lists; one it does not is 404 (gone since the page)."""
        if not any(t.name == asked[0] for t in tokens):
            raise NotListed(asked[0], tokens, self.action)
        return list(asked)

    def confirm(
        self, request: TokenRequest, names: list[str], tokens: Sequence[Any]
    ) -> HttpResponse:
        """The question, as a page or (for htmx) the dialog; Continue posts to the action."""
        system = request.system
        htmx = request.htmx
        context = {
            **page_context(request),
            "question": question(system, self.action, names),
            "names": names,
            "scope": self.scope,
            "action": system.url(self.url_name, names[0] if self.scope == "one" else None),
            "includes_session_token": system.session_token in names,
            "service_tokens": service_tokens_in(system, tokens, names),
            # Asked from the table, the answer redraws it; from Manage, it is a plain post.
            "swap": "#token-table"
            if htmx and urlsplit(htmx.current_url or "").path == system.url("index")
            else "",
        }
        template = "tokens/confirm_revoke.html"
        if htmx:
            template += "#confirm-dialog"
        return render(request, template, context)


class RevokeSelectedView(RevokeView):
    action = Action.REVOKE_SELECTED
    scope = "selected"
    url_name = "revoke-selected"

    def asked(self, request: TokenRequest, source: QueryDict, name: str) -> list[str]:
        """The names ticked, each by the servers' rules (a name outside them names no token,
        and has no place in the audit trail)."""
        asked = list(dict.fromkeys(source.getlist("name")))
        if len(asked) > MAX_SELECTED:
            raise BackToTable(messages.ERROR, TOO_MANY_SELECTED)
        if not asked:
            raise BackToTable(messages.WARNING, NOTHING_SELECTED)
        return [n for n in asked if is_token_name(n)]

    def names(self, tokens: Sequence[Any], asked: Sequence[str]) -> list[str]:
        existing = {t.name for t in tokens}
        return [n for n in asked if n in existing]


class RevokeAllView(RevokeView):
    action = Action.REVOKE_ALL
    scope = "all"
    url_name = "revoke-all"

    def asked(self, request: TokenRequest, source: QueryDict, name: str) -> list[str]:
        return []

    def names(self, tokens: Sequence[Any], asked: Sequence[str]) -> list[str]:
        return [t.name for t in tokens]


class RevokeExpiredView(RevokeAllView):
    action = Action.REVOKE_EXPIRED
    scope = "expired"
    url_name = "revoke-expired"
    nothing = NOTHING_EXPIRED

    def names(self, tokens: Sequence[Any], asked: Sequence[str]) -> list[str]:
        """Expired but not revoked: WHM keeps listing these until someone revokes them."""
        now = timezone.now()
        return [t.name for t in tokens if risk.EXPIRED_FLAG in risk.flags(t, now=now)]


def service_tokens_in(
    system: TokenSystem, tokens: Sequence[Any], names: Sequence[str]
) -> list[tuple[str, str]]:
    """TokenUI's service tokens among `names` (each with its connected server's name), for the
    question's warning that revoking one stops staff access to that server."""
    asked = set(names)
    return sorted((n, s) for n, s in system.service_tokens(tokens).items() if n in asked)


def question(system: TokenSystem, action: Action, names: Sequence[str]) -> str:
    if action is Action.REVOKE_ALL:
        return system.words.revoke_all_question
    if action is Action.REVOKE_EXPIRED:
        count = f"{len(names)} expired API token{'s' if len(names) != 1 else ''}"
        return f"Are you certain that you want to revoke {count}?"
    if len(names) == 1:
        return f"Are you certain that you want to revoke the API token, “{names[0]}”?"
    return f"Are you certain that you want to revoke {len(names)} API tokens?"


def revoke(
    request: TokenRequest,
    action: Action,
    tokens: Sequence[Any],
    names: Sequence[str],
    asked: Sequence[str],
) -> HttpResponse:
    """Revoke `names` (all listed), record it, and show the table after."""
    system = request.system
    if not names:
        # Nothing is sent, but the user asked for a change: the trail says what came of it.
        nothing = NOTHING_EXPIRED if action is Action.REVOKE_EXPIRED else NOTHING_TO_REVOKE
        trail.record(request, action, outcome=Outcome.REFUSED, token_names=asked, reason=nothing)
        messages.info(request, nothing)
        return after_revoke(request, tokens)
    try:
        with changing(request, action, names):
            system.revoke(names)
    except PartialRevoke as partial:
        messages.warning(request, revoked_message(partial.done))
        request.listed = _without(tokens, partial.done)
        raise partial.cause from partial
    logger.info("tokens revoked: server=%s count=%d", system.server, len(names))
    if system.session_token in names:
        credentials.forget(request.session)
        messages.warning(request, "You revoked the API token this session signed in with.")
        return redirect_to(request, editing.sign_in_url())
    messages.success(request, revoked_message(names))
    return after_revoke(request, _without(tokens, names))


def _without(tokens: Sequence[Any], names: Sequence[str]) -> list[Any]:
    gone = set(names)
    return [t for t in tokens if t.name not in gone]


def after_revoke(request: TokenRequest, remaining: Sequence[Any]) -> HttpResponse:
    if request.htmx:
        return render_table(request, remaining)
    return redirect_to(request, request.system.url("index"))


def revoked_message(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"The API token “{names[0]}” has been revoked."
    return f"{len(names)} API tokens have been revoked."


@contextmanager
def changing(
    request: TokenRequest, action: Action, names: Sequence[str], **recorded: Any
) -> Iterator[None]:
    """Around a call that changes the server: recorded in the audit trail, and, whatever its
    outcome, every kept read of these tokens is dropped. The change is recorded here, so the
    attempt declared before the reads is done with."""
    request.attempt = None
    try:
        with trail.recording(request, action, names, **recorded):
            yield
    finally:
        request.system.forget()


# ---------------------------------------------------------------------------------------------
# Rotate: a successor under a new name and expiry, its secret shown once, then the old one
# revoked (now, from the same page, or later)
# ---------------------------------------------------------------------------------------------
@token_page
@never_cache
@require_http_methods(["GET", "POST"])
def rotate(request: TokenRequest, name: str) -> HttpResponse:
    """GET: the twin's name and expiry, and what it copies. POST: make it, show its secret."""
    system = request.system
    attempting(request, Action.ROTATE, [name])
    tokens = system.details()  # copied from the token as the server has it now
    old = next((t for t in tokens if t.name == name), None)
    if old is None:
        raise NotListed(name, system.summaries(tokens), Action.ROTATE)
    if refusal := system.rotation_refusal(old):
        return _refuse_rotation(request, old, refusal)
    form = _rotate_form(request, old, tokens)
    if request.method == "GET" or not form.is_valid():
        return _render_rotate(request, form, old, status=200 if request.method == "GET" else 422)
    new_name = form.cleaned_data["name"]
    try:
        with changing(request, Action.ROTATE, [old.name, new_name], token_created=old.created):
            created = system.create(new_name, form.cleaned_data["expires"], **system.twin_args(old))
    except WhmError as exc:
        if isinstance(exc, WhmAuthError):
            raise
        editing.put_reason(form, exc, system)
        status = status_for(exc, on_form=True)
        return _render_rotate(request, form, old, status=status, outcome_unknown=exc.may_have_run)
    logger.info("token rotated: server=%s owner=%s", system.server, system.owner)
    context = created_context(request, created) | _steps(request, old.name, new_name, "ask")
    return render(request, "tokens/rotated.html", context)


def _rotate_form(request: TokenRequest, old: Any, tokens: Sequence[Any]) -> NameExpiryForm:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    now = timezone.now()
    today = now.astimezone(zone).date()
    names = {t.name for t in tokens}
    initial = {
        "name": rotation.default_name(old.name, today, names),
        "expiry": EXPIRY_DATE,
        "expires_on": rotation.default_expiry(old.created, old.expires, now, zone),
    }
    data = request.POST if request.method == "POST" else None
    form = NameExpiryForm(data, initial=initial, existing_names=names, today=today, time_zone=zone)
    form.fields["name"].label = request.system.words.rotate_name
    return form


def _refuse_rotation(request: TokenRequest, old: Any, refusal: str) -> HttpResponse:
    """A token the system cannot make a twin of: say why (and record an attempt)."""
    if request.method == "POST":
        trail.record(
            request, Action.ROTATE, outcome=Outcome.REFUSED, token_names=[old.name], reason=refusal
        )
    return _render_rotate(request, None, old, status=409, refusal=refusal)


def _render_rotate(
    request: TokenRequest,
    form: NameExpiryForm | None,
    old: Any,
    *,
    status: int,
    outcome_unknown: bool = False,
    refusal: str = "",
) -> HttpResponse:
    copies = request.system.twin_args(old)
    acls = copies.get("acls", ())
    context = {
        **page_context(request),
        "form": form,
        "old": old,
        "privileges": None if acls is None else _labels(acls),
        "ips": [display.compressed_ip(ip) for ip in copies.get("whitelist_ips", ())],
        "refusal": refusal,
        "outcome_unknown": outcome_unknown,
        "list_url": table_state(request, request.system).url(),
    }
    return render(request, "tokens/rotate.html", context, status=status)


def _labels(acls: Sequence[str]) -> list[str]:
    """Each privilege in WHM's words, with its key (`List Accounts (list-accts)`)."""
    return [f"{ACLS_BY_KEY[k].label} ({k})" if k in ACLS_BY_KEY else k for k in sorted(acls)]


@token_page
@never_cache
@require_http_methods(["GET", "POST"])
def rotate_finish(request: TokenRequest, name: str) -> HttpResponse:
    """GET: the next steps on a page of their own (where **Later** can come back to). POST:
    **Revoke the old token now**: htmx swaps only the next-steps panel (the secret stays on
    screen); a plain POST goes back to the table, or to the panel alone if it failed.

    It revokes only the token the rotation replaced, known by its creation time under whatever
    name it has now; with no such rotation recorded it revokes nothing."""
    successor = _successor(request.POST if request.method == "POST" else request.GET)
    rotation = _rotation_to_finish(request, name, successor)
    if request.method == "GET":
        return _next_steps(request, name, successor, "ask")
    try:
        finished = _finish(request, rotation)
    except WhmError as exc:
        return _finish_failed(request, name, successor, exc)
    return _after_finish(request, name, successor, finished)


@token_page
@require_GET
@vary_on_headers("HX-Request")
def rotate_revoke(request: TokenRequest, name: str) -> HttpResponse:
    """**Revoke the old token now** asks first, as every revoke does (a page, or the dialog),
    naming the token the rotation replaced by what it is called now; its button posts to
    `rotate_finish`, and Cancel goes back to the next steps."""
    system = request.system
    successor = _successor(request.GET)
    rotation = _rotation_to_finish(request, name, successor)
    tokens = system.tokens(fresh=True)
    current = _replaced_now(rotation, tokens)
    steps = f"{system.url('rotate-finish', name)}?{urlencode({'successor': successor})}"
    context = {
        **page_context(request),
        "question": question(system, Action.REVOKE, [current]) if current else "",
        "names": [current] if current else [],
        "nothing": f"The API token {quoted(rotation.old)} is already gone: nothing to revoke.",
        "scope": "one",
        "action": system.url("rotate-finish", name),
        "hidden": {"successor": successor},
        "cancel_url": steps,
        "swap": "#next-steps" if request.htmx else "",
        "includes_session_token": bool(current) and current == system.session_token,
        "service_tokens": service_tokens_in(system, tokens, [current]),
    }
    template = "tokens/confirm_revoke.html" + ("#confirm-dialog" if request.htmx else "")
    return render(request, template, context)


def _successor(source: QueryDict) -> str:
    successor = source.get("successor", "")
    return successor if is_token_name(successor) else ""


def _replaced_now(rotation: rotations.Rotation, tokens: Sequence[Any]) -> str:
    """What the token `rotation` replaced is called now, found by its creation time ("": gone)."""
    return next((t.name for t in tokens if rotation.replaced(t.name, t.created)), "")


def _rotation_to_finish(request: TokenRequest, name: str, successor: str) -> rotations.Rotation:
    """The recorded rotation of `name` into `successor` (as the secret's page names it), or the
    one the rotated mark on `name`'s row names: finishing one is all these URLs do, never a
    revoke of any name they are sent."""
    system = request.system
    scope = system.marks_scope()
    rotation = rotations.latest(server=system.server, old=name, new=successor, **scope)
    if rotation is None:
        listed = {t.name: t.created for t in system.tokens(fresh=False)}
        rotation = rotations.marked(
            server=system.server, name=name, successor=successor, listed=listed, **scope
        )
    if rotation is None:
        message = f"There is no rotation of the API token {quoted(name)} to finish."
        raise BackToTable(messages.ERROR, message)
    return rotation


def _after_finish(
    request: TokenRequest, name: str, successor: str, finished: Finished
) -> HttpResponse:
    system = request.system
    if finished.revoked and finished.revoked == system.session_token:
        credentials.forget(request.session)
        messages.warning(request, "You revoked the API token this session signed in with.")
        return redirect_to(request, editing.sign_in_url())
    if request.htmx:
        step = "done" if finished.revoked else "gone"
        return _next_steps(request, name, successor, step, finished=finished)
    messages.success(request, finished.message())
    return redirect_to(request, table_state(request, system).url(highlight=finished.successor))


@dataclass(frozen=True, slots=True)
class Finished:
    """What **Revoke the old token now** did: the replaced token's name when it was revoked
    ("" when it was already gone), its successor if listed, and older tokens still working."""

    old: str
    revoked: str
    successor: str
    still_live: list[str]

    def message(self) -> str:
        done = f"The API token “{self.revoked or self.old}” " + (
            "has been revoked." if self.revoked else "was already gone."
        )
        if self.still_live:
            older = "”, “".join(self.still_live)
            return f"{done} “{older}”, which it replaced, still works: revoke it too."
        return f"{done} Only “{self.successor}” works now." if self.successor else done


def _finish(request: TokenRequest, rotation: rotations.Rotation) -> Finished:
    """Revoke the token `rotation` replaced, found by its creation time, and say what is true
    after: which token works now, and whether one it replaced in turn still does."""
    system = request.system
    attempting(request, Action.REVOKE, [rotation.old])
    tokens = system.tokens(fresh=True)
    listed = {t.name: t.created for t in tokens}
    current = _replaced_now(rotation, tokens)
    if current:
        with changing(request, Action.REVOKE, [current]):
            system.revoke([current])
        del listed[current]
    history = rotations.all_rotations(server=system.server, **system.marks_scope())
    still = rotations.predecessors(history, rotation.old, listed)
    successor = rotation.new if rotation.new in listed else ""
    return Finished(rotation.old, current, successor, still)


def _finish_failed(request: TokenRequest, name: str, successor: str, exc: WhmError) -> HttpResponse:
    """The old token could not be revoked (or may not have been): the panel says so."""
    if isinstance(exc, WhmAuthError):
        raise exc
    if request.attempt is not None:  # the read failed: nothing changed
        trail.record_error(
            request, Action.REVOKE, exc, changes_state=False, token_names=request.attempt.names
        )
    return _next_steps(request, name, successor, "failed", exc=exc, status=status_for(exc))


def _steps(request: TokenRequest, old: str, successor: str, step: str) -> dict[str, Any]:
    system = request.system
    return {
        "old": old,
        "successor": successor,
        "step": step,
        "finish_url": system.url("rotate-finish", old),
        "confirm_url": system.url("rotate-revoke", old),
        "list_url": table_state(request, system).url(highlight=successor),
    }


def _next_steps(
    request: TokenRequest,
    old: str,
    successor: str,
    step: str,
    *,
    exc: WhmError | None = None,
    status: int = 200,
    finished: Finished | None = None,
) -> HttpResponse:
    """The next-steps panel alone (htmx), or a page holding only it (no secret: that was shown
    once, on the page the user left)."""
    context = {
        **page_context(request),
        **_steps(request, old, successor, step),
        "finished": finished,
        "error": failure_message(request.system, exc) if exc else "",
        "outcome_unknown": bool(exc and exc.may_have_run),
    }
    template = "tokens/rotated.html#next-steps" if request.htmx else "tokens/rotate_next.html"
    return render(request, template, context, status=status)
