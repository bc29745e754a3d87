"""Fuzz the one search function and the web routes that call it: whatever a
reader types, the engine answers or raises BadQuery, and every HTTP response is
a 2xx or 4xx with valid JSON or HTML. Expensive patterns are bounded, and the
reader is told when a query was narrowed or refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from indexer.analysis import stem
from indexer.errors import BadQuery
from indexer.index import generations
from indexer.models import Query, SearchResult
from indexer.search.engine import MAX_DEPTH, MAX_PER_PAGE
from indexer.search.parse import (
    MAX_EDITS,
    MAX_EXPANSION,
    MAX_EXPANSION_TOTAL,
    MAX_QUERY_CHARS,
    parse,
)
from tests.conftest import SEED_DOC
from webapp import create_app

# Words of the seed essay (so fuzzed queries also match), query syntax, fields
# known and unknown, markup, and characters that trip parsers.
WORDS = [
    "russia",
    "russian",
    "human",
    "rights",
    "memorial",
    "watch",
    "office",
    "internationalization",
    "the",
    "and",
    "of",
    "soviet",
    "groups",
    "collaborat",
    "xqzzv",
]
SYNTAX = [
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    "TO",
    "and",
    "or",
    "+",
    "-",
    "&&",
    "||",
    "!",
    '"',
    "“",
    "”",
    "«",
    "'",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "?",
    "~",
    "~1",
    "~2",
    "~9",
    "~99999999999999999999",
    "~-1",
    "~0.5",
    "^",
    "^2",
    "^0",
    "^-3",
    "^1e309",
    "^nan",
    ":",
    "\\",
    "/",
    "<",
    ">",
    "=",
    "%",
    "&",
    ";",
    ",",
    ".",
]
FIELDS = ["title:", "section:", "doc:", "body:", "unknown:", "id:", "ordinal:", "TITLE:", "http:"]
MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "&lt;b&gt;",
    "&#x3C;",
]
ODD = [
    "\x00",
    "\x01",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\u200b",
    "\u200e",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\U0001f642",
    "ﬀ",
    "ß",
    "İ",
    "ǅ",
    "\u0301",
    "Ⅻ",
    "٣",
    "\r\n",
    "\t",
]

# Any character a browser or terminal can send; lone surrogates (which only
# the CLI can receive, from invalid UTF-8 in argv) have their own test below.
TEXT = st.characters(codec="utf-8")
token = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(SYNTAX),
    st.sampled_from(FIELDS),
    st.sampled_from(MARKUP),
    st.sampled_from(ODD),
    st.text(alphabet=TEXT, max_size=6),
    st.text(alphabet=TEXT, max_size=12),
)
glue = st.sampled_from(["", " ", " ", " ", "  ", "\t", "\n"])
query_text = st.one_of(
    st.lists(st.tuples(token, glue), max_size=24).map(lambda ps: "".join(a + b for a, b in ps)),
    st.text(alphabet=TEXT, max_size=40),
    # Long random text, and pasted prose around the length limit.
    st.text(alphabet=TEXT, min_size=400, max_size=600),
    st.integers(MAX_QUERY_CHARS - 8, MAX_QUERY_CHARS + 8).map(
        lambda n: ('Russia? war (Chechnya) - and: NOT "rights watch" ' * n)[:n]
    ),
    st.just("russia* " * 62 + "ru"),
    st.integers(1, 60).map(lambda n: "(" * n + "russia" + ")" * n),
    st.integers(1, 120).map(lambda n: "NOT " * n + "russia"),
)
pages = st.one_of(st.integers(-2, 3), st.integers(-(2**70), 2**70))
per_pages = st.one_of(st.integers(0, 12), st.sampled_from([MAX_PER_PAGE, MAX_PER_PAGE + 1]))

MARK = re.compile(r"</?mark>")


def check_result(result: SearchResult, query: Query) -> None:
    """What any answer must satisfy, whatever the query."""
    assert result.total >= len(result.hits) >= 0
    assert len(result.hits) <= query.per_page
    assert len({h.id for h in result.hits}) == len(result.hits)
    for hit in result.hits:
        # Escaped text with only our own <mark> tags, balanced.
        assert "<" not in MARK.sub("", hit.snippet), hit.snippet
        assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")
        assert hit.url.startswith("/doc/")
    # Valid JSON, strictly (no NaN or Infinity for a boost gone wild).
    json.loads(json.dumps(result.to_json(), allow_nan=False))


settings.register_profile(
    "seedsearch-fuzz",
    deadline=None,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile("seedsearch-fuzz")


@settings(FUZZ, max_examples=400)
@given(text=query_text)
def test_engine_search_raises_only_bad_query(seed_engine, text):
    query = Query(text)
    try:
        result = seed_engine.search(query)
    except BadQuery as exc:
        assert exc.message and "Traceback" not in exc.message
        return
    check_result(result, query)


@pytest.mark.parametrize("text", ["russia\udcff", "human rights\udce9"])
def test_lone_surrogates_never_escape(seed_engine, text):
    query = Query(text)
    try:
        result = seed_engine.search(query)
    except BadQuery:
        return
    check_result(result, query)


@settings(FUZZ, max_examples=150)
@given(text=query_text, page=pages, per_page=per_pages, per_doc=st.sampled_from([None, 1, 3]))
def test_engine_paging_raises_only_bad_query(seed_engine, text, page, per_page, per_doc):
    query = Query(text, page=page, per_page=per_page, per_doc=per_doc)
    try:
        result = seed_engine.search(query)
    except BadQuery:
        return
    check_result(result, query)


@settings(FUZZ, max_examples=100)
@given(text=query_text)
def test_document_view_raises_only_bad_query(seed_engine, text):
    try:
        view = seed_engine.document(SEED_DOC, text)
    except BadQuery:
        return
    assert len(view.passages) == 10
    for passage in view.passages:
        assert "<" not in MARK.sub("", passage.html)


@pytest.fixture(scope="module")
def client(seed_index: Path) -> Iterator:
    app = create_app({"INDEX": str(seed_index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def assert_json_answer(response) -> dict:
    assert 200 <= response.status_code < 300 or 400 <= response.status_code < 500, response
    assert response.mimetype == "application/json"
    payload = json.loads(response.get_data(as_text=True))
    if response.status_code >= 400:
        assert set(payload) == {"error"} and payload["error"]["message"]
    else:
        assert set(payload) >= {"query", "total", "results"}
    return payload


def assert_html_answer(response) -> None:
    assert 200 <= response.status_code < 300 or 400 <= response.status_code < 500, response
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert text.lstrip().lower().startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    page = BeautifulSoup(text, "html.parser")
    assert page.find("main") is not None
    # Whatever was typed, the only script is ours and no element is injected.
    assert [s.get("src") for s in page.find_all("script")] == ["/static/search.js"]
    assert page.find_all(["img", "svg", "iframe", "object", "embed", "style"]) == []
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag


@settings(FUZZ, max_examples=200)
@given(text=query_text, page=st.one_of(st.none(), pages.map(str), st.text(max_size=5)))
def test_http_search_answers_2xx_or_4xx_with_valid_bodies(client, text, page):
    args = {"q": text} if page is None else {"q": text, "page": page}
    assert_json_answer(client.get("/api/search", query_string=args))
    assert_html_answer(client.get("/", query_string=args))


@settings(FUZZ, max_examples=100)
@given(raw=st.binary(max_size=60), name=st.sampled_from(["q", "page", "per_page", "limit", "x"]))
def test_http_percent_encoded_bytes_never_fail(client, raw, name):
    # Any bytes, invalid UTF-8 included, as a browser percent-encodes them.
    query_string = f"{name}={quote_from_bytes(raw)}"
    assert_json_answer(client.get("/api/search", query_string=query_string))
    assert_html_answer(client.get("/", query_string=query_string))


@pytest.mark.parametrize("raw", [b"q=\x80", b"q=caf\xe9", b"page=\xff\xfe"])
@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_http_raw_non_utf8_query_string_is_a_4xx(client, path, raw):
    # WSGI hands the query string over undecoded, as Latin-1.
    response = client.get(path, environ_overrides={"QUERY_STRING": raw.decode("latin-1")})
    if path == "/":
        assert_html_answer(response)
    else:
        assert_json_answer(response)


@settings(FUZZ, max_examples=60)
@given(text=query_text)
def test_http_document_view_with_any_query(client, text):
    assert_html_answer(client.get(f"/doc/{SEED_DOC}", query_string={"q": text}))


# -- bounded cost: deterministic limits, explained to the reader ----------------


@pytest.fixture(scope="module")
def reader(seed_index: Path) -> Iterator:
    """A reader of the seed index's current generation, as the engine opens it."""
    ix = whoosh_index.open_dir(str(generations.current_dir(seed_index)))
    with ix.reader() as r:
        yield r


def expanded_words(text: str, reader) -> set[str]:
    """The distinct indexed words `text` searches for, after expansion."""
    parsed = parse(text, reader)
    return {term.text for term in parsed.query.leaves() if isinstance(term, wq.Term)}


def test_a_wildcard_matching_many_words_is_narrowed_and_says_so(seed_engine, reader):
    result = seed_engine.search(Query("*e*"))  # most of the seed's 439 words
    assert result.total > 0
    assert len(expanded_words("*e*", reader)) == MAX_EXPANSION
    [note] = result.notes
    narrowed = rf"“\*e\*” matches (\d+) words; searched the {MAX_EXPANSION} most common."
    found = re.fullmatch(narrowed, note)
    assert found and int(found.group(1)) > MAX_EXPANSION


def test_a_narrow_wildcard_is_not_narrowed(seed_engine, reader):
    result = seed_engine.search(Query("internation*"))
    assert result.notes == () and result.total > 0
    words = expanded_words("internation*", reader)
    assert words and all(w.startswith("internat") for w in words)


def test_many_wildcards_share_one_expansion_budget(seed_engine, reader):
    text = " ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyz")
    result = seed_engine.search(Query(text))
    assert len(expanded_words(text, reader)) <= MAX_EXPANSION_TOTAL
    # The reader is told which patterns were narrowed or left out.
    assert any("were not searched" in n or "was not searched" in n for n in result.notes)
    assert len(result.notes) <= 26


@pytest.mark.parametrize("text", ["russia~9", "rights~5", "memorial~3"])
def test_fuzzy_distance_is_capped_and_said(seed_engine, reader, text):
    word = text.split("~")[0]
    result = seed_engine.search(Query(text))
    far = {w for w in expanded_words(text, reader) if edit_distance(w, stem(word)) > MAX_EDITS}
    assert far == set()
    assert f"searched words within {MAX_EDITS} edits" in " ".join(result.notes)


def test_a_huge_fuzzy_distance_is_no_problem(seed_engine):
    # Whoosh reads one digit after ~; the rest is a word of its own.
    result = seed_engine.search(Query("rights~99999999999999999999"))
    assert result.total > 0 and result.notes


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, for checking what a fuzzy term expanded to."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def test_edit_distance_helper():
    assert edit_distance("russia", "russian") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        (Query("russia", page=MAX_DEPTH), f"{MAX_DEPTH} deep"),
        (Query("russia", page=2**62, per_page=10), f"{MAX_DEPTH} deep"),
        (Query("russia", per_page=MAX_PER_PAGE + 1), f"between 1 and {MAX_PER_PAGE}"),
        (Query("russia", page=0), "1 or more"),
        (Query("r" * (MAX_QUERY_CHARS + 1)), f"the limit is {MAX_QUERY_CHARS:,}"),
        (Query("*"), "needs letters before it"),
        (Query("title:*"), "needs letters before it"),
    ],
)
def test_expensive_or_absurd_requests_are_refused_with_a_reason(seed_engine, query, fragment):
    with pytest.raises(BadQuery, match=re.escape(fragment)):
        seed_engine.search(query)


def test_refusals_reach_the_api_as_400_with_the_same_message(client):
    response = client.get("/api/search", query_string={"q": "russia", "page": str(MAX_DEPTH)})
    assert response.status_code == 400
    assert f"{MAX_DEPTH} deep" in assert_json_answer(response)["error"]["message"]
    narrowed = client.get("/", query_string={"q": "*e*"})
    assert narrowed.status_code == 200
    assert f"searched the {MAX_EXPANSION} most common" in narrowed.get_data(as_text=True)
