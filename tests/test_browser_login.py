"""Logging in with a real browser (Debian's Chromium via Playwright) against a real
`seedsearch serve` that has users: sent to the login page and back to the search,
the form works under the site's CSP, a hostile user name stays text, logout ends it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page

from tests.live_server import LiveServer, live_server
from webapp.cli import cli

PASSWORD = "browser password 1"


@pytest.fixture(scope="module")
def server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    index = tmp_path_factory.mktemp("login") / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    args = ["user", "add", "alice", "--index", str(index), "--password-stdin"]
    result = CliRunner().invoke(cli, args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with live_server(index, workers=2) as s:
        yield s


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.problems = []  # CSP refusals, script errors, dialogs
    page.on(
        "console",
        lambda m: m.type == "error" and not expected(m.text) and page.problems.append(m.text),
    )
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("dialog", lambda d: (page.problems.append(d.message), d.dismiss()))
    yield page
    context.close()


def expected(message: str) -> bool:
    # Chromium logs every 4xx; a failed login is answered 401 on purpose.
    return message.endswith("status of 401 (UNAUTHORIZED)")


def submit_login(page: Page, name: str, password: str) -> None:
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def test_log_in_search_and_log_out(server, page):
    page.goto(server.url + "/?q=russia")
    assert page.url.startswith(server.url + "/login?next=")
    assert page.locator("form[role=search]").count() == 0  # nothing to search yet
    assert page.evaluate("document.activeElement.id") == "name"

    submit_login(page, "alice", "not it at all")
    assert page.locator(".problem").inner_text() == "Wrong user name or password."
    assert page.input_value("#name") == "alice"

    submit_login(page, "alice", PASSWORD)
    assert page.url == server.url + "/?q=russia"
    assert page.locator(".snippet mark").count() > 0
    assert "Logged in as alice" in page.locator("footer").inner_text()
    cookie = next(c for c in page.context.cookies() if c["name"] == "seedsearch_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    with page.expect_navigation():
        page.click("form.logout button")
    assert page.url == server.url + "/login"
    page.goto(server.url + "/help")
    assert page.url.startswith(server.url + "/login?next=")
    assert page.problems == []


def test_a_hostile_user_name_stays_text(server, page):
    page.goto(server.url + "/login")
    name = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    submit_login(page, name, "whatever it is")
    assert page.input_value("#name") == name
    assert page.locator("img, body script:not([src])").count() == 0
    assert page.problems == []
