"""Staff single sign-on: OpenID Connect's authorization code flow with PKCE, through
mozilla-django-oidc, its endpoints read from the issuer's discovery document (OIDC_ISSUER).

A staff member is their provider's subject (OidcIdentity), never an email; their groups come from
the OIDC_GROUPS_CLAIM claim and replace their Django groups at each sign-in.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.models import AbstractUser, Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from tokenui.audit import trail
from tokenui.audit.models import Action, AuthKind, Outcome, Service
from tokenui.staff.models import OidcIdentity, staff_of

logger = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600
# mozilla-django-oidc's endpoint settings, and the discovery document's names for them.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class SingleSignOnUnavailable(Exception):
    """The OpenID provider's discovery document cannot be read, or is not the issuer's."""


def discovery() -> dict[str, str]:
    """The issuer's endpoints, read from its discovery document and kept an hour."""
    key = f"tokenui:oidc:discovery:{settings.OIDC_ISSUER}"
    if endpoints := cache.get(key):
        return endpoints
    url = f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
    try:
        reply = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        reply.raise_for_status()
        document = reply.json()
        endpoints = {name: str(document[name]) for name in ENDPOINTS.values()}
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        logger.warning("single sign-on: discovery failed: %s", type(exc).__name__)
        raise SingleSignOnUnavailable(
            f"The single sign-on provider at {settings.OIDC_ISSUER} could not be reached."
        ) from exc
    if str(document.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER:
        raise SingleSignOnUnavailable(
            f"The single sign-on provider at {settings.OIDC_ISSUER} names another issuer."
        )
    cache.set(key, endpoints, DISCOVERY_SECONDS)
    return endpoints


def oidc_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; its endpoints from discovery."""
    if attr in ENDPOINTS:
        return discovery()[ENDPOINTS[attr]]
    return import_from_settings(attr, *default)


class StaffOidcBackend(OIDCAuthenticationBackend):
    """Signs a staff member in from the provider's answer: found by subject, else made."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the parent's: it reads every endpoint now, and Django builds a backend for each
        # signed-in request (get_user), which must not depend on the provider being up.
        self.UserModel = auth.get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # the parent's attribute name
        return discovery()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return discovery()["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return discovery()["jwks_uri"]

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict:
        """The ID token's claims with the userinfo endpoint's, which must be the same person's."""
        info = super().get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo names another subject than the ID token")
        return {**payload, **info}

    def verify_claims(self, claims: dict) -> bool:
        return isinstance(claims.get("sub"), str) and bool(claims["sub"])

    def filter_users_by_claims(self, claims: dict) -> Any:
        return self.UserModel.objects.filter(
            oidc_identity__issuer=settings.OIDC_ISSUER, oidc_identity__subject=claims["sub"]
        )

    @transaction.atomic
    def create_user(self, claims: dict) -> AbstractUser:
        user = self.UserModel.objects.create_user(
            free_username(claims), email=str(claims.get("email", ""))[:254]
        )
        OidcIdentity.objects.create(user=user, issuer=settings.OIDC_ISSUER, subject=claims["sub"])
        return self.update_user(user, claims)

    def update_user(self, user: AbstractUser, claims: dict) -> AbstractUser:
        sync_groups(user, group_names(claims.get(settings.OIDC_GROUPS_CLAIM)))
        return user


def free_username(claims: dict) -> str:
    """A username for a new staff member: their preferred one, else their email or subject,
    with a number added when another user (the break-glass admin, say) already has it."""
    wanted = claims.get("preferred_username") or claims.get("email") or claims["sub"]
    base = _USERNAME_UNSAFE.sub("-", str(wanted))[:140] or "staff"
    taken = auth.get_user_model().objects.filter(username__startswith=base)
    names = set(taken.values_list("username", flat=True))
    number = 1
    name = base
    while name in names:
        number += 1
        name = f"{base}-{number}"
    return name


def group_names(claim: object) -> list[str]:
    """The groups claim as names: a list of strings (one string is one group); else none."""
    items = [claim] if isinstance(claim, str) else claim if isinstance(claim, list) else []
    return sorted({item.strip()[:150] for item in items if isinstance(item, str) and item.strip()})


def sync_groups(user: AbstractUser, names: list[str]) -> None:
    """The user's groups become exactly `names` (made when new)."""
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])


class SingleSignOnStart(OIDCAuthenticationRequestView):
    """Continue with single sign-on: a new session, then off to the provider (state, nonce and
    the PKCE verifier kept in it)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:  # the parent's attribute name
        return discovery()["authorization_endpoint"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        request.session.flush()  # whoever was signed in on this browser is no longer
        try:
            return super().get(request)
        except SingleSignOnUnavailable as exc:
            return refused(request, str(exc))


class SingleSignOnCallback(OIDCAuthenticationCallbackView):
    """The provider sends the staff member back here with a code: exchanged (with the PKCE
    verifier), the ID token checked, the user found or made, their groups synced."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        state = request.GET.get("state", "")
        if "code" in request.GET and state not in request.session.get("oidc_states", {}):
            return refused(request, "the sign-in was not started here, or was already used")
        try:
            return super().get(request)
        except (requests.RequestException, SuspiciousOperation, SingleSignOnUnavailable) as exc:
            logger.warning("single sign-on failed: %s", type(exc).__name__)
            return refused(request, "the provider's answer could not be verified")

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error", "")
        why = "the provider refused it" if error else "the provider did not sign you in"
        return refused(self.request, why)

    def login_success(self) -> HttpResponse:
        auth.login(self.request, self.user)
        staff = staff_of(self.user)
        actor = trail.Actor("", staff.username, AuthKind.SSO, service=Service.STAFF, staff=staff)
        trail.record(self.request, Action.SIGN_IN, outcome=Outcome.SUCCEEDED, actor=actor)
        return HttpResponseRedirect(self.success_url)


def refused(request: HttpRequest, why: str) -> HttpResponse:
    """Back to the sign-in page (Staff chosen), saying why single sign-on did not sign in."""
    actor = trail.Actor("", "", AuthKind.SSO, service=Service.STAFF)
    message = f"Single sign-on did not sign you in: {why}."
    trail.record(
        request, Action.SIGN_IN_FAILED, outcome=Outcome.REFUSED, actor=actor, reason=message
    )
    messages.error(request, f"{message} Try again.")
    return HttpResponseRedirect(reverse("accounts:sign-in") + "?service=staff")
