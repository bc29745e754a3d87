"""Ranking regressions: the seed essay's judged queries (tests/seed_queries.json),
the every-word-first contract, exclusion, and feedback that reranks without
adding passages or highlighting words nobody typed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from indexer.analysis import analyze
from indexer.build.run import build_index
from indexer.models import Query
from indexer.search.engine import Engine
from indexer.search.weights import STOP_STEMS

from .conftest import SEED_DOC

JUDGED = json.loads((Path(__file__).parent / "seed_queries.json").read_text(encoding="utf-8"))
CASES = JUDGED["queries"]
KINDS = ("keyword", "phrase", "question", "typo", "quotes", "accent", "hyphen", "exclude")


def _cases():
    for case in CASES:
        marks = []
        if "known_failure" in case:
            marks.append(pytest.mark.xfail(strict=True, reason=case["known_failure"]))
        yield pytest.param(case, id=f"{case['kind']}: {case['query']}", marks=marks)


@pytest.mark.parametrize("case", list(_cases()))
def test_judged_passage_comes_first(seed_engine, case):
    result = seed_engine.search(Query(case["query"]))
    judged = {f"{SEED_DOC}#{p}" for p in case["first"]}
    ranked = [h.id for h in result.hits]
    assert ranked and ranked[0] in judged, f"{case['query']!r}: {ranked[:3]}, judged {judged}"


def test_judged_set_covers_every_kind_of_query(seed_engine):
    passing = Counter(c["kind"] for c in CASES if "known_failure" not in c)
    assert sum(passing.values()) >= 30
    assert all(passing[kind] for kind in KINDS), passing
    ids = {p.id for p in seed_engine.document(SEED_DOC).passages}
    judged = {f"{SEED_DOC}#{p}" for c in CASES for p in c["first"]}
    assert judged <= ids, judged - ids


def _words(text: str) -> set[str]:
    return set(analyze(text))


def _holds_every_word(hit, query: str) -> bool:
    wanted = {t for t in analyze(query, mode="query") if t not in STOP_STEMS}
    return wanted <= _words(" ".join((hit.title, hit.section, hit.text)))


# Pairs where BM25 alone would rank a passage with one word (often) above one
# with both words.
@pytest.mark.parametrize(
    "query", ["international joint", "against government", "capacity work", "open policy"]
)
def test_passages_with_every_word_come_before_the_rest(seed_engine, query):
    hits = seed_engine.search(Query(query, per_page=20)).hits
    holds = [_holds_every_word(h, query) for h in hits]
    assert any(holds) and not all(holds), "the query should split the passages"
    assert holds == sorted(holds, reverse=True), [h.id for h in hits]


@pytest.mark.parametrize(
    ("query", "kept", "dropped"),
    [
        ("Chechnya -Memorial", "Chechnya", "Memorial"),
        ("Ukraine NOT Memorial", "Ukraine", "Memorial"),
        ("(Chechnya OR Ukraine) -Memorial", "Chechnya Ukraine", "Memorial"),
        ("crackdown -Olympics", "crackdown", "Olympics"),
    ],
)
def test_exclusion_returns_exactly_the_passages_without_the_word(seed_engine, query, kept, dropped):
    every = seed_engine.search(Query(kept, per_page=20)).hits
    drop = _words(dropped)
    expected = {h.id for h in every if not drop & _words(h.text)}
    result = seed_engine.search(Query(query, per_page=20))
    assert expected and expected != {h.id for h in every}
    assert {h.id for h in result.hits} == expected
    assert result.total == len(expected)


# -- pseudo-relevance feedback -------------------------------------------------

QUESTION = "alpha beta gamma delta"  # four words: long enough for feedback
FILLERS = 55  # with the cores and the target, enough matches for feedback


@pytest.fixture
def feedback_engine(corpus, tmp_path):
    """Five passages with every word and a word they share (omega); many passages
    with alpha only; and a target with alpha and omega, longer than the rest, so
    that BM25 alone ranks it last among the alpha-only passages."""
    files = {
        f"core-{i}.md": f"# Core {i}\n\nalpha beta gamma delta omega omega omega.\n"
        for i in range(5)
    }
    for i in range(FILLERS):
        files[f"filler-{i}.md"] = f"# Filler {i}\n\nalpha word{i}a word{i}b word{i}c.\n"
    files["target.md"] = "# Target\n\nalpha omega omega omega omega padding words here.\n"
    build_index(corpus(files), tmp_path / "index", full=True)
    engine = Engine(tmp_path / "index")
    yield engine
    engine.close()


def test_feedback_lifts_passages_sharing_the_top_passages_words(feedback_engine):
    result = feedback_engine.search(Query(QUESTION, per_page=10))
    docs = [h.doc for h in result.hits]
    assert sorted(docs[:5]) == [f"core-{i}.md" for i in range(5)]
    assert docs[5] == "target.md"


def test_feedback_adds_no_passages_and_marks_only_typed_words(feedback_engine):
    result = feedback_engine.search(Query(QUESTION, per_page=100))
    assert result.total == 5 + FILLERS + 1  # every passage holds alpha; no other match
    typed = set(analyze(QUESTION, mode="query"))
    for hit in result.hits:
        marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
        assert marked and all(_words(m) <= typed for m in marked), (hit.doc, marked)
