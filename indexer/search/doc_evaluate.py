"""Whole-document BM25 from the passage index: the same vector evaluation as
evaluate.py with documents as the units.

A document's statistics are its passages' added up, made once per index
generation from what the index already holds: a word's frequency in the
document's text is the sum of its frequencies in the document's passages
(passages never overlap) plus its title's and section headings' (which every
passage repeats: counted once), and the text's length likewise. A word the
query spreads over the fields is one word of that text, as an engine indexing
whole documents in one field (Lucene's default, bm25s) scores it; the title
and section fields are still there for a query naming them. The idf counts
documents, not passages.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from ..schema import SEARCH_FIELDS
from .catalog import Catalog
from .evaluate import Scored, Vectors
from .weights import idf

# In a document, the body is its whole text: its passages, title and section
# headings; the headings, repeated on each of its passages, count once.
TEXT, *_HEADINGS = SEARCH_FIELDS
HEADINGS = tuple(_HEADINGS)


class DocumentVectors(Vectors):
    """Vector evaluation over the documents of one open index generation,
    numbered as its Catalog numbers them."""

    def __init__(self, passages: Vectors, catalog: Catalog) -> None:
        self.passages = passages
        self.catalog = catalog
        self.searcher = passages.searcher
        self.reader = passages.reader
        self.k1, self.b = passages.k1, passages.b
        self._codes = np.where(passages.live, catalog.doc_of, -1)
        counted = self._codes[self._codes >= 0]
        self._start(np.bincount(counted, minlength=len(catalog.docs)) > 0)
        self.documents = int(np.count_nonzero(self.live))
        self._idfs: dict[tuple[str, str], float] = {}

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding a term, and its frequency in each."""
        key = (field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        total = self._per_document(field, self.passages.postings(field, text))
        if field == TEXT:
            for heading in HEADINGS:
                total += self._per_document(heading, self.passages.postings(heading, text))
        docs = np.flatnonzero(total)
        found = docs, total[docs].astype(np.float32)
        self._remember(key, found)
        return found

    def _per_document(self, field: str, passages: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Passage values (a term's frequencies, or lengths) per document: summed
        over the passages in the body, taken once from the headings."""
        ids, values = passages
        codes = self._codes[ids]
        keep = codes >= 0
        codes, values = codes[keep], values[keep].astype(np.float64)
        if field not in HEADINGS:
            return np.bincount(codes, weights=values, minlength=self.size).astype(np.float64)
        total = np.zeros(self.size)
        np.maximum.at(total, codes, values)
        return total

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length in `field`."""
        every = np.arange(len(self._codes))
        total = self._per_document(field, (every, self.passages.lengths(field)))
        if field == TEXT:
            for heading in HEADINGS:
                total += self._per_document(heading, (every, self.passages.lengths(heading)))
        return total.astype(np.float32)

    def _norm(self, field: str) -> np.ndarray:
        norm = self._norms.get(field)
        if norm is None:
            lengths = self.lengths(field)
            average = float(lengths[self.live].mean()) if self.documents else 0.0
            norm = self.k1 * ((1 - self.b) + self.b * lengths / (average or 1.0))
            self._norms[field] = norm
        return norm

    def idf(self, field: str, text: str) -> float:
        """The Robertson/Spärck Jones idf over documents."""
        key = (field, text)
        found = self._idfs.get(key)
        if found is None:
            found = idf(len(self.postings(field, text)[0]), self.documents)
            self._idfs[key] = found
        return found

    def _evaluate(self, q: wq.Query) -> Scored:
        word = _spread_word(q)
        if word is None:
            return super()._evaluate(q)
        found = self.evaluate(word)
        return Scored(self.size, ids=found.ids, values=found.values * np.float32(q.boost))

    # Phrases and whatever Whoosh matches: found in passages, scored in documents.

    def _phrase(self, q: wq.Query) -> Scored:
        return self._from_passages(q)

    def _matched_by_whoosh(self, q: wq.Query) -> Scored:
        return self._from_passages(q)

    def _from_passages(self, q: wq.Query) -> Scored:
        codes = self._codes[self.passages.evaluate(q).ids]
        docs = np.unique(codes[codes >= 0])
        if isinstance(q, wq.Phrase):
            return self._scored_as_words(q, docs)
        return Scored(self.size, ids=docs, values=np.full(len(docs), q.boost, dtype=np.float32))

    def documents_of(self, passages: np.ndarray) -> np.ndarray:
        """The document number of each passage (-1 for a deleted one)."""
        return self._codes[passages]


def _spread_word(q: wq.Query) -> wq.Query | None:
    """The word or phrase a query spreads over the body and headings (see
    parse._spread), unboosted and in the body: in a whole document it is one
    word of the text. None for any other query."""
    if not isinstance(q, wq.DisjunctionMax) or len(q.subqueries) != 1 + len(HEADINGS):
        return None
    first = q.subqueries[0]
    if not isinstance(first, (wq.Term, wq.Phrase)) or first.fieldname != TEXT:
        return None
    fields = [s.fieldname for s in q.subqueries[1:]]
    same = all(type(s) is type(first) and _words(s) == _words(first) for s in q.subqueries)
    if fields != list(HEADINGS) or not same:
        return None
    return first.with_boost(1.0)


def _words(q: wq.Query) -> tuple[str, ...]:
    return (q.text,) if isinstance(q, wq.Term) else tuple(q.words)


def document_vectors_for(passages: Vectors, catalog: Catalog) -> DocumentVectors:
    """The DocumentVectors of an open searcher, made on first use and kept with it."""
    searcher = passages.searcher
    found = getattr(searcher, "_seedsearch_documents", None)
    if found is None or found.passages is not passages:
        found = DocumentVectors(passages, catalog)
        searcher._seedsearch_documents = found
    return found
