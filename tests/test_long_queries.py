"""Long questions and pasted paragraphs are queries: up to MAX_QUERY_CHARS
characters, searched by their MAX_TERMS most informative words (the rest named
in the notes and the API's `dropped`), with the query syntax intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import query as wq

from indexer.analysis import analyze
from indexer.build.run import build_index
from indexer.errors import BadQuery
from indexer.models import Query
from indexer.search.engine import Engine
from indexer.search.parse import MAX_QUERY_CHARS, MAX_TERMS, parse
from indexer.search.weights import STOP_STEMS
from webapp import create_app

from .conftest import SEED_DOC, SEEDS
from .test_web_api import check, response_schema

ESSAY = (SEEDS / SEED_DOC).read_text(encoding="utf-8")
PASTE = ((ESSAY + "\n\n") * 2)[:MAX_QUERY_CHARS]


@pytest.fixture(scope="module")
def client(seed_index: Path):
    app = create_app({"INDEX": str(seed_index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


@pytest.fixture(scope="module")
def reader(seed_engine: Engine):
    seed_engine.search(Query("warm"))  # opens the current generation
    return seed_engine._current().searcher.reader()


def _searched(parsed) -> set[str]:
    """The body stems a parsed query searches."""
    return {
        leaf.text
        for leaf in parsed.query.leaves()
        if isinstance(leaf, wq.Term) and leaf.fieldname == "body"
    }


def _clause_count(parsed) -> int:
    """Top-level clauses searched: words and phrases, stop words included."""
    q = parsed.query.a if isinstance(parsed.query, wq.AndNot) else parsed.query
    parts = [q.a, q.b] if isinstance(q, wq.AndMaybe) else [q]
    return sum(len(p.subqueries) if type(p) is wq.Or else 1 for p in parts)


def test_a_pasted_page_is_answered_with_a_ranked_page_and_says_what_it_left_out(client):
    response = client.get("/api/search", query_string={"q": PASTE})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] > 0 and len(body["results"]) == 10
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["dropped"] and any("shortened" in note for note in body["notes"])
    assert body["suggestion"] is None  # a page is not a typo
    spec = client.get("/api/openapi.json").get_json()
    check(spec, response_schema(spec, "/api/search", 200), body)


def test_the_page_says_the_query_was_shortened(client):
    page = client.get("/", query_string={"q": PASTE}).get_data(as_text=True)
    assert "This long query was shortened to its" in page
    assert 'class="snippet"' in page  # ranked results, grouped or not


def test_a_short_query_reports_nothing_dropped(client):
    body = client.get("/api/search", query_string={"q": "memorial"}).get_json()
    assert body["dropped"] == [] and body["notes"] == []


def test_the_cap_is_in_characters_with_a_clear_message(seed_engine):
    assert seed_engine.search(Query(("war " * MAX_QUERY_CHARS)[:MAX_QUERY_CHARS])).total
    with pytest.raises(BadQuery, match=f"the limit is {MAX_QUERY_CHARS:,}"):
        seed_engine.search(Query("w" * (MAX_QUERY_CHARS + 1)))


def test_a_long_query_keeps_its_most_informative_words(reader):
    parsed = parse(PASTE, reader)
    kept = _searched(parsed)
    assert _clause_count(parsed) == MAX_TERMS
    dropped = {t for word in parsed.dropped for t in analyze(word, mode="query")}
    assert dropped and not dropped & kept
    assert all(word in PASTE for word in parsed.dropped)  # as typed, not as stems
    # Every kept word is at least as rare in the index as every dropped one.
    df = lambda stem: reader.doc_frequency("body", stem)  # noqa: E731
    known_dropped = [df(t) for t in dropped if df(t)]
    assert max(df(t) for t in kept) <= min(known_dropped)
    assert dropped & STOP_STEMS  # stop words go first


def test_required_and_excluded_words_survive_shortening(seed_engine, reader):
    text = "+Chechnya -Olympics " + PASTE[:5000]
    parsed = parse(text, reader)
    assert parsed.dropped and "chechnya" in _searched(parsed)
    assert isinstance(parsed.query, wq.AndNot) and "olymp" in str(parsed.query.b)
    hits = seed_engine.search(Query(text, per_page=50)).hits
    assert hits and all("Chechnya" in h.text and "Olympic" not in h.text for h in hits)


def test_a_query_within_the_budget_is_not_shortened(reader):
    words = sorted({w for w in analyze(ESSAY) if w not in STOP_STEMS})[: MAX_TERMS - 1]
    parsed = parse(" ".join(words), reader)
    assert parsed.dropped == () and _searched(parsed) == set(words)


def test_syntax_still_works_in_a_long_query(seed_engine, reader):
    question = "Why did Human Rights Watch suspend its foreign policy work? " * 20
    excluded = seed_engine.search(Query(question + " -Memorial", per_page=50))
    assert excluded.total and all("Memorial" not in h.text for h in excluded.hits)
    # Lower-case and/or/not are words, not operators.
    plain = parse(question + " not memorial and russia or ukraine", reader)
    assert {"memori", "russia", "ukrain"} <= _searched(plain)
    assert not isinstance(plain.query, wq.AndNot)
    required = seed_engine.search(Query("+Ossetia " + "the war in Chechnya " * 40))
    assert required.total and all("Ossetia" in h.text for h in required.hits)
    both = parse(question + " Chechnya AND Ossetia", reader).query
    assert " AND " in str(both) and " AND " not in str(plain.query)


def test_a_question_mark_ends_a_question_and_a_spaced_dash_is_punctuation(seed_engine):
    hits = seed_engine.search(Query("Which rights group is called Memorial?")).hits
    assert hits[0].id == f"{SEED_DOC}#p3"
    # " - " in pasted prose is a dash, not "without".
    dashed = seed_engine.search(Query("Chechnya - Memorial", per_page=20))
    assert f"{SEED_DOC}#p3" in {h.id for h in dashed.hits}
    without = seed_engine.search(Query("Chechnya -Memorial", per_page=20))
    assert f"{SEED_DOC}#p3" not in {h.id for h in without.hits}
    # Inside a word ? is still one letter: wom?n finds women.
    assert seed_engine.search(Query("wom?n")).total
    # After punctuation it ends the question; a lone * in pasted text is a bullet.
    assert seed_engine.search(Query("Who collaborated with Memorial:?")).total
    pasted = "Notes:\n* joint research missions\n* Memorial\n* Chechnya *"
    assert seed_engine.search(Query(pasted)).hits[0].id == f"{SEED_DOC}#p3"
    with pytest.raises(BadQuery, match="needs letters"):
        seed_engine.search(Query("* ?"))


def test_a_word_typed_twice_counts_twice(corpus, tmp_path):
    source = corpus(
        {
            "a.md": "# A\n\nalpha beta filler words to make it longer than the other.\n",
            "b.md": "# B\n\nalpha gamma.\n",
        }
    )
    build_index(source, tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        once = [h.doc for h in engine.search(Query("alpha beta gamma")).hits]
        twice = [h.doc for h in engine.search(Query("alpha beta beta beta gamma")).hits]
    assert once[0] == "b.md"  # shorter, so its gamma outweighs a's beta
    assert twice[0] == "a.md"  # beta typed three times outweighs it
