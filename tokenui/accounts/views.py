"""Sign in to a WHM server (the credential is checked against WHM first) and sign out."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from tokenui.accounts import credentials
from tokenui.accounts.forms import SignInForm
from tokenui.accounts.throttle import (
    UNAVAILABLE,
    SignInThrottle,
    ThrottleUnavailable,
    wait_message,
)
from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.http import client_address, status_for
from tokenui.whm.errors import WhmAuthError, WhmError
from tokenui.whm.servers import client_for, configured_servers
from tokenui.whm.types import Credential

logger = logging.getLogger(__name__)

REFUSED = "WHM refused these credentials."
CANNOT_MANAGE = (
    "This WHM user cannot manage API tokens: it lacks the “Manage API Tokens” privilege."
)


class SignInRefused(Exception):
    """WHM accepted the call but this credential cannot use the dashboard."""


@sensitive_post_parameters("password", "api_token")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None, servers=list(configured_servers()))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            outcome = _attempt(request, form)
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    # The embedded simulator's demo users, shown only when the dashboard runs on it.
    context = {"form": form, "demo_sign_in": settings.DEMO_SIGN_IN}
    return render(request, "accounts/sign_in.html", context, status=status)


def _attempt(request: HttpRequest, form: SignInForm) -> HttpResponse | int:
    """Try the credential with WHM: a redirect into the dashboard, or the status to show."""
    server, credential = form.cleaned_data["server"], form.credential()
    actor = trail.Actor(server, credential.user, credential.kind)
    throttle = SignInThrottle(server, credential.user, client_address(request))
    try:
        wait = throttle.reserve()  # counted now, before WHM is asked: bursts cannot slip past
    except ThrottleUnavailable:
        return _refuse(request, form, actor, UNAVAILABLE, 503, Outcome.FAILED)
    if wait:
        return _refuse(request, form, actor, wait_message(wait), 429)  # WHM is not asked
    try:
        token_name = _check_with_whm(server, credential)
    except SignInRefused as exc:
        throttle.release()  # the credential worked: not a failed guess
        return _refuse(request, form, actor, str(exc), 422)
    except WhmAuthError:  # the reserved attempt stays counted as a failure
        return _refuse(request, form, actor, REFUSED, 422)
    except WhmError as exc:
        throttle.release()  # WHM could not judge the credential
        return _refuse(request, form, actor, exc.message, status_for(exc), Outcome.FAILED)
    throttle.succeeded()
    # A new session, not just a new key: no fixation, and nothing of a previous sign-in on this
    # browser (its cached privileges above all) carries over to this one.
    request.session.flush()
    rotate_token(request)
    credentials.store(request.session, server, credential, token_name)
    actor = trail.Actor(server, credential.user, credential.kind, token_name)
    trail.record(request, Action.SIGN_IN, outcome=Outcome.SUCCEEDED, actor=actor)
    user, method = credential.user, credential.kind
    logger.info("sign-in: user=%s server=%s method=%s", user, server, method)
    # Not redirect(): it would take a bare word such as "tokens" for a URL pattern name.
    return HttpResponseRedirect(_next_url(request))


def _refuse(
    request: HttpRequest,
    form: SignInForm,
    actor: trail.Actor,
    message: str,
    status: int,
    outcome: Outcome = Outcome.REFUSED,
) -> int:
    """A sign-in that did not happen: say why on the form, and record it."""
    form.add_error(None, message)
    trail.record(request, Action.SIGN_IN_FAILED, outcome=outcome, reason=message, actor=actor)
    return status


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if whm := credentials.load(request.session):
        trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, actor=whm)
    request.session.flush()  # drops the credential and the session key together
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


def _check_with_whm(server: str, credential: Credential) -> str | None:
    """Prove the credential works and may manage tokens; return the token's own name, if any."""
    client = client_for(server, credential)
    if not client.my_privileges().holds("manage-api-tokens"):
        raise SignInRefused(CANNOT_MANAGE)
    if credential.kind != "token":
        return None
    details = client.get_token_details(credential.secret)
    return details.name if details else None


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("tokens:index")
