"""Access control on a real `seedsearch serve` (2 gunicorn workers): users added
while it runs close it at once, a login holds in every worker, tokens open the
API, and no password reaches the log."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.live_server import LiveServer, live_server
from webapp.cli import cli

PASSWORD = "a password nobody logs"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A client with its own cookie jar that shows redirects instead of following them."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def open(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.server.url + path, body, headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def log_in(self, name: str, password: str) -> int:
        _, _, page = self.open("/login")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        status, _, _ = self.open("/login", {"csrf": csrf, "name": name, "password": password})
        return status


def command(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def index(seed_index: Path, tmp_path: Path) -> Path:
    """A copy of the seed index with no users yet."""
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy, symlinks=True)
    return copy


@pytest.fixture
def server(index: Path) -> Iterator[LiveServer]:
    with live_server(index, workers=2) as s:
        yield s


def test_users_added_while_serving_close_the_server_and_a_login_opens_it(server, index):
    assert server.get("/?q=russia")[0] == 200  # no users yet: open
    command("user", "add", "alice", "--index", str(index), "--password-stdin", input=PASSWORD)
    anonymous = Browser(server)
    for _ in range(4):  # whichever worker answers
        status, headers, _ = anonymous.open("/?q=russia")
        assert status == 302 and headers["Location"].startswith("/login?next=")
        assert anonymous.open("/api/search?q=russia")[0] == 401
    assert json.loads(anonymous.open("/healthz")[2]) == {"status": "ok"}

    # gunicorn trusts X-Forwarded-Proto from 127.0.0.1 (a proxy in front): Secure cookies.
    headers = anonymous.open("/login", headers={"X-Forwarded-Proto": "https"})[1]
    assert "; Secure" in headers["Set-Cookie"]
    assert "; Secure" not in anonymous.open("/login")[1]["Set-Cookie"]

    person = Browser(server)
    assert person.log_in("alice", "not the password") == 401
    assert person.log_in("alice", PASSWORD) == 303
    # One session, many requests: both workers know it (one key, one session store).
    for _ in range(12):
        status, _, page = person.open("/?q=russia")
        assert status == 200 and b"<mark>Russia</mark>" in page
    # The failed login is in the log; neither password is.
    log = server.log()
    assert "Failed login from 127.0.0.1 for a known user name" in log
    assert PASSWORD not in log and "not the password" not in log


def test_an_api_token_opens_the_api_of_the_running_server(server, index):
    command("user", "add", "carol", "--index", str(index), "--password-stdin", input=PASSWORD)
    token = command("token", "add", "carol", "--index", str(index)).strip()
    client = Browser(server)
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(4):
        status, _, body = client.open("/api/search?q=russia", headers=auth)
        assert status == 200 and json.loads(body)["total"] > 0
    command("token", "remove", token.split("_")[1], "--index", str(index))
    assert client.open("/api/search?q=russia", headers=auth)[0] == 401
