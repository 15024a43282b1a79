"""The one guard of every staff page (`staff_only`): signed in as a staff member, else off to
the sign-in page with Staff chosen; holding the role the page needs, on its server when it has
one, else a plain 403. It puts on the request what templates then ask: `request.access` (every
role the member holds) and, on a server's pages, `request.server` and `request.server_access`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control

from tokenui.http import redirect_to
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role
from tokenui.staff.roles import Access, ServerAccess, access_for

View = Callable[..., HttpResponse]
REFUSED = "Your staff role does not allow this. Ask a TokenUI admin for the role you need."


class StaffRequest(HttpRequest):
    user: AbstractUser
    access: Access
    server: ConnectedServer
    server_access: ServerAccess


def staff_sign_in_url(request: HttpRequest) -> str:
    query = {"service": "staff"}
    if request.method == "GET" and not getattr(request, "htmx", False):
        query["next"] = request.get_full_path()
    return f"{reverse('accounts:sign-in')}?{urlencode(query)}"


def staff_only(
    needs: Role | None = None, *, per_server: bool = False, anywhere: bool = False
) -> Callable[[View], View]:
    """Guard a staff page: `needs` that role on every server, or (`per_server`) on the server
    its URL names (the `server` argument, a name, becomes `request.server`), or (`anywhere`)
    on at least one server. Without `needs`, any staff member."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not (request.user.is_authenticated and request.user.is_active):
                return redirect_to(request, staff_sign_in_url(request))
            request.access = access = access_for(request.user)
            server = None
            if per_server:
                server = get_object_or_404(ConnectedServer, name=kwargs.pop("server"))
                request.server, request.server_access = server, access.on(server)
            if needs is not None and not _allowed(access, needs, server, anywhere=anywhere):
                raise PermissionDenied(REFUSED)
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapper

    return decorator


def _allowed(
    access: Access, needs: Role, server: ConnectedServer | None, *, anywhere: bool
) -> bool:
    return access.anywhere(needs) if anywhere else access.allows(needs, server)
