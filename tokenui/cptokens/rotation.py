"""Rotate a cPanel account's API token (the user's own, or an operator's through WHM): a
full-access twin under a new name and expiry, its secret shown once, then the old one revoked."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenui import rotation
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.cptokens import views as pages
from tokenui.cptokens.forms import CreateForm
from tokenui.cptokens.views import CpanelRequest, cpanel_page
from tokenui.http import redirect_to, status_for
from tokenui.tokens.forms import EXPIRY_DATE
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError
from tokenui.whm.types import CpanelToken

logger = logging.getLogger(__name__)

# cPanel's API makes full-access tokens only (Tokens::create_full_access): a twin of a
# read-only or limited token would hold more than it, so none is made.
NOT_FULL_ACCESS = (
    "TokenUI can rotate only full-access cPanel API tokens: cPanel's API creates no other "
    "kind, so a new token could not have the same privileges as “{name}”. Create its "
    "successor in cPanel itself, then revoke this one."
)


@cpanel_page
@never_cache
@require_http_methods(["GET", "POST"])
def rotate(request: CpanelRequest, name: str) -> HttpResponse:
    """GET: the twin's name and expiry. POST: make it, and show its secret once."""
    try:
        tokens = pages._tokens(request, fresh=True)  # the old token as cPanel has it now
    except WhmError as exc:
        if request.method == "POST":
            trail.record_error(request, Action.ROTATE, exc, changes_state=False, token_names=[name])
        return pages._failed(request, exc)
    old = next((t for t in tokens if t.name == name), None)
    if old is None:
        return pages._not_found(request, name, tokens, Action.ROTATE)
    form = _form(request, old, tokens)
    if not _copyable(old):
        return _refuse(request, form, old)
    if request.method == "GET" or not form.is_valid():
        return _render_form(request, form, old, status=200 if request.method == "GET" else 422)
    new_name = form.cleaned_data["name"]
    try:
        with pages._changing(request, Action.ROTATE, [old.name, new_name]):
            created = request.cpanel.client.create_token(
                new_name, expires=form.cleaned_data["expires"]
            )
    except WhmError as exc:
        return _create_failed(request, form, old, exc)
    logger.info(
        "cPanel token rotated: server=%s account=%s", request.whm.server, request.cpanel.account
    )
    context = pages._created_context(request, created) | _steps(request, old.name, new_name, "ask")
    return render(request, "cptokens/rotated.html", context)


@cpanel_page
@never_cache
@require_GET
def confirm_finish(request: CpanelRequest, name: str) -> HttpResponse:
    """The next steps on a page of their own: **Revoke the old token now** or **Later**."""
    return _next_steps(request, name, _successor(request.GET.get("successor", "")), "ask")


@cpanel_page
@require_POST
def finish(request: CpanelRequest, name: str) -> HttpResponse:
    """**Revoke the old token now**: htmx swaps only the next-steps panel (the secret stays on
    screen); a plain POST goes back to the table, or to the panel alone if it failed."""
    successor = _successor(request.POST.get("successor", ""))
    try:
        listed = {t.name for t in pages._tokens(request, fresh=True)}
    except WhmError as exc:
        trail.record_error(request, Action.REVOKE, exc, changes_state=False, token_names=[name])
        return _finish_failed(request, name, successor, exc)
    try:
        if name in listed:
            with pages._changing(request, Action.REVOKE, [name]):
                request.cpanel.client.revoke_token(name)
    except WhmError as exc:
        return _finish_failed(request, name, successor, exc)
    if request.htmx:
        return _next_steps(request, name, successor, "done" if name in listed else "gone")
    done = f"The API token “{name}” has been revoked."
    messages.success(request, f"{done} Only “{successor}” works now." if successor else done)
    return redirect_to(request, pages._table(request).url(highlight=successor))


def _copyable(token: CpanelToken) -> bool:
    return token.full_access and not token.read_only


def _form(request: CpanelRequest, old: CpanelToken, tokens: Sequence[CpanelToken]) -> CreateForm:
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
    form = CreateForm(data, initial=initial, existing_names=names, today=today, time_zone=zone)
    form.fields["name"].label = "New API Token Name"
    return form


def _refuse(request: CpanelRequest, form: CreateForm, old: CpanelToken) -> HttpResponse:
    """A read-only or limited token: say why there is no twin (and record an attempt)."""
    reason = NOT_FULL_ACCESS.format(name=old.name)
    if request.method == "POST":
        trail.record(
            request, Action.ROTATE, outcome=Outcome.REFUSED, token_names=[old.name], reason=reason
        )
    return _render_form(request, None, old, status=409, refusal=reason)


def _render_form(
    request: CpanelRequest,
    form: CreateForm | None,
    old: CpanelToken,
    *,
    status: int,
    outcome_unknown: bool = False,
    refusal: str = "",
) -> HttpResponse:
    context = {
        **pages._page_context(request),
        "form": form,
        "old": old,
        "refusal": refusal,
        "outcome_unknown": outcome_unknown,
    }
    return render(request, "cptokens/rotate.html", context, status=status)


def _create_failed(
    request: CpanelRequest, form: CreateForm, old: CpanelToken, exc: WhmError
) -> HttpResponse:
    """cPanel refused or failed the twin: the old token is untouched, the form as typed."""
    if isinstance(exc, WhmAuthError):
        return pages._signed_out(request)
    if isinstance(exc, WhmApiError):
        form.add_whm_reason(exc.message)
    else:
        form.add_error(None, pages._failure_message(exc))
    status = status_for(exc, on_form=True)
    return _render_form(request, form, old, status=status, outcome_unknown=exc.may_have_run)


def _steps(request: CpanelRequest, old: str, successor: str, step: str) -> dict:
    return {
        "old": old,
        "successor": successor,
        "step": step,
        "finish_url": request.cpanel.url("rotate-finish", old),
        "list_url": pages._table(request).url(highlight=successor),
    }


def _finish_failed(
    request: CpanelRequest, name: str, successor: str, exc: WhmError
) -> HttpResponse:
    """The old token could not be revoked (or may not have been): the panel says so."""
    if isinstance(exc, WhmAuthError):
        return pages._signed_out(request)
    return _next_steps(request, name, successor, "failed", exc=exc, status=status_for(exc))


def _next_steps(
    request: CpanelRequest,
    old: str,
    successor: str,
    step: str,
    *,
    exc: WhmError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The next-steps panel alone (htmx), or a page holding only it (the secret was shown
    once, on the page the user left)."""
    context = {
        **pages._page_context(request),
        **_steps(request, old, successor, step),
        "error": pages._failure_message(exc) if exc else "",
        "outcome_unknown": bool(exc and exc.may_have_run),
    }
    template = "tokens/rotated.html#next-steps" if request.htmx else "cptokens/rotate_next.html"
    return render(request, template, context, status=status)


def _successor(value: str) -> str:
    return value if pages._is_name(value) else ""
