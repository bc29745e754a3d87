"""Access control, in-process against the real app on a real index: with users in
the users file every route but a short allow-list refuses anonymous requests;
logins, sessions, CSRF, rate limits and API tokens; the `user`/`token` commands."""

from __future__ import annotations

import re
import shutil
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import BuildError

from indexer.build.run import build_index
from tests.conftest import SEED_DOC, SEEDS
from webapp import create_app
from webapp.auth import guard
from webapp.auth.users import USERS_FILE
from webapp.cli import cli, is_loopback

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "another long secret"
# Words of the seed essay: none may reach an anonymous client.
ARCHIVE_WORDS = (b"Human Rights Watch", b"Chechnya", b"internationalization")


def run(args: list[str], input: str | None = None):
    return CliRunner().invoke(cli, args, input=input)


def add_user(index: Path, name: str, password: str = PASSWORD) -> None:
    result = run(["user", "add", name, "--index", str(index), "--password-stdin"], password + "\n")
    assert result.exit_code == 0, result.output


def add_token(index: Path, name: str) -> str:
    result = CliRunner().invoke(cli, ["token", "add", name, "--index", str(index)])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def index(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index (its users file is this test's own)."""
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def private_template(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed index with one user, alice, added once (scrypt is slow on purpose)."""
    template = tmp_path_factory.mktemp("private") / "index"
    shutil.copytree(seed_index, template, symlinks=True)
    add_user(template, "alice")
    return template


@pytest.fixture
def private(private_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the index with alice: users file, session key and login store."""
    copy = tmp_path / "private"
    shutil.copytree(private_template, copy, symlinks=True)
    return copy


def app_for(index: Path, **config) -> Flask:
    return create_app({"INDEX": str(index), "TESTING": True, **config})


@pytest.fixture
def app(private: Path) -> Flask:
    return app_for(private)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(page: bytes) -> str:
    return re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()


def log_in(client: FlaskClient, name: str = "alice", password: str = PASSWORD, next: str = "/"):
    form = client.get(f"/login?next={next}")
    assert form.status_code == 200
    data = {"csrf": csrf_of(form.data), "name": name, "password": password, "next": next}
    return client.post("/login", data=data)


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("seedsearch_session")
    return cookie.value if cookie else None


def assert_refused(response, path: str) -> None:
    if path.startswith(("/api/", "/healthz")):
        assert response.status_code == 401, (path, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if response.data:  # not a HEAD
            assert response.json["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == 302, (path, response.status_code)
        assert response.headers["Location"].startswith("/login?next=")
    assert not any(word in response.data for word in ARCHIVE_WORDS), path


# -- every route --------------------------------------------------------------------------


def sample_paths(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every rule and method of the app's URL map."""
    out = []
    for rule in app.url_map.iter_rules():
        for value in ("style.css" if rule.endpoint == "static" else SEED_DOC, "1"):
            try:
                path = rule.build(dict.fromkeys(rule.arguments, value), append_unknown=False)[1]
                break
            except (BuildError, ValueError):
                continue
        else:
            pytest.fail(f"cannot build a URL for {rule}")
        out += [(rule.endpoint, method, path) for method in sorted(rule.methods)]
    return out


def test_every_route_refuses_anonymous_access_when_users_exist(app, client):
    checked = set()
    for endpoint, method, path in sample_paths(app):
        with client.open(path, method=method) as response:
            checked.add(endpoint)
            if endpoint in guard.PUBLIC:
                assert not any(word in response.data for word in ARCHIVE_WORDS), (method, path)
                continue
            assert_refused(response, path)
    # The walk saw the pages it must protect, so a broken walk cannot pass.
    assert {"ui.search", "ui.document", "api.search", "api.openapi_json"} <= checked
    assert {"ui.opensearch", "ui.help_page"} <= checked


def test_the_allow_list_is_short_and_explicit():
    assert {"static", "auth.login", "auth.logout", "api.healthz"} == guard.PUBLIC


def test_unknown_addresses_and_wrong_methods_are_refused_too(client):
    for path in ("/nowhere", "/doc/no-such.txt", "/api/nothing", "/.env"):
        assert_refused(client.get(path), path)
    assert_refused(client.post("/?q=russia"), "/")
    assert_refused(client.delete("/api/search?q=russia"), "/api/search")


def test_every_route_answers_once_logged_in(app, client):
    assert log_in(client).status_code == 303
    for endpoint, method, path in sample_paths(app):
        if endpoint in ("auth.logout", "auth.login"):
            continue
        with client.open(path, method=method) as response:
            assert response.status_code not in (302, 401), (method, path)


def test_healthz_answers_anonymously_without_details(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
    log_in(client)
    details = client.get("/healthz").json
    assert details["status"] == "ok" and details["passages"] == 10


def test_without_users_nothing_changes(index):
    client = app_for(index).test_client()
    assert client.get("/?q=russia").status_code == 200
    assert client.get("/api/search?q=russia").status_code == 200
    assert client.get("/healthz").json["passages"] == 10
    assert client.get("/login").status_code == 303  # nothing to log in to
    assert session_cookie(client) is None


def test_a_user_added_while_serving_closes_the_archive_at_once(index):
    client = app_for(index).test_client()
    assert client.get("/?q=russia").status_code == 200
    add_user(index, "alice")
    assert_refused(client.get("/?q=russia"), "/")
    result = run(["user", "remove", "alice", "--index", str(index)])
    assert result.exit_code == 0 and "no users left" in result.output
    assert client.get("/?q=russia").status_code == 200


def test_a_damaged_users_file_lets_nobody_in(private):
    (private / USERS_FILE).write_text("{not json", "utf-8")
    client = app_for(private).test_client()
    for path in ("/", "/api/search?q=russia", "/healthz", "/login"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert not any(word in response.data for word in ARCHIVE_WORDS)


def test_an_unusable_login_store_lets_nobody_in(private):
    (private / "auth.sqlite").unlink()
    (private / "auth.sqlite").mkdir()  # cannot be opened as a database
    client = app_for(private).test_client()
    assert_refused(client.get("/?q=russia"), "/")
    response = log_in(client)
    assert response.status_code == 503 and b"login store" in response.data
    assert_refused(client.get("/?q=russia"), "/")


# -- logging in -----------------------------------------------------------------------


def test_the_right_password_logs_in_and_goes_on(client):
    response = log_in(client, next="/?q=russia")
    assert (response.status_code, response.headers["Location"]) == (303, "/?q=russia")
    page = client.get("/?q=russia")
    assert page.status_code == 200 and b"<mark>Russia</mark>" in page.data
    assert b"Logged in as <strong>alice</strong>" in page.data
    assert page.headers["Cache-Control"] == "private"
    assert client.get(f"/doc/{SEED_DOC}").status_code == 200
    assert client.get("/api/search?q=russia").json["total"] > 0


def test_the_session_cookie_is_httponly_lax_and_expiring(client, app):
    cookie = log_in(client).headers["Set-Cookie"]
    assert cookie.startswith("seedsearch_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires=" in cookie and "Secure" not in cookie  # plain HTTP here
    secure = app.test_client()
    form = secure.get("/login", base_url="https://localhost")
    data = {"csrf": csrf_of(form.data), "name": "alice", "password": PASSWORD}
    response = secure.post("/login", data=data, base_url="https://localhost")
    assert response.status_code == 303 and "; Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("name", "password"),
    [("alice", "wrong password"), ("mallory", PASSWORD), ("alice", ""), ("alice", "x" * 5000)],
    ids=["wrong-password", "unknown-user", "empty", "huge"],
)
def test_wrong_credentials_are_refused_alike(client, name, password):
    response = log_in(client, name, password)
    assert response.status_code == 401
    assert b"Wrong user name or password." in response.data
    assert password.encode() not in response.data or not password
    assert_refused(client.get("/?q=russia"), "/")


def test_the_login_form_needs_its_csrf_token(client, app):
    data = {"name": "alice", "password": PASSWORD}
    response = client.post("/login", data=data)
    assert response.status_code == 400 and b"expired" in response.data
    # A token from another browser's session does not do either.
    other = app.test_client()
    data["csrf"] = csrf_of(other.get("/login").data)
    client.get("/login")
    assert client.post("/login", data=data).status_code == 400
    assert_refused(client.get("/"), "/")


def test_login_rotates_the_session(client, app):
    client.get("/login")
    before = session_cookie(client)
    assert before
    log_in(client)
    after = session_cookie(client)
    assert after != before
    # The cookie from before the login (say, one an attacker planted) opens nothing.
    planted = app.test_client()
    planted.set_cookie("seedsearch_session", before)
    assert_refused(planted.get("/"), "/")
    # Each login gets a session of its own.
    again = app.test_client()
    log_in(again)
    assert session_cookie(again) not in (before, after)


def test_logout_ends_the_session_on_the_server(client, app):
    log_in(client)
    stolen = session_cookie(client)
    page = client.get("/help")
    response = client.post("/logout", data={"csrf": csrf_of(page.data)})
    assert (response.status_code, response.headers["Location"]) == (303, "/login")
    assert_refused(client.get("/"), "/")
    replay = app.test_client()
    replay.set_cookie("seedsearch_session", stolen)
    assert_refused(replay.get("/"), "/")


def test_logout_needs_its_csrf_token(client):
    log_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_sessions_expire(private):
    client = app_for(private, PERMANENT_SESSION_LIFETIME=1).test_client()
    log_in(client)
    assert client.get("/help").status_code == 200
    time.sleep(1.1)
    assert_refused(client.get("/help"), "/help")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.x", "javascript:alert(1)", "/login"],
)
def test_login_never_sends_you_elsewhere(client, target):
    assert log_in(client, next=target).headers["Location"] == "/"


# -- rate limits ------------------------------------------------------------------------


def test_failed_logins_are_limited_per_user(private, app, client):
    add_user(private, "bob", OTHER_PASSWORD)
    limit = app.config["LOGIN_FAILURES_PER_USER"]
    for _ in range(limit):
        assert log_in(client, "alice", "wrong password").status_code == 401
    # Now even the right password is refused, without being checked, for a while.
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and b"Too many failed logins" in response.data
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_WINDOW"]
    # Another user, from the same client, is not held back.
    assert log_in(app.test_client(), "bob", OTHER_PASSWORD).status_code == 303


def test_failed_logins_are_limited_per_client(private):
    app = app_for(private, LOGIN_FAILURES_PER_CLIENT=3)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for name in ("a1", "a2", "a3"):  # different names: the per-user limit never trips
        assert log_in(attacker, name, "guess guess").status_code == 401
    assert log_in(attacker, "alice", PASSWORD).status_code == 429
    assert log_in(app.test_client(), "alice", PASSWORD).status_code == 303


def test_behind_a_proxy_the_limit_is_per_forwarded_client(private):
    app = app_for(private, LOGIN_FAILURES_PER_CLIENT=2, PROXIES=1)
    visitor = app.test_client()
    visitor.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    for name in ("a1", "a2"):
        assert log_in(visitor, name, "guess guess").status_code == 401
    assert log_in(visitor, "alice", PASSWORD).status_code == 429
    neighbour = app.test_client()
    neighbour.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.8"
    assert log_in(neighbour, "alice", PASSWORD).status_code == 303


def test_without_proxies_a_forwarded_address_is_not_believed(private):
    app = app_for(private, LOGIN_FAILURES_PER_CLIENT=2)
    for n, name in enumerate(("a1", "a2")):
        forger = app.test_client()
        forger.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        assert log_in(forger, name, "guess guess").status_code == 401
    forger = app.test_client()
    forger.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    assert log_in(forger, "alice", PASSWORD).status_code == 429


def test_the_limit_holds_across_worker_processes(private):
    # Two apps on one index are two gunicorn workers: they share the login store.
    first, second = app_for(private), app_for(private)
    limit = first.config["LOGIN_FAILURES_PER_USER"]
    for n in range(limit):
        worker = first if n % 2 else second
        assert log_in(worker.test_client(), "alice", "wrong password").status_code == 401
    assert log_in(first.test_client()).status_code == 429
    assert log_in(second.test_client()).status_code == 429


def test_a_session_started_by_one_worker_is_valid_in_another(private):
    first, second = app_for(private), app_for(private)
    client = first.test_client()
    log_in(client)
    other = second.test_client()
    other.set_cookie("seedsearch_session", session_cookie(client))
    assert other.get("/?q=russia").status_code == 200


# -- API tokens ---------------------------------------------------------------------------


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_api_tokens_open_the_api_until_revoked(private, client):
    token = add_token(private, "alice")
    assert token.startswith("sst_")
    response = client.get("/api/search?q=russia", headers=bearer(token))
    assert response.status_code == 200 and response.json["total"] > 0
    assert client.get("/healthz", headers=bearer(token)).json["passages"] == 10
    assert session_cookie(client) is None  # a token never starts a session
    token_id = token.split("_")[1]
    result = run(["token", "remove", token_id, "--index", str(private)])
    assert result.exit_code == 0, result.output
    response = client.get("/api/search?q=russia", headers=bearer(token))
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.rsplit("_", 1)[0] + "_",
        lambda t: "sst_0000000000_" + t.split("_", 2)[2],
        lambda t: "",
        lambda t: "x" * 3000,
    ],
    ids=["one-char-off", "no-secret", "other-id", "empty", "long"],
)
def test_wrong_tokens_are_refused(private, client, mangle):
    token = add_token(private, "alice")
    response = client.get("/api/search?q=russia", headers=bearer(mangle(token)))
    assert response.status_code == 401
    assert not any(word in response.data for word in ARCHIVE_WORDS)


def test_removing_a_user_revokes_their_tokens_and_sessions(private, app, client):
    add_user(private, "bob", OTHER_PASSWORD)
    token = add_token(private, "alice")
    log_in(client)
    assert run(["user", "remove", "alice", "--index", str(private)]).exit_code == 0
    assert client.get("/api/search?q=russia", headers=bearer(token)).status_code == 401
    assert_refused(client.get("/"), "/")
    assert "sst_" not in (private / USERS_FILE).read_text()


def test_changing_a_password_ends_the_users_sessions(private, client):
    log_in(client)
    result = run(
        ["user", "passwd", "alice", "--index", str(private), "--password-stdin"],
        OTHER_PASSWORD + "\n",
    )
    assert result.exit_code == 0 and "ended 1 session" in result.output
    assert_refused(client.get("/"), "/")
    assert log_in(client, "alice", PASSWORD).status_code == 401
    assert log_in(client, "alice", OTHER_PASSWORD).status_code == 303


# -- the commands -------------------------------------------------------------------------


def test_user_add_prompts_twice_and_stores_only_a_hash(index):
    result = run(["user", "add", "alice", "--index", str(index)], f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Access control is on" in result.output
    users = index / USERS_FILE
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    for private_file in ("secret.key", "auth.sqlite"):
        assert stat.S_IMODE((index / private_file).stat().st_mode) == 0o600
    text = users.read_text("utf-8")
    assert PASSWORD not in text and '"password": "scrypt:' in text
    assert PASSWORD not in result.output
    listing = run(["user", "list", "--index", str(index)])
    assert listing.stdout.startswith("alice\tcreated ")


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (["user", "add", "alice"], f"{PASSWORD}\nsomething else\n", "do not match"),
        (["user", "add", "bob", "--password-stdin"], "short\n", "too short"),
        (["user", "add", "bad name", "--password-stdin"], PASSWORD + "\n", "Invalid user name"),
        (["user", "add", "alice", "--password-stdin"], PASSWORD + "\n", "exists"),
        (["user", "remove", "nobody"], None, "No user 'nobody'"),
        (["user", "passwd", "nobody", "--password-stdin"], PASSWORD + "\n", "No user"),
        (["token", "add", "nobody"], None, "No user 'nobody'"),
        (["token", "remove", "0123456789"], None, "No token"),
    ],
    ids=["mismatch", "short", "bad-name", "exists", "remove", "passwd", "token-user", "token"],
)
def test_user_commands_refuse_bad_input_clearly(private, args, input, message):
    result = run([*args, "--index", str(private)], input)
    assert message in result.output, result.output
    if message != "do not match":  # click asks again instead
        assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_users_can_come_before_the_index_and_survive_full_rebuilds(tmp_path):
    index = tmp_path / "index"
    add_user(index, "alice")  # on a fresh clone, before anything was indexed
    build_index(SEEDS, index, full=True)
    build_index(SEEDS, index, full=True)
    client = app_for(index).test_client()
    assert_refused(client.get("/"), "/")
    assert log_in(client).status_code == 303
    assert client.get("/?q=russia").status_code == 200


def test_token_list_never_shows_the_token(private):
    token = add_token(private, "alice")
    listing = run(["token", "list", "--index", str(private)]).stdout
    token_id = token.split("_")[1]
    assert listing.startswith(f"{token_id}\talice\tcreated ")
    assert token.split("_", 2)[2] not in listing + (private / USERS_FILE).read_text()


# -- serve ---------------------------------------------------------------------------


def test_serving_beyond_loopback_without_users_warns(index):
    # 192.0.2.1 (TEST-NET-1) is on no interface: the warning comes, then the bind fails.
    result = run(["serve", "--index", str(index), "--host", "192.0.2.1", "--port", "8000"])
    assert result.exit_code == 1 and "Cannot serve on 192.0.2.1" in result.output
    assert "warning: serving on 192.0.2.1 with no users" in result.output
    add_user(index, "alice")
    result = run(["serve", "--index", str(index), "--host", "192.0.2.1", "--port", "8000"])
    assert result.exit_code == 1 and "warning" not in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("search.example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
