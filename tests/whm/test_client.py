"""WhmClient against the WHM simulator over real HTTP: each call, its wire form, round trips."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT
from tokenui.whm.api import WhmClient
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import LATEST, ApiToken, Credential, TokenSummary

CREATED = 1_700_000_000  # 2023-11-14, a fixed creation time for seeded tokens
IN_30_DAYS = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
IN_90_DAYS = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
ROOT_PASSWORD = Credential(DEMO_ROOT[0], DEMO_ROOT[1], "password")
RESELLER_PASSWORD = Credential(DEMO_RESELLER[0], DEMO_RESELLER[1], "password")
# ACLs for the tokens tests create: the demo reseller holds both, as root does.
ACLS = frozenset({"list-accts", "create-acct"})

type Connect = Callable[..., WhmClient]


@pytest.fixture
def connect(simulator) -> Iterator[Connect]:
    """Make a WhmClient for the simulator; `sent` collects each request exactly as it left."""
    opened: list[httpx.Client] = []

    def _connect(credential: Credential, *, sent: list[httpx.Request] | None = None) -> WhmClient:
        http = make_http_client(simulator.url)
        if sent is not None:
            http.event_hooks = {"request": [sent.append], "response": []}
        opened.append(http)
        return WhmClient(http, credential)

    yield _connect
    for http in opened:
        http.close()


@pytest.fixture(params=["root-password", "root-token", "reseller-password", "reseller-token"])
def caller(request: pytest.FixtureRequest, simulator) -> Credential:
    """A demo user signed in by password, or by a full-access token of their own."""
    role, kind = request.param.split("-")
    user, password = DEMO_ROOT if role == "root" else DEMO_RESELLER
    if kind == "password":
        return Credential(user, password, "password")
    secret = simulator.store.add_token(
        user, "signed-in", acls=(), create_time=CREATED, expires_at=None, full_access=True
    )
    return Credential(user, secret, "token")


def _form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- Each call's success path, by password and by token --------------------------------------


def test_list_tokens_returns_seeded_tokens_newest_first_then_by_name(
    simulator, connect: Connect, caller: Credential
) -> None:
    user = caller.user
    acls = sorted(ACLS)
    simulator.store.add_token(user, "older", acls=acls, create_time=CREATED, expires_at=None)
    simulator.store.add_token(
        user,
        "newer-b",
        acls=acls[:1],
        create_time=CREATED + 60,
        expires_at=CREATED + 86_400,
        whitelist_ips=("192.0.2.10",),
    )
    simulator.store.add_token(user, "newer-a", acls=acls, create_time=CREATED + 60, expires_at=None)

    tokens = connect(caller).list_tokens()

    by_name = {token.name: token for token in tokens}
    assert by_name["newer-b"] == ApiToken(
        name="newer-b",
        created=_utc(CREATED + 60),
        expires=_utc(CREATED + 86_400),
        acls=frozenset(acls[:1]),
        whitelist_ips=("192.0.2.10",),
    )
    assert by_name["older"].expires is None
    assert by_name["older"].whitelist_ips == ()
    assert by_name["older"].acls == frozenset(acls)
    assert tokens == sorted(tokens, key=lambda token: (-token.created.timestamp(), token.name))
    ours = [token.name for token in tokens if token.name in {"older", "newer-a", "newer-b"}]
    assert ours == ["newer-a", "newer-b", "older"]


def test_list_token_summaries_agree_with_list_tokens_on_every_seeded_token(
    simulator, connect: Connect, caller: Credential
) -> None:
    user = caller.user
    simulator.store.add_token(user, "b", acls=["list-accts"], create_time=CREATED, expires_at=None)
    simulator.store.add_token(
        user,
        "a",
        acls=["list-accts"],
        create_time=CREATED,
        expires_at=300_000_000_000,
        whitelist_ips=("192.0.2.10", "2001:db8::/32"),
    )
    simulator.store.add_token(
        user, "c", acls=["create-acct"], create_time=CREATED + 1, expires_at=CREATED + 60
    )
    whm = connect(caller)

    tokens, summaries = whm.list_tokens(), whm.list_token_summaries()

    assert [(t.name, t.created, t.expires, t.whitelist_ips) for t in tokens] == [
        (s.name, s.created, s.expires, s.whitelist_ips) for s in summaries
    ]
    # A form's full read renews the table's kept list through the same projection: the two
    # agree on every seeded token, a reseller's full-access one (every listed key at 1) included.
    projected = [TokenSummary.of(t) for t in tokens]
    assert projected == summaries
    assert [s.name for s in summaries if s.name in {"a", "b", "c"}] == ["c", "a", "b"]


def test_create_token_returns_the_secret_and_the_stored_token(
    connect: Connect, caller: Credential
) -> None:
    acls = ACLS

    created = connect(caller).create_token(
        "invoice-bot", acls=acls, expires=IN_30_DAYS, whitelist_ips=["192.0.2.10"]
    )

    assert re.fullmatch(r"[A-Z0-9]{32}", created.secret)
    assert created.token.name == "invoice-bot"
    assert created.token.acls == frozenset(acls)
    assert created.token.expires == IN_30_DAYS
    assert created.token.whitelist_ips == ("192.0.2.10",)
    assert abs(created.token.created - datetime.now(UTC)) < timedelta(minutes=1)
    assert not created.token.has_full_access


def test_create_token_without_expiry_reads_a_reply_that_leaves_expires_at_out(
    simulator, connect: Connect
) -> None:
    created = connect(ROOT_PASSWORD).create_token("no-expiry", acls=ACLS, expires=None)

    (reply,) = [r for r in simulator.requests() if r.function == "api_token_create"]
    assert reply.result == 1
    assert created.token.expires is None


def test_update_token_sets_the_whole_state(connect: Connect, caller: Credential) -> None:
    whm = connect(caller)
    acls = ACLS
    whm.create_token("ci", acls=acls, expires=None)

    updated = whm.update_token(
        "ci",
        new_name="ci-deploy",
        acls=["list-accts"],
        expires=IN_90_DAYS,
        whitelist_ips=["192.0.2.16/28"],
    )

    assert updated.name == "ci-deploy"
    assert updated.acls == {"list-accts"}
    assert updated.expires == IN_90_DAYS
    assert updated.whitelist_ips == ("192.0.2.16/28",)
    assert [t for t in whm.list_tokens() if t.name.startswith("ci")] == [updated]


def test_revoke_tokens_removes_every_named_token(connect: Connect, caller: Credential) -> None:
    whm = connect(caller)
    for name in ("one", "two", "three"):
        whm.create_token(name, acls=ACLS, expires=None)

    whm.revoke_tokens(["one", "three"])

    names = {token.name for token in whm.list_tokens()}
    assert "two" in names
    assert names.isdisjoint({"one", "three"})


def test_a_token_expiring_after_year_9999_is_listed_and_can_be_revoked(
    simulator, connect: Connect
) -> None:
    # WHM accepts any future expires_at; this one is in the year 11476.
    simulator.store.add_token(
        "root", "far-future", acls=sorted(ACLS), create_time=CREATED, expires_at=300_000_000_000
    )
    whm = connect(ROOT_PASSWORD)

    (far,) = [token for token in whm.list_tokens() if token.name == "far-future"]
    assert far.expires == LATEST
    whm.revoke_tokens([far.name])
    assert "far-future" not in {token.name for token in whm.list_tokens()}


def test_get_token_details_names_the_token_a_secret_belongs_to(
    connect: Connect, caller: Credential
) -> None:
    whm = connect(caller)
    created = whm.create_token("lookup", acls=ACLS, expires=IN_30_DAYS)

    assert whm.get_token_details(created.secret) == created.token
    assert whm.get_token_details("Z" * 32) is None


def test_my_privileges_reports_what_the_caller_holds(connect: Connect, caller: Credential) -> None:
    privileges = connect(caller).my_privileges()

    assert privileges.holds("manage-api-tokens")
    assert privileges.holds("list-accts")
    if caller.user == DEMO_ROOT[0]:
        assert privileges.acls >= {"all"}
        assert privileges.holds("kill-acct")
    else:
        assert "all" not in privileges.acls
        assert not privileges.holds("all")


def test_my_privileges_called_with_a_limited_token_reports_the_tokens_rights(
    simulator, connect: Connect
) -> None:
    secret = simulator.store.add_token(
        "root", "narrow", acls=["manage-api-tokens"], create_time=CREATED, expires_at=None
    )

    privileges = connect(Credential("root", secret, "token")).my_privileges()

    assert privileges.holds("manage-api-tokens")
    assert not privileges.holds("create-acct")


# --- Round trips -----------------------------------------------------------------------------


def test_create_list_update_revoke_round_trip(connect: Connect) -> None:
    whm = connect(ROOT_PASSWORD)

    created = whm.create_token(
        "round-trip",
        acls=["list-accts", "create-acct"],
        expires=IN_30_DAYS,
        whitelist_ips=["192.0.2.10", "192.0.2.16/28"],
    )
    assert _listed(whm, "round-trip") == created.token

    renamed = whm.update_token(
        "round-trip",
        new_name="round-trip-2",
        acls=["list-accts"],
        expires=IN_90_DAYS,
        whitelist_ips=["198.51.100.0/24"],
    )
    assert _listed(whm, "round-trip") is None
    assert _listed(whm, "round-trip-2") == renamed
    assert renamed.acls == {"list-accts"}
    assert renamed.expires == IN_90_DAYS
    assert renamed.whitelist_ips == ("198.51.100.0/24",)
    assert renamed.created == created.token.created

    cleared = whm.update_token("round-trip-2", acls=["list-accts"], expires=None, whitelist_ips=[])
    assert cleared.expires is None
    assert cleared.whitelist_ips == ()
    assert _listed(whm, "round-trip-2") == cleared

    whm.revoke_tokens(["round-trip-2"])
    assert _listed(whm, "round-trip-2") is None


def _listed(whm: WhmClient, name: str) -> ApiToken | None:
    return next((token for token in whm.list_tokens() if token.name == name), None)


def test_a_created_token_authenticates_listaccts_as_in_cpanels_curl_example(
    simulator, connect: Connect
) -> None:
    created = connect(ROOT_PASSWORD).create_token("curl", acls=["list-accts"], expires=IN_30_DAYS)

    # curl -H'Authorization: whm root:TOKEN' 'https://HOST:2087/json-api/listaccts?api.version=1'
    response = httpx.get(
        f"{simulator.url}/json-api/listaccts?api.version=1",
        headers={"Authorization": f"whm root:{created.secret}"},
    )

    assert response.status_code == 200
    reply = response.json()
    assert reply["metadata"]["result"] == 1
    assert isinstance(reply["data"]["acct"], list)


# --- The wire form ---------------------------------------------------------------------------


def test_every_call_posts_a_form_to_json_api_with_api_version_1(
    simulator, connect: Connect
) -> None:
    sent: list[httpx.Request] = []
    whm = connect(ROOT_PASSWORD, sent=sent)
    created = whm.create_token("wire", acls=["list-accts"], expires=None)
    whm.list_tokens()
    whm.update_token("wire", acls=["list-accts"], expires=None)
    whm.get_token_details(created.secret)
    whm.my_privileges()
    whm.revoke_tokens(["wire"])

    functions = [
        "api_token_create",
        "api_token_list",
        "api_token_update",
        "api_token_get_details",
        "myprivs",
        "api_token_revoke",
    ]
    assert [request.url.path for request in sent] == [f"/json-api/{fn}" for fn in functions]
    for request in sent:
        assert request.method == "POST"
        assert request.url.query == b"api.version=1"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert re.fullmatch(r"TokenUI/\d+\.\d+\.\d+\S*", request.headers["User-Agent"])
    logged = simulator.requests()
    assert [entry.function for entry in logged] == functions
    assert {entry.method for entry in logged} == {"POST"}
    assert {entry.result for entry in logged} == {1}


@pytest.mark.parametrize("kind", ["token", "password"])
def test_authorization_header_is_set_per_request_by_credential_kind(
    simulator, connect: Connect, kind: str
) -> None:
    user, password = DEMO_ROOT
    if kind == "token":
        secret = simulator.store.add_token(
            user, "header", acls=["manage-api-tokens"], create_time=CREATED, expires_at=None
        )
        header = f"whm {user}:{secret}"
    else:
        secret = password
        header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    sent: list[httpx.Request] = []

    connect(Credential(user, secret, kind), sent=sent).my_privileges()

    assert sent[0].headers["Authorization"] == header
    assert secret not in str(sent[0].url)
    (logged,) = simulator.requests()
    assert (logged.user, logged.auth) == (user, kind)


def test_one_pooled_http_client_serves_several_users_each_with_their_own_credential(
    simulator,
) -> None:
    with make_http_client(simulator.url) as http:
        root = WhmClient(http, ROOT_PASSWORD)
        reseller = WhmClient(http, Credential(*DEMO_RESELLER, "password"))

        assert root.my_privileges().holds("all")
        assert not reseller.my_privileges().holds("all")
        assert root.my_privileges().holds("all")

    assert [entry.user for entry in simulator.requests()] == ["root", "reseller", "root"]


def test_create_token_sends_numbered_acls_expiry_and_ips(simulator, connect: Connect) -> None:
    sent: list[httpx.Request] = []
    expected = [
        ("token_name", "invoice-bot"),
        ("acl-0", "create-acct"),
        ("acl-1", "list-accts"),
        ("expires_at", str(int(IN_30_DAYS.timestamp()))),
        ("whitelist_ip-0", "192.0.2.10"),
        ("whitelist_ip-1", "192.0.2.16/28"),
    ]

    connect(ROOT_PASSWORD, sent=sent).create_token(
        "invoice-bot",
        acls=["create-acct", "list-accts", "create-acct"],
        expires=IN_30_DAYS,
        whitelist_ips=["192.0.2.10", "192.0.2.16/28"],
    )

    assert _form(sent[0]) == expected
    assert simulator.requests()[0].params == {"api.version": "1", **dict(expected)}


def test_create_token_without_expiry_or_ips_omits_them(connect: Connect) -> None:
    sent: list[httpx.Request] = []

    connect(ROOT_PASSWORD, sent=sent).create_token("plain", acls=["list-accts"], expires=None)

    assert _form(sent[0]) == [("token_name", "plain"), ("acl-0", "list-accts")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"new_name": "renamed", "expires": IN_30_DAYS, "whitelist_ips": ["192.0.2.10"]},
            [
                ("token_name", "edit-me"),
                ("new_name", "renamed"),
                ("acl-0", "list-accts"),
                ("expires_at", str(int(IN_30_DAYS.timestamp()))),
                ("whitelist_ip-0", "192.0.2.10"),
            ],
            id="rename-expiry-ips",
        ),
        pytest.param(
            {"new_name": "edit-me", "expires": None, "whitelist_ips": []},
            [
                ("token_name", "edit-me"),
                ("acl-0", "list-accts"),
                ("expires_at", "0"),
                ("whitelist_ip", "any"),
            ],
            id="same-name-clears-expiry-and-ips",
        ),
    ],
)
def test_update_token_sends_the_full_desired_state(
    connect: Connect, changes: dict, expected: list[tuple[str, str]]
) -> None:
    sent: list[httpx.Request] = []
    whm = connect(ROOT_PASSWORD, sent=sent)
    whm.create_token("edit-me", acls=["list-accts"], expires=IN_90_DAYS, whitelist_ips=["::1"])

    whm.update_token("edit-me", acls=["list-accts"], **changes)

    assert _form(sent[-1]) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"new_name": "kept"},
            [("token_name", "edit-me"), ("new_name", "kept")],
            id="rename-only",
        ),
        pytest.param(
            {"whitelist_ips": ["192.0.2.10"]},
            [("token_name", "edit-me"), ("whitelist_ip-0", "192.0.2.10")],
            id="ips-only",
        ),
        pytest.param(
            {"acls": ["list-accts"], "expires": None},
            [("token_name", "edit-me"), ("acl-0", "list-accts"), ("expires_at", "0")],
            id="acls-and-expiry",
        ),
    ],
)
def test_update_token_sends_nothing_for_a_field_left_as_keep(
    connect: Connect, changes: dict, expected: list[tuple[str, str]]
) -> None:
    sent: list[httpx.Request] = []
    whm = connect(ROOT_PASSWORD, sent=sent)
    whm.create_token("edit-me", acls=["list-accts"], expires=IN_90_DAYS, whitelist_ips=["::1"])

    whm.update_token("edit-me", **changes)

    assert _form(sent[-1]) == expected


def test_update_with_acls_and_expiry_kept_changes_neither(connect: Connect) -> None:
    whm = connect(ROOT_PASSWORD)
    whm.create_token("inherits", acls=["all"], expires=IN_90_DAYS)
    before = _listed(whm, "inherits")
    assert before is not None
    assert before.has_full_access

    after = whm.update_token("inherits", whitelist_ips=["192.0.2.10"])

    assert after.has_full_access
    assert after.expires == before.expires == IN_90_DAYS
    assert _listed(whm, "inherits") == replace(before, whitelist_ips=("192.0.2.10",))


@pytest.mark.parametrize("user", [ROOT_PASSWORD, RESELLER_PASSWORD], ids=["root", "reseller"])
def test_a_token_made_without_acls_is_listed_as_full_access(
    simulator, connect: Connect, user: Credential
) -> None:
    whm = connect(user)
    # The client always sends a list; a token made without one comes from WHM's own UI or a
    # script, here the raw API.
    with httpx.Client(base_url=simulator.url, auth=(user.user, user.secret)) as raw:
        raw.post("/json-api/api_token_create?api.version=1", data={"token_name": "inherits"})

    full = _listed(whm, "inherits")
    limited = whm.create_token("limited", acls=["list-accts"], expires=None).token

    assert full is not None
    assert full.has_full_access
    assert not limited.has_full_access
    assert not _listed(whm, "limited").has_full_access
    # Kept full access by an update that leaves the ACLs alone.
    whm.update_token("inherits", new_name="still-inherits")
    assert _listed(whm, "still-inherits").has_full_access


def test_revoke_tokens_sends_numbered_names(connect: Connect) -> None:
    sent: list[httpx.Request] = []

    connect(ROOT_PASSWORD, sent=sent).revoke_tokens(["a", "b", "a"])

    assert _form(sent[0]) == [("token_name-0", "a"), ("token_name-1", "b")]


def test_get_token_details_sends_the_secret_in_the_body_only(simulator, connect: Connect) -> None:
    sent: list[httpx.Request] = []
    secret = "UWU28DCA23NKY76CN17MDPKM3O7EFQY8"

    connect(ROOT_PASSWORD, sent=sent).get_token_details(secret)

    assert _form(sent[0]) == [("token", secret)]
    assert secret not in str(sent[0].url)
    assert secret not in repr(simulator.requests())


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(
            lambda whm: whm.create_token("x", acls=[], expires=None),
            ValueError,
            id="create-no-acls",
        ),
        pytest.param(
            lambda whm: whm.update_token("x", acls=(), expires=None),
            ValueError,
            id="update-no-acls",
        ),
        pytest.param(
            lambda whm: whm.create_token("x", acls="all", expires=None),
            TypeError,
            id="acls-one-string",
        ),
        pytest.param(
            lambda whm: whm.create_token("x", acls=["all"], expires=None, whitelist_ips="::1"),
            TypeError,
            id="ips-one-string",
        ),
        pytest.param(lambda whm: whm.revoke_tokens([]), ValueError, id="revoke-nothing"),
        pytest.param(lambda whm: whm.update_token("x"), ValueError, id="update-nothing"),
        pytest.param(
            lambda whm: whm.update_token("x", new_name="x"), ValueError, id="rename-to-itself"
        ),
        pytest.param(lambda whm: whm.revoke_tokens("name"), TypeError, id="revoke-one-string"),
        pytest.param(
            lambda whm: whm.create_token("x", acls=["all"], expires=datetime(2030, 1, 1)),
            ValueError,
            id="naive-expiry",
        ),
        pytest.param(
            lambda whm: whm.update_token(
                "x", acls=["all"], expires=datetime(1970, 1, 1, tzinfo=UTC)
            ),
            ValueError,
            id="expiry-0-would-mean-never",
        ),
    ],
)
def test_calls_that_would_mean_something_else_on_the_wire_are_refused_before_sending(
    simulator, connect: Connect, call: Callable[[WhmClient], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(connect(ROOT_PASSWORD))

    assert simulator.requests() == []


def test_make_http_client_sets_timeouts_and_never_follows_redirects() -> None:
    with make_http_client("https://whm.example.com:2087", timeout=15) as http:
        assert http.timeout == httpx.Timeout(15, connect=5)
        assert http.follow_redirects is False
        assert http.auth is None
    with make_http_client("https://whm.example.com:2087", timeout=0.3) as http:
        assert http.timeout == httpx.Timeout(0.3, connect=0.3)
