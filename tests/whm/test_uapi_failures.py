"""How CpanelClient fails, over real sockets, on both transports: one WhmError class each, named
for the service that failed, writes never retried, no secret shown or logged."""

from __future__ import annotations

import base64
import logging
import re
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import DEMO_RESELLER
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator
from tokenui.whm.errors import (
    WhmApiError,
    WhmAuthError,
    WhmBadResponse,
    WhmError,
    WhmTimeout,
    WhmTLSError,
    WhmUnreachable,
)
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import Credential
from tokenui.whm.uapi import CpanelClient

ACCOUNT = "garage"  # the demo reseller's account
PASSWORD = next(a.password for a in DEMO_CPANEL_ACCOUNTS if a.user == ACCOUNT)
SHORT = 1.0  # seconds: loopback under a loaded CI box (0.3 s flaked), yet a hang costs little
TRANSPORTS = ["direct", "through-whm"]
# Who each transport talks to, as its messages name it.
SERVICE = {"direct": "cPanel", "through-whm": "WHM"}

type Connect = Callable[..., CpanelClient]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def connect(transport: str) -> Iterator[Connect]:
    """A CpanelClient for `garage` at `url` (WHM's or cPanel's, as the transport needs): as the
    account itself (direct), or as its owner the reseller (through WHM)."""
    opened: list[httpx.Client] = []

    def _connect(
        url: str,
        credential: Credential | None = None,
        *,
        timeout: float = SHORT,
        ca_bundle: str | None = None,
    ) -> CpanelClient:
        http = make_http_client(url, timeout=timeout, ca_bundle=ca_bundle)
        opened.append(http)
        if transport == "direct":
            return CpanelClient.direct(
                http, credential or Credential(ACCOUNT, PASSWORD, "password")
            )
        reseller = credential or Credential(*DEMO_RESELLER, "password")
        return CpanelClient.through_whm(http, reseller, ACCOUNT)

    yield _connect
    for http in opened:
        http.close()


def _url(simulator: Simulator, transport: str) -> str:
    return simulator.cpanel_url if transport == "direct" else simulator.url


def _fault_names(transport: str, function: str) -> list[str]:
    """What a fault names, and the simulator logs, for a Tokens call on this transport."""
    return [f"Tokens::{function}" if transport == "direct" else "uapi_cpanel"]


def _logged(simulator: Simulator, transport: str) -> list[str]:
    prefix = "Tokens::" if transport == "direct" else "uapi_cpanel"
    return [r.function for r in simulator.requests() if r.function.startswith(prefix)]


@pytest.fixture
def cpanel(simulator: Simulator, transport: str, connect: Connect) -> CpanelClient:
    return connect(_url(simulator, transport))


CALLS = [
    pytest.param(lambda c: c.list_tokens(), "list", False, id="list"),
    pytest.param(
        lambda c: c.create_token("x", expires=None), "create_full_access", True, id="create"
    ),
    pytest.param(lambda c: c.rename_token("deploy-script", "y"), "rename", True, id="rename"),
    pytest.param(lambda c: c.revoke_token("deploy-script"), "revoke", True, id="revoke"),
]


# --- A reply that is not an answer -----------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error", "status_code"),
    [
        ("close", WhmUnreachable, None),
        ("garbage", WhmBadResponse, 200),
        ("html", WhmBadResponse, 200),
        ("truncated", WhmBadResponse, 200),
        ("http-500", WhmBadResponse, 500),
        ("http-503", WhmBadResponse, 503),
        ("wrong-shape", WhmBadResponse, 200),
    ],
)
@pytest.mark.parametrize(("call", "function", "writes"), CALLS)
def test_fault_maps_onto_one_error_class_sent_once(
    simulator: Simulator,
    transport: str,
    cpanel: CpanelClient,
    call: Callable[[CpanelClient], object],
    function: str,
    writes: bool,
    mode: str,
    error: type[WhmError],
    status_code: int | None,
) -> None:
    simulator.set_fault(mode, functions=_fault_names(transport, function))

    with pytest.raises(error) as caught:
        call(cpanel)

    assert type(caught.value) is error
    assert getattr(caught.value, "status_code", None) == status_code
    assert caught.value.message.startswith(SERVICE[transport])
    # Sent once, never retried; only a write left without an answer may have happened.
    assert len(_logged(simulator, transport)) == 1
    assert caught.value.may_have_run is writes
    may_have_run = f"{SERVICE[transport]} may still have carried out the request"
    assert (may_have_run in caught.value.message) is writes


def test_a_storage_failure_on_cpanel_is_an_api_error_with_its_text(simulator: Simulator) -> None:
    simulator.set_fault("storage-error", functions=["Tokens::create_full_access"])
    credential = Credential(ACCOUNT, PASSWORD, "password")

    with make_http_client(simulator.cpanel_url) as http, pytest.raises(WhmApiError) as caught:
        CpanelClient.direct(http, credential).create_token("x", expires=None)

    assert caught.value.message == "Disk quota exceeded"
    assert caught.value.may_have_run is False


def test_a_fault_on_one_call_leaves_the_next_call_working(
    simulator: Simulator, transport: str, cpanel: CpanelClient
) -> None:
    simulator.set_fault("close", functions=_fault_names(transport, "list"), count=1)

    with pytest.raises(WhmUnreachable):
        cpanel.list_tokens()
    assert len(cpanel.list_tokens()) >= 5


# --- No answer in time, or none at all -------------------------------------------------------


def test_a_read_that_hangs_is_a_timeout_in_the_read_phase(
    simulator: Simulator, transport: str, cpanel: CpanelClient
) -> None:
    simulator.set_fault("hang", functions=_fault_names(transport, "list"))

    with pytest.raises(WhmTimeout) as caught:
        cpanel.list_tokens()

    assert caught.value.phase == "read"
    assert caught.value.message == f"{SERVICE[transport]} did not answer within {SHORT:g} seconds."
    assert caught.value.may_have_run is False


@pytest.mark.parametrize(("call", "function", "writes"), CALLS[1:])
def test_a_write_that_hangs_is_sent_once_and_warns_it_may_have_run(
    simulator: Simulator,
    transport: str,
    cpanel: CpanelClient,
    call: Callable[[CpanelClient], object],
    function: str,
    writes: bool,
) -> None:
    simulator.set_fault("hang", functions=_fault_names(transport, function))

    with pytest.raises(WhmTimeout) as caught:
        call(cpanel)

    assert caught.value.may_have_run is True
    assert caught.value.message == (
        f"{SERVICE[transport]} did not answer within {SHORT:g} seconds. {SERVICE[transport]} "
        "may still have carried out the request: reload the list before trying again."
    )
    assert len(_logged(simulator, transport)) == 1


def test_nothing_listening_is_unreachable_naming_the_service(
    transport: str, connect: Connect
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there

    with pytest.raises(WhmUnreachable) as caught:
        connect(f"http://127.0.0.1:{port}").create_token("x", expires=None)

    assert caught.value.message == (
        f"TokenUI could not connect to {SERVICE[transport]}: nothing answered at its address."
    )
    assert caught.value.may_have_run is False  # refused: the request never left


def test_unknown_host_name_is_unreachable(transport: str, connect: Connect) -> None:
    with pytest.raises(WhmUnreachable) as caught:
        connect("https://cpanel.invalid:2083").list_tokens()

    assert caught.value.message == (
        f"TokenUI could not find {SERVICE[transport]}'s host name; check the server URL."
    )


# --- TLS -------------------------------------------------------------------------------------


def test_tls_verifies_against_the_simulators_ca(
    tls_simulator: Simulator, transport: str, connect: Connect
) -> None:
    cpanel = connect(_url(tls_simulator, transport), ca_bundle=str(tls_simulator.ca_path))

    assert len(cpanel.list_tokens()) >= 5


def test_tls_without_the_simulators_ca_is_a_tls_error_naming_the_setting(
    tls_simulator: Simulator, transport: str, connect: Connect
) -> None:
    with pytest.raises(WhmTLSError) as caught:
        connect(_url(tls_simulator, transport)).list_tokens()

    service = SERVICE[transport]
    assert caught.value.message == (
        f"{service}'s TLS certificate could not be verified. If {service} uses a certificate "
        "from its own authority, set WHM_CA_BUNDLE to that authority's certificate file."
    )
    assert tls_simulator.requests() == []


def test_https_to_cpanels_plain_http_port_is_a_failed_handshake_naming_cpanel_port(
    simulator: Simulator,
) -> None:
    url = simulator.cpanel_url.replace("http://", "https://")

    with make_http_client(url) as http, pytest.raises(WhmTLSError) as caught:
        CpanelClient.direct(http, Credential(ACCOUNT, PASSWORD, "password")).list_tokens()

    assert caught.value.message == (
        "The TLS handshake with cPanel failed. Check that CPANEL_PORT is cPanel's https port "
        "(usually 2083), and set WHM_CA_BUNDLE if cPanel uses its own certificate authority."
    )


# --- Pooling ---------------------------------------------------------------------------------


def test_calls_reuse_one_pooled_connection(simulator: Simulator, cpanel: CpanelClient) -> None:
    before = simulator.connections_accepted

    cpanel.list_tokens()
    cpanel.create_token("pooled", expires=None)
    cpanel.rename_token("pooled", "pooled-2")
    cpanel.revoke_token("pooled-2")

    assert simulator.connections_accepted - before == 1


# --- No secret anywhere ----------------------------------------------------------------------


def test_no_secret_reaches_an_error_a_repr_or_the_log(
    simulator: Simulator, transport: str, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = _url(simulator, transport)
    if transport == "direct":
        signed_in = simulator.store.add_cpanel_token(
            ACCOUNT, "signed-in", create_time=1, expires_at=None
        )
        credential = Credential(ACCOUNT, signed_in, "token")
        password = PASSWORD
        wrong = Credential(ACCOUNT, PASSWORD + "-wrong", "password")
    else:
        signed_in = simulator.store.add_token(
            DEMO_RESELLER[0], "signed-in", acls=(), create_time=1, expires_at=None,
            full_access=True,
        )  # fmt: skip
        credential = Credential(DEMO_RESELLER[0], signed_in, "token")
        password = DEMO_RESELLER[1]
        wrong = Credential(DEMO_RESELLER[0], DEMO_RESELLER[1] + "-wrong", "password")
    cpanel = connect(url, credential)
    created = cpanel.create_token("secretive", expires=datetime.now(UTC) + timedelta(days=1))
    connect(url).list_tokens()  # by password
    errors: list[WhmError] = []
    for fault in ("wrong-shape", "garbage", "http-500", "hang"):
        simulator.set_fault(fault)
        for call in (
            cpanel.list_tokens,
            lambda: cpanel.create_token("again", expires=None),
            lambda: cpanel.rename_token("secretive", "renamed"),
        ):
            with pytest.raises(WhmError) as caught:
                call()
            errors.append(caught.value)
        simulator.clear_faults()
    for call in (
        lambda: cpanel.create_token("secretive", expires=None),
        lambda: connect(
            url, Credential(credential.user, created.secret + "X", "token")
        ).list_tokens(),
        lambda: connect(url, wrong).list_tokens(),
    ):
        with pytest.raises(WhmError) as caught:
            call()
        errors.append(caught.value)

    shown = [
        caplog.text,
        *(repr(record.args) for record in caplog.records),
        repr(credential),
        repr(created),
        repr(cpanel.list_tokens()),
        *(str(error) for error in errors),
        *(repr(error.args) for error in errors),
    ]
    basic = base64.b64encode(f"{credential.user}:{password}".encode()).decode()
    for secret in (signed_in, created.secret, password, wrong.secret, basic):
        assert not [text for text in shown if secret in text]
    assert {type(error) for error in errors} == {
        WhmBadResponse,
        WhmTimeout,
        WhmApiError,
        WhmAuthError,
    }


def test_log_lines_hold_only_function_status_result_and_duration(
    simulator: Simulator, transport: str, cpanel: CpanelClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tokenui.whm")
    cpanel.create_token("logged", expires=None)
    cpanel.list_tokens()
    simulator.set_fault("http-503", functions=_fault_names(transport, "revoke"))
    with pytest.raises(WhmBadResponse):
        cpanel.revoke_token("logged")

    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "tokenui.whm"]
    assert [level for level, _ in lines] == [logging.INFO, logging.DEBUG, logging.INFO]
    prefix = "" if transport == "direct" else "uapi_cpanel "
    for _, line in lines:
        assert re.fullmatch(
            rf"{prefix}Tokens::[a-z_]+: HTTP (\d{{3}}|-), result [01-], \d+ ms(, Whm[A-Za-z]+)?",
            line,
        )
    assert lines[2][1].startswith(f"{prefix}Tokens::revoke: HTTP 503, result -, ")
    assert ACCOUNT not in "".join(line for _, line in lines)
