"""The HTML pages, through the real Flask app on real indexes: the search page and
its messages, paging, the per-document cap, the document view, help, OpenSearch
and the pages shown when something is wrong."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from indexer.build.run import build_index
from indexer.models import Query
from indexer.search.engine import Engine
from tests.conftest import SEED_DOC
from webapp import create_app


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def status_line(page: BeautifulSoup) -> str:
    return page.select_one("[role=status]").get_text(" ", strip=True)


def messages(page: BeautifulSoup) -> list[str]:
    return [m.get_text(" ", strip=True) for m in page.select(".message")]


def passage_links(page: BeautifulSoup) -> list:
    """The link of each passage on the page, whatever the layout."""
    return page.select("ol.results h2 a") or page.select("a.passage-link")


def hit_ids(page: BeautifulSoup) -> list[str]:
    """doc#pN of each result, from its link to the passage in context."""
    out = []
    for link in passage_links(page):
        parts = urlsplit(link["href"])
        out.append(f"{unquote_path(parts.path)}#{parts.fragment}")
    return out


def unquote_path(path: str) -> str:
    return unquote(path.removeprefix("/doc/"))


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture(scope="module")
def client(seed_index: Path):
    app = create_app({"INDEX": str(seed_index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def paragraphs(topic: str, count: int, word: str = "ferry") -> str:
    """`count` distinct paragraphs about `topic`, each holding `word` once."""
    return "\n\n".join(
        f"Paragraph {n} of the {topic} notes: the {word} left the quay at {n} o'clock "
        f"carrying {n * 3} passengers, {n + 1} carts and a dog named Rex number {n}."
        for n in range(1, count + 1)
    )


def client_for(index: Path, **config):
    return create_app({"INDEX": str(index), "TESTING": True, **config}).test_client()


@pytest.fixture
def library(corpus, tmp_path: Path):
    """library(files) -> (engine, client) on a fresh index of `files`; closed after."""
    opened: list[Engine] = []

    def make(files: dict[str, str]):
        index = tmp_path / "index"
        build_index(corpus(files), index, full=True)
        client = client_for(index)
        opened.extend([Engine(index), client.application.extensions["seedsearch"]])
        return opened[-2], client

    yield make
    for engine in opened:
        engine.close()


# -- the landing page ----------------------------------------------------------


def test_landing_shows_the_corpus_and_examples_that_work(client, seed_engine):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    health = seed_engine.health()
    assert page.h1.get_text(" ", strip=True) == (
        f"Search {health.documents} document, {health.passages} passages"
    )
    examples = [a.get_text() for a in page.select(".examples a")]
    assert len(examples) == 3
    title = seed_engine.stats().per_document[0].title.lower()
    title_words = set(re.findall(r"\w+", title))
    for example in examples:
        # Taken from the titles of the indexed documents, not written in the app.
        for word in re.findall(r"\w+", example.lower()):
            assert word in title_words or (example.endswith("*") and word in title), example
        result = seed_engine.search(Query(example))
        assert result.total > 0 and not result.corrected, example
    assert any(e.startswith('"') and e.endswith('"') for e in examples)
    assert any(e.endswith("*") for e in examples)
    # The query syntax help is on the landing page too.
    assert page.select_one("dl.syntax") is not None


def test_landing_examples_follow_the_corpus(library):
    engine, client = library(
        {
            "volcano-1.txt": "Volcanic eruptions of Iceland\n\n"
            + paragraphs("volcanic", 3, "lava"),
            "volcano-2.txt": "Volcanic islands of the Pacific\n\n"
            + paragraphs("island", 3, "lava"),
        },
    )
    page = soup(client.get("/"))
    assert page.h1.get_text(" ", strip=True) == "Search 2 documents, 6 passages"
    examples = [a.get_text() for a in page.select(".examples a")]
    assert examples and examples[0] == "volcanic"  # the word both titles share
    for example in examples:
        assert engine.search(Query(example)).total > 0, example


def test_landing_examples_follow_a_rebuild(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus({"a.txt": "Glacier survey\n\n" + paragraphs("glacier", 3, "ice")}), index)
    app = create_app({"INDEX": str(index), "TESTING": True})
    client = app.test_client()
    try:
        assert soup(client.get("/")).select_one(".examples a").get_text() == "glacier"
        (tmp_path / "source" / "a.txt").write_text(
            "Desert survey\n\n" + paragraphs("desert", 3, "sand"), "utf-8"
        )
        build_index(tmp_path / "source", index)
        page = soup(client.get("/"))
        assert page.select_one(".examples a").get_text() == "desert"
        assert "generation 2" in page.get_text()
    finally:
        app.extensions["seedsearch"].close()


def test_empty_or_blank_query_is_the_landing_page(client):
    for url in ("/?q=", "/?q=+++", "/?page=3"):
        page = soup(client.get(url))
        assert page.select_one(".examples") is not None, url
        assert page.select_one("ol.results") is None


# -- results -------------------------------------------------------------------


def test_results_page_lists_the_engines_hits_in_order(client, seed_engine):
    # One document matches: its title once, then its passages, best first.
    response = client.get("/?q=russian+groups")
    assert response.status_code == 200
    page = soup(response)
    expected = seed_engine.search(Query("russian groups"))
    assert hit_ids(page) == [h.id for h in expected.hits]
    assert status_line(page).startswith(f"{expected.total} matching passages in one document · ")
    assert re.search(r"· [\d.]+ ms$", status_line(page))
    document = page.select_one("article.one-document")
    assert document.h2.get_text(strip=True) == expected.hits[0].title
    assert len(page.select("main h2")) == 2  # the document, and the facets beside it
    results = document.select_one("ol.passages")
    assert results["start"] == "1"
    items = results.find_all("li", recursive=False)
    assert len(items) == len(expected.hits)
    for item, hit in zip(items, expected.hits, strict=True):
        assert item.select_one("a.passage-link")["href"] == hit.url
        assert f"passage {hit.ordinal}" in item.select_one(".where").get_text()
        assert item.select_one(".snippet").decode_contents() == hit.snippet


def test_search_box_keeps_the_query_and_is_labelled_and_autofocused(client):
    page = soup(client.get('/?q="human+rights"+memorial'))
    box = page.select_one("input#q")
    assert box["value"] == '"human rights" memorial'
    assert box.has_attr("autofocus")
    assert box["aria-keyshortcuts"] == "/"
    assert page.select_one("label[for=q]").get_text(strip=True)
    assert page.select_one("form[role=search]")["action"] == "/"
    assert page.select_one("main#main") and page.select_one("header") and page.select_one("footer")


def test_snippets_mark_every_matched_form_and_nothing_else(client, seed_engine):
    page = soup(client.get("/?q=groups"))
    snippets = page.select(".snippet")
    assert snippets
    for snippet in snippets:
        html = snippet.decode_contents()
        marked = [m.get_text() for m in snippet.find_all("mark")]
        assert marked and {m.lower() for m in marked} <= {"group", "groups"}, marked
        assert [t.name for t in snippet.find_all(True)] == ["mark"] * len(marked)
        # No form of the word is left unmarked.
        bare = re.sub(r"<mark>.*?</mark>", "", html)
        assert not re.search(r"\bgroups?\b", bare, re.I), bare
        plain = unescape(html.replace("<mark>", "").replace("</mark>", ""))
        assert plain.strip(" …") in " ".join(
            h.text for h in seed_engine.search(Query("groups")).hits
        )


def test_phrases_are_marked_as_phrases(client):
    page = soup(client.get('/?q="human+rights"'))
    marks = [m.get_text() for m in page.select(".snippet mark")]
    assert marks and all(m.lower() == "human rights" for m in marks), marks


def test_did_you_mean(client, seed_engine):
    result = seed_engine.search(Query("memorial rusian"))
    assert result.suggestion == "memorial russian" and not result.corrected and result.total
    page = soup(client.get("/?q=memorial+rusian"))
    suggestion = page.select_one(".message.suggestion")
    assert suggestion.get_text(" ", strip=True) == "Did you mean memorial russian ?"
    assert query_of(suggestion.a["href"]) == {"q": ["memorial russian"]}


def test_showing_results_for_the_correction(client, seed_engine):
    result = seed_engine.search(Query("rusian"))
    assert result.corrected and result.searched == "russian"
    page = soup(client.get("/?q=rusian"))
    message = page.select_one(".message.correction")
    assert message.get_text(" ", strip=True) == (
        "Showing results for russian — search instead for rusian"
    )
    corrected, original = message.find_all("a")
    assert query_of(corrected["href"]) == {"q": ["russian"]}
    assert query_of(original["href"]) == {"q": ["rusian"], "exact": ["1"]}
    assert hit_ids(page) == [h.id for h in result.hits]
    # Result links carry the query that found them, so the document view marks it.
    assert all(query_of(a["href"])["q"] == ["russian"] for a in passage_links(page))


def test_search_instead_searches_the_words_as_typed(client):
    page = soup(client.get("/?q=rusian&exact=1"))
    assert page.select_one(".message.correction") is None
    assert status_line(page).startswith("0 matching passages ·")
    # The suggestion stays on offer.
    assert query_of(page.select_one(".message.suggestion a")["href"]) == {"q": ["russian"]}


def test_partial_note_when_no_passage_has_every_word(client, seed_engine):
    result = seed_engine.search(Query("memorial zzzzq"))
    assert result.partial and result.total
    page = soup(client.get("/?q=memorial+zzzzq"))
    assert messages(page) == [
        "No passage contains all the words of the query; these passages contain some of them."
    ]
    assert soup(client.get("/?q=memorial+chechnya")).select(".message") == []


def test_notes_are_shown(library):
    words = " ".join(f"zeta{chr(97 + a)}{chr(97 + b)}x" for a in range(9) for b in range(9))
    text = "Wordlist\n\n" + "\n\n".join(
        f"Entry {n}: {' '.join(words.split()[n * 9 : n * 9 + 9])} and more words here."
        for n in range(9)
    )
    engine, client = library({"words.txt": text})
    result = engine.search(Query("zeta*"))
    assert result.notes and result.total
    page = soup(client.get("/?q=zeta*"))
    assert messages(page) == list(result.notes)


def test_no_match_and_past_the_end(client):
    page = soup(client.get("/?q=zzqxv"))
    assert status_line(page).startswith("0 matching passages ·")
    assert "No passage matches zzqxv" in page.select_one(".empty").get_text(" ", strip=True)
    page = soup(client.get("/?q=russia&page=7"))
    assert "no more results" in page.select_one(".empty").get_text(" ", strip=True)
    back = page.select_one(".pager a[rel=prev]")
    assert query_of(back["href"]) == {"q": ["russia"], "page": ["1"]}


# -- paging and the per-document cap --------------------------------------------


def test_pages_keep_the_query_and_cover_every_hit(library):
    engine, client = library({"one.txt": "Ferries\n\n" + paragraphs("one", 23)})
    expected = [h.id for h in engine.search(Query("ferry quay", per_page=100)).hits]
    assert len(expected) == 23
    seen, url, pages = [], "/?q=ferry+quay", 0
    while url:
        page = soup(client.get(url))
        pages += 1
        ol = page.select_one("ol.passages")
        assert ol["start"] == str(len(seen) + 1)
        seen += hit_ids(page)
        pager = page.select_one("nav.pager")
        assert pager.select_one("[aria-current=page]").get_text() == f"Page {pages} of 3"
        following = pager.select_one("a[rel=next]")
        url = following["href"] if following else None
        if url:
            assert query_of(url) == {"q": ["ferry quay"], "page": [str(pages + 1)]}
    assert pages == 3
    assert seen == expected
    previous = soup(client.get("/?q=ferry+quay&page=3")).select_one("a[rel=prev]")
    assert query_of(previous["href"]) == {"q": ["ferry quay"], "page": ["2"]}


def test_passage_by_passage_one_document_does_not_flood_the_page(library):
    engine, client = library(
        {
            "big.txt": "Big ferry log\n\n" + paragraphs("big", 9),
            "mid.txt": "Mid ferry log\n\n" + paragraphs("mid", 5),
            "small.txt": "Small ferry log\n\n" + paragraphs("small", 2),
        },
    )
    page = soup(client.get("/?q=quay&group=passage"))
    ids = hit_ids(page)
    docs = [i.split("#")[0] for i in ids]
    assert {d: docs.count(d) for d in set(docs)} == {"big.txt": 3, "mid.txt": 3, "small.txt": 2}
    more = {a.find_parent("li").h2.a["href"].split("?")[0]: a for a in page.select(".more a")}
    assert set(more) == {"/doc/big.txt", "/doc/mid.txt"}
    assert more["/doc/big.txt"].get_text() == "6 more matching passages in this document"
    # The link lists every matching passage of that document.
    listing = soup(client.get(more["/doc/big.txt"]["href"]))
    assert query_of(more["/doc/big.txt"]["href"]) == {
        "q": ['(quay) AND doc:"big.txt"'],
        "group": ["passage"],
    }
    assert sorted(hit_ids(listing)) == sorted(f"big.txt#p{n}" for n in range(1, 10))
    assert status_line(listing).startswith("9 matching passages")
    # All from one document: simply its passages.
    single = soup(client.get('/?q=quay+AND+doc:"mid.txt"&group=passage'))
    assert len(hit_ids(single)) == 5 and not single.select(".more")
    assert engine.search(Query("quay")).total == 16


# -- the document view -----------------------------------------------------------


def test_document_view_marks_every_match_and_anchors_passages(client, seed_engine):
    response = client.get(f"/doc/{SEED_DOC}?q=russia")
    assert response.status_code == 200
    page = soup(response)
    view = seed_engine.document(SEED_DOC, "russia")
    assert page.h1.get_text() == view.title
    passages = page.select(".passage")
    assert [p["id"] for p in passages] == [f"p{n}" for n in range(1, 11)]
    assert [p.select_one("a.anchor")["href"] for p in passages] == [f"#p{n}" for n in range(1, 11)]
    assert len(page.select(".passage mark")) == view.matches > 0
    assert status_line(page).startswith(f"{view.matches} matches for russia in this document")
    assert query_of(page.select_one("[role=status] a")["href"]) == {"q": ["russia"]}
    for node, passage in zip(passages, view.passages, strict=True):
        assert node.p.decode_contents() == passage.html


def test_document_view_without_query_has_no_marks(client):
    page = soup(client.get(f"/doc/{SEED_DOC}"))
    assert len(page.select(".passage")) == 10
    assert page.select("mark") == [] and page.select("[role=status]") == []


def test_result_links_open_the_passage_in_its_document(client):
    page = soup(client.get("/?q=chechnya"))
    link = passage_links(page)[0]["href"]
    parts = urlsplit(link)
    target = soup(client.get(f"{parts.path}?{parts.query}")).select_one(f"#{parts.fragment}")
    assert target is not None and "passage" in target["class"]
    assert [m.get_text() for m in target.select("mark")] == ["Chechnya"] * len(
        target.select("mark")
    )


def test_document_view_with_a_bad_query_still_shows_the_document(client):
    response = client.get(f"/doc/{SEED_DOC}?q=*")
    assert response.status_code == 200
    page = soup(response)
    assert len(page.select(".passage")) == 10 and page.select("mark") == []
    assert "wildcard" in page.select_one(".message.note").get_text()


def test_unknown_document_is_a_404_page_in_the_sites_style(client):
    response = client.get("/doc/no-such-file.txt?q=russia")
    assert response.status_code == 404
    page = soup(response)
    assert page.h1.get_text() == "Not found"
    assert "no-such-file.txt" in page.select_one(".message").get_text()
    assert page.select_one("form[role=search] input#q")["value"] == "russia"
    assert page.select_one("link[rel=stylesheet]")["href"] == "/static/style.css"


def test_document_ids_with_folders_and_spaces(library):
    _, client = library({"sub dir/a b.txt": "Spaced\n\n" + paragraphs("s", 2)})
    link = passage_links(soup(client.get("/?q=quay")))[0]["href"]
    assert link.startswith("/doc/sub%20dir/a%20b.txt?q=quay#p")
    parts = urlsplit(link)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200


# -- help, OpenSearch ----------------------------------------------------------


def test_help_page(client):
    response = client.get("/help")
    assert response.status_code == 200
    page = soup(response)
    terms = page.select("dl.syntax dt")
    syntax = " ".join(t.get_text(" ") for t in terms)
    for token in ('"exact phrase"', "+word", "-word", "AND", "OR", "NOT", "*", "~", "title:"):
        assert token in syntax, token
    assert "/api/search" in page.get_text()


def test_opensearch_description(client):
    page = soup(client.get("/"))
    link = page.select_one("link[rel=search]")
    assert link["type"] == "application/opensearchdescription+xml"
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ElementTree.fromstring(response.get_data())
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    assert root.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription"
    assert root.findtext("os:ShortName", namespaces=ns) == "seedsearch"
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"] == "http://localhost/?q={searchTerms}"
    assert urls["application/json"] == "http://localhost/api/search?q={searchTerms}"
    for template in (urls["text/html"], urls["application/json"]):
        parts = urlsplit(template.replace("{searchTerms}", "russia"))
        assert client.get(f"{parts.path}?{parts.query}").status_code == 200


# -- when something is wrong ------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/?q=russia", f"/doc/{SEED_DOC}", "/help"])
def test_missing_index_is_explained_not_a_traceback(tmp_path, url):
    client = client_for(tmp_path / "nothing-here")
    response = client.get(url)
    if url == "/help":  # the help needs no index
        assert response.status_code == 200
        return
    assert response.status_code == 503
    page = soup(response)
    assert page.h1.get_text() == "The index is not available"
    assert "build one with `seedsearch index`" in page.select_one(".message").get_text()
    assert "Traceback" not in response.get_data(as_text=True)


def test_broken_index_is_explained(seed_index, tmp_path):
    index = tmp_path / "broken"
    shutil.copytree(seed_index, index, symlinks=True)
    (index / "current" / "seedsearch.json").write_text("{not json", "utf-8")
    response = client_for(index).get("/?q=russia")
    assert response.status_code == 503
    assert "damaged" in soup(response).select_one(".message").get_text()


ODD_QUERIES = [
    '"unbalanced',
    '"',
    "(unbalanced",
    "unbalanced)",
    "((((",
    ")",
    "AND",
    "OR OR",
    "NOT",
    "NOT russia",
    "russia NOT",
    "AND OR NOT",
    "foo:bar",
    "id:x",
    "title:",
    "doc:",
    "title:*",
    "~",
    "russia~9",
    "russia~99999999999",
    "russia^",
    "russia^999999999999",
    '"a b"~99999999999',
    "[a TO b]",
    "'single'",
    "*a",
    "a**",
    "ab*cd*ef*",
    "+russia -russia",
    "\x00",
    "%FF%FE",
]


@pytest.mark.parametrize("query", ["*", "?", "-", "+", "-russia"] + ODD_QUERIES)
def test_odd_queries_get_an_answer_not_a_500(client, query):
    response = client.get("/", query_string={"q": query})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    page = soup(response)
    assert page.select_one("input#q")["value"] == query.strip()
    if response.status_code == 400:
        assert page.h1.get_text() == "That query cannot be run"
        assert page.select_one(".message").get_text().strip()


@pytest.mark.parametrize("query", ["*", "?", "-", "+", "-russia"])
def test_lone_operators_and_wildcards_are_a_400_with_a_reason(client, query):
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 400
    message = soup(response).select_one(".message").get_text()
    assert "wildcard needs letters" in message or "no words to search for" in message


def test_over_long_query_is_a_400_with_the_limit(client):
    response = client.get("/", query_string={"q": "word " * 2001})
    assert response.status_code == 400
    assert "the limit is 10,000" in soup(response).select_one(".message").get_text()


@pytest.mark.parametrize(
    "page", ["0", "-1", "abc", "1.5", "99999999999999999999999", "9" * 5000, "1e3"]
)
def test_bad_page_numbers_are_a_400(client, page):
    response = client.get("/", query_string={"q": "russia", "page": page})
    assert response.status_code == 400
    assert soup(response).select_one(".message").get_text().strip()


def test_non_utf8_bytes_in_the_query_string(client):
    for raw in ("q=%ff%fe%fd", "q=russia%c3", "q=%e9t%e9&page=%ff", "q%ff=1"):
        response = client.get(f"/?{raw}")
        assert response.status_code in (200, 400), raw
        assert soup(response).select_one("input#q") is not None
    response = client.get("/doc/%ff%fe")
    assert response.status_code == 404


def test_unknown_routes_and_methods(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert soup(response).h1.get_text() == "Not found"
    response = client.post("/?q=russia")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert soup(response).h1.get_text() == "Method not allowed"


# -- configuration ------------------------------------------------------------------


def test_config_from_environment_then_overrides(monkeypatch, seed_index, tmp_path):
    monkeypatch.setenv("SEEDSEARCH_INDEX", str(seed_index))
    monkeypatch.setenv("SEEDSEARCH_PER_PAGE", "4")
    app = create_app({"TESTING": True})
    assert app.config["INDEX"] == str(seed_index) and app.config["PER_PAGE"] == 4
    page = soup(app.test_client().get("/?q=russia"))
    app.extensions["seedsearch"].close()
    assert len(hit_ids(page)) == 4
    overridden = create_app({"INDEX": str(tmp_path / "elsewhere"), "TESTING": True})
    assert overridden.test_client().get("/?q=russia").status_code == 503


def test_defaults_match_the_cli(monkeypatch):
    monkeypatch.delenv("SEEDSEARCH_INDEX", raising=False)
    monkeypatch.delenv("SEEDSEARCH_SOURCE", raising=False)
    app = create_app()
    assert (app.config["INDEX"], app.config["SOURCE"]) == ("index", "seeds")
