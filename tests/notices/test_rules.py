"""Notice rules: `manage.py add_notice`, `list_notices` and `remove_notice`; the Notices page
(admins add and remove, other staff see, errors on their fields with the input kept); webhook
URLs that would turn TokenUI inward refused; the secret sealed, never shown again."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import Client

from tests.helpers import field_errors, input_value
from tests.notices.conftest import SECRET
from tokenui.audit.trail import Staff
from tokenui.notices.models import NoticeRule, Recipient
from tokenui.notices.rules import RuleError, RuleSpec, add_rule, open_secret
from tokenui.notices.webhooks import DeliveryError, checked_url
from tokenui.servers.keys import service_keyring
from tokenui.servers.models import ConnectedServer
from tokenui.staff.models import Role

NOTICES = "/staff/notices/"


def command(name: str, *args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    given = {} if stdin is None else {"stdin": io.StringIO(stdin)}
    call_command(name, *args, stdout=out, **given)
    return out.getvalue()


def test_add_notice_adds_a_mail_rule_with_the_default_thresholds(
    main_server: ConnectedServer,
) -> None:
    said = command("add_notice", "--email", "ops@example.com", "--server", "main", "--risky")

    rule = NoticeRule.objects.get()
    assert said == f"Added notice rule {rule.pk}: ops@example.com.\n"
    assert (rule.days, rule.risky) == ([60, 30, 7, 1, 0], True)
    assert [server.name for server in rule.servers.all()] == ["main"]
    listed = command("list_notices")
    assert f"{rule.pk}\tops@example.com\tmain; all owners\tdays 60, 30, 7, 1, expired" in listed
    assert "risky new tokens" in listed


def test_add_notice_seals_a_webhooks_secret_and_never_shows_it(settings, db: None) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    url = "https://hooks.example.com/tokenui"

    command("add_notice", "--webhook", url, "--secret", "-", "--days", "7,1", stdin=SECRET)

    rule = NoticeRule.objects.get()
    assert SECRET not in rule.sealed_secret
    assert service_keyring().open(rule.sealed_secret) == SECRET.encode()
    assert rule.days == [7, 1]
    listed = command("list_notices")
    assert "webhook to hooks.example.com" in listed
    assert SECRET not in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--webhook", "https://hooks.example.com/x"], "needs --secret"),
        (["--email", "ops@example.com", "--secret", SECRET], "--secret goes with --webhook"),
        (["--email", "not-an-address"], "Enter an e-mail address"),
        (["--email", "ops@example.com", "--days", "60,soon"], "'soon' is not a number of days"),
        (["--email", "ops@example.com", "--days", "400"], "from 1 to 365"),
        (["--email", "ops@example.com", "--server", "nowhere"], "No server named 'nowhere'"),
        (["--user", "nobody"], "No staff user is called 'nobody'"),
        (["--webhook", "https://hooks.example.com/x", "--secret", "short"], "16 random"),
    ],
)
def test_add_notice_refuses_a_bad_rule_and_says_why(
    args: list[str], message: str, db: None
) -> None:
    with pytest.raises(CommandError, match=message):
        command("add_notice", *args)
    assert not NoticeRule.objects.exists()


def test_rotating_the_service_keys_reseals_the_webhook_secrets_so_the_old_key_can_go(
    settings, db: None
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    spec = RuleSpec(Recipient.WEBHOOK, "https://hooks.example.com/t", secret=SECRET)
    rule = add_rule(spec, Staff("test"))
    assert rule.sealed_secret.startswith("enc:fernet:test-1:")
    new = ("test-2", Fernet.generate_key().decode())
    settings.SERVICE_KEYS = [new, *settings.SERVICE_KEYS]

    said = command("rotate_service_keys")

    assert "Re-encrypted 1 notice webhook secrets under key test-2." in said
    settings.SERVICE_KEYS = [new]
    rule.refresh_from_db()
    assert rule.sealed_secret.startswith("enc:fernet:test-2:")
    assert open_secret(rule) == SECRET.encode()


def test_remove_notice_removes_a_rule(db: None) -> None:
    rule = add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))

    assert command("remove_notice", str(rule.pk)) == (
        f"Removed notice rule {rule.pk}: ops@example.com.\n"
    )
    assert not NoticeRule.objects.exists()
    with pytest.raises(CommandError, match=f"no notice rule {rule.pk}"):
        command("remove_notice", str(rule.pk))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # unencrypted
        "https://10.1.2.3/x",  # private
        "https://172.16.0.1/x",
        "https://192.168.1.1/x",
        "https://100.64.0.1/x",  # shared (carrier-grade NAT)
        "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "https://127.0.0.1:8443/x",  # loopback
        "https://localhost/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://0.0.0.0/x",
        "https://user:pass@hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https://hooks.example.com:99999/x",
    ],
)
def test_a_webhook_url_that_would_turn_tokenui_inward_is_refused(url: str) -> None:
    with pytest.raises(DeliveryError):
        checked_url(url, allow_private=False)


def test_an_operator_may_allow_loopback_and_plain_http_to_it_only() -> None:
    assert checked_url("http://127.0.0.1:8080/x", allow_private=True)
    assert checked_url("https://10.1.2.3/x", allow_private=True)
    with pytest.raises(DeliveryError, match="https"):
        checked_url("http://10.1.2.3/x", allow_private=True)
    with pytest.raises(DeliveryError):
        checked_url("https://0.0.0.0/x", allow_private=True)  # no one receiver is there


def test_a_public_https_webhook_is_taken() -> None:
    assert checked_url(" https://hooks.example.com/t?k=1 ", allow_private=False) == (
        "https://hooks.example.com/t?k=1"
    )


# The Notices page -------------------------------------------------------------------------


def form(**fields: str) -> dict[str, str]:
    return {"recipient": "email", "days": "60, 30, 7, 1, expired", **fields}


def test_an_admin_adds_a_rule_on_the_notices_page(
    staff_client: Callable[..., Client], main_server: ConnectedServer
) -> None:
    client = staff_client(Role.ADMIN)
    data = form(email="ops@example.com", servers="main", owners="acme, garage", risky="on")

    response = client.post(NOTICES, data)

    assert response.status_code == 302
    rule = NoticeRule.objects.get()
    assert (rule.email, rule.owners, rule.risky) == ("ops@example.com", ["acme", "garage"], True)
    page = client.get(NOTICES).content.decode()
    assert "ops@example.com" in page
    assert "main; acme, garage; thresholds 60, 30, 7, 1, expired; risky new tokens" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "ops@"}, "email", "Enter an e-mail address"),
        ({"email": ""}, "email", "Enter the e-mail address."),
        ({"email": "ops@example.com", "days": "7, never"}, "days", "'never' is not"),
        ({"recipient": "user", "user": "nobody"}, "user", "No staff user is called"),
        ({"recipient": "group", "group": "nobody"}, "group", "No group is called"),
        (
            {"recipient": "webhook", "webhook": "https://10.0.0.1/x", "secret": SECRET},
            "webhook",
            "private network",
        ),
        ({"recipient": "webhook", "webhook": "https://h.example.com/x"}, "secret", "secret"),
    ],
)
def test_a_bad_rule_comes_back_with_the_message_on_its_field_and_the_input_kept(
    staff_client: Callable[..., Client], fields: dict[str, str], field: str, message: str
) -> None:
    response = staff_client(Role.ADMIN).post(NOTICES, form(**fields))

    assert response.status_code == 422
    page = response.content.decode()
    assert any(message in error for error in field_errors(page, field))
    for name, value in fields.items():
        if name not in {"recipient", "secret"}:
            assert input_value(page, name) == value
    assert SECRET not in page  # the secret is never sent back
    assert not NoticeRule.objects.exists()


def test_a_viewer_sees_the_rules_but_cannot_add_or_remove_one(
    staff_client: Callable[..., Client],
) -> None:
    rule = add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))
    client = staff_client(Role.VIEWER)

    page = client.get(NOTICES).content.decode()

    assert "ops@example.com" in page
    assert "Add a notice rule" not in page
    assert client.post(NOTICES, form(email="x@example.com")).status_code == 403
    assert client.post(f"{NOTICES}{rule.pk}/remove/").status_code == 403
    assert client.get(f"{NOTICES}log/").status_code == 200


def test_staff_without_a_role_see_neither_page(staff_client: Callable[..., Client]) -> None:
    client = staff_client(None)
    assert client.get(NOTICES).status_code == 403
    assert client.get(f"{NOTICES}log/").status_code == 403


def test_an_admin_removes_a_rule(staff_client: Callable[..., Client]) -> None:
    rule = add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), Staff("test"))

    response = staff_client(Role.ADMIN).post(f"{NOTICES}{rule.pk}/remove/")

    assert response.status_code == 302
    assert not NoticeRule.objects.exists()


def test_a_rule_error_names_its_field(db: None) -> None:
    with pytest.raises(RuleError) as caught:
        add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com", servers=("gone",)), Staff("test"))
    assert caught.value.field == "servers"
