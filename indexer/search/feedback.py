"""Pseudo-relevance feedback: rerank the best passages by the words they share.

RM3 (Lavrenko & Croft's relevance model, interpolated with the query): each
word of the top passages is weighed by its share of each passage times that
passage's share of the top scores; the heaviest words then add their BM25
scores to the passages already ranked first. Feedback only reorders passages
the typed words matched, and is never highlighted: highlighting reads
ParsedQuery.marks, which feedback does not touch.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..analysis import ANALYZER, stop_terms

_MIN_LETTERS = 3  # "x", "2d", "of": too short to say what a passage is about


def relevance_model(
    texts: list[tuple[str, str]], scores: list[float], size: int
) -> dict[str, float]:
    """The `size` heaviest stems of P(w|R) = sum_d P(w|d) P(d|q), summing to 1."""
    total = sum(scores)
    if not texts or total <= 0:
        return {}
    weights: Counter[str] = Counter()
    for (text, lang), score in zip(texts, scores, strict=True):
        stops = stop_terms(lang)
        terms = ANALYZER(text, lang=lang)
        counts = Counter(t.text for t in terms if t.text not in stops and _content(t.text))
        length = sum(counts.values())
        if not length:
            continue
        share = score / total
        for word, n in counts.items():
            weights[word] += share * n / length
    top = weights.most_common(size)
    norm = sum(w for _, w in top)
    return {word: w / norm for word, w in top} if norm else {}


def _content(word: str) -> bool:
    return sum(c.isalpha() for c in word) >= _MIN_LETTERS


def expansion_scores(
    vectors, docnums: list[int], model: dict[str, float], field: str
) -> np.ndarray:
    """sum over the model's words of P(w|R) * BM25(w) for each of `docnums`:
    a binary search in each word's decoded postings, so the cost grows with
    the passages reranked, not with how common the words are."""
    searcher = vectors.searcher
    docs = np.asarray(docnums, dtype=np.int64)
    norm = vectors._norm(field)[docs]
    total = np.zeros(len(docs))
    for word, p in model.items():
        ids, tfs = vectors.postings(field, word)
        if not len(ids):
            continue
        at = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
        tf = np.where(ids[at] == docs, tfs[at], 0.0)
        total += p * searcher.idf(field, word) * tf * (vectors.k1 + 1) / (tf + norm)
    return total
