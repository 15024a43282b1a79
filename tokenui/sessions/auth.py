"""The `signed_in` decorators: a view runs only with a working session, else goes to sign-in;
whatever it answers is kept by no shared cache and stored by no browser.

`signed_in` views are WHM's (a cPanel user is sent to their own tokens); `signed_in_any` views
also serve a cPanel user (the cPanel token pages, the audit trail).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from tokenui.http import redirect_to
from tokenui.sessions import credentials
from tokenui.whm.api import WhmClient
from tokenui.whm.servers import client_for, configured_servers
from tokenui.whm.types import WhmSession

View = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """What a `signed_in` view receives: the request plus the WHM session and its client."""

    whm: WhmSession
    whm_client: WhmClient
    whm_servers: list[str]  # every signed-in server's name, the active one first
    whm_can_add: bool  # a configured WHM server is not signed in yet (Add server)


def signed_in(view: View) -> View:
    """A WHM user's view: a cPanel session goes to its own account's tokens instead."""
    return _guarded(view, cpanel=False)


def signed_in_any(view: View) -> View:
    """A view for a WHM user or a cPanel user; only a WHM session gets `request.whm_client`."""
    return _guarded(view, cpanel=True)


def _guarded(view: View, *, cpanel: bool) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        session = credentials.load(request.session)
        servers = configured_servers()
        if session is None or session.server not in servers:
            credentials.forget(request.session)
            return redirect_to(request, sign_in_url(request))
        if session.is_cpanel and not cpanel:
            return redirect_to(request, reverse("cptokens:index"))
        request.whm = session  # type: ignore[attr-defined]
        names = credentials.server_names(request.session)
        request.whm_servers = names  # type: ignore[attr-defined]
        request.whm_can_add = not session.is_cpanel and len(servers) > len(names)  # type: ignore[attr-defined]
        if not session.is_cpanel:
            request.whm_client = client_for(session.server, session.credential)  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        # Every signed-in answer (pages, htmx partials, confirmations, the name check, exports)
        # shows one user's tokens: no shared cache may keep it, and no browser may store it for
        # the next person at this computer. Added to what the view set (never_cache's max-age=0).
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


def sign_in_url(request: HttpRequest) -> str:
    """The sign-in page, coming back to this page (for a full-page GET) afterwards."""
    url = reverse("accounts:sign-in")
    if request.method == "GET" and not request.htmx:
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url
