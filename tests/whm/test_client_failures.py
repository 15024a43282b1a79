"""How WhmClient fails, over real sockets: one WhmError class each, no retry, no secret shown."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT
from tokenui.whm.api import WhmClient
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

CREATED = 1_700_000_000
ROOT_PASSWORD = Credential(DEMO_ROOT[0], DEMO_ROOT[1], "password")
RESELLER_PASSWORD = Credential(DEMO_RESELLER[0], DEMO_RESELLER[1], "password")
SHORT = 1.0  # seconds: loopback under a loaded CI box (0.3 s flaked), yet a hang costs little
MAY_HAVE_RUN = "WHM may still have carried out the request"

type Connect = Callable[..., WhmClient]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Make a WhmClient for any base URL, with make_http_client's options."""
    opened: list[httpx.Client] = []

    def _connect(
        url: str,
        credential: Credential = ROOT_PASSWORD,
        *,
        verify: bool = True,
        ca_bundle: str | None = None,
        timeout: float = 15.0,
    ) -> WhmClient:
        http = make_http_client(url, verify=verify, ca_bundle=ca_bundle, timeout=timeout)
        opened.append(http)
        return WhmClient(http, credential)

    yield _connect
    for http in opened:
        http.close()


@pytest.fixture
def whm(simulator, connect: Connect) -> WhmClient:
    """Root, by password, against the plain-HTTP simulator, with a short timeout."""
    return connect(simulator.url, timeout=SHORT)


def _functions(simulator) -> list[str]:
    return [entry.function for entry in simulator.requests()]


# --- WHM refuses the credentials -------------------------------------------------------------


def test_wrong_password_is_an_auth_error(simulator, connect: Connect) -> None:
    whm = connect(simulator.url, Credential("root", "not-the-password", "password"))

    with pytest.raises(WhmAuthError) as caught:
        whm.list_tokens()

    assert caught.value.message == "WHM refused these credentials."
    assert simulator.requests()[0].status == 403


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown", "other-ip"])
def test_a_token_that_does_not_work_is_an_auth_error(
    simulator, connect: Connect, whm: WhmClient, state: str
) -> None:
    secret = simulator.store.add_token(
        "root",
        "gone",
        acls=["list-accts"],
        create_time=CREATED,
        expires_at=CREATED + 60 if state == "expired" else None,
        # The simulator sees this test's requests coming from 127.0.0.1.
        whitelist_ips=["192.0.2.10"] if state == "other-ip" else [],
    )
    if state == "revoked":
        whm.revoke_tokens(["gone"])
    if state == "unknown":
        secret = "Z" * 32

    with pytest.raises(WhmAuthError):
        connect(simulator.url, Credential("root", secret, "token")).my_privileges()


def test_a_token_with_characters_http_cannot_carry_is_refused_without_sending(
    simulator, connect: Connect
) -> None:
    whm = connect(simulator.url, Credential("root", "ÄBC\n", "token"))

    with pytest.raises(WhmAuthError):
        whm.my_privileges()

    assert simulator.requests() == []


# --- WHM says no (result: 0) -----------------------------------------------------------------

PAST = datetime(2020, 12, 31, tzinfo=UTC)  # 1609372800
BAD_NAME = (
    "“bad name!” is not a valid API token name. An API token name must not be longer than 50 "
    "characters and may only contain the following characters: a-z A-Z 0-9 _ -"
)


# WHM's prefix before the detail, for each token function.
FAILED_TO = {
    "api_token_create": "The system failed to create the API token: ",
    "api_token_update": "The system failed to update the API token: ",
}


@pytest.mark.parametrize(
    ("call", "function", "detail"),
    [
        (
            lambda whm: whm.create_token("taken", acls=["list-accts"], expires=None),
            "api_token_create",
            "A conflicting API token with the name “taken” already exists.",
        ),
        (
            lambda whm: whm.create_token("bad name!", acls=["list-accts"], expires=None),
            "api_token_create",
            BAD_NAME,
        ),
        (
            lambda whm: whm.create_token("x", acls=["list-accts", "foo"], expires=None),
            "api_token_create",
            "Invalid or unauthorized ACL specified: foo",
        ),
        (
            lambda whm: whm.create_token("x", acls=["list-accts"], expires=PAST),
            "api_token_create",
            "The “1609372800” value must be a future date.",
        ),
        (
            lambda whm: whm.create_token(
                "x", acls=["list-accts"], expires=None, whitelist_ips=["300.1.1.1"]
            ),
            "api_token_create",
            "Invalid IP address or CIDR range specified: 300.1.1.1",
        ),
        (
            lambda whm: whm.update_token("missing", acls=["list-accts"], expires=None),
            "api_token_update",
            "The API token “missing” does not exist.",
        ),
        (
            lambda whm: whm.update_token(
                "other", new_name="taken", acls=["list-accts"], expires=None
            ),
            "api_token_update",
            "An API token with the name “taken” already exists.",
        ),
    ],
    ids=[
        "duplicate",
        "bad-name",
        "unknown-acl",
        "past-expiry",
        "bad-ip",
        "update-unknown",
        "rename-onto-taken",
    ],
)
def test_whm_refusal_carries_whms_exact_sentence_and_its_detail(
    whm: WhmClient, call: Callable[[WhmClient], object], function: str, detail: str
) -> None:
    whm.create_token("taken", acls=["list-accts"], expires=None)
    whm.create_token("other", acls=["list-accts"], expires=None)

    with pytest.raises(WhmApiError) as caught:
        call(whm)

    reason = FAILED_TO[function] + detail
    assert caught.value.reason == caught.value.message == str(caught.value) == reason
    assert caught.value.detail == detail
    assert caught.value.function == function


def test_whms_own_failure_is_an_api_error_with_its_sentence(simulator, whm: WhmClient) -> None:
    simulator.set_fault("storage-error", functions=["api_token_create"])

    with pytest.raises(WhmApiError) as caught:
        whm.create_token("x", acls=["list-accts"], expires=None)

    assert caught.value.message == "The system failed to create the API token: Disk quota exceeded"
    assert caught.value.detail == "Disk quota exceeded"


def test_a_reseller_asking_for_an_acl_it_lacks_gets_whms_sentence(
    simulator, connect: Connect
) -> None:
    whm = connect(simulator.url, RESELLER_PASSWORD)

    with pytest.raises(
        WhmApiError,
        match=r"^The system failed to create the API token: "
        r"Invalid or unauthorized ACL specified: all$",
    ):
        whm.create_token("too-much", acls=["all"], expires=None)


# --- No answer -------------------------------------------------------------------------------


def test_nothing_listening_is_unreachable(connect: Connect) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there

    with pytest.raises(WhmUnreachable, match="could not connect") as caught:
        connect(f"http://127.0.0.1:{port}").create_token("x", acls=["list-accts"], expires=None)
    assert caught.value.may_have_run is False  # refused: the request never left


def test_unknown_host_name_is_unreachable(connect: Connect) -> None:
    with pytest.raises(WhmUnreachable, match="host name"):
        connect("https://whm.invalid:2087").list_tokens()


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A URL whose listener never accepts and whose queue is full: connecting just waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"
        for filler in fillers:
            filler.close()


def test_connect_timeout_is_a_timeout_in_the_connect_phase(
    connect: Connect, full_backlog: str
) -> None:
    with pytest.raises(WhmTimeout) as caught:
        connect(full_backlog, timeout=SHORT).create_token("x", acls=["list-accts"], expires=None)

    assert caught.value.phase == "connect"
    # Nothing was sent, so nothing can have happened.
    assert MAY_HAVE_RUN not in caught.value.message
    assert caught.value.may_have_run is False


def test_read_timeout_on_a_read_is_a_timeout_in_the_read_phase(simulator, whm: WhmClient) -> None:
    simulator.set_fault("hang")

    with pytest.raises(WhmTimeout) as caught:
        whm.list_tokens()

    assert caught.value.phase == "read"
    assert caught.value.message == f"WHM did not answer within {SHORT:g} seconds."
    assert caught.value.may_have_run is False  # a read changes nothing


@pytest.mark.parametrize(("mode", "error"), [("hang", WhmTimeout), ("close", WhmUnreachable)])
def test_create_without_a_reply_is_sent_once_and_warns_it_may_have_run(
    simulator, whm: WhmClient, mode: str, error: type[WhmError]
) -> None:
    simulator.set_fault(mode, functions=["api_token_create"])

    with pytest.raises(error) as caught:
        whm.create_token("maybe", acls=["list-accts"], expires=None)

    assert MAY_HAVE_RUN in caught.value.message
    assert caught.value.may_have_run is True
    assert _functions(simulator) == ["api_token_create"]


# --- Raw sockets: replies that only a socket script can stage -----------------------------

type Script = Callable[[socket.socket, threading.Event], None]
TRICKLE_TIMEOUT = 0.5  # the timeout for the trickle tests
TRICKLE_GAP = 0.1  # well inside it, so httpx's per-read timeout never fires


@dataclass
class RawWhm:
    """A loopback listener that reads each request whole, then answers it by a script."""

    url: str
    requests: list[bytes] = field(default_factory=list)


@pytest.fixture
def raw_whm() -> Iterator[Callable[[Script], RawWhm]]:
    stop = threading.Event()
    threads: list[threading.Thread] = []
    listeners: list[socket.socket] = []

    def serve(script: Script) -> RawWhm:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)  # how often the accept loop looks at `stop`
        listeners.append(listener)
        server = RawWhm(f"http://127.0.0.1:{listener.getsockname()[1]}")

        def run() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(2)
                    try:
                        server.requests.append(_read_request(conn))
                        script(conn, stop)
                    except OSError:  # the client gave up and closed: nothing more to send
                        pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return server

    yield serve
    stop.set()
    for thread in threads:
        thread.join(timeout=2)
    for listener in listeners:
        listener.close()


def _read_request(conn: socket.socket) -> bytes:
    """One request, body and all: closing with bytes unread would reset the connection."""
    data = b""
    while (end := data.find(b"\r\n\r\n")) < 0:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    length = re.search(rb"(?im)^content-length: *(\d+)", data[:end])
    while length and len(data) < end + 4 + int(length[1]):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _answer(reply: bytes) -> Script:
    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(reply)

    return script


def _trickle(first: bytes, slow: bytes, then: bytes = b"") -> Script:
    """Send `first` at once, `slow` 10 bytes every TRICKLE_GAP seconds, then `then` at once."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(first)
        for start in range(0, len(slow), 10):
            if stop.wait(TRICKLE_GAP):
                return
            conn.sendall(slow[start : start + 10])
        conn.sendall(then)

    return script


def _myprivs_reply(padding: int = 0) -> tuple[bytes, bytes]:
    """A good myprivs reply as (head, body); `padding` spaces after the JSON lengthen the body."""
    body = (
        json.dumps(
            {
                "metadata": {"command": "myprivs", "reason": "OK", "result": 1, "version": 1},
                "data": {"privileges": [{"all": 1}]},
            }
        ).encode()
        + b" " * padding
    )
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body), body


def test_a_reply_trickled_in_gives_up_at_the_timeout_not_at_the_last_byte(
    raw_whm: Callable[[Script], RawWhm], connect: Connect
) -> None:
    # At 10 bytes a pause the body would take 10 s; each pause is shorter than the timeout.
    head, body = _myprivs_reply(padding=900)
    whm = connect(raw_whm(_trickle(head, body)).url, timeout=TRICKLE_TIMEOUT)

    started = time.monotonic()
    with pytest.raises(WhmTimeout) as caught:
        whm.my_privileges()

    assert time.monotonic() - started < TRICKLE_TIMEOUT + 1
    assert caught.value.phase == "read"
    assert caught.value.message == f"WHM did not answer within {TRICKLE_TIMEOUT:g} seconds."
    assert caught.value.may_have_run is False


def test_a_write_trickled_in_is_sent_once_and_warns_it_may_have_run(
    raw_whm: Callable[[Script], RawWhm], connect: Connect
) -> None:
    head, body = _myprivs_reply(padding=900)
    server = raw_whm(_trickle(head, body))
    whm = connect(server.url, timeout=TRICKLE_TIMEOUT)

    started = time.monotonic()
    with pytest.raises(WhmTimeout) as caught:
        whm.create_token("slow", acls=["list-accts"], expires=None)

    assert time.monotonic() - started < TRICKLE_TIMEOUT + 1
    assert caught.value.phase == "read"
    assert caught.value.may_have_run is True
    assert MAY_HAVE_RUN in caught.value.message
    assert len(server.requests) == 1


def test_a_reply_whole_when_first_read_is_used_even_if_late(
    raw_whm: Callable[[Script], RawWhm], connect: Connect
) -> None:
    # The headers trickle in past the timeout (httpx reads them, out of the client's reach),
    # then the body comes whole: a complete answer is kept, not turned into a timeout.
    head, body = _myprivs_reply()
    assert len(head) / 10 * TRICKLE_GAP > TRICKLE_TIMEOUT
    whm = connect(raw_whm(_trickle(b"", head, body)).url, timeout=TRICKLE_TIMEOUT)
    started = time.monotonic()

    assert whm.my_privileges().holds("all")
    assert time.monotonic() - started > TRICKLE_TIMEOUT


# What h11 refuses: a first byte no HTTP reply starts with, a status line that is not one once
# a blank line ends the headers, or 100 KiB without a blank line. (A short banner followed by a
# close, without a blank line, reads as a close: httpcore reports the two alike.)
NOT_HTTP = [
    pytest.param(b"\x15\x03\x03\x00\x02\x02\x46", id="tls-alert"),
    pytest.param(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", id="http2-settings-frame"),
    pytest.param(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", id="ssh-banner-and-blank-line"),
    pytest.param(b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n", id="no-status-code"),
    pytest.param(b"220 mail ESMTP ready\r\n" * 6000, id="over-100-kib-without-a-blank-line"),
]


@pytest.mark.parametrize("reply", NOT_HTTP)
def test_a_reply_that_is_not_http_is_a_bad_response_naming_the_url(
    raw_whm: Callable[[Script], RawWhm], connect: Connect, reply: bytes
) -> None:
    server = raw_whm(_answer(reply))

    with pytest.raises(WhmBadResponse) as caught:
        connect(server.url, timeout=2).list_tokens()

    assert caught.value.message == "WHM's reply is not HTTP; check the server URL."
    assert caught.value.status_code is None
    assert caught.value.may_have_run is False


@pytest.mark.parametrize("reply", NOT_HTTP[:3])
def test_a_write_answered_not_in_http_is_sent_once_and_warns_it_may_have_run(
    raw_whm: Callable[[Script], RawWhm], connect: Connect, reply: bytes
) -> None:
    server = raw_whm(_answer(reply))

    with pytest.raises(WhmBadResponse) as caught:
        connect(server.url, timeout=2).revoke_tokens(["t"])

    assert caught.value.message.startswith("WHM's reply is not HTTP; check the server URL. ")
    assert caught.value.may_have_run is True
    assert len(server.requests) == 1


def test_a_connection_closed_without_a_byte_is_still_unreachable(
    raw_whm: Callable[[Script], RawWhm], connect: Connect
) -> None:
    server = raw_whm(_answer(b""))

    with pytest.raises(WhmUnreachable) as caught:
        connect(server.url, timeout=2).revoke_tokens(["t"])

    assert caught.value.message.startswith("WHM closed the connection without answering. ")
    assert caught.value.may_have_run is True
    assert len(server.requests) == 1


# --- A reply that is not WHM API 1 -----------------------------------------------------------


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
@pytest.mark.parametrize(
    "call",
    [
        lambda whm: whm.list_tokens(),
        lambda whm: whm.create_token("x", acls=["list-accts"], expires=None),
        lambda whm: whm.get_token_details("UWU28DCA23NKY76CN17MDPKM3O7EFQY8"),
        lambda whm: whm.my_privileges(),
    ],
    ids=["list", "create", "details", "myprivs"],
)
def test_fault_maps_onto_one_error_class(
    request: pytest.FixtureRequest,
    simulator,
    whm: WhmClient,
    call: Callable[[WhmClient], object],
    mode: str,
    error: type[WhmError],
    status_code: int | None,
) -> None:
    simulator.set_fault(mode)

    with pytest.raises(error) as caught:
        call(whm)

    assert type(caught.value) is error
    assert getattr(caught.value, "status_code", None) == status_code
    assert len(simulator.requests()) == 1
    # Only the write was sent and left without an answer: it may have happened.
    assert caught.value.may_have_run is request.node.callspec.id.startswith("create-")


def test_a_fault_on_one_call_leaves_the_next_call_working(simulator, whm: WhmClient) -> None:
    simulator.set_fault("close", count=1)

    with pytest.raises(WhmUnreachable):
        whm.list_tokens()
    assert isinstance(whm.list_tokens(), list)


# --- TLS -------------------------------------------------------------------------------------


def test_tls_verifies_against_the_simulators_ca(tls_simulator, connect: Connect) -> None:
    whm = connect(tls_simulator.url, ca_bundle=str(tls_simulator.ca_path))

    assert whm.my_privileges().holds("all")


def test_tls_without_the_simulators_ca_is_a_tls_error_naming_the_setting(
    tls_simulator, connect: Connect
) -> None:
    with pytest.raises(WhmTLSError, match="WHM_CA_BUNDLE") as caught:
        connect(tls_simulator.url).my_privileges()

    assert "could not be verified" in caught.value.message
    assert tls_simulator.requests() == []


def test_https_to_a_plain_http_port_is_a_failed_handshake(simulator, connect: Connect) -> None:
    url = simulator.url.replace("http://", "https://")

    with pytest.raises(WhmTLSError, match="handshake"):
        connect(url).my_privileges()


def test_verification_off_is_the_operators_explicit_choice(tls_simulator, connect: Connect) -> None:
    assert connect(tls_simulator.url, verify=False).my_privileges().holds("all")


# --- Pooling ---------------------------------------------------------------------------------


def test_calls_reuse_one_pooled_connection(simulator, whm: WhmClient) -> None:
    before = simulator.connections_accepted
    whm.list_tokens()
    whm.my_privileges()
    whm.create_token("pooled", acls=["list-accts"], expires=None)
    whm.list_tokens()
    whm.revoke_tokens(["pooled"])

    assert simulator.connections_accepted - before == 1


# --- No secret anywhere ----------------------------------------------------------------------


def test_no_secret_reaches_an_error_a_repr_or_the_log(
    simulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_in = simulator.store.add_token(
        "root", "signed-in", acls=(), create_time=CREATED, expires_at=None, full_access=True
    )
    credential = Credential("root", signed_in, "token")
    whm = connect(simulator.url, credential, timeout=SHORT)
    created = whm.create_token(
        "secretive", acls=["list-accts"], expires=datetime.now(UTC) + timedelta(days=1)
    )
    details = whm.get_token_details(created.secret)
    connect(simulator.url, ROOT_PASSWORD).list_tokens()
    wrong = DEMO_ROOT[1] + "-wrong"
    errors: list[WhmError] = []
    for fault in ("wrong-shape", "garbage", "http-500", "hang"):
        simulator.set_fault(fault)
        for call in (
            lambda: whm.get_token_details(created.secret),
            lambda: whm.create_token("again", acls=["list-accts"], expires=None),
        ):
            with pytest.raises(WhmError) as caught:
                call()
            errors.append(caught.value)
        simulator.clear_faults()
    for call in (
        lambda: whm.create_token("secretive", acls=["list-accts"], expires=None),
        lambda: connect(
            simulator.url, Credential("root", created.secret + "X", "token")
        ).list_tokens(),
        lambda: connect(simulator.url, replace(ROOT_PASSWORD, secret=wrong)).list_tokens(),
    ):
        with pytest.raises(WhmError) as caught:
            call()
        errors.append(caught.value)

    shown = [
        caplog.text,
        *(repr(record.args) for record in caplog.records),
        repr(credential),
        repr(ROOT_PASSWORD),
        repr(created),
        repr(details),
        *(str(error) for error in errors),
        *(repr(error.args) for error in errors),
    ]
    # A password travels base64-encoded (Basic): a leaked header would show it that way.
    basic = base64.b64encode(f"root:{DEMO_ROOT[1]}".encode()).decode()
    for secret in (signed_in, created.secret, DEMO_ROOT[1], wrong, basic):
        assert not [text for text in shown if secret in text]
    assert {type(error) for error in errors} == {
        WhmBadResponse,
        WhmTimeout,
        WhmApiError,
        WhmAuthError,
    }


def test_log_lines_hold_only_function_status_result_and_duration(
    simulator, whm: WhmClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tokenui.whm")
    whm.create_token("logged", acls=["list-accts"], expires=None)
    whm.list_tokens()
    simulator.set_fault("http-503")
    with pytest.raises(WhmBadResponse):
        whm.revoke_tokens(["logged"])

    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "tokenui.whm"]
    assert [level for level, _ in lines] == [logging.INFO, logging.DEBUG, logging.INFO]
    for _, line in lines:
        assert re.fullmatch(r"[a-z_]+: HTTP (\d{3}|-), result [01-], \d+ ms(, Whm[A-Za-z]+)?", line)
    assert lines[2][1].startswith("api_token_revoke: HTTP 503, result -, ")
