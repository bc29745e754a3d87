"""Run a parsed query and order its passages: every-word matches first, then
the rest, each by BM25F, reranked by pseudo-relevance feedback; or newest first,
by the date column (read once per generation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from ..languages import DEFAULT
from . import feedback
from .alternatives import languages_in
from .evaluate import Vectors, vectors_for
from .weights import (
    FEEDBACK_DEPTH,
    FEEDBACK_MIN_CLAUSES,
    FEEDBACK_MIN_MATCHES,
    FEEDBACK_PASSAGES,
    FEEDBACK_TERMS,
    FEEDBACK_WEIGHT,
    K1,
    B,
    idf,
)

if TYPE_CHECKING:
    from .parse import ParsedQuery

_DATE_BYTES = np.dtype(">u4")  # the date column's "I": big-endian unsigned, YYYYMMDD


class _BM25F(scoring.BM25F):
    """Whoosh's BM25F with our idf (weights.idf)."""

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())


def weighting() -> scoring.WeightingModel:
    """The scoring model every searcher uses."""
    return _BM25F(B=B, K1=K1)


@dataclass(frozen=True)
class Ranking:
    """One page of ranked passages, as Whoosh document numbers."""

    total: int
    every_word: int  # passages holding every word (the first tier)
    scored: tuple[tuple[int, float], ...]  # (docnum, score) pairs
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
        found = newest_first(vectors, dates_for(searcher), parsed.query, parsed.every_word, need)
        return _page(searcher, *found, offset, count, need, per_doc)
    feedback_on = parsed.clauses >= FEEDBACK_MIN_CLAUSES and FEEDBACK_PASSAGES > 0
    depth = max(need, FEEDBACK_DEPTH) if feedback_on else need
    # The every-word tier holds for questions too: on Cranfield's, dropping it
    # gains 0.3% MAP, and a coordination factor instead loses 2%.
    ranked, total, every_n = top(vectors, parsed.query, parsed.every_word, depth)
    if feedback_on and total >= FEEDBACK_MIN_MATCHES:
        ranked = _rerank(vectors, ranked, every_n, parsed.weight)
    return _page(searcher, ranked, total, every_n, offset, count, need, per_doc)


def tier_order(ids: np.ndarray, scores: np.ndarray, tier: np.ndarray | None, dates=None):
    """The ranking order of passages `ids` (indexes into them): every-word matches
    (`tier`; None when all are) first, then by score, then by passage number;
    newest `dates` first above all when given."""
    later = _later(tier, len(ids))
    keys = (ids, -scores, later) if dates is None else (ids, -scores, later, -dates)
    return np.lexsort(keys)


def _later(tier: np.ndarray | None, size: int) -> np.ndarray:
    """1 for a passage outside the every-word tier, else 0."""
    return np.zeros(size, np.int8) if tier is None else (~tier).astype(np.int8)


def top(
    vectors: Vectors, query: wq.Query, every: wq.Query | None, need: int
) -> tuple[list[tuple[int, float]], int, int]:
    """The best `need` passages, those matching `every` first; with the number
    of matching passages and of those matching `every`."""
    scored = vectors.evaluate(query)
    candidates, scores = scored.ids, scored.values
    if vectors.deletions:
        live = vectors.live[candidates]
        candidates, scores = candidates[live], scores[live]
    total = len(candidates)
    if not total:
        return [], 0, 0
    tier = vectors.evaluate(every).at(candidates)[0] if every is not None else None
    every_n = int(np.count_nonzero(tier)) if tier is not None else total
    scores = scores.astype(np.float64)
    if len(candidates) > need:
        # Keep the best `need` by (tier, score), ties at the cut included.
        key = scores - _later(tier, total) * (scores.max() - scores.min() + 1.0)
        cut = np.partition(key, len(key) - need)[len(key) - need]
        keep = key >= cut
        candidates, scores = candidates[keep], scores[keep]
        tier = tier[keep] if tier is not None else None
    order = tier_order(candidates, scores, tier)[:need]
    return [(int(candidates[i]), float(scores[i])) for i in order], total, every_n


def _page(searcher, ranked, total: int, every_n: int, offset, count, need, per_doc) -> Ranking:
    """[offset, offset+count) of the first `need` of `ranked`, collapsed per document."""
    ranked = ranked[:need]
    more: dict[str, int] = {}
    if per_doc:
        ranked, more = _collapse(searcher, ranked, per_doc)
    return Ranking(
        total=total,
        every_word=every_n,
        scored=tuple(ranked[offset : offset + count]),
        more_in_doc=more,
    )


def _rerank(vectors, ranked: list[tuple[int, float]], every_n: int, weight: float):
    """The first FEEDBACK_DEPTH passages rescored with the relevance model of
    the first FEEDBACK_PASSAGES, each tier kept in its place."""
    top = ranked[:FEEDBACK_PASSAGES]
    stored = [vectors.searcher.stored_fields(docnum) for docnum, _ in top]
    texts = [(f["body"], f.get("lang") or DEFAULT) for f in stored]
    langs = languages_in(vectors.reader)
    model = feedback.relevance_model(texts, [score for _, score in top], FEEDBACK_TERMS, langs)
    if not model:
        return ranked
    head = ranked[:FEEDBACK_DEPTH]
    extra = feedback.expansion_scores(vectors, [d for d, _ in head], model, "body")
    # The typed words weigh their count (a repeated word again); RM3 gives the
    # expansion (1 - λ) / λ of that.
    scale = weight * (1.0 - FEEDBACK_WEIGHT) / FEEDBACK_WEIGHT
    rescored = [(d, s + scale * float(x)) for (d, s), x in zip(head, extra, strict=True)]
    ids = np.fromiter((d for d, _ in rescored), np.int64, len(rescored))
    scores = np.fromiter((s for _, s in rescored), np.float64, len(rescored))
    order = tier_order(ids, scores, np.arange(len(rescored)) < every_n)
    return [rescored[i] for i in order] + ranked[FEEDBACK_DEPTH:]


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


def dates_for(searcher) -> np.ndarray:
    """Each passage's date as YYYYMMDD (0 when unknown), made on first use."""
    found = getattr(searcher, "_seedsearch_dates", None)
    if found is None:
        found = _read_dates(searcher.reader())
        searcher._seedsearch_dates = found
    return found


def _read_dates(reader) -> np.ndarray:
    dates = np.zeros(reader.doc_count_all(), dtype=np.int64)
    for seg, base in reader.leaf_readers():
        count = seg.doc_count_all()
        dates[base : base + count] = _column(seg, count)
    return dates


def _column(seg, count: int) -> np.ndarray:
    """One segment's dates: its raw fixed-width bytes at once when Whoosh stores
    them so (one read instead of a Python call per passage), else value by value."""
    column = seg.column_reader("date", translate=False)
    raw = getattr(column, "_dbfile", None)
    if raw is not None and getattr(column, "_fixedlen", 0) == _DATE_BYTES.itemsize:
        stored = column._count
        values = np.zeros(count, dtype=np.int64)
        data = raw.get(column._basepos, stored * _DATE_BYTES.itemsize)
        values[:stored] = np.frombuffer(data, dtype=_DATE_BYTES)
        values[stored:] = column._default
        return values
    return np.fromiter(column, dtype=np.int64, count=count)


def newest_first(
    vectors, dates: np.ndarray, query: wq.Query, every: wq.Query | None, need: int
) -> tuple[list[tuple[int, float]], int, int]:
    """The first `need` matching passages by date, newest first; within a date,
    every-word matches first, then by score. With the numbers of matching
    passages and of every-word matches, as Vectors.top gives them."""
    scored = vectors.evaluate(query)
    candidates = np.flatnonzero(scored.mask)
    total = len(candidates)
    if not total:
        return [], 0, 0
    tier = vectors.evaluate(every).mask[candidates] if every is not None else None
    every_n = int(tier.sum()) if tier is not None else total
    when = dates[candidates]
    if total > need:
        # Keep the passages of the `need` newest dates (ties at the cut included).
        cut = np.partition(when, total - need)[total - need]
        keep = when >= cut
        candidates, when = candidates[keep], when[keep]
        tier = tier[keep] if tier is not None else None
    scores = scored.score[candidates].astype(np.float64)
    order = tier_order(candidates, scores, tier, when)[:need]
    return [(int(candidates[i]), float(scores[i])) for i in order], total, every_n
