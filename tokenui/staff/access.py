"""The one guard of every staff page: signed in as a staff member (Django's user), else off to
the sign-in page with Staff chosen; what it answers is kept by no cache."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from tokenui.http import redirect_to

View = Callable[..., HttpResponse]


class StaffRequest(HttpRequest):
    user: AbstractUser


def staff_sign_in_url(request: HttpRequest) -> str:
    query = {"service": "staff"}
    if request.method == "GET" and not getattr(request, "htmx", False):
        query["next"] = request.get_full_path()
    return f"{reverse('accounts:sign-in')}?{urlencode(query)}"


def staff_page(view: View) -> View:
    """A staff member's page: anyone else goes to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_active):
            return redirect_to(request, staff_sign_in_url(request))
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper
