"""One binding for every token system's pages: `token_page` signs the request in, puts the
system its URL names on it (`request.system`), and answers every server failure in one place:
a credential the server no longer accepts ends the session; any other failure becomes the
message and the status (`http.status_for`), on the table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.urls import reverse

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.http import redirect_to, status_for
from tokenui.kernel.validators import is_token_name
from tokenui.sessions import credentials
from tokenui.sessions.auth import SignedInRequest, signed_in_any
from tokenui.staff.through import through_server
from tokenui.systems import SYSTEMS, CpanelTokens, TokenSystem, WhmTokens
from tokenui.systems.service import ServiceSession, service_system
from tokenui.tokens.table import render_table
from tokenui.whm.errors import WhmAuthError, WhmError, WhmTimeout
from tokenui.whm.servers import client_for

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
OUTCOME_UNKNOWN = (
    "{server} did not answer in time, so it may or may not have carried this out. "
    "Use Refresh List to see the tokens as they are now."
)


@dataclass
class Attempt:
    """The change a POST asks for, recorded in the audit trail if a read before it fails."""

    action: Action
    names: Sequence[str] = field(default_factory=list)


class TokenRequest(SignedInRequest):
    system: TokenSystem
    attempt: Attempt | None
    cpanel_account: str  # read by the audit trail: the cPanel account acted on, if any


class Elsewhere(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class NotListed(Exception):
    """A token named in the URL that the server does not list (gone since the page was drawn)."""

    def __init__(self, name: str, tokens: Sequence[Any], action: Action) -> None:
        super().__init__(name)
        self.name, self.tokens, self.action = name, tokens, action


class BackToTable(Exception):
    def __init__(self, level: int, message: str) -> None:
        super().__init__(message)
        self.level, self.message = level, message


def token_page(view: View) -> View:
    """A token system's page: signed in, `request.system` bound, failures answered. Under a
    connected server's URL (`connected`), a staff member's, through its service token."""
    bound = _bound(view)
    signed, staff = signed_in_any(bound), through_server(bound)

    @wraps(view)
    def entry(request: TokenRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return (staff if "connected" in kwargs else signed)(request, *args, **kwargs)

    return entry


def _bound(view: View) -> View:
    @wraps(view)
    def wrapper(
        request: TokenRequest, *args: Any, system: str, account: str | None = None, **kwargs: Any
    ) -> HttpResponse:
        try:
            request.system = bind(request, system, account)
        except Elsewhere as moved:
            return redirect_to(request, moved.url)
        request.attempt = None
        request.cpanel_account = request.system.account
        try:
            return view(request, *args, **kwargs)
        except WhmError as exc:
            return answer_failure(request, exc)
        except NotListed as gone:
            return not_listed(request, gone)
        except BackToTable as back:
            messages.add_message(request, back.level, back.message)
            return redirect_to(request, request.system.url("index"))

    return wrapper


def bind(request: SignedInRequest, key: str, account: str | None) -> TokenSystem:
    """The system a URL names, for this session. A cPanel user works on their own account (a
    URL naming another is 404); a WHM user reaches an account through WHM (without one named,
    the Accounts page is where to pick it), and a cPanel session has no WHM tokens."""
    session, session_key = request.whm, request.session.session_key
    if isinstance(session, ServiceSession):  # a staff member, through a connected server
        if SYSTEMS[key] is CpanelTokens and account is None:
            raise Elsewhere(
                reverse("staff-cptokens:accounts", kwargs={"connected": session.server})
            )
        return service_system(SYSTEMS[key], session, session_key, account or "")
    if SYSTEMS[key] is WhmTokens:
        if session.is_cpanel:
            raise Elsewhere(reverse("cptokens:index"))
        return WhmTokens(session, session_key)
    if session.is_cpanel:
        if account is not None and account != session.user:
            raise Http404("Not this session's cPanel account.")
        return CpanelTokens(session, session_key)
    if account is None:
        raise Elsewhere(reverse("cptokens:accounts"))
    return CpanelTokens(session, session_key, account)


def attempting(request: TokenRequest, action: Action, names: Sequence[str] = ()) -> None:
    """Say what change this POST asks for: if a read before it fails, the trail records it
    (only names the server could hold: a forged form field has no place in the trail)."""
    request.attempt = Attempt(action, [n for n in names if is_token_name(n)])


def answer_failure(request: TokenRequest, exc: WhmError) -> HttpResponse:
    """The one answer to a server failure a page did not answer itself."""
    attempt = request.attempt
    if attempt is not None and request.method == "POST":
        trail.record_error(
            request, attempt.action, exc, changes_state=False, token_names=attempt.names
        )
    if isinstance(exc, WhmAuthError) and (refused := request.system.refused_service(exc)):
        messages.error(request, refused)  # TokenUI's own token (or a reseller's session)
        return render_table(request, None, status=403)
    if isinstance(exc, WhmAuthError):
        # WHM answers a privilege the user lacks as it answers a dead credential (403,
        # "Access denied"): if the credential still opens WHM without the privilege these
        # tokens need, say what is missing and keep the session.
        if not lacks_privilege(request):
            return sign_out(request)
        messages.error(request, request.system.refused_words())
        return render_table(request, None, status=403)
    if why := request.system.unavailable(exc):
        messages.error(request, why)
        request.unavailable = True  # the table offers nothing that cannot work
        return render_table(request, None, status=403)
    messages.error(request, failure_message(request.system, exc))
    log_failure(request, exc)
    return render_table(request, getattr(request, "listed", None), status=status_for(exc))


def not_listed(request: TokenRequest, gone: NotListed) -> HttpResponse:
    message = f"The API token “{gone.name}” does not exist."
    if request.method == "POST":  # a change was asked for; a GET only showed a page
        trail.record(
            request, gone.action, outcome=Outcome.REFUSED, token_names=[gone.name], reason=message
        )
    messages.error(request, message)
    return render_table(request, gone.tokens, status=404)


def lacks_privilege(request: TokenRequest) -> bool:
    """Whether a 403 from WHM was a privilege the user lacks, not a dead credential: the
    credential still opens WHM (myprivs needs no privilege) and does not hold the one these
    tokens need. cPanel refuses a missing feature in words: a cPanel session's 403 is its
    credential."""
    session = request.whm
    if session.is_cpanel:
        return False
    try:
        held = client_for(session.server, session.credential).my_privileges()
    except WhmError:  # refused: the credential is dead; no answer: nothing is known
        return False
    return not held.holds(request.system.privilege[0])


def failure_message(system: TokenSystem, exc: WhmError) -> str:
    """What to tell the user; a change that timed out after it was sent may have happened."""
    if isinstance(exc, WhmTimeout) and exc.may_have_run:
        return OUTCOME_UNKNOWN.format(server=system.words.server)
    return exc.message


def log_failure(request: TokenRequest, exc: WhmError) -> None:
    system = request.system
    logger.warning(
        "%s call failed: server=%s account=%s kind=%s",
        system.words.server,
        system.server,
        system.account,
        type(exc).__name__,
    )


def sign_out(request: TokenRequest) -> HttpResponse:
    """The server no longer accepts the session's credential (a revoked or expired token, a
    changed password): sign out, as WHM's and cPanel's own pages do."""
    who = "cPanel" if request.whm.is_cpanel else "WHM"
    reason = f"{who} no longer accepts the credential: TokenUI ended the session."
    trail.record(request, Action.SIGN_OUT, outcome=Outcome.SUCCEEDED, reason=reason)
    credentials.forget(request.session)
    messages.error(request, f"{who} no longer accepts your credentials. Sign in again.")
    return redirect_to(request, reverse("accounts:sign-in"))
