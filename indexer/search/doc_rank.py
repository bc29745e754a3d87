"""Order documents by all their evidence: the best passage and the whole document.

A document's score mixes its best passage's BM25F with the whole document's
BM25F (doc_evaluate.py): the best passage says one part of it is about
the query, the whole document counts its other passages, its title once and
its other words, and together they beat either alone (Callan 1994; Kaszkiel &
Zobel 1997). Documents holding every word come first, then the rest; questions
long enough for it get RM3 feedback over documents. The documents that match
are those with a matching passage, so grouping never finds what the passage
view does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..languages import DEFAULT
from . import feedback
from .alternatives import languages_in
from .catalog import catalog_for
from .doc_evaluate import DocumentVectors, document_vectors_for
from .evaluate import vectors_for
from .weights import (
    DOCUMENT_SHARE,
    EVERY_WORD_IN,
    FEEDBACK_DEPTH,
    FEEDBACK_MIN_CLAUSES,
    FEEDBACK_MIN_MATCHES,
    FEEDBACK_PASSAGES,
    FEEDBACK_TERMS,
    FEEDBACK_TEXT,
    FEEDBACK_WEIGHT,
    K1,
    B,
)

if TYPE_CHECKING:
    from .parse import ParsedQuery


@dataclass(frozen=True)
class DocumentRanking:
    """The best documents of a query, as catalog numbers, best first."""

    documents: int  # matching documents
    passages: int  # matching passages
    every_word: int  # documents in the first tier
    ranked: tuple[tuple[int, float], ...]  # (document number, score)


@dataclass(frozen=True)
class _Found:
    """The matching documents, their first-round scores and tiers."""

    docs: np.ndarray  # document numbers, ascending
    score: np.ndarray  # float64
    later: np.ndarray  # int8: 0 in the first tier, 1 below
    best: np.ndarray  # each document's best passage


def rank_documents(searcher, parsed: ParsedQuery, need: int) -> DocumentRanking:
    """The first `need` documents matching `parsed`, by all their evidence."""
    vectors = vectors_for(searcher, K1, B)
    documents = document_vectors_for(vectors, catalog_for(searcher, vectors))
    matched = vectors.evaluate(parsed.query)
    ids, values = matched.ids, matched.values
    if vectors.deletions:
        live = vectors.live[ids]
        ids, values = ids[live], values[live]
    found = _score(documents, parsed, ids, values)
    if found is None:
        return DocumentRanking(0, 0, 0, ())
    feedback_on = parsed.clauses >= FEEDBACK_MIN_CLAUSES and FEEDBACK_PASSAGES > 0
    order = np.lexsort((found.docs, -found.score, found.later))
    depth = max(need, FEEDBACK_DEPTH) if feedback_on else need
    ranked, score = order[:depth], found.score
    if feedback_on and len(ids) >= FEEDBACK_MIN_MATCHES:
        ranked, score = _rerank(documents, found, ranked, parsed.weight)
    every_n = int(np.count_nonzero(found.later == 0))
    top = tuple((int(found.docs[i]), float(score[i])) for i in ranked[:need])
    return DocumentRanking(len(found.docs), len(ids), every_n, top)


def _score(documents: DocumentVectors, parsed, ids: np.ndarray, values: np.ndarray):
    """Each matching document's best passage, mixed with its whole-document score."""
    codes = documents.documents_of(ids)
    keep = codes >= 0
    ids, values, codes = ids[keep], values[keep].astype(np.float64), codes[keep]
    if not len(ids):
        return None
    # Each document's best passage: the last of its passages sorted by score.
    by_doc = np.lexsort((-ids, values, codes))
    last = np.r_[codes[by_doc][1:] != codes[by_doc][:-1], True]
    docs, best = codes[by_doc][last], ids[by_doc][last]
    passage = values[by_doc][last]
    whole = documents.evaluate(parsed.query).at(docs)[1].astype(np.float64)
    score = (1 - DOCUMENT_SHARE) * passage + DOCUMENT_SHARE * whole
    return _Found(docs, score, _later(documents, parsed, docs, ids, codes), best)


def _later(documents: DocumentVectors, parsed, docs, ids, codes) -> np.ndarray:
    """0 for documents of the first tier (every word), 1 for the rest."""
    every = parsed.every_word
    if every is None or EVERY_WORD_IN is None:
        return np.zeros(len(docs), np.int8)
    if EVERY_WORD_IN == "document":
        holds = documents.evaluate(every).at(docs)[0]
    else:
        passages = documents.passages.evaluate(every).at(ids)[0]
        holds = np.isin(docs, codes[passages])
    return (~holds).astype(np.int8)


def _rerank(documents: DocumentVectors, found: _Found, ranked: np.ndarray, weight: float):
    """The first FEEDBACK_DEPTH documents rescored with the relevance model of
    the first FEEDBACK_PASSAGES, each tier kept in its place; with the new scores."""
    top = ranked[:FEEDBACK_PASSAGES]
    texts = [_text(documents, found, i) for i in top]
    scores = [float(found.score[i]) for i in top]
    langs = languages_in(documents.passages.reader)
    model = feedback.relevance_model(texts, scores, FEEDBACK_TERMS, langs)
    if not model:
        return ranked, found.score
    head, rest = ranked[:FEEDBACK_DEPTH], ranked[FEEDBACK_DEPTH:]
    extra = feedback.expansion_scores(documents, found.docs[head].tolist(), model, "body")
    # As for passages: the typed words weigh their count, the expansion (1 - λ) / λ of that.
    scale = weight * (1.0 - FEEDBACK_WEIGHT) / FEEDBACK_WEIGHT
    score = found.score.copy()
    score[head] += scale * extra
    order = np.lexsort((found.docs[head], -score[head], found.later[head]))
    return np.concatenate([head[order], rest]), score


def _text(documents: DocumentVectors, found: _Found, i: int) -> tuple[str, str]:
    """What feedback reads of a top document, with its language (its best passage's):
    its best passage, or all its passages."""
    stored = documents.searcher.stored_fields
    best = stored(int(found.best[i]))
    lang = best.get("lang") or DEFAULT
    if FEEDBACK_TEXT == "passage":
        return best["body"], lang
    passages, _ = documents.passages.postings("doc", documents.catalog.docs[found.docs[i]])
    return "\n\n".join(stored(int(n))["body"] for n in passages), lang
