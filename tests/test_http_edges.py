"""HTTP at its edges, against a real `seedsearch serve` (gunicorn) on 127.0.0.1:
path traversal, very long URLs, HEAD/OPTIONS, wrong methods, unknown routes,
malformed requests and many clients at once. Requests go out byte for byte as
written (http.client or a raw socket), so nothing normalises them on the way."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import ROOT, SEED_DOC, SEEDS
from tests.live_server import HOST, LiveServer, live_server
from webapp.headers import HEADERS

SECRETS = (b"root:x:0:", b"[metadata]", b"def create_app", b"SECRET")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def page(self) -> BeautifulSoup:
        assert self.headers["Content-Type"].startswith("text/html"), self.headers
        return BeautifulSoup(self.body.decode("utf-8"), "html.parser")

    def error(self) -> dict:
        assert self.headers["Content-Type"] == "application/json", self.headers
        return json.loads(self.body)["error"]


@pytest.fixture(scope="module")
def server(seed_index: Path) -> Iterator[LiveServer]:
    with live_server(seed_index, workers=2) as s:
        yield s


def request(
    server: LiveServer, method: str, path: str, headers: dict | None = None, body=None
) -> Answer:
    """Send exactly `method path`, unencoded and unnormalised."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"{HOST}:{server.port}", **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def raw(server: LiveServer, data: bytes) -> bytes:
    """Bytes in, bytes out: for request lines http.client refuses to send."""
    with socket.create_connection((HOST, server.port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def assert_security_headers(answer: Answer) -> None:
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, name


def assert_site_error_page(answer: Answer, status: int, title: str) -> None:
    """The site's own page: its header, search box and stylesheet, not a bare error."""
    assert answer.status == status
    page = answer.page()
    assert page.find("header", class_="site") is not None
    assert page.find("form", role="search").find("input", attrs={"name": "q"}) is not None
    assert page.find("link", rel="stylesheet")["href"].startswith("/static/style.css")
    assert page.h1.get_text(strip=True) == title
    assert f"HTTP {status}" in page.get_text()
    assert_security_headers(answer)


# -- path traversal ---------------------------------------------------------------------

TRAVERSALS = [
    "/doc/../../etc/passwd",
    "/doc/../../../../../../../../etc/passwd",
    "/doc/..%2f..%2f..%2fetc%2fpasswd",
    "/doc/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/doc/%2e%2e%2f%2e%2e%2fsetup.cfg",
    "/doc/%252e%252e%252fsetup.cfg",
    "/doc/....//....//etc/passwd",
    "/doc/..\\..\\..\\etc\\passwd",
    "/doc/..%5c..%5csetup.cfg",
    "/doc/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/doc//etc/passwd",
    "/doc/%2fetc%2fpasswd",
    "/doc/file:%2f%2f%2fetc%2fpasswd",
    "/doc/..",
    "/doc/.",
    "/doc/%00",
    f"/doc/{SEED_DOC}%00.html",
    f"/doc/../seeds/{SEED_DOC}",
    "/static/../../etc/passwd",
    "/static/..%2f..%2fsetup.cfg",
    "/static/%2e%2e/%2e%2e/setup.cfg",
    "/static/%2e%2e/__init__.py",
    "/static/../__init__.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/style.css%00.py",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_reaches_nothing_outside(server, path):
    answer = request(server, "GET", path)
    if answer.status == 308:  # Werkzeug merges "//": follow the redirect once, by path
        location = answer.headers["Location"].split(f"{server.port}", 1)[-1]
        assert location.startswith("/") and "//" not in location
        answer = request(server, "GET", location)
    assert answer.status in (400, 404), (path, answer.status)
    assert not any(secret in answer.body for secret in SECRETS)
    assert_security_headers(answer)


def test_a_document_is_reachable_only_by_its_id(server):
    assert request(server, "GET", f"/doc/{SEED_DOC}").status == 200
    assert request(server, "GET", f"/doc/./{SEED_DOC}").status == 404
    assert request(server, "GET", f"/doc/{SEED_DOC.upper()}").status == 404
    static = request(server, "GET", "/static/style.css")
    assert static.status == 200 and static.headers["Content-Type"].startswith("text/css")
    assert_security_headers(static)


# -- long and malformed requests ------------------------------------------------------


def test_a_long_question_is_answered_not_refused(server):
    # Several sentences, under the server's request-line limit: a query like any other.
    question = "+".join(["Why", "did", "Human", "Rights", "Watch", "suspend", "its", "work"] * 50)
    answer = request(server, "GET", "/api/search?q=" + question)
    assert answer.status == 200 and json.loads(answer.body)["results"]
    page = request(server, "GET", "/?q=" + question)
    assert page.status == 200 and page.page().select(".snippet mark")  # grouped or not


def test_a_pasted_page_can_be_posted(server):
    # 10,000 characters do not fit in an address (gunicorn refuses request lines over
    # 4 KB): the same search, posted, is answered in full.
    paste = (((SEEDS / SEED_DOC).read_text("utf-8") + "\n\n") * 3)[:10_000]
    answer = post(server, "application/json", json.dumps({"q": paste, "per_page": 5}).encode())
    assert answer.status == 200, answer.body[:300]
    found = json.loads(answer.body)
    assert len(found["results"]) == 5 and found["dropped"]
    assert found["results"][0]["score"] >= found["results"][-1]["score"]
    form = urllib.parse.urlencode({"q": "russia", "group": "doc"}).encode()
    answer = post(server, "application/x-www-form-urlencoded", form)
    assert answer.status == 200 and json.loads(answer.body)["documents"]
    for bad in (b"[1, 2]", b"{not json", b'{"q": {"a": 1}}'):
        answer = post(server, "application/json", bad)
        assert answer.status == 400 and answer.error()["code"] == "bad_query", bad
    answer = post(server, "application/json", json.dumps({"q": "w " * 600_000}).encode())
    assert answer.status == 413 and answer.error()["code"] == "request_entity_too_large"
    assert_security_headers(answer)


def post(server: LiveServer, content_type: str, body: bytes) -> Answer:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    return request(server, "POST", "/api/search", headers, body)


@pytest.mark.parametrize("length", [5_000, 20_000, 200_000])
def test_urls_beyond_the_servers_limit_are_refused_not_served(server, length):
    # gunicorn refuses request lines over 4094 bytes itself (414), before the app.
    answer = request(server, "GET", "/?q=" + "w" * length)
    assert answer.status == 414
    assert request(server, "GET", "/healthz").status == 200  # and carries on


def test_oversized_and_numerous_headers_are_refused(server):
    assert request(server, "GET", "/", {"Cookie": "c" * 20_000}).status == 431
    many = {f"X-Header-{n}": "v" for n in range(150)}
    assert request(server, "GET", "/", many).status in (400, 431)
    assert request(server, "GET", "/healthz").status == 200


@pytest.mark.parametrize(
    "data",
    [
        b"GET /api/search?q=\x80\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /doc/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /?q=russia HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n",  # TLS
    ],
    ids=[
        "non-utf8-query",
        "non-utf8-path",
        "garbage",
        "http-9",
        "negative-length",
        "tls",
    ],
)
def test_malformed_requests_get_a_4xx_and_the_server_carries_on(server, data):
    answer = raw(server, data)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
    assert status is None or 400 <= status < 500, answer[:200]
    assert b"Traceback" not in answer
    assert request(server, "GET", "/healthz").status == 200


def test_a_forged_host_header_never_becomes_markup(server):
    for host in ('"><script>alert(1)</script>', "evil.example/<x>", "a b"):
        answer = request(server, "GET", "/opensearch.xml", {"Host": host})
        assert answer.status in (200, 400)
        assert b"<script" not in answer.body and b"<x>" not in answer.body


# -- methods ----------------------------------------------------------------------------

ROUTES = ["/", "/?q=russia", "/help", f"/doc/{SEED_DOC}", "/api/search?q=russia", "/healthz"]


@pytest.mark.parametrize("path", ROUTES)
def test_head_answers_like_get_without_a_body(server, path):
    get = request(server, "GET", path)
    head = request(server, "HEAD", path)
    assert (head.status, head.body) == (get.status, b"") and get.status == 200
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert_security_headers(head)


@pytest.mark.parametrize("path", ROUTES)
def test_options_lists_the_allowed_methods(server, path):
    answer = request(server, "OPTIONS", path)
    assert answer.status == 200
    posted = {"POST"} if path.startswith("/api/search") else set()  # a search may be posted
    allowed = set(answer.headers["Allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "HEAD", "OPTIONS"} | posted
    assert_security_headers(answer)


WRONG_METHODS = [
    (method, path)
    for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND"]
    for path in ["/", f"/doc/{SEED_DOC}", "/api/search?q=russia", "/healthz"]
    if (method, path) != ("POST", "/api/search?q=russia")  # test_a_pasted_page_can_be_posted
]


@pytest.mark.parametrize(("method", "path"), WRONG_METHODS)
def test_wrong_methods_are_405_with_allow(server, method, path):
    answer = request(server, method, path, body=b"q=russia" if method in ("POST", "PUT") else None)
    assert answer.status == 405
    assert "GET" in answer.headers["Allow"]
    if path.startswith(("/api/", "/healthz")):
        assert answer.error()["code"] == "method_not_allowed"
        assert_security_headers(answer)
    else:
        assert_site_error_page(answer, 405, "Method not allowed")


# -- unknown routes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere",
        "/doc/",
        "/doc/no-such-document.txt",
        "/search",
        "/admin",
        "/static/nope.css",
        "/index.php",
        "/.git/config",
        "/.env",
        "/wp-login.php",
    ],
)
def test_unknown_pages_get_the_sites_404_page(server, path):
    answer = request(server, "GET", path)
    title = "Not found"
    assert_site_error_page(answer, 404, title)
    assert b"Traceback" not in answer.body


@pytest.mark.parametrize("path", ["/api/nothing", "/api/search/extra", "/api/", "/healthz/x"])
def test_unknown_api_routes_get_json_404(server, path):
    answer = request(server, "GET", path)
    assert answer.status == 404 and answer.error()["code"] == "not_found"
    assert_security_headers(answer)


def test_the_source_tree_is_not_served(server):
    for path in ("/setup.cfg", "/webapp/__init__.py", "/tests/conftest.py", "/index/current"):
        answer = request(server, "GET", path)
        assert answer.status == 404 and not any(s in answer.body for s in SECRETS), path
    assert (ROOT / "setup.cfg").exists()  # they exist; they are just not reachable


# -- many clients at once ------------------------------------------------------------------


def test_slow_clients_do_not_stop_the_server_answering(server):
    idle = []
    try:
        for _ in range(2):  # as many as there are workers
            sock = socket.create_connection((HOST, server.port), timeout=30)
            sock.sendall(b"GET /?q=russia HTTP/1.1\r\nHost: x\r\n")  # ... and no more
            idle.append(sock)
        # A liveness guard, not a timing: the answer normally takes milliseconds.
        status, _ = server.get("/healthz", timeout=5)
        assert status == 200
    finally:
        for sock in idle:
            sock.close()


def test_many_concurrent_clients_all_get_complete_consistent_answers(server):
    urls = ["/api/search?q=russia", "/?q=human+rights", f"/doc/{SEED_DOC}?q=memorial", "/healthz"]
    reference = {url: request(server, "GET", url) for url in urls}
    outcomes: Counter = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for k in range(12):
            url = urls[(n + k) % len(urls)]
            try:
                answer = request(server, "GET", url)
                same = comparable(answer, url) == comparable(reference[url], url)
                outcome = "ok" if answer.status == 200 and same else f"{answer.status} differs"
            except OSError as exc:
                outcome = f"{exc.__class__.__name__}"
            with lock:
                outcomes[outcome] += 1
                if outcome != "ok":
                    problems.append(f"{url}: {outcome}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    assert problems == [] and outcomes["ok"] == 40 * 12


def comparable(answer: Answer, url: str):
    """The answer without what legitimately differs between calls (timings)."""
    if url.startswith("/api/"):
        data = json.loads(answer.body)
        data.pop("took_ms")
        return data
    if url == "/healthz":
        return json.loads(answer.body)
    page = answer.page()
    for timing in page.select(".summary"):
        timing.decompose()
    return str(page)
