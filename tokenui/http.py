"""Small request/response helpers: htmx-aware redirects, WHM failure statuses, the client's
address, one middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from tokenui.whm import errors


def status_for(error: errors.WhmError, *, on_form: bool = False) -> int:
    """The HTTP status that says what went wrong upstream (STYLE: 502 / 503 / 504).

    WHM saying no to what a form asked (`errors.WhmApiError`) is the form's input refused, 422, as
    when TokenUI refuses it; anywhere else it is an upstream failure.
    """
    if isinstance(error, errors.WhmApiError):
        return 422 if on_form else 502
    if isinstance(error, errors.WhmTimeout):
        return 504
    if isinstance(error, errors.WhmUnreachable):
        return 503
    if isinstance(error, errors.WhmAuthError):
        return 403
    if isinstance(error, (errors.WhmBadResponse, errors.WhmTLSError)):
        return 502
    return 502  # any future kind: WHM answered, but not with success


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


def private_when_signed_in(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: an answer to a browser with a session that says nothing of caching (a 404
    for a page that does not exist, say) is kept by no shared cache and no browser, as every
    signed-in page is (sessions/auth.py). Asks the session only when the browser sent one."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.session.get("whm"):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
