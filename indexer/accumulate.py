"""Rank OR-ed words term at a time: what Vectors.top computes for a question,
at the cost of the words' postings rather than of whole-index arrays per word
and field.

A question of 30 words is 90 field terms; Vectors evaluates each into arrays
as long as the index and then stacks them, which at 310k passages costs more
than everything else a search does. Here each word's postings add into one
accumulator and one counter of clauses matched, so the cost follows the
postings. A phrase or wildcard among the words is still evaluated by Vectors
and added in; queries of other shapes (AND, groups, +word) return None and go
through Vectors whole.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

Hits = list[tuple[int, float]]


def top(vectors, query: wq.Query, every: wq.Query | None, need: int):
    """Vectors.top(query, every, need) for OR-ed clauses, or None if `query` is
    not that shape: (hits, matching passages, passages matching every clause)."""
    shape = _shape(query, every)
    if shape is None:
        return None
    content, stops, excluded = shape
    score = np.zeros(vectors.size)
    matched = np.zeros(vectors.size, dtype=np.int32)
    seen = np.zeros(vectors.size, dtype=bool)  # scratch: passages of the current clause
    for clause in content:
        if not _is_word(clause):  # a phrase or a wildcard: Vectors' whole-index arrays
            scored = vectors.evaluate(clause)
            score += scored.score
            matched += scored.mask
            continue
        found = _add(vectors, clause, score)
        # A passage counts once per clause, whichever of its fields hold the word.
        for ids in found:
            new = ids[~seen[ids]]
            seen[new] = True
            matched[new] += 1
        for ids in found:
            seen[ids] = False
    for clause in stops:
        if _is_word(clause):
            _add(vectors, clause, score)
        else:
            score += vectors.evaluate(clause).score
    candidates = np.flatnonzero(matched)
    for q in excluded:
        candidates = candidates[~vectors.evaluate(q).mask[candidates]]
    if not len(candidates):
        return [], 0, 0
    scores = score[candidates]
    tier = matched[candidates] == len(content) if every is not None else None
    every_n = int(tier.sum()) if tier is not None else len(candidates)
    later = (~tier).astype(np.int8) if tier is not None else np.zeros(len(candidates), np.int8)
    return _best(candidates, scores, later, need), len(candidates), every_n


def _shape(query: wq.Query, every: wq.Query | None):
    """(content clauses, clauses that only add to the score, excluded queries) of
    `query` OR-ed clauses [AND MAYBE stop words] [AND NOT excluded ...], with
    `every` requiring exactly the content clauses; else None."""
    excluded: list[wq.Query] = []
    while isinstance(query, wq.AndNot):
        excluded.append(query.b)
        if every is not None:
            if not (isinstance(every, wq.AndNot) and every.b == query.b):
                return None
            every = every.a
        query = query.a
    stops: list[wq.Query] = []
    if isinstance(query, wq.AndMaybe):
        stops = _clauses(query.b)
        query = query.a
    content = _clauses(query)
    if not any(_is_word(c) for c in content):
        return None  # nothing to gain over Vectors
    if every is not None and not (isinstance(every, wq.And) and list(every.subqueries) == content):
        return None
    return content, stops, excluded


def _clauses(q: wq.Query) -> list[wq.Query]:
    if type(q) is wq.Or and q.boost == 1.0:
        return list(q.subqueries)
    return [q]


def _is_word(q: wq.Query) -> bool:
    """One word in one field, or spread over fields whose scores add up."""
    if isinstance(q, wq.Term):
        return True
    return (
        isinstance(q, wq.DisjunctionMax)
        and q.tiebreak == 1.0
        and all(isinstance(s, wq.Term) for s in q.subqueries)
    )


def _add(vectors, clause: wq.Query, score: np.ndarray) -> list[np.ndarray]:
    """Add a word's BM25F scores into `score`; the passages holding it, by field."""
    terms = [clause] if isinstance(clause, wq.Term) else list(clause.subqueries)
    boost = 1.0 if isinstance(clause, wq.Term) else clause.boost
    found = []
    searcher = vectors.searcher
    for term in terms:
        if term.fieldname not in searcher.schema:
            continue
        ids, tfs = vectors.postings(term.fieldname, term.text)
        if not len(ids):
            continue
        idf = searcher.idf(term.fieldname, term.text)
        norm = vectors._norm(term.fieldname)[ids]
        score[ids] += idf * tfs * (vectors.k1 + 1) / (tfs + norm) * term.boost * boost
        found.append(ids)
    return found


def _best(candidates: np.ndarray, scores: np.ndarray, later: np.ndarray, need: int) -> Hits:
    """Every-word matches first, then by score, then by passage number (as Vectors.top)."""
    if len(candidates) > need:
        key = scores - later * (scores.max() - scores.min() + 1.0)
        cut = np.partition(key, len(key) - need)[len(key) - need]
        keep = key >= cut
        candidates, scores, later = candidates[keep], scores[keep], later[keep]
    order = np.lexsort((candidates, -scores, later))[:need]
    return [(int(candidates[i]), float(scores[i])) for i in order]
