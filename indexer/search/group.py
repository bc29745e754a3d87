"""Results grouped by document: documents in the order of their best passage in
the passage ranking, paged, each with its best few passages.

The passage ranking is taken deep enough to reach the page's documents (deeper
by fourfold steps when a few documents hold most of the top passages); a
document's further passages, when the ranking did not reach them, come from its
own matches in the ranking's order (tier, then score), which is the order
passages keep below the depth where feedback reranks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import catalog_for
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
    """Documents [offset, offset+count) of the ranking of `parsed`, by best passage."""
    vectors = vectors_for(searcher, K1, B)
    catalog = catalog_for(searcher, vectors)
    mask = vectors.evaluate(parsed.query).mask
    per_doc = catalog.documents_in(mask)
    documents = int(np.count_nonzero(per_doc))
    if not documents:
        return Grouping(0, 0, 0, ())
    want = min(offset + count, documents)
    depth = max(FEEDBACK_DEPTH, want * DEPTH_PER_DOCUMENT)
    while True:
        ranking = rank(searcher, parsed, 0, depth, None, by_date)
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
        groups.append(Group(catalog.docs[code], matches, tuple(best)))
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
