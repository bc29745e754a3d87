"""Turn a segment's buffered postings into sorted arrays, with numpy.

Whoosh writes postings one at a time from Python. Here a field's occurrences are
buffered as flat integer arrays (term id, document, position) while documents
are added, and inverted once when the segment is finished: one sort by
(term rank, global position), boundaries found with `diff`, offsets with
`bincount`/`cumsum`, per-term statistics with `reduceat`.

Positions are global: document d's positions start at ``docbase[d]``, and
documents are GAP positions apart, so one sorted array per term answers phrase
queries with binary searches, and ``searchsorted(docbase, p)`` recovers the
document of any position.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from whoosh.util.numeric import _length_byte_cache

GAP = 64  # positions between documents: no phrase (of slop < GAP) spans two

_LENGTH_BYTES = np.frombuffer(_length_byte_cache, dtype=np.int32)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte field lengths (length_to_byte), for many documents at once."""
    return np.searchsorted(_LENGTH_BYTES, lengths, side="left").clip(0, 255).astype(np.uint8)


class FieldBuffer:
    """One field's occurrences in the segment being written, before inversion.

    Terms get ids in order of first sight; the vocabulary maps a term (str for
    analysed text, bytes otherwise) to its id. For a positional field each
    occurrence is (term id, document, position); otherwise each is a posting
    (term id, document, weight).
    """

    def __init__(self, name: str, positional: bool, scorable: bool) -> None:
        self.name = name
        self.positional = positional
        self.scorable = scorable
        self.vocabulary: dict[str | bytes, int] = {}
        self.terms = array("I")
        self.docs = array("I")
        self.positions = array("I")  # positional fields only
        self.weights = array("f")  # other fields only
        # (document, last position + 1) pairs of a positional field: its extent
        self.extent_docs = array("I")
        self.extent_values = array("I")
        self.chunks: list[tuple[np.ndarray, ...]] = []  # arrays copied from merged segments
        self.extent_chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self.terms) + sum(len(c[0]) for c in self.chunks)

    def ids(self, words) -> list[int]:
        """The ids of `words`, giving new words the next ids."""
        vocabulary = self.vocabulary
        out = []
        for word in words:
            found = vocabulary.get(word)
            if found is None:
                found = vocabulary[word] = len(vocabulary)
            out.append(found)
        return out

    def add_tokens(self, docnum: int, words: list[str], positions: list[int]) -> None:
        """A document's analysed words and their positions (a positional field)."""
        if not words:
            return
        self.terms.extend(self.ids(words))
        self.positions.extend(positions)
        self.docs.extend(repeat(docnum, len(words)))
        self.extent_docs.append(docnum)
        self.extent_values.append(max(positions) + 1)

    def add_posting(self, term, docnum: int, weight: float, positions=None) -> None:
        """One (term, document) posting, with its positions for a positional field."""
        if self.positional and isinstance(term, bytes):
            term = term.decode("utf-8")  # analysed text is keyed by str, as add_tokens does
        term_id = self.ids((term,))[0]
        if self.positional:
            count = len(positions)
            self.terms.extend(repeat(term_id, count))
            self.docs.extend(repeat(docnum, count))
            self.positions.extend(positions)
            if positions:
                self.extent_docs.append(docnum)
                self.extent_values.append(max(positions) + 1)
        else:
            self.terms.append(term_id)
            self.docs.append(docnum)
            self.weights.append(weight)

    def add_chunk(self, terms: np.ndarray, docs: np.ndarray, third: np.ndarray, extents=None):
        """Occurrences copied as arrays (a merged segment's): term ids, documents, and
        positions (positional) or weights; `extents` is (documents, their extents)."""
        self.chunks.append((terms, docs, third))
        if extents is not None:
            self.extent_chunks.append(extents)

    def extents(self, doccount: int) -> np.ndarray:
        """Each document's last position + 1 in this field (0 where it has none)."""
        docs = _concat(self.extent_docs, [c[0] for c in self.extent_chunks], np.int64)
        values = _concat(self.extent_values, [c[1] for c in self.extent_chunks], np.uint64)
        out = np.zeros(doccount, dtype=np.uint64)
        np.maximum.at(out, docs, values)
        return out

    def invert(self, doccount: int) -> FieldArrays:
        """The field's arrays for a segment of `doccount` documents."""
        words = list(self.vocabulary)
        ids = _concat(self.terms, [c[0] for c in self.chunks], np.int64)
        # Terms whose every posting was dropped (deleted documents) are left out.
        used = np.zeros(len(words), dtype=bool)
        used[ids] = True
        order = [i for i in _sort_order(words) if used[i]]
        rank = np.full(len(words), -1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        terms = rank[ids]
        del ids
        docs = _concat(self.docs, [c[1] for c in self.chunks], np.uint32)
        encoded = [_to_bytes(words[i]) for i in order]
        if self.positional:
            positions = _concat(self.positions, [c[2] for c in self.chunks], np.uint32)
            return _invert_positional(self, encoded, terms, docs, positions, doccount)
        weights = _concat(self.weights, [c[2] for c in self.chunks], np.float32)
        return _invert_plain(self, encoded, terms, docs, weights, doccount)


@dataclass(frozen=True)
class FieldArrays:
    """A field's inverted arrays, named as the pack file stores them."""

    name: str
    arrays: dict[str, np.ndarray]
    terms: int
    postings: int


def _to_bytes(word) -> bytes:
    return word.encode("utf-8") if isinstance(word, str) else word


def _sort_order(words: list) -> list[int]:
    # Code point order is UTF-8 byte order, so str and bytes sort alike.
    return sorted(range(len(words)), key=words.__getitem__)


_ARRAY_DTYPES = {"I": np.uint32, "f": np.float32}


def _concat(buffer: array, chunks: list[np.ndarray], dtype) -> np.ndarray:
    first = np.frombuffer(buffer, dtype=_ARRAY_DTYPES[buffer.typecode]).astype(dtype)
    return np.concatenate([first, *[np.asarray(c).astype(dtype, copy=False) for c in chunks]])


def _lexicon(encoded: list[bytes]) -> dict[str, np.ndarray]:
    """Sorted term bytes, their offsets, and a uint64 key of each term's first
    eight bytes (zero-padded, big-endian) for np.searchsorted lookups."""
    blob = b"".join(encoded)
    lengths = np.fromiter((len(t) for t in encoded), dtype=np.uint64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.frombuffer(blob, dtype=np.uint8) if blob else np.zeros(0, dtype=np.uint8)
    return {"terms": data, "term_offsets": offsets, "keys": prefix_keys(data, offsets)}


def prefix_keys(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Each term's first eight bytes as a big-endian uint64, zero-padded."""
    count = len(offsets) - 1
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    starts = offsets[:-1].astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    index = starts[:, None] + np.arange(8)
    inside = np.arange(8) < lengths[:, None]
    padded = np.where(inside, data[np.minimum(index, max(len(data) - 1, 0))], 0)
    return padded.astype(np.uint8).view(">u8").ravel().astype(np.uint64)


def _pointers(term_of: np.ndarray, count: int) -> np.ndarray:
    """Start offsets (plus the end) of each term's run in an array sorted by term."""
    pointers = np.zeros(count + 1, dtype=np.uint64)
    np.cumsum(np.bincount(term_of, minlength=count), out=pointers[1:])
    return pointers


def _smallest_uint(values: np.ndarray, candidates=(np.uint16, np.uint32, np.uint64)):
    top = int(values.max()) if len(values) else 0
    for dtype in candidates:
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    raise ValueError("value too large")


def _stats(
    post_docs: np.ndarray,
    post_terms: np.ndarray,
    weights: np.ndarray,
    pointers: np.ndarray,
    lengths: np.ndarray | None,
    count: int,
) -> dict[str, np.ndarray]:
    """What Whoosh's TermInfo holds for each term: total and highest weight,
    shortest and longest field length (as length bytes)."""
    starts = pointers[:-1].astype(np.int64)
    out = {
        "stat_weight": np.bincount(post_terms, weights=weights, minlength=count).astype(np.float32),
        "stat_maxweight": (
            np.maximum.reduceat(weights, starts).astype(np.float32)
            if count
            else np.zeros(0, np.float32)
        ),
    }
    if lengths is not None and count:
        per_posting = lengths[post_docs]
        out["stat_minlen"] = np.minimum.reduceat(per_posting, starts)
        out["stat_maxlen"] = np.maximum.reduceat(per_posting, starts)
    return out


def _invert_positional(field, encoded, terms, docs, positions, doccount) -> FieldArrays:
    count = len(encoded)
    extents = field.extents(doccount)
    docbase = np.zeros(doccount + 1, dtype=np.uint64)
    np.cumsum(extents + GAP, out=docbase[1:])
    glob = docbase[docs.astype(np.int64)] + positions
    del positions
    if docbase[-1] < 2**32 and count < 2**31:
        key = (terms.astype(np.uint64) << np.uint64(32)) | glob
        key.sort()
        sorted_terms = (key >> np.uint64(32)).astype(np.int64)
        glob = key & np.uint64(0xFFFFFFFF)
        del key
    else:
        order = np.lexsort((glob, terms))
        sorted_terms, glob = terms[order], glob[order]
        del order
    del terms, docs
    sorted_docs = np.searchsorted(docbase, glob, side="right") - 1
    total = len(glob)
    new = np.ones(total, dtype=bool)
    if total:
        new[1:] = (sorted_terms[1:] != sorted_terms[:-1]) | (sorted_docs[1:] != sorted_docs[:-1])
    starts = np.flatnonzero(new)
    freqs = np.diff(np.append(starts, total))
    post_docs = sorted_docs[starts]
    post_terms = sorted_terms[starts]
    lengths = np.bincount(sorted_docs, minlength=doccount) if field.scorable else None
    length_b = length_bytes(lengths) if lengths is not None else None
    pointers = _pointers(post_terms, count)
    arrays = {
        **_lexicon(encoded),
        "post_ptr": pointers,
        "docs": post_docs.astype(np.uint32),
        "freqs": _smallest_uint(freqs),
        "pos_ptr": _pointers(sorted_terms, count),
        "positions": glob.astype(np.uint32 if docbase[-1] < 2**32 else np.uint64),
        "docbase": docbase,
        **_stats(post_docs, post_terms, freqs.astype(np.float64), pointers, length_b, count),
    }
    return FieldArrays(field.name, arrays, count, len(post_docs))


def _invert_plain(field, encoded, terms, docs, weights, doccount) -> FieldArrays:
    count = len(encoded)
    order = np.argsort((terms.astype(np.uint64) << np.uint64(32)) | docs, kind="stable")
    post_terms, post_docs, weights = terms[order], docs[order].astype(np.int64), weights[order]
    pointers = _pointers(post_terms, count)
    lengths = None
    if field.scorable:  # a scorable field without positions: its length is its weight
        lengths = length_bytes(np.bincount(post_docs, weights=weights, minlength=doccount))
    arrays = {
        **_lexicon(encoded),
        "post_ptr": pointers,
        "docs": post_docs.astype(np.uint32),
        **_stats(post_docs, post_terms, weights.astype(np.float64), pointers, lengths, count),
    }
    if len(weights) and not np.all(weights == 1.0):
        arrays["weights"] = weights.astype(np.float32)
    return FieldArrays(field.name, arrays, count, len(post_docs))
