"""Run a parsed query and order its passages: every-word matches first, then
the rest, each by BM25F, reranked by pseudo-relevance feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import log
from typing import TYPE_CHECKING

from whoosh import scoring

from .. import sorting
from . import feedback
from .evaluate import vectors_for

if TYPE_CHECKING:
    from .parse import ParsedQuery

# The ranking knobs, measured on the Cranfield collection (bench/relevance.py;
# bench/RESULTS.md has the table behind each choice).
K1 = 1.2
B = 0.75
# A passage's title is its document's: it says what the passage is about but
# is shared by all the document's passages, so it counts less than the body.
FIELD_BOOSTS = {"body": 1.0, "title": 0.5, "section": 0.5}
# 1.0: a word's fields add up (BM25F-style) instead of the best field counting alone.
FIELD_TIE = 1.0
STOP_BOOST = 0.2  # stop words are indexed for exact phrases but say little
# Pseudo-relevance feedback (RM3): the words of the top FEEDBACK_PASSAGES
# passages rerank the first FEEDBACK_DEPTH passages of questions of at least
# FEEDBACK_MIN_CLAUSES words (shorter queries say exactly what they want)
# that match at least FEEDBACK_MIN_MATCHES passages (with fewer, the top
# passages are most of the matches and teach nothing about the rest).
# 3 passages and 10 words are Terrier's defaults; λ 0.5 is Anserini's.
FEEDBACK_MIN_CLAUSES = 4
FEEDBACK_MIN_MATCHES = 50
FEEDBACK_PASSAGES = 3
FEEDBACK_TERMS = 10
FEEDBACK_WEIGHT = 0.5  # share of the typed words in the expanded query (λ)
FEEDBACK_DEPTH = 1000  # fixed, so every page of a query sees the same order


class _BM25F(scoring.BM25F):
    """Whoosh's BM25F with the Robertson/Spärck Jones idf (as in Lucene and
    bm25s): a word in most passages weighs next to nothing, where Whoosh's
    log(N/(n+1)) + 1 still gives it 1."""

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        docs = parent.doc_count_all()
        return log(1 + (docs - n + 0.5) / (n + 0.5))


def weighting() -> scoring.WeightingModel:
    """The scoring model every searcher uses."""
    return _BM25F(B=B, K1=K1)


@dataclass(frozen=True)
class Ranking:
    """One page of ranked passages, as Whoosh document numbers."""

    total: int
    every_word: int  # passages holding every word (the first tier)
    docnums: tuple[tuple[int, float], ...]
    more_in_doc: dict[str, int] = field(default_factory=dict)


def rank(
    searcher, parsed: ParsedQuery, offset: int, count: int, per_doc: int | None, by_date=False
) -> Ranking:
    """The passages at [offset, offset+count) of the ranking of `parsed`, or of
    its matches newest first when `by_date`."""
    need = offset + count
    if per_doc:
        need = need * 4  # room for the passages that collapsing hides
    vectors = vectors_for(searcher, K1, B)
    if by_date:  # relevance only orders the passages of one date: no feedback
        dates = sorting.dates_for(searcher)
        found = sorting.newest_first(vectors, dates, parsed.query, parsed.every_word, need)
        return _page(searcher, *found, offset, count, need, per_doc)
    feedback_on = parsed.clauses >= FEEDBACK_MIN_CLAUSES and FEEDBACK_PASSAGES > 0
    depth = max(need, FEEDBACK_DEPTH) if feedback_on else need
    # The every-word tier holds for questions too: on Cranfield's, dropping it
    # gains 0.3% MAP, and a coordination factor instead loses 2%.
    ranked, total, every_n = vectors.top(parsed.query, parsed.every_word, depth)
    if feedback_on and total >= FEEDBACK_MIN_MATCHES:
        ranked = _rerank(vectors, ranked, every_n, parsed.weight)
    return _page(searcher, ranked, total, every_n, offset, count, need, per_doc)


def _page(searcher, ranked, total: int, every_n: int, offset, count, need, per_doc) -> Ranking:
    """[offset, offset+count) of the first `need` of `ranked`, collapsed per document."""
    ranked = ranked[:need]
    more: dict[str, int] = {}
    if per_doc:
        ranked, more = _collapse(searcher, ranked, per_doc)
    return Ranking(
        total=total,
        every_word=every_n,
        docnums=tuple(ranked[offset : offset + count]),
        more_in_doc=more,
    )


def _rerank(vectors, ranked: list[tuple[int, float]], every_n: int, weight: float):
    """The first FEEDBACK_DEPTH passages rescored with the relevance model of
    the first FEEDBACK_PASSAGES, each tier kept in its place."""
    top = ranked[:FEEDBACK_PASSAGES]
    texts = [vectors.searcher.stored_fields(docnum)["body"] for docnum, _ in top]
    model = feedback.relevance_model(texts, [score for _, score in top], FEEDBACK_TERMS)
    if not model:
        return ranked
    head = ranked[:FEEDBACK_DEPTH]
    extra = feedback.expansion_scores(vectors, [d for d, _ in head], model, "body")
    # The typed words weigh their count (a repeated word again); RM3 gives the
    # expansion (1 - λ) / λ of that.
    scale = weight * (1.0 - FEEDBACK_WEIGHT) / FEEDBACK_WEIGHT
    rescored = [(d, s + scale * float(x)) for (d, s), x in zip(head, extra, strict=True)]
    cut = min(every_n, len(rescored))
    rescored[:cut] = sorted(rescored[:cut], key=_by_score)
    rescored[cut:] = sorted(rescored[cut:], key=_by_score)
    return rescored + ranked[FEEDBACK_DEPTH:]


def _by_score(hit: tuple[int, float]) -> tuple[float, int]:
    return -hit[1], hit[0]


def _collapse(searcher, ranked: list[tuple[int, float]], per_doc: int):
    """At most per_doc passages of one document, unless all are from one document."""
    docs = [searcher.stored_fields(docnum)["doc"] for docnum, _ in ranked]
    if len(set(docs)) <= 1:
        return ranked, {}
    kept, seen, hidden = [], {}, {}
    for (docnum, score), doc in zip(ranked, docs, strict=True):
        seen[doc] = seen.get(doc, 0) + 1
        if seen[doc] <= per_doc:
            kept.append((docnum, score))
        else:
            hidden[doc] = hidden.get(doc, 0) + 1
    return kept, hidden
