"""Issue 19's done-when, with `make run` (manage.py rundashboard and the worker it starts): a
token created on the simulator's command line appears on staff All servers within one inventory
(asked for with Refresh now, read by the real worker process)."""

from __future__ import annotations

import re
import ssl
import time
from pathlib import Path

import httpx

from tests.helpers import DEMO_ROOT
from tests.test_make_run import environment, free_port, manage, migrate, stop, wait_until_serving

INVENTORY_TIMEOUT = 90.0


def test_a_token_made_on_the_simulator_appears_on_staff_all_servers_after_one_inventory(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path, DEBUG="true")
    migrate(env)
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        ca = ssl.create_default_context(cafile=str(tmp_path / "simulator" / "ca.pem"))
        whm = f"https://127.0.0.1:{env['WHM_SIMULATOR_PORT']}"
        with httpx.Client(base_url=whm, auth=DEMO_ROOT, verify=ca) as simulator:
            made = simulator.post(
                "/json-api/api_token_create",
                params={"api.version": "1"},
                data={"token_name": "made-on-the-command-line"},
            )
            assert made.json()["metadata"]["result"] == 1, made.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            sign_in_as_viewer(browser)
            asked = browser.post(
                "/staff/fleet/refresh/",
                data={"csrfmiddlewaretoken": browser.cookies["tokenui_csrftoken"]},
            )
            assert asked.status_code == 302, asked.text[:2000]
            wait_for_progress(browser, asked.headers["location"])
            page = browser.get("/staff/fleet/", params={"q": "made-on-the"}).text
            assert "made-on-the-command-line" in page
            assert "1 API token on 1 server" in page
    finally:
        stop(process)


def sign_in_as_viewer(browser: httpx.Client) -> None:
    page = browser.get("/sign-in/").text
    shown = dict(re.findall(r"Staff: <code>(\w+)</code> with password <code>([^<]+)</code>", page))
    signed_in = browser.post(
        "/sign-in/",
        data={
            "csrfmiddlewaretoken": browser.cookies["tokenui_csrftoken"],
            "service": "staff",
            "username": "viewer",
            "password": shown["viewer"],
        },
    )
    assert signed_in.headers.get("location") == "/staff/", signed_in.text[:2000]


def wait_for_progress(browser: httpx.Client, url: str) -> None:
    """Follow the progress page (as it refreshes itself without JavaScript) until done."""
    deadline = time.monotonic() + INVENTORY_TIMEOUT
    while time.monotonic() < deadline:
        page = browser.get(url).text
        if "done: finished" in page:
            assert "failed" not in page, page
            return
        time.sleep(1)
    raise AssertionError(f"the inventory did not finish:\n{page}")
