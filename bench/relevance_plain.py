"""Plain BM25 and the two measures, in numpy alone, for the CI check
(tests/test_relevance_cisi.py) that cannot install bm25s and ir-measures.

The BM25 is bm25s's setup (`relevance_baselines.bm25s_run`): words of two or
more letters or digits, lower case, Lucene's 33 English stop words removed,
Snowball stems, k1 1.2, b 0.75, the Lucene idf, document length counted after
stop words, a query word typed twice counting twice. bench/relevance.py checks
that it scores what bm25s scores.
"""

from __future__ import annotations

import re
from collections import Counter
from math import log2

import numpy as np
import Stemmer

K1, B = 1.2, 0.75
DEPTH = 1000
# bm25s.stopwords.STOPWORDS_EN (Lucene's EnglishAnalyzer set).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = Stemmer.Stemmer("english")

Run = dict[str, dict[str, float]]


def tokens(text: str) -> list[str]:
    """bm25s.tokenize(text, stopwords="en", stemmer=Snowball English)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]
    return _STEMMER.stemWords(words)


def bm25_run(docs: list[tuple[str, str]], topics: dict[str, str], depth: int = DEPTH) -> Run:
    """Each topic's best `depth` documents of (id, text) by BM25."""
    ids = [doc_id for doc_id, _ in docs]
    counts = [Counter(tokens(text)) for _, text in docs]
    lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    norm = K1 * (1 - B + B * lengths / (lengths.mean() or 1.0))
    postings: dict[str, tuple[list[int], list[int]]] = {}
    for n, c in enumerate(counts):
        for term, tf in c.items():
            found = postings.setdefault(term, ([], []))
            found[0].append(n)
            found[1].append(tf)
    size = len(docs)
    run: Run = {}
    for q, text in topics.items():
        scores = np.zeros(size)
        for term in tokens(text):
            if term not in postings:
                continue
            at, tf = (np.asarray(x) for x in postings[term])
            idf = np.log(1 + (size - len(at) + 0.5) / (len(at) + 0.5))
            scores[at] += idf * tf * (K1 + 1) / (tf + norm[at])
        best = np.flatnonzero(scores > 0)
        best = best[np.argsort(-scores[best], kind="stable")][:depth]
        run[q] = {ids[i]: float(scores[i]) for i in best}
    return run


def _ranked(found: dict[str, float]) -> list[str]:
    # trec_eval's order: score descending, ties by document id descending.
    return sorted(found, key=lambda d: (found[d], d), reverse=True)


def average_precision(found: dict[str, float], judged: dict[str, int]) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    hits, total = 0, 0.0
    for rank, doc in enumerate(_ranked(found), 1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def ndcg_at(found: dict[str, float], judged: dict[str, int], k: int = 10) -> float:
    gains = [judged.get(d, 0) for d in _ranked(found)[:k]]
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    dcg = sum(g / log2(r + 2) for r, g in enumerate(gains))
    best = sum(g / log2(r + 2) for r, g in enumerate(ideal))
    return dcg / best if best else 0.0


def mean_scores(qrels: dict[str, dict[str, int]], run: Run) -> dict[str, float]:
    """MAP and nDCG@10 over every judged topic (a topic with no results counts 0)."""
    topics = list(qrels)
    return {
        "MAP": sum(average_precision(run.get(q, {}), qrels[q]) for q in topics) / len(topics),
        "nDCG@10": sum(ndcg_at(run.get(q, {}), qrels[q]) for q in topics) / len(topics),
    }
