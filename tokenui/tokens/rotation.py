"""Rotate a WHM API token: a twin with the same privileges and IPs under a new name and expiry,
its secret shown once, then the old one revoked (now, from the same page, or later)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenui import rotation
from tokenui.accounts import credentials
from tokenui.accounts.auth import SignedInRequest, signed_in
from tokenui.acls import ACLS_BY_KEY
from tokenui.audit import trail
from tokenui.audit.models import Action
from tokenui.http import redirect_to, status_for
from tokenui.tokens import display, listing
from tokenui.tokens import views as pages
from tokenui.tokens.forms import EXPIRY_DATE, TokenForm
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError
from tokenui.whm.types import ApiToken, TokenSummary

logger = logging.getLogger(__name__)


class RotateForm(TokenForm):
    """Generate's name and expiry, with its rules; privileges and IPs are the old token's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, held_acls=(), **kwargs)
        del self.fields["acls"], self.fields["whitelist_ips"]

    def add_error(self, field: str | None, error: Any) -> None:
        # WHM's reason about privileges or IPs belongs to the form here: they are not fields.
        super().add_error(field if field is None or field in self.fields else None, error)


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def rotate(request: SignedInRequest, name: str) -> HttpResponse:
    """GET: the twin's name and expiry, and what it copies. POST: make it, show its secret."""
    try:
        # Copied from WHM's token as it is now, not from the list the table keeps.
        tokens = listing.with_acls(request)
    except WhmError as exc:
        pages._record_failed_read(request, Action.ROTATE, exc, [name])
        return pages._failed(request, exc)
    old = next((t for t in tokens if t.name == name), None)
    if old is None:
        return pages._not_found(request, name, [TokenSummary.of(t) for t in tokens], Action.ROTATE)
    form = _form(request, old, tokens)
    if request.method == "GET" or not form.is_valid():
        return _render_form(request, form, old, status=200 if request.method == "GET" else 422)
    new_name = form.cleaned_data["name"]
    try:
        with pages._changing(request, Action.ROTATE, [old.name, new_name]):
            created = request.whm_client.create_token(new_name, **_copied(old, form))
    except WhmError as exc:
        return _create_failed(request, form, old, exc)
    logger.info("token rotated: server=%s old=%s new=%s", request.whm.server, old.name, new_name)
    context = pages._created_context(request, created) | {
        "old": old.name,
        "successor": new_name,
        "step": "ask",
        "finish_url": reverse("tokens:rotate-finish", args=[old.name]),
    }
    return render(request, "tokens/rotated.html", context)


@signed_in
@never_cache
@require_GET
def confirm_finish(request: SignedInRequest, name: str) -> HttpResponse:
    """The next steps on a page of their own (where **Later** can come back to): the question
    that **Revoke the old token now** answers."""
    successor = _token_name(request.GET.get("successor", ""))
    return _next_steps(request, name, successor, "ask")


@signed_in
@require_POST
def finish(request: SignedInRequest, name: str) -> HttpResponse:
    """**Revoke the old token now**: htmx swaps only the next-steps panel (the secret stays
    on screen); a plain POST goes back to the table, or to the panel alone if it failed."""
    successor = _token_name(request.POST.get("successor", ""))
    try:
        listed = {t.name for t in listing.tokens(request, fresh=True)}
    except WhmError as exc:
        trail.record_error(request, Action.REVOKE, exc, changes_state=False, token_names=[name])
        return _finish_failed(request, name, successor, exc)
    try:
        if name in listed:
            with pages._changing(request, Action.REVOKE, [name]):
                request.whm_client.revoke_tokens([name])
    except WhmError as exc:
        return _finish_failed(request, name, successor, exc)
    if name == request.whm.token_name:
        credentials.forget(request.session)
        messages.warning(request, "You revoked the API token this session signed in with.")
        return redirect_to(request, reverse("accounts:sign-in"))
    if request.htmx:
        return _next_steps(request, name, successor, "done" if name in listed else "gone")
    messages.success(request, _revoked(name, successor))
    return redirect_to(request, pages._table(request).url(highlight=successor))


def _revoked(old: str, successor: str) -> str:
    done = f"The API token “{old}” has been revoked."
    return f"{done} Only “{successor}” works now." if successor else done


def _form(request: SignedInRequest, old: ApiToken, tokens: Sequence[ApiToken]) -> RotateForm:
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    now = timezone.now()
    names = {t.name for t in tokens}
    initial = {
        "name": rotation.default_name(old.name, now.astimezone(zone).date(), names),
        "expiry": EXPIRY_DATE,
        "expires_on": rotation.default_expiry(old.created, old.expires, now, zone),
    }
    data = request.POST if request.method == "POST" else None
    today = now.astimezone(zone).date()
    return RotateForm(data, initial=initial, existing_names=names, today=today, time_zone=zone)


def _copied(old: ApiToken, form: RotateForm) -> dict[str, Any]:
    """The twin's privileges and IPs, the old one's; a token made without privileges (full
    access, inheriting all its owner holds) is made the same way, without an ACL list."""
    return {
        "acls": None if old.has_full_access else sorted(old.acls),
        "expires": form.cleaned_data["expires"],
        "whitelist_ips": old.whitelist_ips,
    }


def _render_form(
    request: SignedInRequest,
    form: RotateForm,
    old: ApiToken,
    *,
    status: int,
    outcome_unknown: bool = False,
) -> HttpResponse:
    context = {
        "form": form,
        "old": old,
        "privileges": None if old.has_full_access else _labels(old.acls),
        "ips": [display.compressed_ip(ip) for ip in old.whitelist_ips],
        "outcome_unknown": outcome_unknown,
        "list_url": pages._table(request).url(),
        "whm": request.whm,
    }
    return render(request, "tokens/rotate.html", context, status=status)


def _labels(acls: frozenset[str]) -> list[str]:
    """Each privilege in WHM's words, with its key (`List Accounts (list-accts)`)."""
    return [f"{ACLS_BY_KEY[k].label} ({k})" if k in ACLS_BY_KEY else k for k in sorted(acls)]


def _create_failed(
    request: SignedInRequest, form: RotateForm, old: ApiToken, exc: WhmError
) -> HttpResponse:
    """WHM refused or failed the twin: nothing was made (or, after a timeout, perhaps it was),
    the old token is untouched, and the form keeps what the user typed."""
    if isinstance(exc, WhmAuthError):
        return pages._signed_out_by_whm(request)
    if isinstance(exc, WhmApiError):
        form.add_whm_reason(exc.reason)
    else:
        form.add_error(None, pages._failure_message(exc))
    status = status_for(exc, on_form=True)
    return _render_form(request, form, old, status=status, outcome_unknown=exc.may_have_run)


def _finish_failed(
    request: SignedInRequest, name: str, successor: str, exc: WhmError
) -> HttpResponse:
    """The old token could not be revoked (or may not have been): the panel says so."""
    if isinstance(exc, WhmAuthError):
        return pages._signed_out_by_whm(request)
    return _next_steps(request, name, successor, "failed", exc=exc, status=status_for(exc))


def _next_steps(
    request: SignedInRequest,
    old: str,
    successor: str,
    step: str,
    *,
    exc: WhmError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The next-steps panel alone (htmx), or a page holding only it (no secret: that was shown
    once, on the page the user left)."""
    context = {
        "old": old,
        "successor": successor,
        "step": step,
        "error": pages._failure_message(exc) if exc else "",
        "outcome_unknown": bool(exc and exc.may_have_run),
        "finish_url": reverse("tokens:rotate-finish", args=[old]),
        "list_url": pages._table(request).url(highlight=successor),
        "whm": request.whm,
    }
    template = "tokens/rotated.html#next-steps" if request.htmx else "tokens/rotate_next.html"
    return render(request, template, context, status=status)


def _token_name(value: str) -> str:
    """A successor's name from the form, if WHM could hold it (else none: it is only shown)."""
    return value if pages._is_token_name(value) else ""
