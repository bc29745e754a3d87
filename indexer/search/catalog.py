"""The documents of an open index as arrays: which document each passage belongs
to, and which documents each folder, format and year holds. Built once per
generation from the index's own terms, so grouping and facet counts are vector
operations over passages, never loops over hits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import term_text

FACET_FIELDS = ("folder", "format", "year", "lang")
PASSAGE_FIELDS = frozenset({"lang"})  # facets whose values belong to passages, not documents


@dataclass(frozen=True)
class Catalog:
    """Documents numbered 0..n-1 in id order; -1 for a passage of no document
    (a deleted one)."""

    docs: tuple[str, ...]
    doc_of: np.ndarray  # int32 per passage
    # Per facet field: its values, and for each the numbers of its documents.
    values: dict[str, tuple[str, ...]]
    members: dict[str, tuple[np.ndarray, ...]]

    def documents_in(self, mask: np.ndarray) -> np.ndarray:
        """Matching passages per document (int64, one per document)."""
        codes = self.doc_of[mask]
        return np.bincount(codes[codes >= 0], minlength=len(self.docs))


def catalog_for(searcher, vectors) -> Catalog:
    """The Catalog of an open searcher, made on first use and kept with it."""
    found = getattr(searcher, "_seedsearch_catalog", None)
    if found is None:
        found = _build(searcher.reader(), vectors)
        searcher._seedsearch_catalog = found
    return found


def _build(reader, vectors) -> Catalog:
    docs = tuple(term_text(t) for t in reader.lexicon("doc"))
    doc_of = np.full(reader.doc_count_all(), -1, dtype=np.int32)
    for number, doc in enumerate(docs):
        ids, _ = vectors.postings("doc", doc)
        doc_of[ids] = number
    values, members = {}, {}
    for field in FACET_FIELDS:
        names = tuple(term_text(t) for t in reader.lexicon(field))
        values[field] = names
        members[field] = tuple(_documents(doc_of, vectors.postings(field, v)[0]) for v in names)
    return Catalog(docs, doc_of, values, members)


def _documents(doc_of: np.ndarray, passages: np.ndarray) -> np.ndarray:
    codes = np.unique(doc_of[passages])
    return codes[codes >= 0]
