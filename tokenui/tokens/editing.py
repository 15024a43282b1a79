"""The Create and Edit forms of a token system's pages: which form (WHM's, with privileges and
IPs; cPanel's name and expiry, or its rename), what it is checked against, how a link or "like
this" fills it in, and how it comes back when the server says no."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from tokenui.audit import trail
from tokenui.audit.models import Action
from tokenui.http import redirect_to, status_for
from tokenui.kernel import display
from tokenui.kernel.links import (
    EXPIRY_NEVER,
    fresh_name,
    is_prefill_query,
    like_query,
    link_prefill,
    link_query,
    post_prefill,
    preset_note,
    quoted,
)
from tokenui.presets import PRESETS
from tokenui.systems import TokenSystem
from tokenui.tokens.binding import TokenRequest, attempting, failure_message
from tokenui.tokens.forms import CreateForm, NameExpiryForm, RenameForm, TokenForm
from tokenui.tokens.table import page_context, table_state
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError

logger = logging.getLogger(__name__)

HELD_ACLS = "whm_held_acls"  # session key: the user's privileges, read from WHM's myprivs
EDIT_ACTIONS = {"update": Action.EDIT, "rename": Action.RENAME}


def when(moment: datetime) -> str:
    """A time as WHM's table shows it, in WHM's time zone."""
    zone = ZoneInfo(settings.WHM_TIME_ZONE)
    return display.server_time(moment, zone).strftime(display.WHM_TIME_FORMAT)


def sign_in_url() -> str:
    return reverse("accounts:sign-in")


def put_reason(form: Any, exc: WhmError, system: TokenSystem) -> None:
    """The server said no or failed: its reason on the field it is about, or the form's."""
    if isinstance(exc, WhmApiError):
        form.add_whm_reason(exc.reason)
    else:
        form.add_error(None, failure_message(system, exc))


class FormKit:
    """A system's Create or Edit form for one request: built, filled in, rendered."""

    def __init__(self, request: TokenRequest, *, name: str | None = None) -> None:
        self.request = request
        self.system = request.system
        self.name = name  # the token an Edit form changes
        self.action = Action.GENERATE
        self.held: frozenset[str] = frozenset()

    # --- what the form is checked against ----------------------------------------------------
    def read(self, action: Action, names: Sequence[str] = ()) -> list[Any]:
        """The privileges held (WHM) and the tokens as they are now."""
        self.action = action
        attempting(self.request, action, names)
        if self.system.caps.privileges:
            self.held = self.held_acls(fresh=self.request.method == "GET")
        return self.system.details()

    def held_acls(self, *, fresh: bool) -> frozenset[str]:
        """Read from WHM when a form opens, then reused from the session."""
        session = self.request.session
        cached = session.get(HELD_ACLS)
        if fresh or not isinstance(cached, list):
            cached = sorted(self.system.privileges())
            session[HELD_ACLS] = cached
        return frozenset(cached)

    def read_failed(self, exc: WhmError) -> HttpResponse:
        """The reads behind the form failed. Opening it, there is nothing to show; posting it,
        the form comes back as typed, checked against the privileges read when it was opened,
        so that nothing the user typed is lost."""
        if isinstance(exc, WhmAuthError):
            raise exc
        request = self.request
        messages_shown = self.system.unavailable(exc) or failure_message(self.system, exc)
        logger.warning("%s call failed: server=%s", self.system.words.server, self.system.server)
        if request.method != "POST":
            messages.error(request, messages_shown)
            context = {**page_context(request), "form": None, "editing": self.name}
            context["list_url"] = table_state(request, self.system).url()
            return render(request, self._template(), context, status=status_for(exc))
        attempt = request.attempt
        trail.record_error(
            request, self.action, exc, changes_state=False, token_names=attempt.names
        )
        cached = request.session.get(HELD_ACLS)
        self.held = frozenset(cached) if isinstance(cached, list) else frozenset()
        form = self.form((), original_name=self.name)
        form.add_error(None, exc.message)
        return self.render(form, status=status_for(exc, on_form=True))

    def _template(self) -> str:
        pages = self.system.pages
        return pages.edit_template if self.name else pages.form_template

    # --- the form ----------------------------------------------------------------------------
    def form(
        self,
        tokens: Sequence[Any],
        *,
        data: QueryDict | None = None,
        original_name: str | None = None,
    ) -> NameExpiryForm:
        zone = ZoneInfo(settings.WHM_TIME_ZONE)
        if data is None and self.request.method == "POST":
            data = self.request.POST
        kwargs: dict[str, Any] = {
            "existing_names": {t.name for t in tokens},
            "today": timezone.now().astimezone(zone).date(),
            "time_zone": zone,
            "original_name": original_name,
        }
        if self.system.caps.privileges:
            return TokenForm(data, held_acls=self.held, **kwargs)
        return CreateForm(data, **kwargs)

    def edit_form(self, token: Any, tokens: Sequence[Any]) -> Any:
        data = self.request.POST if self.request.method == "POST" else None
        names = {t.name for t in tokens}
        if self.system.caps.edit == "rename":
            return RenameForm(data, name=token.name, existing_names=names)
        zone = ZoneInfo(settings.WHM_TIME_ZONE)
        today = timezone.now().astimezone(zone).date()
        kwargs = {"held_acls": self.held, "existing_names": names, "today": today}
        return TokenForm.for_token(token, data, time_zone=zone, **kwargs)

    def opened(self, tokens: Sequence[Any]) -> NameExpiryForm:
        """Create as opened: empty, or filled in by a link or by "like this"."""
        form = self.form(tokens)
        query, notes = self.request.GET, []
        if "like" in query:
            query, notes = self._like_query(form, query["like"], tokens)
        if not is_prefill_query(query):
            return form
        privileges = self.system.caps.privileges
        offered = form.held_keys if privileges else ()
        prefill = link_prefill(query, offered=offered, today=form.today, privileges=privileges)
        prefill.notes += notes
        form = self.form(tokens, data=prefill.data)
        form.show_prefill(prefill)
        return form

    def _like_query(
        self, form: NameExpiryForm, name: str, tokens: Sequence[Any]
    ) -> tuple[QueryDict, list[str]]:
        """The link that "Generate a token like this" stands for, from the token as the
        server lists it now, and what to say about it."""
        token = next((t for t in tokens if t.name == name), None)
        if token is None:
            messages.error(self.request, f"The API token {quoted(name)} does not exist.")
            return QueryDict(), []
        fresh = fresh_name(token.name, (t.name for t in tokens))
        if self.system.caps.privileges:
            return like_query(token, name=fresh, offered=form.held_keys), [_like_whm(token)]
        query = QueryDict(mutable=True)
        query["name"] = fresh
        if token.expires is None:
            query["expires"] = EXPIRY_NEVER
        return query, [_like_cpanel(token)]

    def copy_link(self) -> HttpResponse:
        """Copy link to this form, JavaScript off (tokenui.js does it in the page): the
        prefilled link the posted form stands for."""
        query = link_query(self.request.POST, privileges=self.system.caps.privileges)
        return redirect_to(self.request, f"{self.system.url('create')}?{query}#link")

    def apply_preset(self, tokens: Sequence[Any]) -> HttpResponse:
        """A role preset chosen with JavaScript off: the form re-rendered, its boxes ticked."""
        post = self.request.POST
        form = self.form(tokens)
        prefill = post_prefill(post, post["apply_preset"], form.held_keys)
        form = self.form(tokens, data=prefill.data)
        form.show_prefill(prefill)
        return self.render(form, status=200 if prefill.preset else 422)

    # --- the page ----------------------------------------------------------------------------
    def render(
        self, form: NameExpiryForm, *, status: int, outcome_unknown: bool = False
    ) -> HttpResponse:
        request, system = self.request, self.system
        privileges = system.caps.privileges
        context = {
            **page_context(request),
            "form": form,
            "form_flags": form.risk_flags(timezone.now()) if privileges else (),
            "risk_flags": system.risk_flags,
            "editing": form.original_name,
            "name_check": None,
            "is_session_token": bool(form.original_name)
            and form.original_name == system.session_token,
            "outcome_unknown": outcome_unknown,
            "list_url": table_state(request, system).url(),  # back to the table
            # Create only: role presets, and the link to the form as a link filled it in.
            "presets": _preset_choices(form) if privileges and not form.original_name else (),
            "prefill": form.prefill,
            "form_link": request.build_absolute_uri() if self._is_link(form) else "",
        }
        return render(request, self._template(), context, status=status)

    def _is_link(self, form: NameExpiryForm) -> bool:
        get = self.request.GET
        return self.request.method == "GET" and form.prefill is not None and "like" not in get

    def render_edit(
        self, form: Any, token: Any, *, status: int, outcome_unknown: bool = False
    ) -> HttpResponse:
        if isinstance(form, TokenForm):
            return self.render(form, status=status, outcome_unknown=outcome_unknown)
        context = {
            **page_context(self.request),
            "form": form,
            "token": token,
            "name": token.name,
            "created": when(token.created),
            "expires": when(token.expires) if token.expires else "",
            "revoke_url": self.system.url("revoke", token.name),
            "outcome_unknown": outcome_unknown,
        }
        return render(self.request, self.system.pages.edit_template, context, status=status)

    def failed(self, form: Any, exc: WhmError, *, token: Any = None) -> HttpResponse:
        """The server refused or failed the change: keep everything the user typed, say what
        happened, and offer the list as it is now rather than a second try."""
        if isinstance(exc, WhmAuthError):
            raise exc
        put_reason(form, exc, self.system)
        status = status_for(exc, on_form=True)
        if token is not None:
            return self.render_edit(form, token, status=status, outcome_unknown=exc.may_have_run)
        return self.render(form, status=status, outcome_unknown=exc.may_have_run)

    def edited_message(self, name: str, new_name: str) -> str:
        return self.system.words.edited.format(old=name, new=new_name)


def _like_whm(token: Any) -> str:
    note = (
        f"Filled in like the API token “{token.name}”: its privileges and IP addresses, and a "
        "new name. Check them, then select Generate."
    )
    if token.has_full_access:
        note += (
            " It has full access, so every privilege you hold is ticked: the new token has full "
            "access too."
        )
    return note


def _like_cpanel(token: Any) -> str:
    note = f"Filled in like the API token “{token.name}”, with a new name."
    if not token.full_access or token.read_only:
        note += (
            " That token's access is limited; cPanel's Create makes full-access tokens only, so "
            "this one will have full access."
        )
    return note


def _preset_choices(form: TokenForm) -> list[dict]:
    """Each preset's button: what it ticks among the boxes offered, what it would say, and
    whether it shows pressed (the boxes ticked are exactly its own)."""
    choices = []
    boxes = [str(key) for key in form["acls"].value() or ()]
    for preset in PRESETS:
        ticked, _ = preset.split(form.held_keys)
        note = preset_note(preset, form.held_keys)
        choices.append(
            {
                "preset": preset,
                "acls": " ".join(ticked),
                "note": note,
                "pressed": preset.is_pressed(boxes, form.held_keys),
            }
        )
    return choices
