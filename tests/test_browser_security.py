"""XSS and CSP in a real browser: Debian's Chromium (driven by Playwright)
against a real `seedsearch serve` on 127.0.0.1, over an index whose documents,
titles and even file names are hostile. No payload in a query or a document
may open a dialog, set a canary, or become an element; the Content-Security-
Policy is on every response and blocks inline script the page did not ship."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Browser, Page

from indexer.build.run import build_index
from tests.live_server import LiveServer, live_server
from webapp.headers import CONTENT_SECURITY_POLICY

# Each payload either calls alert() (a dialog) or sets window.__pwned (a canary).
PAYLOADS = [
    "<script>alert(1)</script>",
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=alert(2)>",
    "<img src=x onerror=window.__pwned=2>",
    "<svg onload=alert(3)>",
    '"><svg/onload=alert(4)>',
    "'><script>alert(5)</script>",
    '" autofocus onfocus="alert(6)" x="',
    "</title><script>alert(7)</script>",
    "</textarea><script>alert(8)</script>",
    "<iframe src=javascript:alert(9)></iframe>",
    "<a href=javascript:alert(10)>click</a>",
    "<details open ontoggle=alert(11)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(12)>",
    "{{constructor.constructor('alert(13)')()}}",
    "<<script>script>alert(14)<</script>/script>",
    "<body onload=alert(15)>",
    "&lt;script&gt;alert(16)&lt;/script&gt;",
]
HOSTILE_NAME = "<img src=x onerror=alert('name')> \"quoted\" & 'odd'.txt"
DOCUMENTS = {
    "harbour.txt": (
        "Harbour <script>alert('title')</script> log\n\n"
        + "\n\n".join(
            f"The ferry clerk typed {p} into the harbour log on day {n} of the crossing season."
            for n, p in enumerate(PAYLOADS, 1)
        )
    ),
    "page.html": (
        "<html><head><title>T</title><script>alert('head')</script></head>"
        "<body onload=alert('body')><h1>Quay <img src=x onerror=alert('h1')> notes</h1>"
        "<p>The pilot wrote &lt;script&gt;alert('escaped')&lt;/script&gt; in the ferry log.</p>"
        "<p onclick=alert('p')>Another ferry line with <a href=\"javascript:alert('a')\">a link"
        "</a> and &lt;img src=x onerror=alert('text')&gt; as text.</p></body></html>"
    ),
    "readme.md": (
        "# Notes <script>alert('md')</script>\n\n"
        "The ferry timetable, with <img src=x onerror=alert('md-img')> inline HTML.\n\n"
        "[a link](javascript:alert('md-link')) and ![img](x\" onerror=\"alert('md-alt'))\n"
    ),
    HOSTILE_NAME: "Named badly\n\nA ferry note in a file whose name is itself a payload.",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("hostile")
    source = root / "source"
    source.mkdir()
    for name, text in DOCUMENTS.items():
        (source / name).write_text(text, "utf-8")
    build_index(source, root / "index", full=True)
    with live_server(root / "index", workers=2) as s:
        yield s


class Watched:
    """A page whose dialogs, errors and responses are recorded."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context()
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.responses: list = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", lambda response: self.responses.append(response))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def visit(self, server: LiveServer, path: str) -> int | None:
        """Load `path`; its status (None for a move within the same document)."""
        response = self.page.goto(server.url + path, wait_until="load")
        self.page.wait_for_timeout(50)  # let any onerror/onload/autofocus fire
        return response.status if response else None

    def injected(self) -> dict:
        """What a successful injection would leave behind in the live DOM."""
        return self.page.evaluate(
            """() => ({
                pwned: window.__pwned ?? null,
                elements: [...document.querySelectorAll(
                    'img, svg, iframe, object, embed, details, math, style, body script:not([src])'
                )].map(e => e.outerHTML.slice(0, 80)),
                handlers: [...document.querySelectorAll('*')].flatMap(e =>
                    [...e.attributes].filter(a => a.name.startsWith('on'))
                        .map(a => e.tagName + ' ' + a.name)),
                scripts: [...document.scripts].map(s => s.getAttribute('src')),
                javascriptLinks: [...document.querySelectorAll('[href], [src]')]
                    .map(e => e.getAttribute('href') || e.getAttribute('src'))
                    .filter(u => u.trim().toLowerCase().startsWith('javascript:')),
            })"""
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def assert_clean(w: Watched, where: str) -> None:
    found = w.injected()
    assert w.dialogs == [], where
    assert found == {
        "pwned": None,
        "elements": [],
        "handlers": [],
        "scripts": ["/static/search.js"],
        "javascriptLinks": [],
    }, where


def test_query_payloads_never_run_nor_become_markup(server, watched):
    for payload in PAYLOADS:
        for path in ("/", "/help", "/nowhere"):
            status = watched.visit(server, f"{path}?{urlencode({'q': payload})}")
            assert status in (200, 400, 404), (path, payload)
            assert_clean(watched, f"{path} {payload}")
        # What the reader typed comes back as text, in the search box and the page.
        watched.visit(server, "/?" + urlencode({"q": payload}))
        assert watched.page.input_value("#q") == payload.strip()


def test_document_payloads_are_shown_as_text(server, watched):
    watched.visit(server, "/?q=ferry+clerk+alert+script&page=1")
    assert_clean(watched, "results")
    snippets = watched.page.locator(".snippet").all_inner_texts()
    assert snippets and any("<script>" in s or "<img" in s for s in snippets)
    for doc in DOCUMENTS:
        status = watched.visit(server, f"/doc/{quote(doc)}?q=alert+ferry+script")
        assert status == 200, doc
        assert_clean(watched, doc)
    watched.visit(server, "/doc/harbour.txt")
    text = watched.page.locator("article.document").inner_text()
    for payload in PAYLOADS:
        assert payload in text  # literally, character for character


def test_a_hostile_file_name_is_text_in_links_and_titles(server, watched):
    watched.visit(server, "/?" + urlencode({"q": "badly named payload ferry"}))
    assert_clean(watched, "results with the hostile file name")
    link = watched.page.locator(".document-hit h2 a", has_text="Named badly")
    link.click()
    watched.page.wait_for_load_state("load")
    assert_clean(watched, "the hostile file's page")
    assert watched.page.locator(".docid").inner_text() == HOSTILE_NAME


def test_every_response_carries_the_csp(server, watched):
    for path in ("/", "/?q=ferry", "/doc/harbour.txt?q=ferry#p2", "/help", "/status", "/nowhere"):
        watched.visit(server, path)
    assert len(watched.responses) >= 8  # pages plus their stylesheet, script and icon
    kinds = set()
    for response in watched.responses:
        assert response.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, (
            response.url
        )
        assert response.headers.get("x-content-type-options") == "nosniff", response.url
        kinds.add(response.request.resource_type)
    assert {"document", "stylesheet", "script"} <= kinds


def test_csp_blocks_script_the_page_did_not_ship(server, watched):
    watched.visit(server, "/?q=ferry")
    outcome = watched.page.evaluate(
        """async () => {
            const violations = [];
            document.addEventListener('securitypolicyviolation',
                e => violations.push(e.violatedDirective));
            const inline = document.createElement('script');
            inline.textContent = 'window.__inline = 1';
            document.head.appendChild(inline);
            document.body.setAttribute('onclick', 'window.__handler = 1');
            document.body.click();
            const remote = document.createElement('script');
            remote.src = 'http://localhost:9/evil.js';
            document.head.appendChild(remote);
            setTimeout('window.__timer = 1', 0);  // a string to run: eval by another name
            await new Promise(r => setTimeout(r, 200));
            return {inline: window.__inline ?? null, handler: window.__handler ?? null,
                    timer: window.__timer ?? null, violations};
        }"""
    )
    assert (outcome["inline"], outcome["handler"], outcome["timer"]) == (None, None, None), outcome
    assert len(outcome["violations"]) >= 4, outcome
    assert set(outcome["violations"]) <= {"script-src-elem", "script-src-attr", "script-src"}
    assert watched.dialogs == []


def test_the_site_cannot_be_framed(server, watched):
    watched.page.goto("about:blank")
    watched.page.set_content(f'<iframe id="f" src="{server.url}/?q=ferry"></iframe>')
    frame = watched.page.query_selector("#f").content_frame()
    for _ in range(100):  # until the frame has been navigated, whichever way
        if frame.url not in ("", "about:blank"):
            break
        watched.page.wait_for_timeout(50)
    # Chromium refuses to render it (frame-ancestors 'none') and shows its error page.
    assert frame.url.startswith("chrome-error://"), frame.url
    assert frame.evaluate("document.getElementById('main')") is None
    assert watched.dialogs == []


def test_odd_fragments_raise_no_script_error(server, watched):
    for fragment in ("#p1", "#%E0%A4%A", "#%", "#<img src=x onerror=alert(1)>", "#p1%00"):
        watched.page.goto("about:blank")
        assert watched.visit(server, f"/doc/harbour.txt{fragment}") == 200
        assert_clean(watched, fragment)
        watched.page.evaluate("location.hash = '%E0%A4%A'")  # and on a hash change
        watched.page.wait_for_timeout(50)
    assert watched.errors == []
