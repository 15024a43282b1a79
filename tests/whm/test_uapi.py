"""CpanelClient against the simulator's cPanel over real HTTP, on both transports: direct to
cPanel's port as the account, and through WHM's uapi_cpanel as the WHM user who owns it. Also
WhmClient.list_accounts (listaccts)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, SYSTEM_TRUST
from tokenui.simulator import DEMO_CPANEL_ACCOUNTS, Simulator
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmApiError, WhmAuthError
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import Account, Credential
from tokenui.whm.uapi import CpanelClient

PASSWORDS = {account.user: account.password for account in DEMO_CPANEL_ACCOUNTS}
OWNERS = {account.user: account.owner for account in DEMO_CPANEL_ACCOUNTS}
WHM_PASSWORDS = {DEMO_ROOT[0]: DEMO_ROOT[1], DEMO_RESELLER[0]: DEMO_RESELLER[1]}
# The demo tokens every demo cPanel account starts with (the simulator's seed).
DEMO_NAMES = {"deploy-script", "wordpress-sync", "site-monitor", "old-backup", "stats-reader"}
SECRET = re.compile(r"[A-Z0-9]{32}")
IN_30_DAYS = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


@dataclass(frozen=True)
class Way:
    """One way to reach an account's tokens: how, and as whom."""

    transport: str  # "direct" or "through-whm"
    kind: str  # the caller's credential: "password" or "token"
    caller: str  # the cPanel account (direct), or the WHM user (through WHM)

    def __str__(self) -> str:
        return f"{self.transport}-{self.caller}-{self.kind}"


# The reseller's own account `garage` is reached each way: as itself (password, token), or by
# its owner the reseller and by root (every account is root's), by password or WHM token.
WAYS = [
    Way("direct", "password", "garage"),
    Way("direct", "token", "garage"),
    Way("through-whm", "password", "reseller"),
    Way("through-whm", "token", "reseller"),
    Way("through-whm", "password", "root"),
]

type Connect = Callable[..., CpanelClient]


@pytest.fixture
def connect(simulator: Simulator) -> Iterator[Connect]:
    """A CpanelClient for `account` one way; `sent` collects each request as it left."""
    opened: list[httpx.Client] = []

    def _connect(
        way: Way, account: str = "garage", *, sent: list[httpx.Request] | None = None
    ) -> CpanelClient:
        direct = way.transport == "direct"
        http = make_http_client(simulator.cpanel_url if direct else simulator.url)
        if sent is not None:
            http.event_hooks = {"request": [sent.append], "response": []}
        opened.append(http)
        if direct:
            return CpanelClient.direct(http, _cpanel_credential(simulator, way))
        return CpanelClient.through_whm(http, _whm_credential(simulator, way), account)

    yield _connect
    for http in opened:
        http.close()


def _cpanel_credential(simulator: Simulator, way: Way) -> Credential:
    if way.kind == "password":
        return Credential(way.caller, PASSWORDS[way.caller], "password")
    secret = simulator.store.add_cpanel_token(
        way.caller, "signed-in", create_time=1_700_000_000, expires_at=None
    )
    return Credential(way.caller, secret, "token")


def _whm_credential(simulator: Simulator, way: Way) -> Credential:
    if way.kind == "password":
        return Credential(way.caller, WHM_PASSWORDS[way.caller], "password")
    secret = simulator.store.add_token(
        way.caller, "signed-in", acls=(), create_time=1_700_000_000, expires_at=None,
        full_access=True,
    )  # fmt: skip
    return Credential(way.caller, secret, "token")


@pytest.fixture(params=WAYS, ids=str)
def way(request: pytest.FixtureRequest) -> Way:
    return request.param


def _names(cpanel: CpanelClient) -> set[str]:
    return {token.name for token in cpanel.list_tokens()}


def _works(simulator: Simulator, account: str, secret: str) -> bool:
    """Seed 004's use of a token: a UAPI call with `Authorization: cpanel USER:TOKEN`."""
    response = httpx.get(
        f"{simulator.cpanel_url}/execute/Email/list_pops",
        headers={"Authorization": f"cpanel {account}:{secret}"},
        verify=SYSTEM_TRUST,
        timeout=5,
    )
    return response.status_code == 200 and response.json()["status"] == 1


# --- Tokens::list ----------------------------------------------------------------------------


def test_list_tokens_reads_the_accounts_tokens_newest_first(
    connect: Connect, way: Way, simulator: Simulator
) -> None:
    now = datetime.now(UTC)
    tokens = [t for t in connect(way).list_tokens() if t.name != "signed-in"]

    assert [t.name for t in tokens] == [
        "stats-reader",
        "wordpress-sync",
        "deploy-script",
        "site-monitor",
        "old-backup",
    ]
    by_name = {t.name: t for t in tokens}
    # Read-only is orthogonal to full access (11.137's spec).
    assert by_name["stats-reader"].read_only
    assert all(t.full_access for t in tokens)
    assert not any(t.read_only for t in tokens if t.name != "stats-reader")
    assert by_name["deploy-script"].expires is None
    assert by_name["old-backup"].expires < now < by_name["site-monitor"].expires
    assert all(t.created.tzinfo is UTC and t.features == () for t in tokens)


def test_list_tokens_is_one_accounts_only(connect: Connect, simulator: Simulator) -> None:
    simulator.store.add_cpanel_token("studio", "studio-only", create_time=1, expires_at=None)

    assert "studio-only" in _names(connect(Way("through-whm", "password", "reseller"), "studio"))
    assert "studio-only" not in _names(connect(Way("through-whm", "password", "reseller")))
    assert "studio-only" not in _names(connect(Way("direct", "password", "garage")))


# --- Tokens::create_full_access --------------------------------------------------------------


def test_create_token_returns_a_secret_that_works_as_seed_004_uses_it(
    connect: Connect, way: Way, simulator: Simulator
) -> None:
    cpanel = connect(way)
    before = datetime.now(UTC).replace(microsecond=0)

    created = cpanel.create_token("ci-bot", expires=IN_30_DAYS)

    assert SECRET.fullmatch(created.secret)
    assert created.token.name == "ci-bot"
    assert created.token.expires == IN_30_DAYS
    assert (created.token.full_access, created.token.read_only) == (True, False)
    assert before <= created.token.created <= datetime.now(UTC)
    (listed,) = [t for t in cpanel.list_tokens() if t.name == "ci-bot"]
    assert listed == created.token
    assert _works(simulator, "garage", created.secret)


def test_create_token_without_an_expiry_never_expires(connect: Connect, way: Way) -> None:
    cpanel = connect(way)

    created = cpanel.create_token("forever", expires=None)

    assert created.token.expires is None
    assert {t.name: t.expires for t in cpanel.list_tokens()}["forever"] is None


def test_create_token_read_only_makes_a_token_that_may_read_but_not_write(
    connect: Connect, way: Way, simulator: Simulator
) -> None:
    sent: list[httpx.Request] = []
    cpanel = connect(way, sent=sent)

    created = cpanel.create_token("reader", expires=None, read_only=True)

    assert b"readonly=1" in sent[-1].content
    assert (created.token.full_access, created.token.read_only) == (True, True)
    assert {t.name: t for t in cpanel.list_tokens()}["reader"] == created.token
    assert _works(simulator, "garage", created.secret)
    with make_http_client(simulator.cpanel_url) as http:
        reader = CpanelClient.direct(http, Credential("garage", created.secret, "token"))
        with pytest.raises(WhmApiError, match="read-only"):
            reader.create_token("more", expires=None)
    assert "more" not in _names(cpanel)


def test_create_token_sends_no_readonly_unless_asked(connect: Connect, way: Way) -> None:
    sent: list[httpx.Request] = []

    created = connect(way, sent=sent).create_token("writer", expires=None)

    assert b"readonly" not in sent[-1].content
    assert not created.token.read_only


def test_create_token_sends_the_expiry_as_whole_unix_seconds(connect: Connect, way: Way) -> None:
    sent: list[httpx.Request] = []
    expires = IN_30_DAYS + timedelta(microseconds=999_999)

    created = connect(way, sent=sent).create_token("precise", expires=expires)

    assert f"expires_at={int(IN_30_DAYS.timestamp())}".encode() in sent[-1].content
    assert created.token.expires == IN_30_DAYS


# --- Tokens::rename --------------------------------------------------------------------------


def test_rename_token_keeps_the_secret_working(
    connect: Connect, way: Way, simulator: Simulator
) -> None:
    cpanel = connect(way)
    created = cpanel.create_token("before", expires=IN_30_DAYS)

    assert cpanel.rename_token("before", "after") is None

    names = _names(cpanel)
    assert "after" in names
    assert "before" not in names
    assert {t.name: t.expires for t in cpanel.list_tokens()}["after"] == IN_30_DAYS
    assert _works(simulator, "garage", created.secret)


# --- Tokens::revoke --------------------------------------------------------------------------


def test_revoke_token_removes_it_and_its_secret_stops_working(
    connect: Connect, way: Way, simulator: Simulator
) -> None:
    cpanel = connect(way)
    created = cpanel.create_token("short-lived", expires=None)
    assert _works(simulator, "garage", created.secret)

    assert cpanel.revoke_token("short-lived") is None

    assert "short-lived" not in _names(cpanel)
    assert not _works(simulator, "garage", created.secret)


def test_revoke_of_a_name_cpanel_does_not_know_succeeds_as_cpanel_does(
    connect: Connect, way: Way
) -> None:
    cpanel = connect(way)

    assert cpanel.revoke_token("no-such-token") is None
    assert _names(cpanel) >= DEMO_NAMES


# --- cPanel says no, in its words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "errors"),
    [
        (
            lambda c: c.create_token("deploy-script", expires=None),
            "A conflicting API token with the name “deploy-script” already exists.",
        ),
        (
            lambda c: c.create_token("bad name!", expires=None),
            (
                "“bad name!” is not a valid API token name. An API token name must not be longer "
                "than 50 characters and may only contain the following characters: a-z A-Z 0-9 _ -"
            ),
        ),
        (
            lambda c: c.create_token("x" * 51, expires=None),
            f"“{'x' * 51}” is not a valid API token name.",
        ),
        (
            lambda c: c.create_token("past", expires=datetime(2020, 12, 31, tzinfo=UTC)),
            "The “1609372800” value must be a future date.",
        ),
        (
            lambda c: c.rename_token("deploy-script", "site-monitor"),
            "An API token with the name “site-monitor” already exists.",
        ),
        (
            lambda c: c.rename_token("no-such-token", "anything"),
            "The API token “no-such-token” does not exist.",
        ),
        (
            lambda c: c.rename_token("deploy-script", "bad name!"),
            "“bad name!” is not a valid API token name.",
        ),
    ],
    ids=["duplicate", "bad-name", "long-name", "past-expiry", "rename-taken", "unknown", "bad-new"],
)
def test_cpanel_refusing_is_an_api_error_with_its_sentence(
    connect: Connect, way: Way, call: Callable[[CpanelClient], object], errors: str
) -> None:
    cpanel = connect(way)
    before = cpanel.list_tokens()

    with pytest.raises(WhmApiError) as caught:
        call(cpanel)

    assert caught.value.message.startswith(errors)
    assert caught.value.may_have_run is False
    assert cpanel.list_tokens() == before


@pytest.mark.parametrize(
    "way",
    [Way("direct", "password", "bakery"), Way("through-whm", "password", "root")],
    ids=str,
)
def test_an_account_without_the_apitokens_feature_is_refused_in_cpanels_words(
    connect: Connect, way: Way
) -> None:
    with pytest.raises(WhmApiError) as caught:
        connect(way, "bakery").list_tokens()

    assert caught.value.message == "You do not have the feature “apitokens”."
    assert caught.value.function == "Tokens::list"


def test_a_read_only_token_may_list_but_not_create(connect: Connect, simulator: Simulator) -> None:
    secret = simulator.store.add_cpanel_token(
        "garage", "reader", create_time=1, expires_at=None, read_only=True
    )
    with make_http_client(simulator.cpanel_url) as http:
        cpanel = CpanelClient.direct(http, Credential("garage", secret, "token"))

        assert "reader" in _names(cpanel)
        with pytest.raises(WhmApiError, match="read-only"):
            cpanel.create_token("more", expires=None)


# --- Through WHM: whose accounts -------------------------------------------------------------


@pytest.mark.parametrize("account", ["acme", "no-such-account"])
def test_a_reseller_cannot_reach_an_account_it_does_not_own(
    connect: Connect, simulator: Simulator, account: str
) -> None:
    cpanel = connect(Way("through-whm", "password", "reseller"), account)

    with pytest.raises(WhmApiError) as caught:
        cpanel.create_token("intruder", expires=None)

    assert caught.value.message == f"You do not have access to an account named “{account}”."
    assert "intruder" not in {t.name for t in simulator.store.cpanel_tokens("acme")}


def test_root_reaches_every_account(connect: Connect) -> None:
    root = Way("through-whm", "password", "root")
    for account in ("acme", "garage", "studio"):
        assert _names(connect(root, account)) >= DEMO_NAMES


def test_a_whm_token_without_cpanel_api_is_refused_as_whm_refuses_it(
    connect: Connect, simulator: Simulator
) -> None:
    secret = simulator.store.add_token(
        "reseller", "lister", acls=("list-accts",), create_time=1, expires_at=None
    )
    credential = Credential("reseller", secret, "token")

    with make_http_client(simulator.url) as http, pytest.raises(WhmAuthError) as caught:
        CpanelClient.through_whm(http, credential, "garage").list_tokens()

    assert caught.value.message == "WHM refused these credentials."


# --- Credentials cPanel refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "credential",
    [
        Credential("garage", "not-the-password", "password"),
        Credential("garage", "A" * 32, "token"),
        Credential("no-such-account", "A" * 32, "token"),
        Credential("garage", PASSWORDS["studio"], "password"),
    ],
    ids=["wrong-password", "unknown-token", "unknown-account", "other-accounts-password"],
)
def test_credentials_cpanel_refuses_are_an_auth_error_naming_cpanel(
    simulator: Simulator, credential: Credential
) -> None:
    with make_http_client(simulator.cpanel_url) as http, pytest.raises(WhmAuthError) as caught:
        CpanelClient.direct(http, credential).list_tokens()

    assert caught.value.message == "cPanel refused these credentials."


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_revoked_or_expired_cpanel_token_is_refused(simulator: Simulator, state: str) -> None:
    expires_at = 1_700_000_000 if state == "expired" else None
    secret = simulator.store.add_cpanel_token(
        "garage", "gone", create_time=1_600_000_000, expires_at=expires_at
    )
    if state == "revoked":
        simulator.store.revoke_cpanel_token("garage", "gone")

    credential = Credential("garage", secret, "token")
    with make_http_client(simulator.cpanel_url) as http, pytest.raises(WhmAuthError) as caught:
        CpanelClient.direct(http, credential).list_tokens()

    assert caught.value.message == "cPanel refused these credentials."


def test_cpanel_port_set_to_whms_is_an_auth_error_that_names_the_setting(
    simulator: Simulator,
) -> None:
    # WHM's port answers a cPanel token with cPanel's scope refusal, whatever the path.
    secret = simulator.store.add_cpanel_token(
        "garage", "wrong-door", create_time=1, expires_at=None
    )
    credential = Credential("garage", secret, "token")

    with make_http_client(simulator.url) as http, pytest.raises(WhmAuthError) as caught:
        CpanelClient.direct(http, credential).list_tokens()

    assert caught.value.message == (
        "This token was refused: a cPanel API token works only with cPanel's own API (UAPI) on "
        "cPanel's port, not with WHM's; check the server URL and CPANEL_PORT."
    )


def test_a_whm_token_is_no_cpanel_token(simulator: Simulator) -> None:
    secret = simulator.store.add_token(
        "reseller", "whm-only", acls=(), create_time=1, expires_at=None, full_access=True
    )

    credential = Credential("reseller", secret, "token")
    with make_http_client(simulator.cpanel_url) as http, pytest.raises(WhmAuthError) as caught:
        CpanelClient.direct(http, credential).list_tokens()

    assert caught.value.message == "cPanel refused these credentials."


# --- listaccts -------------------------------------------------------------------------------


def _list_accounts(simulator: Simulator, user: str) -> list[Account]:
    with make_http_client(simulator.url) as http:
        return WhmClient(http, Credential(user, WHM_PASSWORDS[user], "password")).list_accounts()


def test_root_lists_every_account_and_a_reseller_its_own(simulator: Simulator) -> None:
    everyone = _list_accounts(simulator, "root")
    own = _list_accounts(simulator, "reseller")

    assert {a.user for a in own} == {a.user for a in everyone if a.owner == "reseller"}
    assert {a.owner for a in everyone} == {"root", "reseller"}
    assert set(OWNERS.items()) <= {(a.user, a.owner) for a in everyone}
    assert any(a.suspended for a in own)
    assert not all(a.suspended for a in own)
    garage = next(a for a in own if a.user == "garage")
    record = next(
        r for r in simulator.store.accounts("reseller") if r.user == "garage"
    )  # the simulator's own record, to compare with
    assert garage == Account("garage", record.domain, "reseller", record.plan, False)


def test_list_accounts_includes_an_account_created_through_whm(simulator: Simulator) -> None:
    with make_http_client(simulator.url) as http:
        whm = WhmClient(http, Credential("reseller", WHM_PASSWORDS["reseller"], "password"))
        response = http.post(
            "/json-api/createacct",
            params={"api.version": "1"},
            data={"username": "newshop", "domain": "newshop.example", "plan": "basic"},
            auth=("reseller", WHM_PASSWORDS["reseller"]),
        )
        assert response.json()["metadata"]["result"] == 1, response.text

        accounts = whm.list_accounts()

    assert Account("newshop", "newshop.example", "reseller", "basic", False) in accounts
