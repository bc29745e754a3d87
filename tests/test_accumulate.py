"""Term-at-a-time ranking of questions (indexer/accumulate.py) gives what the
whole-index vectors give: the same passages, totals, tiers and scores, with
phrases, wildcards and exclusions among the words too."""

from __future__ import annotations

import pytest

from indexer import accumulate, ranking
from indexer.models import Query
from indexer.query import parse
from indexer.vectors import vectors_for


@pytest.fixture(scope="module")
def searcher(seed_engine):
    seed_engine.search(Query("warm"))  # opens the current generation
    return seed_engine._current().searcher


QUESTIONS = [
    "memorial",
    "war chechnya",
    "Why did Human Rights Watch suspend its foreign policy work?",
    "the war, the war in Chechnya and the war in Ukraine",
    "title:russia rights",
    "How long will the office in Russia remain open?",
    "what did Russian activists find frustrating about working with Human Rights Watch",
    "of the and",
    "zzqxv memorial",
    "chechnya -memorial",
    'war "human rights" chechnya',
    "internation* rights watch",
    'Why did "Human Rights Watch" suspend its work in Russia? -Olympics NOT Syria',
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_ranks_as_the_vectors_rank_it(searcher, text):
    parsed = parse(text, searcher.reader())
    vectors = vectors_for(searcher, ranking.K1, ranking.B)
    fast = accumulate.top(vectors, parsed.query, parsed.every_word, 40)
    assert fast is not None, parsed.query
    hits, total, every = fast
    want_hits, want_total, want_every = vectors.top(parsed.query, parsed.every_word, 40)
    assert (total, every) == (want_total, want_every)
    assert len(hits) == len(want_hits)
    for (doc, score), (want_doc, want_score) in zip(hits, want_hits, strict=True):
        assert score == pytest.approx(want_score, rel=1e-5)
        # Passages may swap only where float rounding separates equal scores.
        assert doc == want_doc or abs(score - want_score) < 1e-5 * want_score


@pytest.mark.parametrize(
    "text", ['"human rights"', "internation*", "(a OR b) AND russia", "+memorial russia"]
)
def test_other_queries_are_left_to_the_vectors(searcher, text):
    parsed = parse(text, searcher.reader())
    vectors = vectors_for(searcher, ranking.K1, ranking.B)
    assert accumulate.top(vectors, parsed.query, parsed.every_word, 10) is None
