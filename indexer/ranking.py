"""Run a parsed query and order its passages: every-word matches first, then
the rest, each by BM25F."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from whoosh import scoring

if TYPE_CHECKING:
    from .query import ParsedQuery

# The ranking knobs, measured on the Cranfield collection (bench/relevance.py).
K1 = 1.2
B = 0.75
FIELD_BOOSTS = {"body": 1.0, "title": 2.0, "section": 1.5}
FIELD_TIE = 0.3  # DisjunctionMax tie-breaker across body/title/section
STOP_BOOST = 0.2  # stop words are indexed for exact phrases but say little


def weighting() -> scoring.WeightingModel:
    """The scoring model every searcher uses."""
    return scoring.BM25F(B=B, K1=K1)


@dataclass(frozen=True)
class Ranking:
    """One page of ranked passages, as Whoosh document numbers."""

    total: int
    every_word: int  # passages holding every word (the first tier)
    docnums: tuple[tuple[int, float], ...]
    more_in_doc: dict[str, int] = field(default_factory=dict)


def rank(searcher, parsed: ParsedQuery, offset: int, count: int, per_doc: int | None) -> Ranking:
    """The passages at [offset, offset+count) of the ranking of `parsed`."""
    need = offset + count
    if per_doc:
        need = need * 4  # room for the passages that collapsing hides
    ranked, total, every = _tiers(searcher, parsed, need)
    more: dict[str, int] = {}
    if per_doc:
        ranked, more = _collapse(searcher, ranked, per_doc)
    return Ranking(
        total=total,
        every_word=every,
        docnums=tuple(ranked[offset : offset + count]),
        more_in_doc=more,
    )


def _tiers(searcher, parsed: ParsedQuery, need: int) -> tuple[list[tuple[int, float]], int, int]:
    if parsed.every_word is None:
        results = searcher.search(parsed.query, limit=need)
        hits = [(hit.docnum, hit.score) for hit in results]
        total = len(results)
        return hits, total, total
    first = searcher.search(parsed.every_word, limit=need)
    rest = searcher.search(parsed.query, limit=need, mask=parsed.every_word)
    hits = [(h.docnum, h.score) for h in first] + [(h.docnum, h.score) for h in rest]
    every = len(first)
    return hits[:need], every + len(rest), every


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
