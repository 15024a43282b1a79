"""WhmClient reading every reply shape the reference allows, served verbatim over loopback HTTP."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.helpers import ACCESS_DENIED, StubReply, StubWhm
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmApiError, WhmAuthError, WhmBadResponse, WhmError
from tokenui.whm.transport import make_http_client
from tokenui.whm.types import LATEST, ApiToken, Credential, Privileges, TokenSummary

SECRET = "UWU28DCA23NKY76CN17MDPKM3O7EFQY8"

type Answer = Callable[..., WhmClient]


# The simulator answers in one shape per function, as a real WHM does, but the reference lists
# variants it could not confirm (null or absent lists and expiries, loose booleans, numbers as
# strings) and broken replies no simulator fault produces. A stub WHM replays such replies byte
# for byte, so the client meets each of them over a real socket.
@pytest.fixture(scope="module")
def stub() -> Iterator[StubWhm]:
    with StubWhm() as stub:
        yield stub


@pytest.fixture(scope="module")
def stub_client(stub: StubWhm) -> Iterator[httpx.Client]:
    with make_http_client(stub.url) as http:
        yield http


@pytest.fixture
def answer(stub: StubWhm, stub_client: httpx.Client) -> Answer:
    """Make every next reply `body` (a JSON value, or raw bytes) and return a client for it."""

    def _answer(
        body: object,
        *,
        status: int = 200,
        content_type: str = "application/json",
        missing_bytes: int = 0,
    ) -> WhmClient:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stub.fallback = StubReply(status, content_type, raw, missing_bytes)
        return WhmClient(stub_client, Credential("root", SECRET, "token"))

    return _answer


def _ok(function: str, data: object) -> dict[str, object]:
    return {
        "metadata": {"command": function, "reason": "OK", "result": 1, "version": 1},
        "data": data,
    }


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- api_token_list --------------------------------------------------------------------------


def test_list_tokens_reads_the_references_example(answer: Answer) -> None:
    whm = answer(
        _ok(
            "api_token_list",
            {
                "tokens": {
                    "read-only": {
                        "name": "read-only",
                        "create_time": 1490882281,
                        "expires_at": None,
                        "acls": {"all": 0, "list-accts": 1},
                    },
                    "billing-bot": {
                        "name": "billing-bot",
                        "create_time": 1732312345,
                        "expires_at": 1763848799,
                        "whitelist_ips": ["192.0.2.10"],
                        "acls": {"all": 0, "create-acct": 1, "list-accts": 1},
                    },
                }
            },
        )
    )

    assert whm.list_tokens() == [
        ApiToken(
            name="billing-bot",
            created=_utc(1732312345),
            expires=_utc(1763848799),
            acls=frozenset({"create-acct", "list-accts"}),
            whitelist_ips=("192.0.2.10",),
        ),
        ApiToken(
            name="read-only",
            created=_utc(1490882281),
            expires=None,
            acls=frozenset({"list-accts"}),
            whitelist_ips=(),
        ),
    ]


def _listed_one(answer, record: dict[str, object]) -> ApiToken:
    base = {"name": "t", "create_time": 1732312345, "acls": {"list-accts": 1}}
    (token,) = answer(_ok("api_token_list", {"tokens": {"t": base | record}})).list_tokens()
    return token


def test_list_tokens_reads_acls_map_and_drops_demo_key(answer: Answer) -> None:
    token = _listed_one(answer, {"acls": {"all": 0, "demo": 1, "list-accts": 1, "passwd": 0}})

    assert token.acls == {"list-accts"}


@pytest.mark.parametrize(
    ("flags", "granted"),
    [
        ({"a": 1, "b": 0}, {"a"}),
        ({"a": "1", "b": "0"}, {"a"}),
        ({"a": True, "b": False}, {"a"}),
        ({"a": 1, "b": "", "c": None}, {"a"}),
    ],
)
def test_list_tokens_reads_acl_flags_loosely(
    answer: Answer, flags: dict[str, object], granted: set[str]
) -> None:
    assert _listed_one(answer, {"acls": flags}).acls == granted


def test_list_tokens_full_access_token_has_full_access(answer: Answer) -> None:
    token = _listed_one(answer, {"acls": {"all": 1, "list-accts": 0}})

    assert token.has_full_access


@pytest.mark.parametrize(
    ("flags", "full"),
    [
        # Root's full-access token: every key at 1, `all` and `demo` included.
        ({"all": 1, "list-accts": 1, "passwd": 1, "demo": 1}, True),
        # A reseller's: no `all` key, every one of the reseller's own ACLs at 1.
        ({"list-accts": 1, "create-acct": "1", "software-ConfigServer-csf": True}, True),
        ({"list-accts": 1, "create-acct": 0}, False),
        ({"all": 0, "list-accts": 1, "passwd": 1}, False),
        ({"all": 0, "list-accts": 1, "demo": 1}, False),
        ({"demo": 1}, False),
        ({}, False),
    ],
    ids=["root", "reseller", "reseller-limited", "root-limited", "root-one", "demo-only", "empty"],
)
def test_list_tokens_reads_every_listed_acl_at_1_as_full_access(
    answer: Answer, flags: dict[str, object], full: bool
) -> None:
    token = _listed_one(answer, {"acls": flags})

    assert token.has_full_access is full
    assert token.acls >= {key for key, value in flags.items() if value} - {"demo"}


@pytest.mark.parametrize(
    ("record", "expires"),
    [
        ({"expires_at": None}, None),
        ({}, None),
        ({"expires_at": 0}, None),
        # WHM keeps an `expires_at=` sent empty as it came (Validate.pm:104-105).
        ({"expires_at": ""}, None),
        ({"expires_at": 1763848799}, _utc(1763848799)),
        # Perl's JSON writes a number that was once used as a string as a string.
        ({"expires_at": "1763848799"}, _utc(1763848799)),
    ],
    ids=["null", "absent", "zero", "empty", "epoch", "epoch-as-string"],
)
def test_list_tokens_reads_every_form_of_no_expiry(
    answer: Answer, record: dict[str, object], expires: datetime | None
) -> None:
    assert _listed_one(answer, record).expires == expires


LAST_SECOND = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)  # 253402300799


@pytest.mark.parametrize(
    ("expires_at", "expires"),
    [
        (253402300799, LAST_SECOND),
        (253402300800, LATEST),
        (300000000000, LATEST),
        ("300000000000", LATEST),
        # Past 64 bits: still a time after 9999 (a JSON decoder may read it as a float).
        (99999999999999999999, LATEST),
        ("9" * 5000, LATEST),
    ],
    ids=["last-second", "one-second-later", "year-11476", "as-string", "over-64-bits", "huge"],
)
def test_list_tokens_reads_an_expiry_past_year_9999_as_the_latest_time(
    answer: Answer, expires_at: object, expires: datetime
) -> None:
    # WHM accepts any future expires_at; datetime ends at 9999.
    token = _listed_one(answer, {"expires_at": expires_at})

    assert token.expires == expires


def test_one_far_future_token_does_not_break_the_list(answer: Answer) -> None:
    tokens = {
        "far": {"name": "far", "create_time": 1732312345, "expires_at": 300000000000},
        "near": {"name": "near", "create_time": 1732312000, "expires_at": 1763848799},
        "odd": {"name": "odd", "create_time": 300000000000, "expires_at": None},
    }

    listed = answer(_ok("api_token_list", {"tokens": tokens})).list_tokens()

    # create_time past 9999 reads as the latest time too, so that token sorts first (newest).
    assert [(t.name, t.created, t.expires) for t in listed] == [
        ("odd", LATEST, None),
        ("far", _utc(1732312345), LATEST),
        ("near", _utc(1732312000), _utc(1763848799)),
    ]


@pytest.mark.parametrize(
    ("record", "ips"),
    [
        ({}, ()),
        ({"whitelist_ips": None}, ()),
        ({"whitelist_ips": []}, ()),
        (
            {"whitelist_ips": ["192.0.2.10", "fc00:abcd:0000:0000:0000:0000:0000:000f"]},
            ("192.0.2.10", "fc00:abcd:0000:0000:0000:0000:0000:000f"),
        ),
    ],
    ids=["absent", "null", "empty", "listed"],
)
def test_list_tokens_reads_absent_or_null_ips_as_any_ip(
    answer: Answer, record: dict[str, object], ips: tuple[str, ...]
) -> None:
    assert _listed_one(answer, record).whitelist_ips == ips


def test_a_token_with_no_stored_acl_list_has_all_its_users_rights(answer: Answer) -> None:
    # WHM stores no list for a token created without acls, and such a token holds every right.
    reply = _ok("api_token_get_details", {"name": "t", "create_time": 1732312345})

    assert answer(reply).get_token_details(SECRET).has_full_access


# --- api_token_list as a table reads it: list_token_summaries ---------------------------------


def _summarised_one(answer: Answer, record: dict[str, object]) -> TokenSummary:
    base = {"name": "t", "create_time": 1732312345, "acls": {"list-accts": 1}}
    reply = _ok("api_token_list", {"tokens": {"t": base | record}})
    (summary,) = answer(reply).list_token_summaries()
    return summary


def test_list_token_summaries_reads_the_references_example_in_whms_order(answer: Answer) -> None:
    tokens = {
        "read-only": {
            "name": "read-only",
            "create_time": 1490882281,
            "expires_at": None,
            "acls": {"all": 0, "list-accts": 1},
        },
        "billing-bot": {
            "name": "billing-bot",
            "create_time": 1732312345,
            "expires_at": 1763848799,
            "whitelist_ips": ["192.0.2.10"],
            "acls": {"all": 0, "create-acct": 1, "list-accts": 1},
        },
        "also-2024": {"name": "also-2024", "create_time": 1732312345, "acls": {"all": 1}},
    }

    summaries = answer(_ok("api_token_list", {"tokens": tokens})).list_token_summaries()

    assert summaries == [
        TokenSummary("also-2024", 1732312345, None, (), full_access=True),
        TokenSummary("billing-bot", 1732312345, 1763848799, ("192.0.2.10",)),
        TokenSummary("read-only", 1490882281, None, ()),
    ]
    assert summaries[1].created == _utc(1732312345)
    assert summaries[1].expires == _utc(1763848799)
    assert summaries[2].expires is None


@pytest.mark.parametrize(
    ("record", "expires_at"),
    [
        ({"expires_at": None}, None),
        ({}, None),
        ({"expires_at": 0}, None),
        ({"expires_at": "0"}, None),
        ({"expires_at": ""}, None),
        ({"expires_at": 1763848799}, 1763848799),
        ({"expires_at": "1763848799"}, 1763848799),
        ({"expires_at": "0001763848799"}, 1763848799),
    ],
    ids=[
        "null",
        "absent",
        "zero",
        "zero-as-string",
        "empty",
        "epoch",
        "as-string",
        "leading-zeros",
    ],
)
def test_list_token_summaries_reads_every_form_of_expiry(
    answer: Answer, record: dict[str, object], expires_at: int | None
) -> None:
    assert _summarised_one(answer, record).expires_at == expires_at


@pytest.mark.parametrize(
    ("expires_at", "expires"),
    [
        (253402300799, LAST_SECOND),
        (253402300800, LATEST),
        (300000000000, LATEST),
        ("300000000000", LATEST),
        (99999999999999999999, LATEST),
        ("9" * 5000, LATEST),
    ],
    ids=["last-second", "one-second-later", "year-11476", "as-string", "over-64-bits", "huge"],
)
def test_list_token_summaries_read_an_expiry_past_year_9999_as_the_latest_time(
    answer: Answer, expires_at: object, expires: datetime
) -> None:
    summary = _summarised_one(answer, {"expires_at": expires_at})

    assert summary.expires == expires
    # Kept as a number that fits 64 bits (the table's kept list is stored as msgpack).
    assert summary.expires_at <= 253402300800


def test_one_far_future_token_does_not_break_the_summaries(answer: Answer) -> None:
    tokens = {
        "far": {"name": "far", "create_time": 1732312345, "expires_at": 300000000000},
        "near": {"name": "near", "create_time": 1732312000, "expires_at": 1763848799},
        "odd": {"name": "odd", "create_time": 300000000000, "expires_at": None},
    }

    listed = answer(_ok("api_token_list", {"tokens": tokens})).list_token_summaries()

    assert [(t.name, t.created, t.expires) for t in listed] == [
        ("odd", LATEST, None),
        ("far", _utc(1732312345), LATEST),
        ("near", _utc(1732312000), _utc(1763848799)),
    ]


@pytest.mark.parametrize(
    ("record", "ips"),
    [
        ({}, ()),
        ({"whitelist_ips": None}, ()),
        ({"whitelist_ips": []}, ()),
        ({"whitelist_ips": ["192.0.2.10", "2001:db8::/32"]}, ("192.0.2.10", "2001:db8::/32")),
    ],
    ids=["absent", "null", "empty", "listed"],
)
def test_list_token_summaries_read_absent_or_null_ips_as_any_ip(
    answer: Answer, record: dict[str, object], ips: tuple[str, ...]
) -> None:
    assert _summarised_one(answer, record).whitelist_ips == ips


@pytest.mark.parametrize(
    ("acls", "whitelist_ips"),
    [({"list-accts": "yes"}, None), ("all", []), ([1, 2], ["192.0.2.1"]), (None, None)],
    ids=["odd-flag", "string", "numbers", "null"],
)
def test_list_token_summaries_leave_the_acl_map_unread(
    answer: Answer, acls: object, whitelist_ips: object
) -> None:
    # A list shows no ACLs: their map (most of WHM's reply) is skipped, so a flag in a shape
    # list_tokens() refuses does not take the table down.
    record = {"acls": acls, "whitelist_ips": whitelist_ips}

    assert _summarised_one(answer, record).name == "t"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"create_time": "soon"}, "create_time"),
        ({"create_time": True}, "create_time"),
        ({"create_time": 1.5e9}, "create_time"),
        ({"create_time": -1}, "create_time"),
        ({"create_time": None}, "create_time"),
        ({"create_time": [1]}, "create_time"),
        ({"expires_at": "never"}, "expires_at"),
        ({"expires_at": -1}, "expires_at"),
        ({"expires_at": "-300000000000"}, "expires_at"),
        ({"expires_at": 3e11}, "expires_at"),
        ({"expires_at": "3e11"}, "expires_at"),
        ({"expires_at": -(10**20)}, "expires_at"),
        ({"expires_at": {"at": 1}}, "expires_at"),
        ({"whitelist_ips": "any"}, "whitelist_ips"),
        ({"whitelist_ips": [3232235777]}, "whitelist_ips"),
    ],
    ids=repr,
)
def test_a_summarised_record_of_the_wrong_type_is_a_bad_response_naming_our_field(
    answer: Answer, record: dict[str, object], field: str
) -> None:
    with pytest.raises(WhmBadResponse, match="not in the shape TokenUI expects") as caught:
        _summarised_one(answer, record)

    assert field in caught.value.message


@pytest.mark.parametrize(
    "data",
    [None, {}, {"tokens": []}, {"tokens": None}, {"tokens": {"t": 5}}, {"tokens": {"": {}}}],
    ids=["null", "empty", "tokens-as-array", "tokens-null", "record-a-number", "empty-name"],
)
def test_a_token_list_of_the_wrong_shape_is_a_bad_response_for_summaries_too(
    answer: Answer, data: object
) -> None:
    with pytest.raises(WhmBadResponse, match="not in the shape TokenUI expects"):
        answer(_ok("api_token_list", data)).list_token_summaries()


@pytest.mark.parametrize(
    "body",
    [
        b'{"metadata": {"result": 1}, "data": {"tok',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"metadata": {"result": 1}, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'["metadata"]',
        b'{"data": {"tokens": {}}}',
        b'{"metadata": {"result": Infinity}, "data": {"tokens": {}}}',
    ],
    ids=[
        "truncated",
        "not-utf8",
        "deeply-nested",
        "deep-data",
        "no-envelope",
        "no-metadata",
        "inf",
    ],
)
def test_a_reply_that_is_not_api_1_is_a_bad_response_for_summaries_too(
    answer: Answer, body: bytes
) -> None:
    with pytest.raises(WhmBadResponse):
        answer(body).list_token_summaries()


@pytest.mark.parametrize("data", [{"tokens": {}}, None, {}], ids=["list-shaped", "null", "empty"])
def test_result_0_to_a_summarised_list_is_whms_reason_whatever_its_data(
    answer: Answer, data: object
) -> None:
    reply = {"metadata": {"command": "api_token_list", "result": 0, "reason": "No."}, "data": data}

    with pytest.raises(WhmApiError, match=r"^No\.$"):
        answer(reply).list_token_summaries()


def test_an_access_denied_body_is_an_auth_error_for_summaries_too(answer: Answer) -> None:
    with pytest.raises(WhmAuthError):
        answer(ACCESS_DENIED.encode(), content_type="text/plain").list_token_summaries()


# --- api_token_create, api_token_update, api_token_get_details -------------------------------


def test_create_token_reads_the_references_example(answer: Answer) -> None:
    whm = answer(
        _ok(
            "api_token_create",
            {
                "name": "billing-bot",
                "create_time": 1732312345,
                "expires_at": 1763848799,
                "acls": ["create-acct", "list-accts"],
                "whitelist_ips": ["192.0.2.10", "192.0.2.16/28"],
                "token": SECRET,
            },
        )
    )

    created = whm.create_token("billing-bot", acls=["create-acct", "list-accts"], expires=None)

    assert created.secret == SECRET
    assert created.token == ApiToken(
        name="billing-bot",
        created=_utc(1732312345),
        expires=_utc(1763848799),
        acls=frozenset({"create-acct", "list-accts"}),
        whitelist_ips=("192.0.2.10", "192.0.2.16/28"),
    )
    assert SECRET not in repr(created)


@pytest.mark.parametrize(
    "expiry",
    [{"expires_at": None}, {"expires_at": ""}, {}],
    ids=["null", "empty", "absent"],
)
def test_create_token_reads_every_form_of_no_expiry_as_never(
    answer: Answer, expiry: dict[str, object]
) -> None:
    # WHM sends null (its record is a key slice, Write.pm:249-254), "" when expires_at= was sent
    # empty; an older or other server may leave the key out.
    record = {"name": "t", "create_time": 1732312345, **expiry, "token": SECRET}
    whm = answer(_ok("api_token_create", record))

    created = whm.create_token("t", acls=["list-accts"], expires=None)

    assert created.token.expires is None


def _created_with_secret(answer: Answer, secret: object) -> object:
    record = {"name": "t", "create_time": 1732312345, "acls": ["list-accts"], "token": secret}
    return answer(_ok("api_token_create", record)).create_token(
        "t", acls=["list-accts"], expires=None
    )


@pytest.mark.parametrize(
    "secret",
    [
        # A hostile WHM's "secret" that would run a command inside the curl line offered for
        # copying: X'; touch pwned; echo '
        "X'; touch pwned; echo '",
        SECRET.lower(),
        SECRET[:-1],
        SECRET + "A",
        SECRET[:-1] + " ",
        SECRET[:-1] + "\n",
        SECRET[:-1] + "Ä",
        SECRET[:-1] + "٣",  # a digit, but not an ASCII one
        "",
        None,
        12345678901234567890123456789012,
    ],
    ids=[
        "shell",
        "lowercase",
        "short",
        "long",
        "space",
        "newline",
        "non-ascii-letter",
        "non-ascii-digit",
        "empty",
        "null",
        "number",
    ],
)
def test_create_token_refuses_a_secret_outside_whms_alphabet_and_length(
    answer: Answer, secret: object
) -> None:
    with pytest.raises(WhmBadResponse) as caught:
        _created_with_secret(answer, secret)

    assert caught.value.may_have_run
    # The message names our field, never what WHM sent.
    assert "token" in caught.value.message
    assert "touch" not in caught.value.message


def test_create_token_accepts_whms_32_uppercase_letters_and_digits(answer: Answer) -> None:
    assert _created_with_secret(answer, SECRET).secret == SECRET


def test_update_token_reads_a_record_without_ips(answer: Answer) -> None:
    whm = answer(
        _ok(
            "api_token_update",
            {
                "name": "renamed",
                "create_time": 1732312345,
                "expires_at": None,
                "acls": ["demo", "list-accts"],
            },
        )
    )

    updated = whm.update_token("t", new_name="renamed", acls=["list-accts"], expires=None)

    assert updated == ApiToken("renamed", _utc(1732312345), None, frozenset({"list-accts"}), ())


@pytest.mark.parametrize(
    "reply",
    [
        {
            "metadata": {
                "command": "api_token_get_details",
                "reason": "OK",
                "result": 1,
                "version": 1,
            }
        },
        _ok("api_token_get_details", None),
        _ok("api_token_get_details", {}),
    ],
    ids=["absent", "null", "empty"],
)
def test_get_token_details_is_none_when_whm_returns_no_data(answer: Answer, reply: object) -> None:
    assert answer(reply).get_token_details(SECRET) is None


def test_get_token_details_reads_an_empty_expiry_as_never(answer: Answer) -> None:
    record = {"name": "blank", "create_time": 1732312345, "expires_at": "", "acls": ["list-accts"]}
    whm = answer(_ok("api_token_get_details", record))

    details = whm.get_token_details(SECRET)

    assert details == ApiToken("blank", _utc(1732312345), None, frozenset({"list-accts"}), ())


# --- myprivs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("privileges", "held", "not_held"),
    [
        ({"all": 1, "list-accts": 0, "kill-acct": 0}, {"kill-acct", "anything"}, set()),
        (
            {"all": 0, "list-accts": "1", "kill-acct": "0", "demo": 1},
            {"list-accts"},
            {"kill-acct", "demo", "all"},
        ),
    ],
    ids=["root", "reseller"],
)
def test_my_privileges_reads_the_one_element_array(
    answer: Answer, privileges: dict[str, object], held: set[str], not_held: set[str]
) -> None:
    result = answer(_ok("myprivs", {"privileges": [privileges]})).my_privileges()

    assert isinstance(result, Privileges)
    assert all(result.holds(acl) for acl in held)
    assert not any(result.holds(acl) for acl in not_held)


# --- Envelopes and statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, ACCESS_DENIED.encode()), (401, b"Unauthorized"), (200, ACCESS_DENIED.encode())],
    ids=["403", "401", "access-denied-body-with-200"],
)
def test_a_refusal_is_an_auth_error(answer: Answer, status: int, body: bytes) -> None:
    whm = answer(body, status=status, content_type="text/plain")

    with pytest.raises(WhmAuthError, match=r"^WHM refused these credentials\.$"):
        whm.list_tokens()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {"result": 0, "reason": "Specify a new name, updated ACLs, or IPs."},
            "Specify a new name, updated ACLs, or IPs.",
        ),
        (
            {"result": "0", "reason": "Provide at least one “token_name” argument."},
            "Provide at least one “token_name” argument.",
        ),
        ({"result": 0}, "WHM declined the request without saying why."),
        (
            {"result": 0, "reason": f"The token “{SECRET}” is not valid."},
            "The token “[secret]” is not valid.",
        ),
    ],
    ids=["int", "string", "no-reason", "echoed-secret"],
)
def test_result_0_is_an_api_error_with_whms_reason(
    answer: Answer, metadata: dict[str, object], message: str
) -> None:
    whm = answer({"metadata": {"command": "api_token_get_details", **metadata}, "data": {}})

    with pytest.raises(WhmApiError) as caught:
        whm.get_token_details(SECRET)

    assert caught.value.message == message
    assert caught.value.function == "api_token_get_details"


@pytest.mark.parametrize(
    ("reason", "detail"),
    [
        (
            "The system failed to read the API tokens: Disk quota exceeded",
            "Disk quota exceeded",
        ),
        (
            "The system failed to update the API token: The API token “a: b” does not exist.",
            "The API token “a: b” does not exist.",
        ),
        # Without WHM's prefix (an older WHM, another function) the detail is the whole reason.
        ("Specify a new name, updated ACLs, or IPs.", "Specify a new name, updated ACLs, or IPs."),
        ("The system failed to", "The system failed to"),
    ],
)
def test_api_error_keeps_the_whole_reason_and_exposes_its_detail(
    answer: Answer, reason: str, detail: str
) -> None:
    whm = answer({"metadata": {"command": "api_token_list", "result": 0, "reason": reason}})

    with pytest.raises(WhmApiError) as caught:
        whm.list_tokens()

    assert caught.value.reason == caught.value.message == reason
    assert caught.value.detail == detail


@pytest.mark.parametrize(
    ("body", "status", "content_type"),
    [
        (b"", 302, "text/html"),
        (b"Not Found", 404, "text/plain"),
        (b"<html><body>cPanel login</body></html>", 200, "text/html; charset=utf-8"),
        (b'{"metadata": {"result": 1}, "data": {"tok', 200, "application/json"),
        (b"\xff\xfe\x00garbage", 200, "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, 200, "application/json"),
        (b'["metadata"]', 200, "application/json"),
        (b'{"data": {"tokens": {}}}', 200, "application/json"),
        (b'{"metadata": {"reason": "OK"}, "data": {"tokens": {}}}', 200, "application/json"),
        (b'{"metadata": {"result": "yes"}, "data": {"tokens": {}}}', 200, "application/json"),
        (b'{"metadata": {"result": 2}, "data": {"tokens": {}}}', 200, "application/json"),
        (b'{"metadata": {"result": Infinity}, "data": {"tokens": {}}}', 200, "application/json"),
        (b'{"metadata": {"result": 1}, "data": {"tokens": []}}', 200, "application/json"),
        (b'{"metadata": {"result": 1}, "data": {}}', 200, "application/json"),
        (b'{"metadata": {"result": 1}, "data": null}', 200, "application/json"),
    ],
    ids=[
        "redirect",
        "404",
        "html",
        "truncated-json",
        "not-utf8",
        "deeply-nested",
        "no-envelope",
        "no-metadata",
        "no-result",
        "result-word",
        "result-2",
        "result-infinite",
        "tokens-as-array",
        "tokens-absent",
        "data-null",
    ],
)
def test_a_reply_that_is_not_api_1_is_a_bad_response(
    answer: Answer, body: bytes, status: int, content_type: str
) -> None:
    whm = answer(body, status=status, content_type=content_type)

    with pytest.raises(WhmBadResponse) as caught:
        whm.list_tokens()

    assert caught.value.status_code == status


@pytest.mark.parametrize(
    "record",
    [
        {"create_time": "soon"},
        {"create_time": True},
        {"create_time": 1.5e9},
        {"create_time": -1},
        {"create_time": None},
        {"expires_at": "never"},
        {"expires_at": -1},
        {"expires_at": "-300000000000"},
        {"expires_at": 3e11},
        {"expires_at": "3e11"},
        {"expires_at": -(10**20)},
        {"acls": "all"},
        {"acls": {"list-accts": "yes"}},
        {"acls": [1, 2]},
        {"whitelist_ips": "any"},
        {"whitelist_ips": [3232235777]},
    ],
    ids=repr,
)
def test_a_token_record_of_the_wrong_type_is_a_bad_response_not_a_crash(
    answer: Answer, record: dict[str, object]
) -> None:
    with pytest.raises(WhmBadResponse, match="not in the shape TokenUI expects"):
        _listed_one(answer, record)


@pytest.mark.parametrize(
    ("function", "data", "call"),
    [
        (
            "api_token_create",
            {"name": "t", "create_time": 1732312345, "acls": ["list-accts"]},
            lambda whm: whm.create_token("t", acls=["list-accts"], expires=None),
        ),
        (
            "api_token_create",
            {"create_time": 1732312345, "acls": ["list-accts"], "token": SECRET},
            lambda whm: whm.create_token("t", acls=["list-accts"], expires=None),
        ),
        ("api_token_get_details", ["t"], lambda whm: whm.get_token_details(SECRET)),
        ("myprivs", {"privileges": {"all": 1}}, lambda whm: whm.my_privileges()),
        ("myprivs", {"privileges": []}, lambda whm: whm.my_privileges()),
        ("myprivs", {"privileges": [1]}, lambda whm: whm.my_privileges()),
    ],
    ids=[
        "create-without-secret",
        "create-without-name",
        "details-as-array",
        "privileges-as-map",
        "privileges-empty",
        "privileges-not-a-map",
    ],
)
def test_other_replies_of_the_wrong_shape_are_bad_responses(
    answer: Answer, function: str, data: object, call
) -> None:
    with pytest.raises(WhmBadResponse):
        call(answer(_ok(function, data)))


def test_a_reply_body_cut_short_on_the_wire_is_a_bad_response(answer: Answer) -> None:
    # Headers promise more bytes than arrive before the server closes the connection.
    whm = answer(_ok("api_token_revoke", {}), missing_bytes=100)

    with pytest.raises(WhmBadResponse, match="cut short") as caught:
        whm.revoke_tokens(["t"])

    assert caught.value.status_code == 200
    assert "may still have carried out the request" in caught.value.message


def test_a_bad_reply_to_a_state_changing_call_warns_it_may_have_run(answer: Answer) -> None:
    whm = answer(b"<html>Internal error</html>", status=500, content_type="text/html")

    with pytest.raises(WhmError, match="may still have carried out the request"):
        whm.revoke_tokens(["t"])
    with pytest.raises(WhmError) as caught:
        whm.list_tokens()
    assert "may still" not in caught.value.message


@pytest.mark.parametrize("data", [{}, None, []], ids=["empty", "null", "array"])
def test_revoke_tokens_needs_only_result_1(answer: Answer, data: object) -> None:
    assert answer(_ok("api_token_revoke", data)).revoke_tokens(["t"]) is None


def test_make_http_client_loads_the_ca_bundle_at_once(tmp_path: Path) -> None:
    not_a_ca = tmp_path / "ca.pem"
    not_a_ca.write_text("not a certificate")

    # A bad bundle fails when the client is made (at start), not on some user's first call.
    with pytest.raises(ssl.SSLError):
        make_http_client("https://whm.example.com:2087", ca_bundle=str(not_a_ca))
