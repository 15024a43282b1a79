"""The sign-in throttle: per username and per client address, counted in the cache."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tokenui.accounts.throttle import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USERNAME
from tokenui.simulator import Simulator

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"


def fail(client: Client, user: str = "root", times: int = 1, **extra: str) -> None:
    for _ in range(times):
        response = client.post(SIGN_IN, sign_in_data(user, "wrong-password"), **extra)
        assert response.status_code == 422


def test_too_many_failures_for_a_username_pause_it_without_asking_whm(
    client: Client, whm: Simulator
) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME)
    whm.clear_requests()
    response = client.post(SIGN_IN, sign_in_data(*DEMO_ROOT))  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.text
    assert whm.requests() == []


def test_a_paused_username_does_not_pause_other_users(client: Client, whm: Simulator) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME)
    assert client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER)).status_code == 302


def test_usernames_are_counted_without_regard_to_case(client: Client, whm: Simulator) -> None:
    fail(client, "root", times=MAX_FAILURES_PER_USERNAME - 1)
    fail(client, "ROOT")
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 429


def test_a_success_clears_the_usernames_count(client: Client, whm: Simulator) -> None:
    fail(client, times=MAX_FAILURES_PER_USERNAME - 1)
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302
    other = Client()
    fail(other, times=MAX_FAILURES_PER_USERNAME - 1)
    assert other.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_too_many_failures_from_one_address_pause_every_username(
    client: Client, whm: Simulator
) -> None:
    for n in range(MAX_FAILURES_PER_ADDRESS):
        fail(client, f"user{n}")
    response = client.post(SIGN_IN, sign_in_data(*DEMO_RESELLER))
    assert response.status_code == 429


def test_behind_a_proxy_addresses_come_from_x_forwarded_for(
    client: Client, whm: Simulator, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(MAX_FAILURES_PER_ADDRESS):
        fail(client, f"user{n}", headers={"X-Forwarded-For": "203.0.113.9"})
    blocked = client.post(
        SIGN_IN, sign_in_data(*DEMO_RESELLER), headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert blocked.status_code == 429
    # A spoofed entry to the left of the proxy's own is the client's claim, not its address.
    elsewhere = client.post(
        SIGN_IN,
        sign_in_data(*DEMO_RESELLER),
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.4"},
    )
    assert elsewhere.status_code == 302


def test_refusals_that_are_not_wrong_credentials_are_not_counted(
    client: Client, whm: Simulator, settings
) -> None:
    settings.WHM_SERVERS = {"simulator": "http://127.0.0.1:9"}  # unreachable
    for _ in range(MAX_FAILURES_PER_USERNAME + 1):
        assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 503
    settings.WHM_SERVERS = {"simulator": whm.url}
    assert client.post(SIGN_IN, sign_in_data(*DEMO_ROOT)).status_code == 302


def test_with_the_cache_down_sign_in_pauses_with_a_plain_message(
    client: Client, whm: Simulator, settings
) -> None:
    # Failing open would let guessing go uncounted; failing with a traceback helps nobody.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    whm.clear_requests()

    response = client.post("/sign-in/", sign_in_data(*DEMO_ROOT))

    assert response.status_code == 503
    assert "TokenUI cannot reach its cache" in response.content.decode()
    assert 'value="root"' in response.content.decode()  # the username is kept
    assert whm.requests() == []
