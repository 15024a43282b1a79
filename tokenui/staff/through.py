"""The guard of the token pages a staff member reaches through a connected server: signed in
as staff, holding a role on the server the URL names (`connected`); a viewer may only look
(the table, export, Accounts), an operator may change. The request then carries a
`ServiceSession` as `request.whm`, the session the token pages read: as the service user, or
inside a session WHM makes for the reseller the URL names (`reseller`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control

from tokenui.http import redirect_to
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError
from tokenui.staff.access import REFUSED, staff_sign_in_url
from tokenui.staff.models import Role, staff_of
from tokenui.staff.roles import access_for
from tokenui.systems.service import ROOT, ServiceSession

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]
# What a viewer may open: looking, never a form that changes anything.
LOOKING = frozenset({"index", "export-csv", "export-json", "accounts"})


def through_server(view: View) -> View:
    """Guard a token page under /staff/servers/NAME/: role checked, `request.whm` set."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, *args: Any, connected: str, reseller: str = "", **kwargs: Any
    ) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_active):
            return redirect_to(request, staff_sign_in_url(request))
        server = get_object_or_404(ConnectedServer, name=connected)
        role = access_for(request.user).role(server)
        if role is None or (role.rank < Role.OPERATOR.rank and not _looking(request)):
            raise PermissionDenied(REFUSED)
        if reseller in {server.username, ROOT}:
            # Not a reseller's session: the service user's own pages are the server's, and a
            # whostmgrd session as root would hold all of root's privileges, not the token's.
            raise Http404("Not a reseller of this server.")
        read_only = role.rank < Role.OPERATOR.rank
        staff = staff_of(request.user)
        request.whm = ServiceSession(server, staff, read_only, reseller)  # type: ignore[attr-defined]
        request.whm_servers = [server.name]  # type: ignore[attr-defined]
        request.whm_can_add = False  # type: ignore[attr-defined]
        response = _answered(view, request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


def _answered(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The page, or, when the server's stored service token cannot be used at all (its key is
    gone, or it is not this server's), a plain page saying so: the staff member stays signed
    in, and an admin knows what to do. Never the token itself: the message names only the key."""
    try:
        return view(request, *args, **kwargs)
    except ServerError as exc:
        logger.warning("service token unusable: server=%s", request.whm.server)  # type: ignore[attr-defined]
        context = {"message": exc.message}
        return render(request, "staff/unusable.html", context, status=503)


def _looking(request: HttpRequest) -> bool:
    match = request.resolver_match
    return request.method in {"GET", "HEAD"} and match is not None and match.url_name in LOOKING
