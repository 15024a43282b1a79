"""Every page carries the security headers, a strict CSP, and cookies scripts cannot read."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.helpers import DEMO_ROOT, sign_in_data
from tokenui.audit import urls as audit_urls
from tokenui.kernel.kept import REFRESH_HEADER
from tokenui.simulator import Simulator
from tokenui.tokens import urls as tokens_urls

pytestmark = pytest.mark.django_db

PAGES = ["/sign-in/", "/tokens/", "/tokens/new/", "/tokens/reporting/edit/", "/audit/"]
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def generated_page(client: Client) -> str:
    data = {"name": "headers-check", "expiry": "never", "acls": ["list-accts"]}
    response = client.post("/tokens/new/", data)
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_csp_and_the_security_headers(
    root_client: Client, path: str
) -> None:
    response = root_client.get(path) if path != "/sign-in/" else Client().get(path)

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == CSP
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_that_shows_a_secret_has_the_headers_too(root_client: Client) -> None:
    response = root_client.post(
        "/tokens/new/", {"name": "headers-check", "expiry": "never", "acls": ["list-accts"]}
    )

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_hold_no_inline_script_or_style(root_client: Client, path: str) -> None:
    page = (root_client.get(path) if path != "/sign-in/" else Client().get(path)).text
    page += generated_page(root_client) if path == "/tokens/new/" else ""

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<style" not in page
    assert re.findall(r"\sstyle=", page) == []
    assert re.findall(r"\son[a-z]+=", page) == []  # no onclick= and the like
    assert "javascript:" not in page


def test_session_and_csrf_cookies_are_http_only_and_same_site(whm: Simulator) -> None:
    client = Client()
    csrf = client.get("/sign-in/").cookies["tokenui_csrftoken"]
    session = client.post("/sign-in/", sign_in_data(*DEMO_ROOT)).cookies["tokenui_session"]

    for cookie in (csrf, session):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


# --- nothing signed-in is kept by a browser or a proxy ----------------------------------------


def signed_in_urls() -> list[str]:
    """A URL of every route of the signed-in pages (tokens and audit), from the URL map itself,
    so that a page added later is covered too."""
    urls = []
    for patterns, app_name in (tokens_urls.whm_urls, (audit_urls.urlpatterns, audit_urls.app_name)):
        for pattern in patterns:
            kwargs = {"name": "reporting"} if "name" in pattern.pattern.regex.groupindex else {}
            urls.append(reverse(f"{app_name}:{pattern.name}", kwargs=kwargs))
    return urls


def assert_private_no_store(response: HttpResponse) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (
        f"{response.request['PATH_INFO']}: Cache-Control {response.get('Cache-Control')!r}"
    )


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("path", signed_in_urls())
def test_every_signed_in_page_and_partial_is_private_no_store(
    root_client: Client, path: str, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    queries = {
        "/tokens/check-name/": {"name": "new-name"},
        "/tokens/revoke-selected/": {"name": "reporting"},
    }
    query = queries.get(path, {})
    if "/rotate/finish/" in path or "/rotate/revoke/" in path:
        # A rotation's next steps exist once the token has been rotated.
        form = {"name": "reporting-next", "expiry": "never", "acls": ["list-accts"]}
        assert root_client.post("/tokens/reporting/rotate/", form).status_code == 200
        query = {"successor": "reporting-next"}

    response = root_client.get(path, query, headers=headers)

    assert response.status_code == 200
    assert_private_no_store(response)


def test_signed_in_answers_to_posts_and_refreshes_are_private_no_store(
    root_client: Client,
) -> None:
    responses = [
        root_client.get("/tokens/", headers={"HX-Request": "true", REFRESH_HEADER: "1"}),
        root_client.get("/audit/", {"action": "revoke"}, headers={"HX-Request": "true"}),
        root_client.post("/tokens/new/", {"name": "bad name!"}),  # 422, the form again
        root_client.post("/tokens/reporting/revoke/"),  # the redirect after the change
        root_client.post("/tokens/reporting/revoke/", headers={"HX-Request": "true"}),  # 404
    ]
    for response in responses:
        assert_private_no_store(response)
