"""CpanelClient reading every UAPI reply shape, and WhmClient reading listaccts, served verbatim
over loopback HTTP by a stub, on both transports: direct to cPanel and through `uapi_cpanel`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.helpers import ACCESS_DENIED, StubReply, StubWhm
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmBadResponse
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import Account, CpanelToken, Credential
from tokenui.whm.uapi import CpanelClient, CreatedCpanelToken

SECRET = "U7HMR63FGY292DQZ4H5BFH16JLYMO01M"  # seed 004's example token
CPANEL_TOKEN = Credential("bob", "K" * 32, "token")
WHM_TOKEN = Credential("reseller", "W" * 32, "token")
TOKEN_SCOPE = "Token authentication allows access to UAPI or API 2 calls only."

type Answer = Callable[..., CpanelClient]


@pytest.fixture(scope="module")
def stub() -> Iterator[StubWhm]:
    with StubWhm() as stub:
        yield stub


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Each request exactly as it left the client."""
    return []


@pytest.fixture
def http(stub: StubWhm, sent: list[httpx.Request]) -> Iterator[httpx.Client]:
    with make_http_client(stub.url) as http:
        http.event_hooks = {"request": [sent.append], "response": []}
        yield http


def _result(data: object, *, status: object = 1, errors: object = None) -> dict[str, object]:
    """UAPI's bare result object, as cPanel's port sends it: an array result is marked
    `transformed` (Cpanel/API.pm:416)."""
    return {
        "status": status,
        "errors": errors,
        "messages": None,
        "warnings": None,
        "metadata": {"transformed": 1} if isinstance(data, list) else {},
        "data": data,
    }


def _through_whm(uapi: object, *, result: int = 1, reason: str = "OK") -> dict[str, object]:
    """WHM API 1's envelope around a UAPI result, as uapi_cpanel answers."""
    metadata = {"command": "uapi_cpanel", "reason": reason, "result": result, "version": 1}
    return {"metadata": metadata, "data": {"uapi": uapi} if result else {}}


def _answerer(stub: StubWhm, http: httpx.Client, transport: str) -> Answer:
    """Make every next reply the UAPI result `body` (wrapped as the transport sends it, unless
    `raw`) and return a client for that transport."""

    def _answer(
        body: object,
        *,
        raw: bool = False,
        status: int = 200,
        content_type: str = "application/json",
    ) -> CpanelClient:
        if not raw and transport == "through-whm":
            body = _through_whm(body)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        stub.fallback = StubReply(status, content_type, content)
        if transport == "direct":
            return CpanelClient.direct(http, CPANEL_TOKEN)
        return CpanelClient.through_whm(http, WHM_TOKEN, "bob")

    return _answer


@pytest.fixture(params=["direct", "through-whm"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def answer(stub: StubWhm, http: httpx.Client, transport: str) -> Answer:
    """A client on each transport in turn, answered by the stub."""
    return _answerer(stub, http, transport)


@pytest.fixture
def direct(stub: StubWhm, http: httpx.Client) -> Answer:
    return _answerer(stub, http, "direct")


@pytest.fixture
def through_whm(stub: StubWhm, http: httpx.Client) -> Answer:
    return _answerer(stub, http, "through-whm")


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- what goes out ---------------------------------------------------------------------------


def _form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def test_direct_calls_post_to_execute_with_the_cpanel_token_header(
    direct: Answer, sent: list[httpx.Request]
) -> None:
    cpanel = direct(_result(None))

    cpanel.rename_token("old", "new")

    (request,) = sent
    assert request.method == "POST"
    assert request.url.path == "/execute/Tokens/rename"
    assert request.url.query == b""
    assert request.headers["Authorization"] == f"cpanel bob:{'K' * 32}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _form(request) == {"name": "old", "new_name": "new"}
    assert cpanel.account == "bob"


def test_direct_calls_with_a_password_use_basic_auth(
    stub: StubWhm, http: httpx.Client, sent: list[httpx.Request]
) -> None:
    stub.fallback = StubReply(200, "application/json", json.dumps(_result([])).encode())

    CpanelClient.direct(http, Credential("bob", "pa:ss", "password")).list_tokens()

    assert sent[0].headers["Authorization"] == "Basic Ym9iOnBhOnNz"  # bob:pa:ss


def test_calls_through_whm_name_the_account_module_and_function(
    through_whm: Answer, sent: list[httpx.Request]
) -> None:
    cpanel = through_whm(_result({"create_time": 1_700_000_000, "token": SECRET}))
    expires = datetime(2031, 1, 2, 23, 59, 59, tzinfo=UTC)

    cpanel.create_token("ci-bot", expires=expires)

    (request,) = sent
    assert request.method == "POST"
    assert request.url.path == "/json-api/uapi_cpanel"
    assert dict(request.url.params) == {"api.version": "1"}
    assert request.headers["Authorization"] == f"whm reseller:{'W' * 32}"
    assert _form(request) == {
        "cpanel.user": "bob",
        "cpanel.module": "Tokens",
        "cpanel.function": "create_full_access",
        "name": "ci-bot",
        "expires_at": str(int(expires.timestamp())),
    }
    assert cpanel.account == "bob"


@pytest.mark.parametrize(
    ("call", "function", "params"),
    [
        (lambda c: c.list_tokens(), "list", {}),
        (lambda c: c.create_token("x", expires=None), "create_full_access", {"name": "x"}),
        (lambda c: c.rename_token("x", "y"), "rename", {"name": "x", "new_name": "y"}),
        (lambda c: c.revoke_token("x"), "revoke", {"name": "x"}),
    ],
    ids=["list", "create", "rename", "revoke"],
)
def test_each_function_sends_its_own_parameters_and_nothing_else(
    answer: Answer,
    sent: list[httpx.Request],
    transport: str,
    call: Callable[[CpanelClient], object],
    function: str,
    params: dict[str, str],
) -> None:
    data = {"create_time": 1, "token": SECRET} if function == "create_full_access" else []
    call(answer(_result(data)))

    (request,) = sent
    if transport == "direct":
        assert request.url.path == f"/execute/Tokens/{function}"
        assert _form(request) == params
    else:
        named = {"cpanel.user": "bob", "cpanel.module": "Tokens", "cpanel.function": function}
        assert _form(request) == named | params


def test_rename_to_the_same_name_is_refused_before_anything_is_sent(
    answer: Answer, sent: list[httpx.Request]
) -> None:
    with pytest.raises(ValueError, match="differs"):
        answer(_result(None)).rename_token("same", "same")
    assert sent == []


@pytest.mark.parametrize(
    "expires", [datetime(2031, 1, 1), datetime(1970, 1, 1, tzinfo=UTC)], ids=["naive", "epoch-0"]
)
def test_create_refuses_an_expiry_cpanel_would_misread_before_sending(
    answer: Answer, sent: list[httpx.Request], expires: datetime
) -> None:
    with pytest.raises(ValueError, match="Token expiry times must be"):
        answer(_result(None)).create_token("x", expires=expires)
    assert sent == []


# --- Tokens::list ----------------------------------------------------------------------------


def test_list_reads_the_references_shape_newest_first_then_by_name(answer: Answer) -> None:
    cpanel = answer(
        _result(
            [
                {
                    "name": "old",
                    "create_time": 1_600_000_000,
                    "expires_at": None,
                    "has_full_access": 1,
                    "features": [],
                },
                {
                    "name": "b-new",
                    "create_time": 1_700_000_000,
                    "expires_at": 1_900_000_000,
                    "has_full_access": 0,
                    "features": ["email", "ftp"],
                },
                {
                    "name": "a-new",
                    "create_time": 1_700_000_000,
                    "expires_at": 1_800_000_000,
                    "has_full_access": 0,
                    "features": ["email"],
                    "readonly": 1,
                },
            ]
        )
    )

    assert cpanel.list_tokens() == [
        CpanelToken("a-new", _utc(1_700_000_000), _utc(1_800_000_000), False, True, ("email",)),
        CpanelToken(
            "b-new", _utc(1_700_000_000), _utc(1_900_000_000), False, False, ("email", "ftp")
        ),
        CpanelToken("old", _utc(1_600_000_000), None, True, False, ()),
    ]


def test_list_of_no_tokens_is_empty(answer: Answer) -> None:
    assert answer(_result([])).list_tokens() == []


def _listed_one(answer: Answer, record: dict[str, object]) -> CpanelToken:
    base = {"name": "t", "create_time": "1700000000", "has_full_access": 1}
    (token,) = answer(_result([base | record])).list_tokens()
    return token


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(1, True), ("1", True), (True, True), (0, False), ("0", False), ("", False), (None, False)],
)
def test_list_reads_full_access_and_read_only_loosely(
    answer: Answer, flag: object, expected: bool
) -> None:
    token = _listed_one(answer, {"has_full_access": flag, "readonly": flag})
    assert (token.full_access, token.read_only) == (expected, expected)


@pytest.mark.parametrize(
    "record",
    [{}, {"expires_at": None}, {"expires_at": 0}, {"expires_at": ""}, {"features": None}],
)
def test_list_reads_absent_or_null_fields_as_never_and_none(
    answer: Answer, record: dict[str, object]
) -> None:
    token = _listed_one(answer, record)
    assert (token.expires, token.read_only, token.features) == (None, False, ())
    assert token.created == _utc(1_700_000_000)


@pytest.mark.parametrize(
    "body",
    [
        _result({"tokens": []}),
        _result(None),
        _result([{"create_time": 1, "has_full_access": 1}]),
        _result([{"name": "", "create_time": 1, "has_full_access": 1}]),
        _result([{"name": "t", "create_time": "soon", "has_full_access": 1}]),
        _result([{"name": "t", "create_time": 1, "has_full_access": "yes"}]),
        _result([{"name": "t", "create_time": 1, "has_full_access": 1, "features": "email"}]),
        _result(["t"]),
    ],
    ids=[
        "object",
        "null",
        "no-name",
        "empty-name",
        "bad-time",
        "bad-flag",
        "features-string",
        "bare-names",
    ],
)
def test_a_list_in_the_wrong_shape_is_a_bad_response_naming_the_field(
    answer: Answer, transport: str, body: object
) -> None:
    with pytest.raises(WhmBadResponse, match="not in the shape TokenUI expects") as caught:
        answer(body).list_tokens()

    service = "cPanel" if transport == "direct" else "WHM"
    assert caught.value.message.startswith(f"{service}'s reply to ")
    assert "Tokens::list" in caught.value.message
    assert caught.value.may_have_run is False


# --- Tokens::create_full_access --------------------------------------------------------------


def test_create_reads_the_time_and_the_secret_with_the_name_and_expiry_asked_for(
    answer: Answer,
) -> None:
    expires = datetime(2031, 1, 2, 23, 59, 59, 999_000, tzinfo=UTC)
    cpanel = answer(_result({"create_time": 1_700_000_000, "token": SECRET}))

    created = cpanel.create_token("ci-bot", expires=expires)

    assert created == CreatedCpanelToken(
        token=CpanelToken(
            name="ci-bot",
            created=_utc(1_700_000_000),
            expires=expires.replace(microsecond=0),  # cPanel keeps whole seconds
            full_access=True,
            read_only=False,
            features=(),
        ),
        secret=SECRET,
    )
    assert SECRET not in repr(created)


def test_create_without_an_expiry_never_expires(answer: Answer) -> None:
    created = answer(_result({"create_time": 1, "token": SECRET})).create_token("t", expires=None)
    assert created.token.expires is None


def test_create_believes_an_expiry_the_server_sends_back(answer: Answer) -> None:
    cpanel = answer(_result({"create_time": 1, "token": SECRET, "expires_at": 1_900_000_000}))
    created = cpanel.create_token("t", expires=datetime(2031, 1, 1, tzinfo=UTC))
    assert created.token.expires == _utc(1_900_000_000)


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        SECRET.lower(),
        SECRET[:-1],
        SECRET + "A",
        SECRET[:-1] + "É",
        f"{SECRET[:20]}'; rm -rf ~ #",
        12345,
    ],
    ids=["null", "empty", "lowercase", "31-chars", "33-chars", "non-ascii", "shell", "number"],
)
def test_create_refuses_a_secret_outside_cpanels_alphabet_and_length(
    answer: Answer, secret: object
) -> None:
    cpanel = answer(_result({"create_time": 1, "token": secret}))

    with pytest.raises(WhmBadResponse) as caught:
        cpanel.create_token("t", expires=None)

    assert "token is not 32 characters of A-Z and 0-9" in caught.value.message
    assert str(secret) not in caught.value.message or secret in (None, "")
    assert caught.value.may_have_run is True  # the token may well exist now


# --- rename and revoke -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, 1, "1", {}, []], ids=repr)
def test_rename_and_revoke_need_only_status_1(answer: Answer, data: object) -> None:
    cpanel = answer(_result(data))
    assert cpanel.rename_token("a", "b") is None
    assert cpanel.revoke_token("b") is None


# --- cPanel says no --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errors", "message"),
    [
        (["The API token “ci-bot” already exists."], "The API token “ci-bot” already exists."),
        (["First.", "Second."], "First. Second."),
        ("A lone string.", "A lone string."),
        (None, "cPanel declined the request without saying why."),
        ([], "cPanel declined the request without saying why."),
        ([" ", 3], "cPanel declined the request without saying why."),
    ],
    ids=["one", "several", "string", "null", "empty", "not-text"],
)
@pytest.mark.parametrize("status", [0, "0"])
def test_status_0_is_an_api_error_with_cpanels_errors_text(
    answer: Answer, errors: object, message: str, status: object
) -> None:
    cpanel = answer(_result(None, status=status, errors=errors))

    with pytest.raises(WhmApiError) as caught:
        cpanel.create_token("ci-bot", expires=None)

    assert caught.value.message == caught.value.reason == caught.value.detail == message
    assert caught.value.function == "Tokens::create_full_access"
    assert caught.value.may_have_run is False  # cPanel answered: it did not


def test_cpanels_errors_never_echo_the_credentials_secret(answer: Answer, transport: str) -> None:
    secret = (CPANEL_TOKEN if transport == "direct" else WHM_TOKEN).secret
    cpanel = answer(_result(None, status=0, errors=[f"The token “{secret}” is odd."]))

    with pytest.raises(WhmApiError) as caught:
        cpanel.list_tokens()

    assert caught.value.message == "The token “[secret]” is odd."


def test_whm_refusing_uapi_cpanel_is_an_api_error_with_its_reason(through_whm: Answer) -> None:
    reason = "The user “reseller” does not own the account “bob”."
    body = _through_whm(None, result=0, reason=reason)

    with pytest.raises(WhmApiError) as caught:
        through_whm(body, raw=True).revoke_token("t")

    assert caught.value.message == reason
    assert caught.value.may_have_run is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metadata": {"result": 1}, "data": {}}, "has no UAPI result"),
        ({"metadata": {"result": 1}, "data": {"uapi": []}}, "has no UAPI result"),
        ({"metadata": {"result": 1}}, "has no UAPI result"),
        ({"metadata": {"result": 1}, "data": {"uapi": {"data": []}}}, "has no valid status"),
        ({"metadata": {"result": 1}, "data": {"uapi": {"status": 2}}}, "has no valid status"),
        ({"data": {"uapi": _result([])}}, "has no API 1 metadata"),
        (_result([]), "has no valid result"),  # its metadata is {}
    ],
    ids=["no-uapi", "uapi-list", "no-data", "no-status", "status-2", "no-metadata", "bare"],
)
def test_a_uapi_cpanel_reply_in_the_wrong_shape_is_a_bad_response(
    through_whm: Answer, body: object, message: str
) -> None:
    with pytest.raises(WhmBadResponse, match=message) as caught:
        through_whm(body, raw=True).list_tokens()
    assert "uapi_cpanel Tokens::list" in caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": []}, "has no valid status"),
        ({"status": "yes", "data": []}, "has no valid status"),
        ([], "has no UAPI result"),
        (_through_whm(_result([])), "has no valid status"),
    ],
    ids=["no-status", "bad-status", "array", "whm-envelope"],
)
def test_a_direct_reply_in_the_wrong_shape_is_a_bad_response(
    direct: Answer, body: object, message: str
) -> None:
    with pytest.raises(WhmBadResponse, match=message) as caught:
        direct(body, raw=True).list_tokens()
    assert caught.value.message.startswith("cPanel's reply to Tokens::list")


# --- refusals and replies that are not UAPI ---------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"Access denied", "text/plain"), (b"<html>Login</html>", "text/html")],
    ids=["text", "login-page"],
)
def test_a_refusal_on_cpanels_port_is_an_auth_error_naming_cpanel(
    direct: Answer, status: int, body: bytes, content_type: str
) -> None:
    cpanel = direct(body, raw=True, status=status, content_type=content_type)

    with pytest.raises(WhmAuthError) as caught:
        cpanel.list_tokens()

    assert caught.value.message == "cPanel refused these credentials."


def test_a_refusal_of_uapi_cpanel_is_an_auth_error_naming_whm(through_whm: Answer) -> None:
    # WHM's answer to a user or token without `all` or `cpanel-api`, as to a wrong password.
    cpanel = through_whm(ACCESS_DENIED.encode(), raw=True, status=403, content_type="text/plain")

    with pytest.raises(WhmAuthError) as caught:
        cpanel.list_tokens()

    assert caught.value.message == "WHM refused these credentials."


SCOPE_REFUSALS = [
    pytest.param(TOKEN_SCOPE.encode(), "text/plain", id="text"),
    pytest.param(TOKEN_SCOPE.encode() + b"\n", "text/plain; charset=utf-8", id="text-line"),
    pytest.param(
        json.dumps({"cpanelresult": {"error": TOKEN_SCOPE, "data": {"result": "0"}}}).encode(),
        "application/json",
        id="cpanelresult",
    ),
    pytest.param(
        json.dumps({"status": 0, "errors": [TOKEN_SCOPE]}).encode(), "application/json", id="uapi"
    ),
]


@pytest.mark.parametrize(("body", "content_type"), SCOPE_REFUSALS)
def test_a_cpanel_token_used_with_whm_is_an_auth_error_that_says_so(
    stub: StubWhm, http: httpx.Client, body: bytes, content_type: str
) -> None:
    stub.fallback = StubReply(403, content_type, body)
    whm = WhmClient(http, Credential("bob", SECRET, "token"))

    with pytest.raises(WhmAuthError) as caught:
        whm.my_privileges()

    assert caught.value.message == (
        "This token was refused: a cPanel API token works only with cPanel's own API (UAPI) on "
        "cPanel's port, not with WHM's; check the server URL."
    )
    assert SECRET not in caught.value.message


@pytest.mark.parametrize(
    ("status", "content_type", "body", "message"),
    [
        (200, "text/html", b"<html>cPanel Login</html>", "answered with a web page"),
        (301, "text/html", b"", "answered with HTTP 301, not an API reply"),
        (404, "text/plain", b"Not found", "answered with HTTP 404, not an API reply"),
    ],
    ids=["html", "redirect", "404"],
)
def test_a_direct_reply_that_is_not_uapi_names_cpanel_port(
    direct: Answer, status: int, content_type: str, body: bytes, message: str
) -> None:
    cpanel = direct(body, raw=True, status=status, content_type=content_type)

    with pytest.raises(WhmBadResponse) as caught:
        cpanel.list_tokens()

    assert caught.value.message.startswith(f"cPanel {message}")
    assert caught.value.message.endswith("; check the server URL and CPANEL_PORT.")
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, b"{}", "cPanel answered with a server error (HTTP 500)."),
        (200, b"{not json", "cPanel's reply is not valid JSON."),
    ],
    ids=["500", "not-json"],
)
def test_a_broken_reply_to_a_write_warns_that_cpanel_may_have_run_it(
    direct: Answer, status: int, body: bytes, message: str
) -> None:
    cpanel = direct(body, raw=True, status=status)

    with pytest.raises(WhmBadResponse) as caught:
        cpanel.revoke_token("t")

    assert caught.value.message == (
        f"{message} cPanel may still have carried out the request: reload the list before "
        "trying again."
    )
    assert caught.value.may_have_run is True


# --- listaccts -------------------------------------------------------------------------------


def _accounts(stub: StubWhm, http: httpx.Client, data: object) -> list[Account]:
    body = {"metadata": {"command": "listaccts", "reason": "OK", "result": 1, "version": 1}}
    stub.fallback = StubReply(200, "application/json", json.dumps(body | {"data": data}).encode())
    return WhmClient(http, WHM_TOKEN).list_accounts()


def test_list_accounts_reads_each_account_in_whms_order(
    stub: StubWhm, http: httpx.Client, sent: list[httpx.Request]
) -> None:
    acct = [
        {
            "user": "zed",
            "domain": "zed.example.com",
            "owner": "reseller",
            "plan": "reseller_basic",
            "suspended": 1,
            "email": "zed@example.com",
            "suspendreason": "unpaid",
        },
        {"user": "amy", "domain": "amy.example", "owner": "root", "plan": "", "suspended": "0"},
    ]

    assert _accounts(stub, http, {"acct": acct}) == [
        Account("zed", "zed.example.com", "reseller", "reseller_basic", True),
        Account("amy", "amy.example", "root", "", False),
    ]
    assert sent[0].url.path == "/json-api/listaccts"
    assert sent[0].content == b""


@pytest.mark.parametrize("data", [{"acct": []}, {}], ids=["empty", "absent"])
def test_list_accounts_of_none_is_empty(stub: StubWhm, http: httpx.Client, data: object) -> None:
    assert _accounts(stub, http, data) == []


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"acct": {"bob": {}}},
        {"acct": [{"domain": "a.example", "owner": "root", "plan": "p", "suspended": 0}]},
        {"acct": [{"user": "a", "domain": "a.example", "plan": "p", "suspended": 0}]},
        {"acct": [{"user": "a", "domain": "a.example", "owner": "root", "suspended": 0}]},
        {"acct": [{"user": "a", "domain": "a.x", "owner": "root", "plan": "p", "suspended": "no"}]},
    ],
    ids=["null", "object", "no-user", "no-owner", "no-plan", "bad-suspended"],
)
def test_list_accounts_in_the_wrong_shape_is_a_bad_response(
    stub: StubWhm, http: httpx.Client, data: object
) -> None:
    with pytest.raises(WhmBadResponse, match="WHM's reply to listaccts is not in the shape"):
        _accounts(stub, http, data)


# A password travels base64-encoded, so only a token can hold what a header cannot.
@pytest.mark.parametrize("secret", ["K" * 31 + "\n", "K" * 31 + "é", "K" * 31 + "\x00"])
def test_a_credential_http_cannot_carry_is_refused_without_sending(
    stub: StubWhm, http: httpx.Client, sent: list[httpx.Request], transport: str, secret: str
) -> None:
    credential = Credential("bob", secret, "token")
    if transport == "direct":
        cpanel = CpanelClient.direct(http, credential)
    else:
        cpanel = CpanelClient.through_whm(http, credential, "bob")

    with pytest.raises(WhmAuthError) as caught:
        cpanel.list_tokens()

    service = "cPanel" if transport == "direct" else "WHM"
    assert (
        caught.value.message
        == f"These credentials hold characters that cannot be sent to {service}."
    )
    assert sent == []
