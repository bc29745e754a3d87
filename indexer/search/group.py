"""Results grouped by document: documents paged, each with its best few passages.

By relevance, documents come in the order doc_rank.py gives them
(best passage and whole document together); by date, in the order of their
first passage in the newest-first passage ranking, taken deep enough to reach
the page's documents. A document's passages are shown in the passage ranking's
order (tier, then score) with their passage scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import catalog_for
from .doc_rank import rank_documents
from .evaluate import vectors_for
from .rank import rank, tier_order
from .weights import FEEDBACK_DEPTH, K1, B

SHOWN = 3  # passages shown under each document
DEPTH_PER_DOCUMENT = 8  # passages ranked per wanted document, to begin with


@dataclass(frozen=True)
class Group:
    """One document of the page: its id, its matching passages and its best ones."""

    doc: str
    matches: int
    passages: tuple[tuple[int, float], ...]  # (passage number, score), best first
    score: float  # the document's: by relevance, all its evidence; by date, its first passage's


@dataclass(frozen=True)
class Grouping:
    """One page of documents."""

    documents: int  # matching documents
    passages: int  # matching passages
    every_word: int  # passages holding every word
    groups: tuple[Group, ...]

    @property
    def total(self) -> int:
        return self.documents


def group(searcher, parsed, offset: int, count: int, by_date: bool = False) -> Grouping:
    """Documents [offset, offset+count) of the ranking of `parsed`."""
    vectors = vectors_for(searcher, K1, B)
    catalog = catalog_for(searcher, vectors)
    per_doc = catalog.documents_in(vectors.evaluate(parsed.query).mask)
    if not np.count_nonzero(per_doc):
        return Grouping(0, 0, 0, ())
    if by_date:
        return _newest_first(searcher, vectors, parsed, per_doc, offset, count)
    found = rank_documents(searcher, parsed, offset + count)
    page = found.ranked[offset : offset + count]
    shown = _best_passages(vectors, catalog, parsed, np.array([c for c, _ in page], np.int64))
    groups = tuple(
        Group(catalog.docs[code], int(per_doc[code]), shown[code], score) for code, score in page
    )
    return Grouping(found.documents, found.passages, found.every_word, groups)


def _best_passages(vectors, catalog, parsed, codes: np.ndarray) -> dict:
    """The first SHOWN matching passages of each of the documents `codes`, in the
    passage ranking's order (tier, then score): one pass over the matches."""
    scored = vectors.evaluate(parsed.query)
    ids = scored.ids[np.isin(catalog.doc_of[scored.ids], codes)]
    if vectors.deletions:
        ids = ids[vectors.live[ids]]
    scores = scored.at(ids)[1].astype(np.float64)
    later = np.zeros(len(ids), np.int8)
    if parsed.every_word is not None:
        later = (~vectors.evaluate(parsed.every_word).at(ids)[0]).astype(np.int8)
    mine = catalog.doc_of[ids]
    order = np.lexsort((ids, -scores, later, mine))
    shown: dict[int, list[tuple[int, float]]] = {int(c): [] for c in codes}
    for i in order:
        best = shown[int(mine[i])]
        if len(best) < SHOWN:
            best.append((int(ids[i]), float(scores[i])))
    return {code: tuple(best) for code, best in shown.items()}


def _newest_first(searcher, vectors, parsed, per_doc, offset: int, count: int) -> Grouping:
    """Documents in the order of their first passage in the newest-first ranking."""
    catalog = catalog_for(searcher, vectors)
    documents = int(np.count_nonzero(per_doc))
    want = min(offset + count, documents)
    depth = max(FEEDBACK_DEPTH, want * DEPTH_PER_DOCUMENT)
    while True:
        ranking = rank(searcher, parsed, 0, depth, None, by_date=True)
        numbers = np.fromiter((d for d, _ in ranking.scored), np.int64, len(ranking.scored))
        codes = catalog.doc_of[numbers]
        _, firsts = np.unique(codes, return_index=True)
        if len(firsts) >= want or depth >= ranking.total:
            break
        depth *= 4
    reached = depth >= ranking.total
    groups = []
    for code in codes[np.sort(firsts)][offset : offset + count]:
        best = [hit for hit, c in zip(ranking.scored, codes, strict=True) if c == code][:SHOWN]
        matches = int(per_doc[code])
        if len(best) < min(SHOWN, matches) and not reached:
            best += _more_of(vectors, parsed, catalog.docs[code], best)[: SHOWN - len(best)]
        groups.append(Group(catalog.docs[code], matches, tuple(best), best[0][1]))
    return Grouping(documents, ranking.total, ranking.every_word, tuple(groups))


def _more_of(vectors, parsed, doc: str, seen: list[tuple[int, float]]):
    """A document's matching passages not in `seen`, in the ranking's order."""
    scored = vectors.evaluate(parsed.query)
    ids, _ = vectors.postings("doc", doc)
    ids = ids[scored.mask[ids]]
    ids = ids[~np.isin(ids, [d for d, _ in seen])]
    scores = scored.score[ids].astype(np.float64)
    tier = vectors.evaluate(parsed.every_word).mask[ids] if parsed.every_word is not None else None
    order = tier_order(ids, scores, tier)
    return [(int(ids[i]), float(scores[i])) for i in order]
