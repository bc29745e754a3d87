"""How many matching documents each folder, format, year and language holds, over
the whole result set. Each facet is counted with the other facets' filters applied
but not its own, so a reader filtering on pdf still sees how many md documents
match. A language counts the documents with a matching passage in it: a Russian
report with an English summary counts under English only when the summary matches."""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from ..models import FacetCounts, FacetValue, Filters
from .catalog import FACET_FIELDS, PASSAGE_FIELDS, catalog_for
from .evaluate import vectors_for
from .restrict import Restriction
from .weights import K1, B


def count_facets(searcher, query: wq.Query, where: Restriction, chosen: Filters) -> FacetCounts:
    """Documents per value among the passages matching `query` (unfiltered)."""
    vectors = vectors_for(searcher, K1, B)
    catalog = catalog_for(searcher, vectors)
    base = vectors.evaluate(query).mask
    limits = {name: vectors.evaluate(q).mask for name, q in where.parts() if q is not None}
    matched: dict[frozenset, np.ndarray] = {}  # documents matched, per set of filters applied
    counted: dict[str, list[FacetValue]] = {}
    for field in FACET_FIELDS:
        applied = frozenset(name for name in limits if name != field)
        if applied not in matched:
            mask = base
            for name in applied:
                mask = mask & limits[name]
            matched[applied] = catalog.documents_in(mask) > 0
        values = catalog.values[field]
        if field in PASSAGE_FIELDS:
            mask = base
            for name in applied:
                mask = mask & limits[name]
            counts = [_documents_with(catalog, vectors, field, v, mask) for v in values]
        else:
            hit = matched[applied]
            counts = [int(np.count_nonzero(hit[docs])) for docs in catalog.members[field]]
        counted[field] = [
            FacetValue(value, n, chosen.covers(field, value))
            for value, n in zip(values, counts, strict=True)
            if n or chosen.covers(field, value)
        ]
    return FacetCounts(
        # By path, so that a folder's subfolders follow it.
        folder=tuple(sorted(counted["folder"], key=lambda v: v.value.split("/"))),
        format=tuple(sorted(counted["format"], key=lambda v: (-v.count, v.value))),
        year=tuple(sorted(counted["year"], key=lambda v: v.value, reverse=True)),
        lang=tuple(sorted(counted["lang"], key=lambda v: (-v.count, v.value))),
    )


def _documents_with(catalog, vectors, field: str, value: str, mask: np.ndarray) -> int:
    """Documents with a passage in `mask` holding `value` in `field`."""
    ids, _ = vectors.postings(field, value)
    codes = np.unique(catalog.doc_of[ids[mask[ids]]])
    return int(np.count_nonzero(codes >= 0))
