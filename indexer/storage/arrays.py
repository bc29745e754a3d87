"""What vector scoring reads from one segment, as numpy arrays, whatever its codec.

A pack segment answers with zero-copy slices of its memory-mapped arrays; a
Whoosh 3 segment (an index built before the pack codec, or merged into one)
is decoded block by block, the slow way, with the same results.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import FilterMatcher

from .codec import PackTermsReader, pack_fields

_POSITION_BITS = 20  # W3 segments: a passage has far fewer than a million words


class PackLeaf:
    """One pack segment's arrays."""

    def __init__(self, reader, pack: PackTermsReader) -> None:
        self.reader = reader
        self.pack = pack

    def postings(self, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Document numbers and term frequencies (weights) of a term, or None."""
        f = self.pack.field(field)
        i = f.find(text)
        if i < 0:
            return None
        weights = f.term_weights(i)
        docs = f.doc_ids(i)
        return docs, np.ones(len(docs), np.float32) if weights is None else weights

    def lengths(self, field: str) -> np.ndarray:
        """Each document's field length byte (0 where the field is empty)."""
        found = self.reader._perdoc.lengths(field)
        return np.zeros(self.reader.doc_count_all(), np.uint8) if found is None else found

    def phrase(self, field: str, words: list[bytes]) -> np.ndarray:
        """Documents where `words` occur one after the other: a chain of binary
        searches in the words' global positions, from the rarest word."""
        f = self.pack.fields.get(field)
        if f is None or f.positions is None:
            return np.zeros(0, dtype=np.int64)
        found = [f.find(w) for w in words]
        if min(found) < 0:
            return np.zeros(0, dtype=np.int64)
        lists = [f.term_positions(i) for i in found]
        rarest = min(range(len(lists)), key=lambda k: len(lists[k]))
        starts = lists[rarest].astype(np.int64) - rarest
        for k in sorted(range(len(lists)), key=lambda k: len(lists[k])):
            if k == rarest:
                continue
            target = starts + k
            at = np.searchsorted(lists[k], target)
            hit = at < len(lists[k])
            hit[hit] = lists[k][at[hit]] == target[hit]
            starts = starts[hit]
            if not len(starts):
                break
        docs = np.searchsorted(f.docbase, starts, side="right") - 1
        return np.unique(docs)


class W3Leaf:
    """One Whoosh 3 segment, decoded from its pickled posting blocks."""

    def __init__(self, reader) -> None:
        self.reader = reader

    def postings(self, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        if (field, text) not in self.reader:
            return None
        ids_parts, tf_parts = [], []
        m = _unfiltered(self.reader.postings(field, text))
        # W3 blocks hold delta-coded ids and weights (None when all are 1, a
        # float when all are equal); decode a block at a time.
        while m.is_active():
            m._read_data()
            raw_ids, raw_weights = m._data[0], m._data[1]
            block = np.asarray(raw_ids, dtype=np.int64)
            ids_parts.append(block if m._byteids else np.cumsum(block))
            if raw_weights is None or isinstance(raw_weights, float):
                weight = 1.0 if raw_weights is None else raw_weights
                tf_parts.append(np.full(len(block), weight, dtype=np.float32))
            else:
                tf_parts.append(np.asarray(raw_weights, dtype=np.float32))
            m._next_block()
        return np.concatenate(ids_parts), np.concatenate(tf_parts)

    def lengths(self, field: str) -> np.ndarray:
        count = self.reader.doc_count_all()
        column = self.reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is None:
            return np.zeros(count, dtype=np.uint8)
        return np.fromiter(column, dtype=np.uint8, count=count)

    def phrase(self, field: str, words: list[bytes]) -> np.ndarray:
        found = None
        for k, word in enumerate(words):
            keys = self._position_keys(field, word) - k
            found = keys if found is None else np.intersect1d(found, keys, assume_unique=True)
            if not len(found):
                return np.zeros(0, dtype=np.int64)
        return np.unique(found >> _POSITION_BITS)

    def _position_keys(self, field: str, text: bytes) -> np.ndarray:
        """Sorted keys docnum << 20 | position of every occurrence."""
        if (field, text) not in self.reader:
            return np.zeros(0, dtype=np.int64)
        decode = self.reader.schema[field].format.decode_positions
        keys = []
        m = _unfiltered(self.reader.postings(field, text))
        while m.is_active():
            m._read_ids()
            m._read_values()
            for docnum, value in zip(m._ids, m._values, strict=True):
                base = docnum << _POSITION_BITS
                keys.extend(base | p for p in decode(value))
            m._next_block()
        return np.array(keys, dtype=np.int64)


def _unfiltered(matcher):
    """The block matcher under Whoosh's filter of a segment's deleted documents
    (the caller drops deleted passages itself)."""
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def leaf_arrays(reader) -> PackLeaf | W3Leaf:
    """The arrays of a Whoosh leaf (segment) reader."""
    pack = pack_fields(reader)
    return PackLeaf(reader, pack) if pack is not None else W3Leaf(reader)
