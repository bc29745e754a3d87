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

from ..analysis import index_spans, normalize, query_terms, stop_terms, surface_words

_MIN_LETTERS = 3  # "x", "2d", "of": too short to say what a passage is about


def relevance_model(
    texts: list[tuple[str, str]], scores: list[float], size: int, langs: tuple[str, ...]
) -> dict[tuple[str, ...], float]:
    """The `size` heaviest stems of P(w|R) = sum_d P(w|d) P(d|q), summing to 1; each
    keyed by its term in the top passage's language and, after it, the same word's
    terms in the other languages `langs` (so a passage of another language can share
    the word too: the query's words are searched in every language the same way)."""
    total = sum(scores)
    if not texts or total <= 0:
        return {}
    weights: Counter[str] = Counter()
    written: dict[str, str] = {}  # a term -> a word it was written as
    for (text, lang), score in zip(texts, scores, strict=True):
        stops = stop_terms(lang)
        counts: Counter[str] = Counter()
        for term, _pos, start, end in index_spans(text, lang):
            if term not in stops and _content(term):
                counts[term] += 1
                written.setdefault(term, text[start:end])
        length = sum(counts.values())
        if not length:
            continue
        share = score / total
        for word, n in counts.items():
            weights[word] += share * n / length
    top = weights.most_common(size)
    norm = sum(w for _, w in top)
    if not norm:
        return {}
    return {_alternatives(word, written[word], langs): w / norm for word, w in top}


def _alternatives(term: str, written: str, langs: tuple[str, ...]) -> tuple[str, ...]:
    if len(langs) == 1:
        return (term,)
    others = (query_terms(normalize(w), lang) for w in surface_words(written) for lang in langs)
    return tuple(dict.fromkeys((term, *(t[0] for t in others if len(t) == 1))))


def _content(word: str) -> bool:
    return sum(c.isalpha() for c in word) >= _MIN_LETTERS


def expansion_scores(
    vectors, docnums: list[int], model: dict[tuple[str, ...], float], field: str
) -> np.ndarray:
    """sum over the model's words of P(w|R) * BM25(w) for each of `docnums`
    (passages, or documents of DocumentVectors; a word's best term among its
    languages'): a binary search in each term's decoded postings, so the cost
    grows with the passages reranked, not with how common the words are."""
    docs = np.asarray(docnums, dtype=np.int64)
    norm = vectors._norm(field)[docs]
    total = np.zeros(len(docs))
    for terms, p in model.items():
        best = np.zeros(len(docs))
        for word in terms:
            ids, tfs = vectors.postings(field, word)
            if not len(ids):
                continue
            at = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
            tf = np.where(ids[at] == docs, tfs[at], 0.0)
            score = vectors.idf(field, word) * tf * (vectors.k1 + 1) / (tf + norm)
            best = score if len(terms) == 1 else np.maximum(best, score)
        total += p * best
    return total
