"""Two app instances on one PostgreSQL and one Redis share sessions, the throttle and the trail."""

from __future__ import annotations

import re
from http.cookiejar import CookieJar

import httpx

from tests.helpers import DEMO_RESELLER, DEMO_ROOT, sign_in_data
from tests.scaleout.conftest import ScaleOut
from tokenui.accounts.throttle import MAX_FAILURES_PER_USERNAME

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_ROW = re.compile(r'<tr id="token-([A-Za-z0-9_-]+)"')
# An audit row's second cell is its action (see templates/audit/index.html).
AUDIT_ROW = re.compile(r'<tr id="audit-\d+"[^>]*>\s*<th[^>]*>.*?</th>\s*<td>([^<]*)</td>', re.S)
THROTTLED = re.compile(r"Too many failed sign-in attempts\. Try again in \d+ minutes?\.")


def form_token(client: httpx.Client, path: str) -> str:
    """The CSRF token in the form at `path`, as a browser would submit it."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path}: {page.status_code}\n{page.text[:2000]}"
    match = CSRF.search(page.text)
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1)


def submit(
    client: httpx.Client, path: str, data: dict[str, object], *, page: str | None = None
) -> httpx.Response:
    """Load the page with the form (by default `path` itself), then post `data` to `path`."""
    token = form_token(client, page or path)
    return client.post(path, data={"csrfmiddlewaretoken": token, **data})


def sign_in(client: httpx.Client, user: str, password: str) -> httpx.Response:
    return submit(client, "/sign-in/", sign_in_data(user, password))


def generate(client: httpx.Client, name: str) -> httpx.Response:
    fields = {"name": name, "expiry": "never", "expires_on": "", "whitelist_ips": ""}
    return submit(client, "/tokens/new/", fields | {"acls": ["list-accts"]})


def token_names(client: httpx.Client) -> list[str]:
    page = client.get("/tokens/")
    assert page.status_code == 200, f"GET /tokens/: {page.status_code}\n{page.text[:2000]}"
    return TOKEN_ROW.findall(page.text)


def test_a_session_started_on_one_instance_works_on_the_other(scaleout: ScaleOut) -> None:
    browser = CookieJar()  # one browser, its requests spread over both instances
    with scaleout.a.client(browser) as on_a, scaleout.b.client(browser) as on_b:
        assert on_b.get("/tokens/").status_code == 302  # not signed in: off to sign-in
        signed_in = sign_in(on_a, *DEMO_ROOT)
        assert signed_in.status_code == 302, scaleout.explain(signed_in)
        assert "tokenui_session" in {cookie.name for cookie in browser}

        # B knows the session A started: the signed-in table, and changes made through it.
        assert "backup-script" in token_names(on_b)
        created = generate(on_b, "made-on-b")
        assert created.status_code == 200, scaleout.explain(created)
        assert "Authorization: whm root:" in created.text
        assert "made-on-b" in token_names(on_a)
        revoked = submit(on_a, "/tokens/made-on-b/revoke/", {})
        assert revoked.status_code == 302, scaleout.explain(revoked)
        assert "made-on-b" not in token_names(on_b)

        # Signing out on B ends the session on A too.
        signed_out = submit(on_b, "/sign-out/", {}, page="/tokens/")
        assert signed_out.status_code == 302, scaleout.explain(signed_out)
        assert on_a.get("/tokens/").status_code == 302


def test_failed_sign_ins_on_both_instances_count_towards_one_throttle(scaleout: ScaleOut) -> None:
    instances = (scaleout.a, scaleout.b)
    seen = dict.fromkeys((instance.name for instance in instances), 0)
    for attempt in range(MAX_FAILURES_PER_USERNAME):
        instance = instances[attempt % 2]  # A, B, A, …: each from a browser of its own
        with instance.client() as browser:
            refused = sign_in(browser, "root", "wrong-password")
        assert refused.status_code == 422, scaleout.explain(refused)
        assert "WHM refused these credentials." in refused.text
        seen[instance.name] += 1
    # Counted per instance, neither would have reached the limit yet.
    assert max(seen.values()) < MAX_FAILURES_PER_USERNAME, seen

    scaleout.whm.clear_requests()
    for instance in instances:
        with instance.client() as browser:
            paused = sign_in(browser, *DEMO_ROOT)  # even the right password
        assert paused.status_code == 429, scaleout.explain(paused)
        assert THROTTLED.search(paused.text), scaleout.explain(paused)
    assert scaleout.whm.requests() == []  # a paused sign-in never reaches WHM


def test_the_audit_trail_holds_what_each_instance_recorded(scaleout: ScaleOut) -> None:
    root, reseller = CookieJar(), CookieJar()
    # Each instance is asked for one sign-in, so each row has one author.
    with scaleout.a.client(root) as root_on_a, scaleout.b.client(reseller) as reseller_on_b:
        for signed_in in (sign_in(root_on_a, *DEMO_ROOT), sign_in(reseller_on_b, *DEMO_RESELLER)):
            assert signed_in.status_code == 302, scaleout.explain(signed_in)
    assert scaleout.audit_events() == [
        ("sign-in", "root", []),  # by A
        ("sign-in", "reseller", []),  # by B
    ]

    with scaleout.a.client(root) as root_on_a, scaleout.b.client(root) as root_on_b:
        created = generate(root_on_b, "audited-on-b")
        assert created.status_code == 200, scaleout.explain(created)
        pages = {"A": root_on_a.get("/audit/"), "B": root_on_b.get("/audit/")}
    assert scaleout.audit_events()[-1] == ("generate", "root", ["audited-on-b"])  # by B
    # Each instance's audit page shows root's entries, whichever instance recorded them.
    for name, page in pages.items():
        assert page.status_code == 200, f"instance {name}: {scaleout.explain(page)}"
        assert AUDIT_ROW.findall(page.text) == ["Generate", "Sign in"], f"instance {name}"
        assert "audited-on-b" in page.text
