"""Guided rotation of cPanel account tokens over real HTTP to the simulator: a cPanel user's own
(direct) and a WHM operator's view of an account (through `uapi_cpanel`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.conf import settings
from django.test import Client

from tests.helpers import (
    CPANEL_RESELLERS,
    CPANEL_ROOTS,
    DEMO_ROOT,
    cpanel_call,
    field_errors,
    input_value,
    non_field_errors,
    sign_in_data,
    text,
)
from tokenui.audit.models import Action, AuditEvent, Outcome
from tokenui.kernel.links import years_after
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
OWN = ("cp_client", "/cpanel/tokens/", CPANEL_ROOTS[0][0])
VIA = (
    "operator_client",
    f"/cpanel/accounts/{CPANEL_RESELLERS[0][0]}/tokens/",
    CPANEL_RESELLERS[0][0],
)
BOTH = pytest.mark.parametrize(("fixture", "base", "account"), [OWN, VIA], ids=["own", "via-whm"])


def today() -> date:
    return datetime.now(ZoneInfo(settings.WHM_TIME_ZONE)).date()


def secret_of(page: str) -> str:
    match = re.search(r'<input id="secret"[^>]*value="([A-Z0-9]+)"', page)
    assert match, "no secret on the page"
    return match.group(1)


def rotate(client: Client, base: str, old: str, new: str, **data: str) -> httpx.Response:
    form = {"name": new, "expiry": "date", "expires_on": f"{today() + timedelta(days=30)}"}
    return client.post(f"{base}{old}/rotate/", form | data)


def works(sim: Simulator, account: str, secret: str) -> bool:
    reply = cpanel_call(sim, account, secret)
    return reply.status_code == 200 and reply.json()["status"] == 1


@BOTH
def test_every_row_offers_rotate(request, fixture: str, base: str, account: str) -> None:
    client: Client = request.getfixturevalue(fixture)
    page = client.get(base).text
    assert f'href="{base}deploy-script/rotate/" aria-label="Rotate deploy-script"' in page


@BOTH
def test_rotation_page_defaults(request, fixture: str, base: str, account: str) -> None:
    client: Client = request.getfixturevalue(fixture)
    never = client.get(f"{base}deploy-script/rotate/").text
    assert input_value(never, "name") == "deploy-script" + today().strftime("-%Y%m%d")
    assert input_value(never, "expires_on") == str(years_after(today(), 1))
    # wordpress-sync: made 20 days ago, expires in 200: the twin lasts 220 days.
    lasting = client.get(f"{base}wordpress-sync/rotate/").text
    assert input_value(lasting, "expires_on") == str(today() + timedelta(days=220))


@BOTH
def test_rotation_makes_a_twin_shows_its_secret_and_revokes_the_old_one(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    page = rotate(client, base, "deploy-script", "deploy-2")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert 'hx-history="false"' in page.text
    shown = text(page.text)
    assert f"Authorization: cpanel {account}:" in shown
    assert "Revoke the old token now" in shown
    assert ">Later</a>" in shown
    new_secret = secret_of(page.text)
    assert works(cpanel, account, new_secret)
    stored = cpanel.store.cpanel_token(account, "deploy-2")
    day = datetime.fromtimestamp(stored.expires_at, UTC).astimezone(
        ZoneInfo(settings.WHM_TIME_ZONE)
    )
    assert day.date() == today() + timedelta(days=30)
    assert not stored.read_only

    table = client.get(base).text
    row = re.search(r'<tr id="token-deploy-script".*?</tr>', table, re.S).group(0)
    assert "rotated, not yet revoked" in row
    assert f'href="{base}deploy-script/rotate/finish/?successor=deploy-2"' in row

    panel = client.post(
        f"{base}deploy-script/rotate/finish/", {"successor": "deploy-2"}, headers=HTMX
    )
    assert panel.status_code == 200
    assert panel.text.lstrip().startswith('<div id="next-steps"')
    assert new_secret not in panel.text
    assert cpanel.store.cpanel_token(account, "deploy-script") is None
    assert works(cpanel, account, new_secret)
    assert "rotated, not yet revoked" not in client.get(base).text
    events = list(
        AuditEvent.objects.order_by("at", "id").values_list("action", "token_names", "account")
    )
    assert events[-2:] == [
        (Action.ROTATE, ["deploy-script", "deploy-2"], account),
        (Action.REVOKE, ["deploy-script"], account),
    ]


def test_the_mark_shows_to_the_account_and_to_its_operator(
    cp_client: Client, cpanel: Simulator
) -> None:
    # A WHM operator's rotation of an account's token is the account's too.
    operator = Client()
    operator.post("/sign-in/", sign_in_data(*DEMO_ROOT))
    account = CPANEL_ROOTS[0][0]
    rotate(operator, f"/cpanel/accounts/{account}/tokens/", "deploy-script", "deploy-2")
    assert "rotated, not yet revoked" in cp_client.get("/cpanel/tokens/").text


@BOTH
def test_without_javascript_revoke_goes_back_to_the_table(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    rotate(client, base, "deploy-script", "deploy-2")
    response = client.post(f"{base}deploy-script/rotate/finish/", {"successor": "deploy-2"})
    assert response.status_code == 302
    assert response["Location"] == f"{base}?highlight=deploy-2"
    assert "Only “deploy-2” works now." in text(client.get(response["Location"]).text)


@BOTH
def test_old_token_works_until_revoked(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    created = client.post(f"{base}create/", {"name": "ci", "expiry": "never", "expires_on": ""})
    old_secret = secret_of(created.text)
    new_secret = secret_of(rotate(client, base, "ci", "ci-2").text)
    assert works(cpanel, account, old_secret)
    assert works(cpanel, account, new_secret)
    client.post(f"{base}ci/rotate/finish/", {"successor": "ci-2"}, headers=HTMX)
    assert not works(cpanel, account, old_secret)
    assert works(cpanel, account, new_secret)


@BOTH
def test_a_read_only_token_is_not_rotated(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    page = client.get(f"{base}stats-reader/rotate/")
    assert page.status_code == 409
    assert "only full-access" in text(page.text)
    cpanel.clear_requests()
    response = rotate(client, base, "stats-reader", "stats-2")
    assert response.status_code == 409
    assert not [r for r in cpanel.requests() if "create" in (r.function or "")]
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.REFUSED


@BOTH
def test_invalid_name_comes_back_with_input_and_422(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    response = rotate(client, base, "deploy-script", "site-monitor")
    assert response.status_code == 422
    assert any("already exists" in e for e in field_errors(response.text, "name"))
    assert input_value(response.text, "name") == "site-monitor"


# The simulator's faults name WHM functions: through WHM every UAPI call is `uapi_cpanel`, so a
# fault on one step (the create or the revoke, after a list) is set on the direct path only; the
# error ladder is the same client's for both.
ONLY_OWN = pytest.mark.parametrize(("fixture", "base", "account"), [OWN], ids=["own"])


@ONLY_OWN
def test_create_refused_makes_nothing(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    cpanel.set_fault("storage-error", functions=["Tokens::create_full_access"])
    response = rotate(client, base, "deploy-script", "deploy-2")
    assert response.status_code == 422
    assert non_field_errors(response.text) or field_errors(response.text, "name")
    assert input_value(response.text, "name") == "deploy-2"
    cpanel.clear_faults()
    assert cpanel.store.cpanel_token(account, "deploy-2") is None
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.REFUSED


@BOTH
def test_whm_or_cpanel_down_when_finishing_revokes_nothing(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    rotate(client, base, "deploy-script", "deploy-2")
    cpanel.set_fault("http-503", functions=["Tokens::list", "uapi_cpanel"])
    panel = client.post(
        f"{base}deploy-script/rotate/finish/", {"successor": "deploy-2"}, headers=HTMX
    )
    assert panel.status_code == 502
    assert "still works" in text(panel.text)
    cpanel.clear_faults()
    assert cpanel.store.cpanel_token(account, "deploy-script") is not None
    assert AuditEvent.objects.get(action=Action.REVOKE).outcome == Outcome.FAILED


@ONLY_OWN
@pytest.mark.parametrize("mode", ["storage-error", "http-503"])
def test_revoke_refused_keeps_both_and_says_so(
    request, cpanel: Simulator, fixture: str, base: str, account: str, mode: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    page = rotate(client, base, "deploy-script", "deploy-2")
    cpanel.set_fault(mode, functions=["Tokens::revoke"])
    panel = client.post(
        f"{base}deploy-script/rotate/finish/", {"successor": "deploy-2"}, headers=HTMX
    )
    assert panel.status_code >= 500
    assert "was not revoked" in text(panel.text)
    assert secret_of(page.text) not in panel.text
    cpanel.clear_faults()
    assert cpanel.store.cpanel_token(account, "deploy-script") is not None
    assert cpanel.store.cpanel_token(account, "deploy-2") is not None


@BOTH
def test_cpanel_down_when_reading_the_old_token(
    request, cpanel: Simulator, fixture: str, base: str, account: str
) -> None:
    client: Client = request.getfixturevalue(fixture)
    cpanel.set_fault("http-503", functions=["Tokens::list", "uapi_cpanel"])
    assert client.get(f"{base}deploy-script/rotate/").status_code >= 500
    assert rotate(client, base, "deploy-script", "deploy-2").status_code >= 500
    cpanel.clear_faults()
    assert cpanel.store.cpanel_token(account, "deploy-2") is None
    assert AuditEvent.objects.get(action=Action.ROTATE).outcome == Outcome.FAILED
