"""Rank a plain bag of words term at a time: what Vectors.top computes for a
question, at the cost of the words' postings rather than of one whole-index
array per word and field.

A question of 30 words is 90 field terms; Vectors evaluates each into arrays
as long as the index and then stacks them, which at 310k passages costs more
than everything else a search does. Here each term's postings add into one
accumulator and one counter of clauses matched, so the cost follows the
postings. Only queries made of words (each spread over the fields, or one
field) qualify; anything else (phrases, wildcards, exclusions, groups) returns
None and goes through Vectors.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

Hits = list[tuple[int, float]]


def top(vectors, query: wq.Query, every: wq.Query | None, need: int):
    """Vectors.top(query, every, need) for a bag of words, or None if `query` is
    not one: (hits, matching passages, passages matching every word)."""
    shape = _bag(query)
    if shape is None:
        return None
    content, stops = shape
    if every is not None and not (isinstance(every, wq.And) and list(every.subqueries) == content):
        return None
    score = np.zeros(vectors.size)
    matched = np.zeros(vectors.size, dtype=np.int32)
    seen = np.zeros(vectors.size, dtype=bool)  # scratch: passages of the current clause
    for clause in content:
        found = _add(vectors, clause, score)
        # A passage counts once per clause, whichever of its fields hold the word.
        for ids in found:
            new = ids[~seen[ids]]
            seen[new] = True
            matched[new] += 1
        for ids in found:
            seen[ids] = False
    for clause in stops:
        _add(vectors, clause, score)
    candidates = np.flatnonzero(matched)
    if not len(candidates):
        return [], 0, 0
    scores = score[candidates]
    tier = matched[candidates] == len(content) if every is not None else None
    every_n = int(tier.sum()) if tier is not None else len(candidates)
    later = (~tier).astype(np.int8) if tier is not None else np.zeros(len(candidates), np.int8)
    return _best(candidates, scores, later, need), len(candidates), every_n


def _bag(query: wq.Query) -> tuple[list[wq.Query], list[wq.Query]] | None:
    """(content clauses, stop-word clauses) of a bag of words, else None."""
    stops: list[wq.Query] = []
    if isinstance(query, wq.AndMaybe):
        stops = _clauses(query.b)
        query = query.a
    content = _clauses(query)
    if not content or not all(_is_word(c) for c in content + stops):
        return None
    return content, stops


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
