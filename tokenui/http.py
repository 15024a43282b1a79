"""Small request/response helpers: htmx-aware redirects, WHM failure statuses, dispatch by
method, one middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from tokenui.whm.errors import (
    WhmApiError,
    WhmAuthError,
    WhmBadResponse,
    WhmError,
    WhmTimeout,
    WhmTLSError,
    WhmUnreachable,
)


def status_for(error: WhmError, *, on_form: bool = False) -> int:
    """The HTTP status that says what went wrong upstream (STYLE: 502 / 503 / 504).

    WHM saying no to what a form asked (`WhmApiError`) is the form's input refused, 422, as
    when TokenUI refuses it; anywhere else it is an upstream failure.
    """
    if isinstance(error, WhmApiError):
        return 422 if on_form else 502
    if isinstance(error, WhmTimeout):
        return 504
    if isinstance(error, WhmUnreachable):
        return 503
    if isinstance(error, WhmAuthError):
        return 403
    if isinstance(error, (WhmBadResponse, WhmTLSError)):
        return 502
    return 502  # any future kind: WHM answered, but not with success


def by_method(**views: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """One URL served by a view per method, `by_method(GET=confirm, POST=act)`: each view
    keeps its own method decorator; any other method is 405."""

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        view = views.get(request.method or "")
        if view is None:
            return HttpResponseNotAllowed(list(views))
        return view(request, *args, **kwargs)

    return dispatch


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect a full page, or tell htmx to load the URL as a full page."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def client_address(request: HttpRequest) -> str:
    """The client's IP address: the socket's, or behind TRUSTED_PROXY_COUNT proxies the entry
    they appended to X-Forwarded-For (entries further left are the client's own claims)."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


FORM = "application/x-www-form-urlencoded"


def refuse_forms_not_in_utf8(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: a 400 for a form body declared in a charset other than UTF-8.

    Django refuses such a body with BadRequest but, unlike any other unreadable body, does not
    mark it as read, so the 400 handler's CSRF check parses it again and the answer is a 500.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        charset = (request.encoding or "utf-8").lower()
        if request.method == "POST" and request.content_type == FORM and charset != "utf-8":
            return HttpResponseBadRequest(
                "Form data must be sent as UTF-8.", content_type="text/plain; charset=utf-8"
            )
        return get_response(request)

    return middleware
