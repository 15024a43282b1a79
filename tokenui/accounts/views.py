"""Sign in to a WHM server, or to a cPanel account on its cPanel port (the credential is
checked there first); add more WHM servers to the session and switch between them; sign out of
one server or of all."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from tokenui.accounts.forms import STAFF, SignInForm
from tokenui.accounts.throttle import (
    UNAVAILABLE,
    SignInThrottle,
    ThrottleUnavailable,
    wait_message,
)
from tokenui.audit import trail
from tokenui.audit.models import Action, AuthKind, Outcome, Service
from tokenui.http import client_address, status_for
from tokenui.sessions import credentials
from tokenui.sessions.auth import SignedInRequest, signed_in
from tokenui.sessions.credentials import CPANEL
from tokenui.staff.models import staff_of
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmError
from tokenui.whm.servers import client_for, configured_servers, cpanel_client_for
from tokenui.whm.types import Credential

logger = logging.getLogger(__name__)

REFUSED = "WHM refused these credentials."
CPANEL_REFUSED = "cPanel refused these credentials."
STAFF_REFUSED = "TokenUI does not know this staff username and password."
CANNOT_MANAGE = (
    "This WHM user cannot manage API tokens: it holds neither the “Manage API Tokens” "
    "privilege nor “Perform cPanel API and UAPI functions through the WHM API”."
)


class SignInRefused(Exception):
    """WHM accepted the call but this credential cannot use the dashboard."""


class NotSignedIn(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@sensitive_post_parameters("password", "api_token")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    # ?service=staff (a staff page sent the visitor here) starts with Staff chosen.
    initial = {"service": STAFF} if request.GET.get("service") == STAFF else {}
    form = SignInForm(request.POST or None, servers=list(configured_servers()), initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                return _staff_attempt(request, form) if form.is_staff else _attempt(request, form)
            except NotSignedIn as refused:
                status = refused.status
    # The embedded simulator's demo users, shown only when the dashboard runs on it.
    context = {
        "form": form,
        "demo_sign_in": settings.DEMO_SIGN_IN,
        "demo_staff": settings.DEMO_STAFF,
        "cpanel_port": settings.CPANEL_PORT,
        "single_sign_on": settings.OIDC_ENABLED,
    }
    return render(request, "accounts/sign_in.html", context, status=status)


@sensitive_post_parameters("password", "api_token")
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def add_server(request: SignedInRequest) -> HttpResponse:
    """Add server: sign in to another configured WHM server, keeping the servers signed in."""
    waiting = [name for name in configured_servers() if name not in request.whm_servers]
    if not waiting:
        messages.info(request, "You are signed in to every configured server.")
        return redirect("tokens:index")
    form = SignInForm(request.POST or None, servers=waiting, whm_only=True)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                return _attempt(request, form, adding=True)
            except NotSignedIn as refused:
                status = refused.status
    context = {"form": form, "whm": request.whm, "adding": True}
    return render(request, "accounts/sign_in.html", context, status=status)


@require_POST
@signed_in
def switch_server(request: SignedInRequest) -> HttpResponse:
    """Work on another signed-in server, without signing in again."""
    server = request.POST.get("server", "")
    if credentials.switch(request.session, server):
        messages.success(request, f"You are now working on {server}.")
    else:
        messages.error(request, f"You are not signed in to {server or 'that server'}.")
    return redirect("tokens:index")


def _attempt(request: HttpRequest, form: SignInForm, *, adding: bool = False) -> HttpResponse:
    """Try the credential with WHM: a redirect into the dashboard, or NotSignedIn raised."""
    server, credential = form.cleaned_data["server"], form.credential()
    service = form.cleaned_data["service"]
    actor = trail.Actor(server, credential.user, credential.kind, service=service)
    # A cPanel user and a WHM user of the same name are two people: two sets of counters.
    counted = f"cpanel:{credential.user}" if form.is_cpanel else credential.user
    throttle = SignInThrottle(server, counted, client_address(request))
    try:
        wait = throttle.reserve()  # counted now, before WHM is asked: bursts cannot slip past
    except ThrottleUnavailable as exc:
        raise _refused(request, form, actor, UNAVAILABLE, 503, Outcome.FAILED) from exc
    if wait:
        raise _refused(request, form, actor, wait_message(wait), 429)  # WHM is not asked
    try:
        if form.is_cpanel:
            token_name = _check_with_cpanel(server, credential)
        else:
            token_name = _check_with_whm(server, credential)
    except SignInRefused as exc:
        throttle.release()  # the credential worked: not a failed guess
        raise _refused(request, form, actor, str(exc), 422) from exc
    except WhmAuthError as exc:  # the reserved attempt stays counted as a failure
        refused = CPANEL_REFUSED if form.is_cpanel else REFUSED
        raise _refused(request, form, actor, refused, 422) from exc
    except WhmError as exc:
        throttle.release()  # WHM could not judge the credential
        raise _refused(request, form, actor, exc.message, status_for(exc), Outcome.FAILED) from exc
    throttle.succeeded()
    return _start_session(request, form, token_name, adding=adding)


def _staff_attempt(request: HttpRequest, form: SignInForm) -> HttpResponse:
    """A staff member's local username and password (the break-glass admin's), throttled as
    WHM's sign-in is: a redirect to the staff pages, or NotSignedIn raised."""
    username, password = form.cleaned_data["username"], form.cleaned_data["password"]
    staff = trail.Staff(username)
    actor = trail.Actor("", username, AuthKind.PASSWORD, service=Service.STAFF, staff=staff)
    throttle = SignInThrottle("tokenui-staff", username, client_address(request))
    try:
        wait = throttle.reserve()
    except ThrottleUnavailable as exc:
        raise _refused(request, form, actor, UNAVAILABLE, 503, Outcome.FAILED) from exc
    if wait:
        raise _refused(request, form, actor, wait_message(wait), 429)
    # No request: single sign-on's backend must not read this request's query string.
    user = authenticate(None, username=username, password=password)
    if user is None or not user.is_active:
        raise _refused(request, form, actor, STAFF_REFUSED, 422)
    throttle.succeeded()
    request.session.flush()  # nothing of a WHM or cPanel session carries over
    login(request, user)
    trail.record(request, Action.SIGN_IN, outcome=Outcome.SUCCEEDED, actor=actor)
    logger.info("sign-in: staff=%s method=password", username)
    return HttpResponseRedirect(_next_url(request, default=reverse("staff:home")))


def _start_session(
    request: HttpRequest, form: SignInForm, token_name: str | None, *, adding: bool
) -> HttpResponse:
    """The credential worked: keep it in a fresh session (or beside the servers already signed
    in), record the sign-in, and go into the dashboard."""
    server, credential = form.cleaned_data["server"], form.credential()
    service = form.cleaned_data["service"]
    if adding:
        # The servers already signed in stay; a new session key all the same (no fixation).
        request.session.cycle_key()
        rotate_token(request)
        credentials.add(request.session, server, credential, token_name)
    else:
        # A new session, not just a new key: no fixation, and nothing of a previous sign-in on
        # this browser (its cached privileges above all) carries over to this one.
        request.session.flush()
        rotate_token(request)
        credentials.store(request.session, server, credential, token_name, service=service)
    actor = trail.Actor(server, credential.user, credential.kind, token_name, service)
    account = credential.user if form.is_cpanel else ""
    trail.record(request, Action.SIGN_IN, outcome=Outcome.SUCCEEDED, actor=actor, account=account)
    user, method = credential.user, credential.kind
    logger.info("sign-in: user=%s server=%s method=%s service=%s", user, server, method, service)
    return _landing(request, form, server, adding=adding)


def _landing(request: HttpRequest, form: SignInForm, server: str, *, adding: bool) -> HttpResponse:
    """Where a sign-in goes: the tokens table, or the safe `next` it was sent from."""
    # Not redirect(): it would take a bare word such as "tokens" for a URL pattern name.
    if adding:
        messages.success(
            request,
            f"Signed in to {server}. You are now working on {server}; "
            "switch servers from the menu at the top.",
        )
        return HttpResponseRedirect(reverse("tokens:index"))
    if form.is_cpanel:
        # A cPanel user has one page family: a `next` on it (a prefilled Create link) is kept,
        # one left by a WHM page would only bounce.
        target = _next_url(request)
        return HttpResponseRedirect(
            target if _CPANEL_PAGE.match(target) else reverse("cptokens:index")
        )
    return HttpResponseRedirect(_next_url(request))


def _refused(
    request: HttpRequest,
    form: SignInForm,
    actor: trail.Actor,
    message: str,
    status: int,
    outcome: Outcome = Outcome.REFUSED,
) -> NotSignedIn:
    """A sign-in that did not happen: say why on the form, record it, and give the exception
    that answers it with `status`."""
    form.add_error(None, message)
    account = actor.user if actor.service == CPANEL else ""
    trail.record(
        request,
        Action.SIGN_IN_FAILED,
        outcome=outcome,
        reason=message,
        actor=actor,
        account=account,
    )
    return NotSignedIn(status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out of one server (`server` posted, others still signed in), else of all."""
    server = request.POST.get("server", "")
    if server and len(credentials.server_names(request.session)) > 1:
        if whm := credentials.sign_out_of(request.session, server):
            trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, actor=whm)
            messages.success(request, f"You have signed out of {server}.")
        return redirect("tokens:index")
    for whm in credentials.signed_in(request.session):
        account = whm.user if whm.is_cpanel else ""
        trail.record(
            request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, actor=whm, account=account
        )
    if request.user.is_authenticated:
        staff = staff_of(request.user)
        kind = AuthKind.SSO if staff.subject else AuthKind.PASSWORD
        actor = trail.Actor("", staff.username, kind, service=Service.STAFF, staff=staff)
        trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, actor=actor)
    request.session.flush()  # drops the credentials and the session key together
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


def _check_with_whm(server: str, credential: Credential) -> str | None:
    """Prove the credential works and may manage tokens; return the token's own name, if any."""
    client = client_for(server, credential)
    held = client.my_privileges()
    # Either is enough: cpanel-api alone reaches the tokens of the accounts the user owns.
    if not (held.holds("manage-api-tokens") or held.holds("cpanel-api")):
        raise SignInRefused(CANNOT_MANAGE)
    # Reading the token's own name needs Manage API Tokens too: without it, no name.
    if credential.kind != "token" or not held.holds("manage-api-tokens"):
        return None
    details = client.get_token_details(credential.secret)
    return details.name if details else None


def _check_with_cpanel(server: str, credential: Credential) -> None:
    """Prove the credential opens the account's cPanel and its API tokens (listing them: an
    account without the `apitokens` feature is refused with cPanel's own words)."""
    try:
        cpanel_client_for(server, credential).list_tokens()
    except WhmApiError as exc:
        raise SignInRefused(exc.message) from exc
    # cPanel has no call that names the token a request came with.
    return


# The cPanel token pages, for the user's own account or named (as an operator's links name it).
_CPANEL_PAGE = re.compile(r"/cpanel/(?:accounts/[A-Za-z0-9][A-Za-z0-9._-]{0,63}/)?tokens/")


def _next_url(request: HttpRequest, default: str = "") -> str:
    """Where to go after signing in: a path on this site, else `default` (the tokens table)."""
    target = request.GET.get("next", "")
    # Only a plain path: a browser drops tabs and line breaks from a Location, so "//\r" (which
    # Django's check lets through) would become "//" and then a host, once percent-encoded.
    plain = target.startswith("/") and not target.startswith(("//", "/\\"))
    if (
        plain
        and target.isprintable()
        and not any(c.isspace() for c in target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default or reverse("tokens:index")
