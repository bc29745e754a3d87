"""Escaping and security headers: document and query text never become markup
(only our own <mark> does), no inline script anywhere, and every response
carries the security headers."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.build.run import build_index
from indexer.models import Query
from indexer.search.engine import Engine
from webapp import create_app

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = {
    "hostile.txt": (
        "Title with <b>bold</b> & <i>markup</i>\n\n"
        f"The harbour log says {SCRIPT} was typed by the ferry clerk on Monday morning.\n\n"
        f'Later the ferry clerk pasted {IMG} into the harbour log, and the "quote" '
        "& the 'apostrophe' stayed as they were.\n\n"
        "An ordinary paragraph about the ferry and the harbour, with nothing odd in it."
    ),
    "plain.txt": (
        "Plain harbour notes\n\n"
        "The ferry left the harbour at dawn, as the ferry always does on weekdays.\n\n"
        "Another note on the harbour cranes, which lift crates off the ferry deck."
    ),
}


@pytest.fixture
def hostile(corpus, tmp_path: Path):
    index = tmp_path / "index"
    build_index(corpus(HOSTILE), index, full=True)
    app = create_app({"INDEX": str(index), "TESTING": True})
    engine = Engine(index)
    yield app.test_client(), engine
    engine.close()
    app.extensions["seedsearch"].close()


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_no_injected_markup(page: BeautifulSoup) -> None:
    """The only script is our local file; no image, no event handler, no style."""
    scripts = page.find_all("script")
    assert [s.get("src") for s in scripts] == ["/static/search.js"]
    assert all(not s.string for s in scripts)
    assert page.find_all(["img", "b", "iframe", "object", "embed", "style"]) == []
    # The syntax help's own <i> is the only one.
    assert all(tag.find_parent("dl", class_="syntax") for tag in page.find_all("i"))
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag.name
        assert "style" not in tag.attrs, tag.name


def test_snippets_escape_document_markup(hostile):
    client, engine = hostile
    response = client.get("/?q=clerk")
    page = parse(response)
    assert_no_injected_markup(page)
    snippets = page.select(".snippet")
    assert len(snippets) == 2
    html = " ".join(s.decode_contents() for s in snippets)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for snippet in snippets:
        assert [t.name for t in snippet.find_all(True)] == ["mark"]
        assert snippet.mark.get_text() == "clerk"
    # What the reader sees is the document's text, character for character.
    texts = {h.text for h in engine.search(Query("clerk")).hits}
    assert any(SCRIPT in t for t in texts) and any(IMG in t for t in texts)
    assert any(SCRIPT in s.get_text() for s in snippets)


def test_api_snippets_hold_only_mark_tags(hostile):
    client, _ = hostile
    body = client.get("/api/search?q=clerk+ferry").get_json()
    assert body["results"]
    for hit in body["results"]:
        tags = re.findall(r"</?[a-zA-Z][^>]*>", hit["snippet"])
        assert tags and set(tags) <= {"<mark>", "</mark>"}, tags
        plain = unescape(hit["snippet"].replace("<mark>", "").replace("</mark>", ""))
        assert plain.strip(" …") in hit["text"]


def test_document_view_escapes_document_markup(hostile):
    client, _ = hostile
    page = parse(client.get("/doc/hostile.txt?q=ferry"))
    assert_no_injected_markup(page)
    text = page.select_one("article.document").get_text()
    assert SCRIPT in text and IMG in text
    assert page.h1.get_text() == "Title with <b>bold</b> & <i>markup</i>"
    for passage in page.select(".passage p"):
        assert {t.name for t in passage.find_all(True)} <= {"mark"}


def test_titles_are_escaped_in_results(hostile):
    client, _ = hostile
    page = parse(client.get("/?q=apostrophe"))
    assert_no_injected_markup(page)
    assert page.select_one("main article h2").get_text() == "Title with <b>bold</b> & <i>markup</i>"


@pytest.mark.parametrize(
    "url",
    [
        "/?q=" + SCRIPT,
        "/?q=" + IMG,
        '/?q="><script>alert(1)</script>',
        "/?q=clerk&page=<script>",
        "/doc/<script>alert(1)</script>?q=" + IMG,
        "/doc/hostile.txt?q=" + SCRIPT,
        "/?q=" + IMG + "&exact=1",
        "/help?q=" + SCRIPT,
    ],
)
def test_query_text_is_escaped_everywhere(hostile, url):
    client, _ = hostile
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    assert_no_injected_markup(parse(response))
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body


def test_suggestions_are_escaped(hostile):
    client, _ = hostile
    page = parse(client.get("/?q=ferri+<b>x</b>"))
    assert_no_injected_markup(page)
    assert page.select_one("input#q")["value"] == "ferri <b>x</b>"


# -- headers ------------------------------------------------------------------------

URLS = [
    ("GET", "/"),
    ("GET", "/?q=ferry"),
    ("GET", "/?q=*"),
    ("GET", "/doc/hostile.txt?q=ferry"),
    ("GET", "/doc/missing.txt"),
    ("GET", "/help"),
    ("GET", "/opensearch.xml"),
    ("GET", "/api/search?q=ferry"),
    ("GET", "/api/search"),
    ("GET", "/api/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/static/style.css"),
    ("GET", "/static/search.js"),
    ("GET", "/static/favicon.svg"),
    ("GET", "/nowhere"),
    ("POST", "/"),
    ("POST", "/api/search"),
]


@pytest.mark.parametrize(("method", "url"), URLS)
def test_security_headers_on_every_response(hostile, method, url):
    client, _ = hostile
    with client.open(url, method=method) as response:
        check_headers(response)


def check_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src" not in directives  # scripts fall back to 'self' only
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_missing_index_responses_carry_the_headers(tmp_path):
    client = create_app({"INDEX": str(tmp_path / "none"), "TESTING": True}).test_client()
    for url in ("/", "/api/search?q=a", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503
        check_headers(response)


@pytest.mark.parametrize("url", ["/", "/?q=ferry", "/doc/hostile.txt", "/help", "/nowhere"])
def test_pages_load_only_local_assets(hostile, url):
    client, _ = hostile
    page = parse(client.get(url))
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
        for node in page.find_all(tag):
            assert node[attr].startswith("/"), node  # no CDN: works offline
            assert not node[attr].startswith("//")
    for node in page.find_all("link", rel="stylesheet"):
        with client.get(node["href"]) as response:
            assert response.status_code == 200 and response.mimetype == "text/css"
    script = page.find("script")
    assert script.has_attr("defer")
    with client.get(script["src"]) as response:
        assert response.mimetype in ("text/javascript", "application/javascript")
