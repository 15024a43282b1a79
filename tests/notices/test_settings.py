"""The notices' settings: EMAIL_URL read as Django's MAILERS (smtps is TLS, submission is
STARTTLS, a password never sent or shown in the clear), and the others checked at start."""

from __future__ import annotations

import traceback

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.test_settings import GOOD, load  # noqa: F401 - a fixture, used by name

SMTP = "django.core.mail.backends.smtp.EmailBackend"
PASSWORD = "Hunter2-s3cret"


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("smtp://127.0.0.1", {"host": "127.0.0.1", "port": 25, "use_ssl": False, "use_tls": False}),
        (
            "smtps://tokenui%40example.com:p%2Fw@mail.example.com",
            {"host": "mail.example.com", "port": 465, "use_ssl": True, "use_tls": False,
             "username": "tokenui@example.com", "password": "p/w"},
        ),
        (
            "submission://tokenui:pw@mail.example.com",
            {"host": "mail.example.com", "port": 587, "use_ssl": False, "use_tls": True,
             "username": "tokenui", "password": "pw"},
        ),
        (
            "smtp+tls://mail.example.com:2525",
            {"host": "mail.example.com", "port": 2525, "use_ssl": False, "use_tls": True},
        ),
    ],
)  # fmt: skip
def test_email_url_becomes_the_default_mailer(load, url: str, options: dict) -> None:  # noqa: F811
    ns = load(**GOOD, EMAIL_URL=url)
    assert ns["MAILERS"] == {"default": {"BACKEND": SMTP, "OPTIONS": {**options, "timeout": 15}}}


def test_without_email_url_no_mail_is_sent_and_the_console_may_stand_in(load) -> None:  # noqa: F811
    assert load(**GOOD)["MAILERS"] == {}
    console = load(**GOOD, EMAIL_URL="console://")["MAILERS"]["default"]
    assert console == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"EMAIL_URL": f"smtp://tokenui:{PASSWORD}@mail.example.com"}, "unencrypted"),
        ({"EMAIL_URL": f"smtps://tokenui:{PASSWORD}@mail.example.com:xx"}, "host or port"),
        ({"EMAIL_URL": f"imap://tokenui:{PASSWORD}@mail.example.com"}, "unknown scheme"),
        ({"DEFAULT_FROM_EMAIL": "tokenui"}, "DEFAULT_FROM_EMAIL"),
        ({"NOTICE_HOUR": "24"}, "NOTICE_HOUR"),
        ({"SITE_URL": "tokens.example.com"}, "SITE_URL"),
        ({"NOTICE_RETRY_SECONDS": "0"}, "NOTICE_RETRY_SECONDS"),
        ({"WEBHOOK_ALLOW_PRIVATE": "ture"}, "WEBHOOK_ALLOW_PRIVATE"),
    ],
)
def test_a_bad_notice_setting_stops_the_app_without_showing_a_password(
    load,  # noqa: F811
    env: dict[str, str],
    says: str,
) -> None:
    with pytest.raises(ImproperlyConfigured, match=says) as caught:
        load(**GOOD, **env)
    assert PASSWORD not in "".join(traceback.format_exception(caught.value))


def test_the_notice_settings_defaults(load) -> None:  # noqa: F811
    ns = load(**GOOD)
    assert ns["NOTICE_HOUR"] == 8
    assert ns["DEFAULT_FROM_EMAIL"] == "tokenui@localhost"
    assert ns["SITE_URL"] == "http://localhost:8000"
    assert ns["NOTICE_RETRY_SECONDS"] == 60
    assert ns["WEBHOOK_ALLOW_PRIVATE"] is False
