"""Evaluate a Whoosh query over whole-index score vectors with numpy.

Whoosh's matchers score one posting at a time in Python (16 ms for a common
word at 31k passages, ten times that at 310k). Here each term's postings are
decoded once per generation into arrays (kept in a bounded cache) and a query
tree becomes a few vector operations. Scores are Whoosh's BM25F, computed with
the searcher's own idf and quantised field lengths, so rankings are the same.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.util.numeric import byte_to_length

CACHE_BYTES = 64 * 2**20  # decoded postings kept per searcher
MEMO_SIZE = 24  # evaluated query nodes kept per searcher (each ~5 bytes a passage)
_POSITION_BITS = 20  # a passage has far fewer than a million words
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


@dataclass
class Scored:
    """A query node's result: which passages match, and their scores."""

    mask: np.ndarray  # bool, one per passage
    score: np.ndarray  # float32, zero where mask is False


class Vectors:
    """Vector evaluation for one open searcher (one index generation)."""

    def __init__(self, searcher, k1: float, b: float) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.k1, self.b = k1, b
        self.size = self.reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for seg, offset in self._leaves():
            if seg.has_deletions():
                self.live[[offset + d for d in seg.deleted_docs_set]] = False
        self._norms: dict[str, np.ndarray] = {}
        # Query nodes already evaluated (feedback and tiers re-run the same
        # clauses); keyed by Whoosh's query equality.
        self._memo: OrderedDict[wq.Query, Scored] = OrderedDict()
        nothing = np.zeros(self.size, dtype=bool)
        nothing.flags.writeable = False
        zeros = np.zeros(self.size, dtype=np.float32)
        zeros.flags.writeable = False
        self._nothing = Scored(nothing, zeros)
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached = 0

    def _leaves(self):
        return self.reader.leaf_readers()

    # -- statistics -----------------------------------------------------------

    def _norm(self, field: str) -> np.ndarray:
        """k1 * (1 - b + b * length / average length) for every passage."""
        norm = self._norms.get(field)
        if norm is None:
            lengths = np.zeros(self.size, dtype=np.float32)
            for seg, offset in self._leaves():
                column = seg._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                if column is not None:
                    raw = np.fromiter(column, dtype=np.uint8, count=seg.doc_count_all())
                    lengths[offset : offset + len(raw)] = _BYTE_LENGTHS[raw]
            average = self.searcher.avg_field_length(field) or 1.0
            norm = self.k1 * ((1 - self.b) + self.b * lengths / average)
            self._norms[field] = norm
        return norm

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers and term frequencies of one term, decoded once."""
        key = (field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        ids_parts, tf_parts = [], []
        for seg, offset in self._leaves():
            if (field, text) not in seg:
                continue
            m = seg.postings(field, text)
            if isinstance(m, FilterMatcher):  # a segment with deletions: `live` drops them
                m = m.child
            # Whoosh's W3 blocks hold delta-coded ids and weights (None when all
            # are 1, a float when all are equal); decode a block at a time.
            while m.is_active():
                m._read_data()
                raw_ids, raw_weights = m._data[0], m._data[1]
                block = np.asarray(raw_ids, dtype=np.int64)
                ids_parts.append((block if m._byteids else np.cumsum(block)) + offset)
                if raw_weights is None or isinstance(raw_weights, float):
                    weight = 1.0 if raw_weights is None else raw_weights
                    tf_parts.append(np.full(len(block), weight, dtype=np.float32))
                else:
                    tf_parts.append(np.asarray(raw_weights, dtype=np.float32))
                m._next_block()
        if ids_parts:
            ids, tfs = np.concatenate(ids_parts), np.concatenate(tf_parts)
            keep = self.live[ids]
            ids, tfs = ids[keep], tfs[keep]
        else:
            ids, tfs = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        self._remember(key, (ids, tfs))
        return ids, tfs

    def _remember(self, key, value) -> None:
        self._postings[key] = value
        self._cached += value[0].nbytes + value[1].nbytes
        while self._cached > CACHE_BYTES and len(self._postings) > 1:
            _, (ids, tfs) = self._postings.popitem(last=False)
            self._cached -= ids.nbytes + tfs.nbytes

    # -- evaluation -----------------------------------------------------------

    def evaluate(self, q: wq.Query) -> Scored:
        """The mask and scores of a query tree (read-only arrays: never mutate)."""
        try:
            found = self._memo.get(q)
        except TypeError:  # an unhashable query
            return self._evaluate(q)
        if found is None:
            found = self._evaluate(q)
            found.mask.flags.writeable = False
            found.score.flags.writeable = False
            self._memo[q] = found
            if len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return found

    def _evaluate(self, q: wq.Query) -> Scored:
        if isinstance(q, wq.Term):
            return self._term(q)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._empty()
        if isinstance(q, wq.Every):
            return Scored(self.live.copy(), np.where(self.live, q.boost, 0).astype(np.float32))
        if isinstance(q, wq.DisjunctionMax):
            parts = [self.evaluate(s) for s in q.subqueries]
            mask = np.logical_or.reduce([p.mask for p in parts])
            stacked = np.stack([p.score for p in parts])
            best = stacked.max(axis=0)
            score = best + q.tiebreak * (stacked.sum(axis=0) - best)
            return Scored(mask, score * q.boost)
        if isinstance(q, wq.Or):
            return self._boost(self._union([self.evaluate(s) for s in q.subqueries]), q.boost)
        if isinstance(q, wq.And):
            parts = [self.evaluate(s) for s in q.subqueries]
            mask = np.logical_and.reduce([p.mask for p in parts])
            score = np.sum([p.score for p in parts], axis=0) * mask
            return self._boost(Scored(mask, score), q.boost)
        if isinstance(q, wq.AndNot):
            a, b = self.evaluate(q.a), self.evaluate(q.b)
            mask = a.mask & ~b.mask
            return Scored(mask, a.score * mask)
        if isinstance(q, wq.AndMaybe):
            a, b = self.evaluate(q.a), self.evaluate(q.b)
            return Scored(a.mask, a.score + b.score * a.mask)
        if isinstance(q, wq.Require):
            a, b = self.evaluate(q.a), self.evaluate(q.b)
            mask = a.mask & b.mask
            return Scored(mask, a.score * mask)
        if isinstance(q, wq.Not):
            inner = self.evaluate(q.query)
            mask = self.live & ~inner.mask
            return Scored(mask, np.zeros(self.size, dtype=np.float32))
        if isinstance(q, wq.Phrase) and q.slop == 1 and self._has_positions(q.fieldname):
            return self._phrase(q)
        return self._matched_by_whoosh(q)

    def _has_positions(self, field: str) -> bool:
        schema = self.searcher.schema
        return field in schema and schema[field].format.supports("positions")

    def _empty(self) -> Scored:
        return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float32))

    def _boost(self, scored: Scored, boost: float) -> Scored:
        return Scored(scored.mask, scored.score * boost) if boost != 1.0 else scored

    def _union(self, parts: list[Scored]) -> Scored:
        if not parts:
            return self._empty()
        return Scored(
            np.logical_or.reduce([p.mask for p in parts]), np.sum([p.score for p in parts], axis=0)
        )

    def _term(self, q: wq.Term) -> Scored:
        field = q.fieldname
        if field not in self.searcher.schema:
            return self._nothing
        ids, tfs = self.postings(field, q.text)
        if not len(ids):
            return self._nothing
        out = self._empty()
        out.mask[ids] = True
        if self.searcher.schema[field].scorable:
            idf = self.searcher.idf(field, q.text)
            norm = self._norm(field)[ids]
            out.score[ids] = idf * tfs * (self.k1 + 1) / (tfs + norm) * q.boost
        else:
            out.score[ids] = q.boost
        return out

    def positions(self, field: str, text: str) -> np.ndarray:
        """Sorted keys passage << 20 | position of every occurrence, decoded once."""
        key = ("@" + field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found[0]
        decode = self.searcher.schema[field].format.decode_positions
        keys = []
        for seg, offset in self._leaves():
            if (field, text) not in seg:
                continue
            m = seg.postings(field, text)
            while m.is_active():
                m._read_ids()
                m._read_values()
                for docnum, value in zip(m._ids, m._values, strict=True):
                    base = (docnum + offset) << _POSITION_BITS
                    keys.extend(base | p for p in decode(value))
                m._next_block()
        array = np.array(keys, dtype=np.int64)
        array = array[self.live[array >> _POSITION_BITS]] if len(array) else array
        self._remember(key, (array, np.zeros(0, dtype=np.float32)))
        return array

    def _phrase(self, q: wq.Phrase) -> Scored:
        """Passages where the words follow each other: a join of positions."""
        found = None
        for k, word in enumerate(q.words):
            keys = self.positions(q.fieldname, word) - k
            found = keys if found is None else np.intersect1d(found, keys, assume_unique=True)
            if not len(found):
                return self._nothing
        out = self._empty()
        out.mask[np.unique(found >> _POSITION_BITS)] = True
        words = [self._term(wq.Term(q.fieldname, w)) for w in q.words]
        out.score = np.sum([w.score for w in words], axis=0) * out.mask * q.boost
        return out

    def _matched_by_whoosh(self, q: wq.Query) -> Scored:
        """Phrases and anything else: Whoosh finds the passages; a phrase scores
        as the sum of its words there."""
        out = self._empty()
        docs = list(self.searcher.docs_for_query(q))
        if not docs:
            return out
        out.mask[docs] = True
        out.mask &= self.live
        if isinstance(q, wq.Phrase):
            words = [self._term(wq.Term(q.fieldname, w)) for w in q.words]
            out.score = np.sum([w.score for w in words], axis=0) * out.mask * q.boost
        else:
            out.score[out.mask] = q.boost
        return out

    # -- ranking --------------------------------------------------------------

    def top(
        self, query: wq.Query, every: wq.Query | None, need: int
    ) -> tuple[list[tuple[int, float]], int, int]:
        """The best `need` passages, those matching `every` first; with the number
        of matching passages and of those matching `every`."""
        scored = self.evaluate(query)
        mask = scored.mask & self.live
        total = int(mask.sum())
        if not total:
            return [], 0, 0
        tier = self.evaluate(every).mask & mask if every is not None else mask
        every_n = int(tier.sum())
        candidates = np.flatnonzero(mask)
        # Every-word matches first, then by score, then by passage number.
        scores = scored.score[candidates].astype(np.float64)
        later = (~tier[candidates]).astype(np.int8)
        if len(candidates) > need:
            # Keep the best `need` by (tier, score), ties at the cut included.
            key = scores - later * (scores.max() - scores.min() + 1.0)
            cut = np.partition(key, len(key) - need)[len(key) - need]
            keep = key >= cut
            candidates, scores, later = candidates[keep], scores[keep], later[keep]
        order = np.lexsort((candidates, -scores, later))[:need]
        hits = [(int(candidates[i]), float(scores[i])) for i in order]
        return hits, total, every_n


def vectors_for(searcher, k1: float, b: float) -> Vectors:
    """The Vectors of an open searcher, made on first use. Kept on the searcher
    itself so that both go together when the generation is closed."""
    found = getattr(searcher, "_seedsearch_vectors", None)
    if found is None or (found.k1, found.b) != (k1, b):
        found = Vectors(searcher, k1, b)
        searcher._seedsearch_vectors = found
    return found
