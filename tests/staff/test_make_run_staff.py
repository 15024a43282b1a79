"""`make run`'s staff demo: the demo staff users with printed passwords, shown on the sign-in
page beside the simulator's users, and the simulator connected as a server they reach."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.test_make_run import environment, free_port, manage, migrate, stop, wait_until_serving


def test_make_run_makes_demo_staff_and_connects_the_simulator(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="true")
    migrate(env)
    port = free_port()
    process = manage(env, "rundashboard", "--port", str(port), "--noreload")
    try:
        wait_until_serving(process, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            sign_in_page = browser.get("/sign-in/").text
            shown = dict(
                re.findall(
                    r"Staff: <code>(\w+)</code> with password <code>([^<]+)</code>", sign_in_page
                )
            )
            assert set(shown) == {"admin", "operator", "viewer"}
            signed_in = browser.post(
                "/sign-in/",
                data={
                    "csrfmiddlewaretoken": browser.cookies["tokenui_csrftoken"],
                    "service": "staff",
                    "username": "operator",
                    "password": shown["operator"],
                },
            )
            assert signed_in.headers.get("location") == "/staff/", signed_in.text[:2000]
            tokens = browser.get("/staff/servers/simulator/tokens/")
            assert tokens.status_code == 200
            assert "backup-script" in tokens.text
    finally:
        output = stop(process)
    for user, password in shown.items():
        assert f"Demo staff: {user} ({user}) with password {password}" in output
    assert "Connected the simulator as the server 'simulator'" in output
