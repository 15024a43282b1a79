"""The simulator's transport: routes, methods, parameters, envelopes, keep-alive, request log."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from tests.helpers import DEMO_ROOT, SYSTEM_TRUST, Whm, get, numbered_params
from tokenui.simulator import LoggedRequest, Simulator


def test_success_reply_is_json_with_the_exact_envelope(root: Whm) -> None:
    response = root.call("myprivs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["metadata", "data"]
    assert body["metadata"] == {"command": "myprivs", "reason": "OK", "result": 1, "version": 1}


def test_function_failure_is_http_200_with_result_0_and_empty_data(root: Whm) -> None:
    response = root.call("api_token_revoke")
    assert response.status_code == 200
    assert response.json() == {
        "metadata": {
            "command": "api_token_revoke",
            "reason": "The system failed to revoke the API token: "
            "Provide at least one “token_name” argument.",
            "result": 0,
            "version": 1,
        },
        "data": {},
    }


@pytest.mark.parametrize(
    ("function", "params", "prefix"),
    [
        ("api_token_create", {"token_name": "bad name"}, "create the API token"),
        ("api_token_update", {"token_name": "reporting"}, "update the API token"),
        ("api_token_revoke", {}, "revoke the API token"),
    ],
)
def test_every_token_function_reason_carries_whms_prefix(
    root: Whm, function: str, params: dict[str, str], prefix: str
) -> None:
    reason = root.reason(function, params)
    assert reason.startswith(f"The system failed to {prefix}: ")
    # The detail follows once, after the prefix.
    assert reason.count("The system failed to") == 1


def test_reasons_are_sent_as_raw_utf8_with_curly_quotes(root: Whm) -> None:
    response = root.call("api_token_create")
    assert "“token_name”".encode() in response.content


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_and_post_both_reach_the_function(root: Whm, method: str) -> None:
    created = root.ok(
        "api_token_create", {"token_name": f"via-{method}", "acl": "list-accts"}, method=method
    )
    assert created["name"] == f"via-{method}"
    assert created["acls"] == ["list-accts"]


def test_post_merges_form_params_with_query_params(root: Whm) -> None:
    response = root.http.post(
        "/json-api/api_token_create?api.version=1&token_name=from-query",
        data={"acl-0": "list-accts"},
    )
    assert response.json()["data"]["name"] == "from-query"
    assert response.json()["data"]["acls"] == ["list-accts"]


def test_post_body_of_another_content_type_is_not_read_as_params(root: Whm) -> None:
    response = root.http.post(
        "/json-api/api_token_create?api.version=1", json={"token_name": "json-body"}
    )
    assert response.json()["metadata"]["reason"] == (
        "The system failed to create the API token: The parameter “token_name” is required."
    )


@pytest.mark.parametrize(
    "acl_params",
    [
        pytest.param(numbered_params("acl", ["list-accts", "create-acct"]), id="numbered"),
        pytest.param({"acl": ["list-accts", "create-acct"]}, id="repeated"),
        pytest.param({"acl-0": "list-accts", "acl": "create-acct"}, id="both"),
        pytest.param({f"acl-{'9' * 5000}": "list-accts", "acl-0": "create-acct"}, id="huge-index"),
    ],
)
def test_list_params_accept_numbered_and_repeated_keys(
    root: Whm, acl_params: dict[str, str | list[str]]
) -> None:
    created = root.ok("api_token_create", {"token_name": "listed", **acl_params})
    assert created["acls"] == ["create-acct", "list-accts"]


def test_without_api_version_the_reply_has_an_older_shape(root: Whm) -> None:
    response = root.http.get("/json-api/myprivs")
    body = response.json()
    assert response.status_code == 200
    assert "metadata" not in body
    assert body["status"] == 1
    assert body["privileges"][0]["all"] == 1


def test_without_api_version_applist_names_no_token_functions(root: Whm) -> None:
    body = root.http.get("/json-api/applist").json()
    assert body["status"] == 1
    assert body["app"] == ["applist", "createacct", "listaccts", "myprivs"]


def test_without_api_version_failures_have_the_older_shape_too(root: Whm) -> None:
    body = root.http.post("/json-api/createacct").json()
    assert body == {"status": 0, "statusmsg": "The parameter “username” is required."}


@pytest.mark.parametrize(
    ("function", "params"),
    [
        ("api_token_create", {"token_name": "via-api-0"}),
        ("api_token_revoke", {"token_name-0": "reporting", "token_name": "automation"}),
        ("api_token_update", {"token_name": "reporting", "new_name": "renamed"}),
        ("api_token_list", {}),
        ("api_token_get_details", {"token": "X" * 32}),
    ],
)
@pytest.mark.parametrize("version", [None, "0"])
def test_without_api_version_1_there_are_no_token_functions(
    root: Whm, function: str, params: dict[str, str], version: str | None
) -> None:
    before = root.ok("api_token_list")["tokens"]
    query = {} if version is None else {"api.version": version}
    response = root.http.post(f"/json-api/{function}", params=query, data=params)
    assert response.status_code == 200
    # API 0's answer to a function it does not have.
    assert response.json() == {
        "status": 0,
        "statusmsg": f"Unknown app ({function}) requested for this version (0) of the API.",
    }
    assert root.ok("api_token_list")["tokens"] == before


def test_unknown_function_fails_with_a_plain_reason(root: Whm) -> None:
    assert (
        root.reason("no_such_function")
        == "Unknown app (“no_such_function”) requested for this version (1) of the API."
    )


@pytest.mark.parametrize("path", ["/", "/json-api/", "/execute/Tokens/list", "/__simulator__/x"])
def test_other_paths_are_not_found(root: Whm, path: str) -> None:
    assert root.http.get(path).status_code == 404


def test_chunked_body_is_refused(root: Whm) -> None:
    response = root.http.post(
        "/json-api/api_token_create?api.version=1",
        content=iter([b"token_name=x"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("length", ["9" * 5000, "12abc", "-1"])
def test_a_content_length_that_is_no_length_is_refused(simulator: Simulator, length: str) -> None:
    host, port = simulator.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /json-api/myprivs?api.version=1 HTTP/1.1\r\nHost: whm\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
        )
        status_line = sock.makefile("rb").readline()

    assert status_line.startswith(b"HTTP/1.1 413 ") or status_line.startswith(b"HTTP/1.0 413 ")


def test_keep_alive_connection_is_reused(simulator: Simulator, root: Whm) -> None:
    for _ in range(5):
        root.ok("myprivs")
    assert simulator.connections_accepted == 1


def test_each_new_connection_is_counted(simulator: Simulator) -> None:
    for _ in range(3):
        with httpx.Client(base_url=simulator.url, auth=DEMO_ROOT, verify=SYSTEM_TRUST) as client:
            client.get("/json-api/myprivs?api.version=1")
    assert simulator.connections_accepted == 3


def test_request_log_records_each_call(simulator: Simulator, root: Whm) -> None:
    root.ok("api_token_create", {"token_name": "logged", "acl-0": "list-accts"})
    root.ok("listaccts", method="GET")
    [create, listing] = simulator.requests()
    assert create == LoggedRequest(
        function="api_token_create",
        user="root",
        auth="password",
        token_name=None,
        method="POST",
        params={"api.version": "1", "token_name": "logged", "acl-0": "list-accts"},
        status=200,
        result=1,
        time=create.time,
    )
    assert (listing.function, listing.method, listing.result) == ("listaccts", "GET", 1)


def test_request_log_names_the_token_used(
    simulator: Simulator, root_token: Callable[..., Whm]
) -> None:
    caller = root_token("list-accts", name="reader")
    simulator.clear_requests()
    caller.ok("listaccts")
    [entry] = simulator.requests()
    assert (entry.user, entry.auth, entry.token_name) == ("root", "token", "reader")


@pytest.mark.parametrize("key", ["token", "password", "passwd"])
def test_request_log_redacts_secret_values(simulator: Simulator, root: Whm, key: str) -> None:
    root.call("api_token_get_details", {key: "S3CRET-VALUE"})
    [entry] = simulator.requests()
    assert entry.params[key] == "[redacted]"
    assert "S3CRET-VALUE" not in repr(simulator.requests())


def test_request_log_records_refused_calls_without_a_user(simulator: Simulator) -> None:
    get(f"{simulator.url}/json-api/listaccts?api.version=1", auth=("root", "wrong"))
    [entry] = simulator.requests()
    assert (entry.user, entry.auth, entry.status, entry.result) == (None, None, 403, None)


def test_repeated_keys_are_logged_as_lists(simulator: Simulator, root: Whm) -> None:
    root.call("api_token_revoke", {"token_name": ["a", "b"]})
    assert simulator.requests()[0].params["token_name"] == ["a", "b"]


def test_clear_requests_empties_the_log(simulator: Simulator, root: Whm) -> None:
    root.ok("myprivs")
    simulator.clear_requests()
    assert simulator.requests() == []
