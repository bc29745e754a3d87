"""Newest first: matching passages ordered by their document's date (from the
index's `date` column, read once per generation), then as relevance would."""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

_DATE_BYTES = np.dtype(">u4")  # the column's "I": big-endian unsigned, YYYYMMDD


def dates_for(searcher) -> np.ndarray:
    """Each passage's date as YYYYMMDD (0 when unknown), made on first use."""
    found = getattr(searcher, "_seedsearch_dates", None)
    if found is None:
        found = _read_dates(searcher.reader())
        searcher._seedsearch_dates = found
    return found


def _read_dates(reader) -> np.ndarray:
    dates = np.zeros(reader.doc_count_all(), dtype=np.int64)
    for seg, base in reader.leaf_readers():
        count = seg.doc_count_all()
        dates[base : base + count] = _column(seg, count)
    return dates


def _column(seg, count: int) -> np.ndarray:
    """One segment's dates: its raw fixed-width bytes at once when Whoosh stores
    them so (one read instead of a Python call per passage), else value by value."""
    column = seg.column_reader("date", translate=False)
    raw = getattr(column, "_dbfile", None)
    if raw is not None and getattr(column, "_fixedlen", 0) == _DATE_BYTES.itemsize:
        stored = column._count
        values = np.zeros(count, dtype=np.int64)
        data = raw.get(column._basepos, stored * _DATE_BYTES.itemsize)
        values[:stored] = np.frombuffer(data, dtype=_DATE_BYTES)
        values[stored:] = column._default
        return values
    return np.fromiter(column, dtype=np.int64, count=count)


def newest_first(
    vectors, dates: np.ndarray, query: wq.Query, every: wq.Query | None, need: int
) -> tuple[list[tuple[int, float]], int, int]:
    """The first `need` matching passages by date, newest first; within a date,
    every-word matches first, then by score. With the numbers of matching
    passages and of every-word matches, as Vectors.top gives them."""
    scored = vectors.evaluate(query)
    candidates = np.flatnonzero(scored.mask)
    total = len(candidates)
    if not total:
        return [], 0, 0
    tier = vectors.evaluate(every).mask[candidates] if every is not None else None
    every_n = int(tier.sum()) if tier is not None else total
    when = dates[candidates]
    if total > need:
        # Keep the passages of the `need` newest dates (ties at the cut included).
        cut = np.partition(when, total - need)[total - need]
        keep = when >= cut
        candidates, when = candidates[keep], when[keep]
        tier = tier[keep] if tier is not None else None
    scores = scored.score[candidates].astype(np.float64)
    later = (~tier).astype(np.int8) if tier is not None else np.zeros(len(candidates), np.int8)
    order = np.lexsort((candidates, -scores, later, -when))[:need]
    return [(int(candidates[i]), float(scores[i])) for i in order], total, every_n
