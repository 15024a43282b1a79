"""Retake the README's screenshots from a running dashboard: `make run`, then, in another shell,
`.venv/bin/python -m docs.screenshots` (`--url` if it is not on http://127.0.0.1:8000).

It signs in as the demo root user of the embedded simulator, generates one token for the
secret page and revokes it again at the end, so the demo state is as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page

from bench.browser import chromium

DOCS = Path(__file__).resolve().parent
NAME = "ci-deploy"


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    # caret="initial": hiding the caret would inject a <style>, which the CSP (rightly) refuses.
    page.screenshot(path=DOCS / f"{name}.png", full_page=full_page, caret="initial")


def take(page: Page, url: str) -> None:
    page.goto(f"{url}/sign-in/")
    shoot(page, "sign-in")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password", exact=True).fill("demo-root-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#token-table")
    shoot(page, "tokens")

    page.get_by_label("Search").press_sequentially("bot")
    page.wait_for_url("**/tokens/?q=bot")
    shoot(page, "search")

    page.goto(f"{url}/tokens/new/")
    shoot(page, "generate", full_page=True)
    page.locator("#id_name").fill("bad name!")
    page.get_by_label("IPs").fill("10.0.0.5/24")
    page.get_by_label("API Token Expiration Date").fill("2020-01-01")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_selector(".errorlist")
    shoot(page, "generate-errors")

    page.locator("#id_name").fill(NAME)
    page.get_by_label("IPs").fill("192.0.2.10")
    page.get_by_label("API Token Expiration Date").fill("")
    page.get_by_label("The API Token will not expire.").check()
    page.get_by_role("button", name="Generate").click()
    page.get_by_role("heading", name="API Token Generated").wait_for()
    shoot(page, "created")

    page.get_by_role("link", name="Yes, I saved my token").click()
    page.locator(f"#token-{NAME}").get_by_role("link", name="Revoke").click()
    page.locator("dialog[open]").wait_for()
    shoot(page, "revoke")
    page.locator("dialog").get_by_role("button", name="Continue").click()
    page.locator(f"#token-{NAME}").wait_for(state="detached")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running dashboard")
    args = parser.parse_args()
    with chromium() as browser:  # the benchmarks' Debian chromium, kept off the network
        if browser is None:
            raise SystemExit("Debian's chromium is not installed (apt-get install chromium).")
        take(browser.new_page(viewport={"width": 1280, "height": 800}), args.url.rstrip("/"))


if __name__ == "__main__":
    main()
