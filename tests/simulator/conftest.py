"""Raw WHM API 1 calls for the simulator's tests: httpx and plain dicts, nothing from the client."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO_RESELLER, DEMO_ROOT
from tokenui.simulator import Simulator

type Params = dict[str, str | list[str]]

# httpx builds an SSL context, loading the system's CA bundle, for every client it makes (about
# 60 ms on a slow machine); these tests share one. Plain-HTTP calls never use it.
SYSTEM_TRUST = ssl.create_default_context()
ACCESS_DENIED = (
    '{"cpanelresult":{"apiversion":"2","error":"Access denied",'
    '"data":{"reason":"Access denied","result":"0"},"type":"text"}}'
)


@dataclass
class Whm:
    """Calls to one simulator as one caller."""

    http: httpx.Client

    def call(
        self, function: str, params: Params | None = None, *, method: str = "POST"
    ) -> httpx.Response:
        """api.version=1 in the query; the rest in the query (GET) or a form body (POST)."""
        params = params or {}
        url = f"/json-api/{function}"
        if method == "GET":
            return self.http.get(url, params={"api.version": "1", **params})
        return self.http.post(url, params={"api.version": "1"}, data=params)

    def ok(self, function: str, params: Params | None = None, **options: Any) -> Any:
        """Call, check WHM said yes, and return `data` (None when the reply has none)."""
        response = self.call(function, params, **options)
        body = response.json()
        assert response.status_code == 200, response.text
        # createacct adds `output` to the metadata; nothing else may differ.
        assert body["metadata"] | {"output": None} == {
            "command": function,
            "reason": "OK",
            "result": 1,
            "version": 1,
            "output": None,
        }, body
        return body.get("data")

    def reason(self, function: str, params: Params | None = None, **options: Any) -> str:
        """Call, check WHM said no in a 200 reply with empty data, and return its reason."""
        response = self.call(function, params, **options)
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["metadata"]["result"] == 0, body
        assert body["data"] == {}
        return body["metadata"]["reason"]


def get(url: str, **options: Any) -> httpx.Response:
    return httpx.request("GET", url, **_with_defaults(options))


def post(url: str, **options: Any) -> httpx.Response:
    return httpx.request("POST", url, **_with_defaults(options))


def delete(url: str, **options: Any) -> httpx.Response:
    return httpx.request("DELETE", url, **_with_defaults(options))


def _with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    return {"verify": SYSTEM_TRUST, "timeout": 5, **options}


def numbered(key: str, values: Sequence[str]) -> dict[str, str]:
    """A list as WHM's own UI sends it: key-0, key-1, …"""
    return {f"{key}-{index}": value for index, value in enumerate(values)}


@pytest.fixture
def connect(simulator: Simulator) -> Iterator[Callable[..., Whm]]:
    """Open callers: connect(password=(user, pw)), connect(token=(user, secret)), or neither."""
    clients: list[httpx.Client] = []

    def open_caller(
        *, password: tuple[str, str] | None = None, token: tuple[str, str] | None = None
    ) -> Whm:
        headers = {"Authorization": f"whm {token[0]}:{token[1]}"} if token else {}
        client = httpx.Client(
            base_url=simulator.url, auth=password, headers=headers, verify=SYSTEM_TRUST, timeout=5
        )
        clients.append(client)
        return Whm(client)

    yield open_caller
    for client in clients:
        client.close()


@pytest.fixture
def root(connect: Callable[..., Whm]) -> Whm:
    return connect(password=DEMO_ROOT)


@pytest.fixture
def reseller(connect: Callable[..., Whm]) -> Whm:
    return connect(password=DEMO_RESELLER)


@pytest.fixture
def root_token(root: Whm, connect: Callable[..., Whm]) -> Callable[..., Whm]:
    """Create one of root's tokens through the API (acls None: full access) and call with it."""

    def create(*acls: str, whitelist: Sequence[str] = (), name: str = "test-token") -> Whm:
        params: Params = {"token_name": name, **numbered("acl", acls)}
        params.update(numbered("whitelist_ip", whitelist))
        secret = root.ok("api_token_create", params)["token"]
        return connect(token=(DEMO_ROOT[0], secret))

    return create
