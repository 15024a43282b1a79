"""Every page carries the security headers, a strict CSP, and cookies scripts cannot read."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.helpers import DEMO_ROOT, sign_in_data
from tokenui.simulator import Simulator

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
