"""Evaluate a Whoosh query over whole-index score vectors with numpy.

Whoosh's matchers score one posting at a time in Python (16 ms for a common
word at 31k passages, ten times that at 310k). Here a query tree becomes a few
vector operations over each term's postings, read as arrays from the storage
codec (zero-copy slices of the pack files; see indexer/storage). Scores are
Whoosh's BM25F, computed with the searcher's own idf and quantised field
lengths, so rankings are the same as Whoosh's.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from ..storage.arrays import leaf_arrays
from .alternatives import languages_in

CACHE_BYTES = 64 * 2**20  # postings assembled from several segments, kept per searcher
MEMO_SIZE = 24  # evaluated query nodes kept per searcher (each ~5 bytes a passage)
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


class Scored:
    """A query node's result: the passages it matches and their scores, held sparse
    (sorted passage numbers and their scores) or dense (a mask and a score per
    passage), whichever the node made; the other form is made on demand."""

    __slots__ = ("size", "_ids", "_values", "_mask", "_score")

    def __init__(self, size: int, ids=None, values=None, mask=None, score=None) -> None:
        self.size = size
        self._ids, self._values, self._mask, self._score = ids, values, mask, score

    @property
    def sparse(self) -> bool:
        return self._ids is not None

    @property
    def ids(self) -> np.ndarray:
        """Matching passage numbers, ascending."""
        if self._ids is None:
            self._ids = np.flatnonzero(self._mask)
        return self._ids

    @property
    def values(self) -> np.ndarray:
        """The scores of `ids`."""
        if self._values is None:
            self._values = self._score[self.ids] if self._score is not None else self._zeros()
        return self._values

    @property
    def mask(self) -> np.ndarray:
        """bool, one per passage."""
        if self._mask is None:
            self._mask = np.zeros(self.size, dtype=bool)
            self._mask[self._ids] = True
        return self._mask

    @property
    def score(self) -> np.ndarray:
        """float32, one per passage, zero where it does not match."""
        if self._score is None:
            self._score = np.zeros(self.size, dtype=np.float32)
            self._score[self.ids] = self.values
        return self._score

    def _zeros(self) -> np.ndarray:
        return np.zeros(len(self.ids), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids) if self._ids is not None else int(np.count_nonzero(self._mask))

    def at(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each of `ids` (ascending) matches, and its score (0 if not)."""
        if self._ids is None:
            return self._mask[ids], self._score[ids]
        if not len(self._ids):
            return np.zeros(len(ids), dtype=bool), np.zeros(len(ids), dtype=np.float32)
        pos = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        hit = self._ids[pos] == ids
        return hit, np.where(hit, self.values[pos], 0).astype(np.float32)

    def freeze(self) -> None:
        for array in (self._ids, self._values, self._mask, self._score):
            if array is not None and array.flags.owndata:
                array.flags.writeable = False


def _sparse(size: int, ids: np.ndarray, values: np.ndarray) -> Scored:
    return Scored(size, ids=ids, values=values)


def _dense(mask: np.ndarray, score: np.ndarray) -> Scored:
    return Scored(len(mask), mask=mask, score=score)


class Vectors:
    """Vector evaluation for one open searcher (one index generation)."""

    def __init__(self, searcher, k1: float, b: float) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.k1, self.b = k1, b
        self.leaves = [(leaf_arrays(seg), offset) for seg, offset in self.reader.leaf_readers()]
        live = np.ones(self.reader.doc_count_all(), dtype=bool)
        for seg, offset in self.reader.leaf_readers():
            if seg.has_deletions():
                live[[offset + d for d in seg.deleted_docs_set]] = False
        self._start(live)

    def _start(self, live: np.ndarray) -> None:
        """Empty caches over len(live) units, `live` marking those not deleted."""
        self.size = len(live)
        self.live = live
        self.deletions = not live.all()
        self._norms: dict[str, np.ndarray] = {}
        # Query nodes already evaluated (feedback and tiers re-run the same
        # clauses); keyed by Whoosh's query equality.
        self._memo: OrderedDict[wq.Query, Scored] = OrderedDict()
        self._nothing = _sparse(self.size, np.zeros(0, np.int64), np.zeros(0, np.float32))
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached = 0

    # -- statistics -----------------------------------------------------------

    def lengths(self, field: str) -> np.ndarray:
        """Every passage's length in `field` (words, as Whoosh quantises them)."""
        raw = [leaf.lengths(field) for leaf, _ in self.leaves]
        return _BYTE_LENGTHS[np.concatenate(raw)] if raw else np.zeros(0, np.float32)

    def _norm(self, field: str) -> np.ndarray:
        """k1 * (1 - b + b * length / average length) for every passage; the average
        of the passage's own language when the index holds several (a Chinese passage
        counts two terms a character, an English one a term a word: each is long or
        short among its own, as with Elasticsearch's field per language)."""
        norm = self._norms.get(field)
        if norm is None:
            average = self.searcher.avg_field_length(field) or 1.0
            lengths = self.lengths(field)
            norm = self.k1 * ((1 - self.b) + self.b * lengths / self._averages(lengths, average))
            self._norms[field] = norm
        return norm

    def idf(self, field: str, text: str) -> float:
        """The term's idf, as the searcher's weighting has it."""
        return self.searcher.idf(field, text)

    def _averages(self, lengths: np.ndarray, average: float) -> np.ndarray | float:
        """Each passage's language's average length (the index's, with one language)."""
        langs = languages_in(self.reader)
        if len(langs) < 2 or not len(lengths):
            return average
        out = np.full(len(lengths), average, dtype=np.float32)
        for lang in langs:
            ids, _ = self.postings("lang", lang)
            ids = ids[self.live[ids]]
            if len(ids):
                out[ids] = max(float(lengths[ids].mean()), 1.0)
        return out

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers and term frequencies of one term, over all segments."""
        key = (field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        encoded = self.searcher.schema[field].to_bytes(text)
        parts = []
        for leaf, offset in self.leaves:
            got = leaf.postings(field, encoded)
            if got is not None:
                parts.append((got[0], got[1], offset))
        if len(parts) == 1 and parts[0][2] == 0 and not self.deletions:
            return parts[0][0], parts[0][1]  # one segment: the stored arrays themselves
        if parts:
            ids = np.concatenate([docs.astype(np.int64) + offset for docs, _, offset in parts])
            tfs = np.concatenate([tf.astype(np.float32) for _, tf, _ in parts])
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
        """The passages and scores of a query tree (read-only arrays: never mutate)."""
        try:
            found = self._memo.get(q)
        except TypeError:  # an unhashable query
            return self._evaluate(q)
        if found is None:
            found = self._evaluate(q)
            found.freeze()
            self._memo[q] = found
            if len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return found

    def _evaluate(self, q: wq.Query) -> Scored:
        if isinstance(q, wq.Term):
            return self._term(q)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._nothing
        if isinstance(q, wq.Every):
            return _dense(self.live.copy(), np.where(self.live, q.boost, 0).astype(np.float32))
        if isinstance(q, wq.DisjunctionMax):
            return self._union([self.evaluate(s) for s in q.subqueries], q.boost, q.tiebreak)
        if isinstance(q, wq.Or):
            return self._union([self.evaluate(s) for s in q.subqueries], q.boost)
        if isinstance(q, wq.And):
            return self._intersection([self.evaluate(s) for s in q.subqueries], q.boost)
        if isinstance(q, (wq.AndNot, wq.AndMaybe, wq.Require)):
            return self._binary(q, self.evaluate(q.a), self.evaluate(q.b))
        if isinstance(q, wq.Not):
            mask = self.live & ~self.evaluate(q.query).mask
            return _dense(mask, np.zeros(self.size, dtype=np.float32))
        if isinstance(q, wq.Phrase) and q.slop == 1 and self._has_positions(q.fieldname):
            return self._phrase(q)
        return self._matched_by_whoosh(q)

    def _has_positions(self, field: str) -> bool:
        schema = self.searcher.schema
        return field in schema and schema[field].format.supports("positions")

    def _union(self, parts: list[Scored], boost: float, tiebreak: float = 1.0) -> Scored:
        """Passages matching any part; scored by the sum of the parts' scores, or
        with a tiebreak below 1 by the best part's plus tiebreak x the others'."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return self._nothing
        if len(parts) == 1:
            only = parts[0]
            if boost == 1.0:
                return only
            if only.sparse:
                return _sparse(self.size, only.ids, only.values * np.float32(boost))
            return _dense(only.mask, only.score * np.float32(boost))
        if all(p.sparse for p in parts) and sum(len(p) for p in parts) <= self.size // 8:
            ids, inverse = np.unique(np.concatenate([p.ids for p in parts]), return_inverse=True)
            values = np.concatenate([p.values for p in parts]).astype(np.float64)
            total = np.bincount(inverse, weights=values, minlength=len(ids))
            if tiebreak != 1.0:
                best = np.zeros(len(ids))
                np.maximum.at(best, inverse, values)
                total = best + tiebreak * (total - best)
            return _sparse(self.size, ids, (total * boost).astype(np.float32))
        mask = np.zeros(self.size, dtype=bool)
        total = np.zeros(self.size, dtype=np.float32)
        best = np.zeros(self.size, dtype=np.float32) if tiebreak != 1.0 else None
        for p in parts:
            if p.sparse:  # each part's ids are distinct, so fancy += is exact
                mask[p.ids] = True
                total[p.ids] += p.values
                if best is not None:
                    best[p.ids] = np.maximum(best[p.ids], p.values)
            else:
                mask |= p.mask
                total += p.score
                if best is not None:
                    np.maximum(best, p.score, out=best)
        if best is not None:
            total = best + np.float32(tiebreak) * (total - best)
        if boost != 1.0:
            total *= np.float32(boost)
        return _dense(mask, total)

    def _intersection(self, parts: list[Scored], boost: float) -> Scored:
        """Passages matching every part, scored by the sum of the parts' scores."""
        if not parts:
            return self._nothing
        sparse = [p for p in parts if p.sparse]
        if sparse:
            first = min(sparse, key=len)
            ids, total = first.ids, first.values.astype(np.float32)
            for p in parts:
                if p is first:
                    continue
                hit, values = p.at(ids)
                ids, total = ids[hit], total[hit] + values[hit]
                if not len(ids):
                    return self._nothing
            return _sparse(self.size, ids, total * np.float32(boost))
        mask = parts[0].mask.copy()
        total = parts[0].score.copy()
        for p in parts[1:]:
            mask &= p.mask
            total += p.score
        total *= mask
        if boost != 1.0:
            total *= np.float32(boost)
        return _dense(mask, total)

    def _binary(self, q: wq.Query, a: Scored, b: Scored) -> Scored:
        """AndNot (a without b), Require (a with b) and AndMaybe (a, plus b's
        score where both match); scored by a (and b for AndMaybe)."""
        if a.sparse:
            hit, values = b.at(a.ids)
            if isinstance(q, wq.AndMaybe):
                return _sparse(self.size, a.ids, a.values + values)
            keep = ~hit if isinstance(q, wq.AndNot) else hit
            return _sparse(self.size, a.ids[keep], a.values[keep])
        if isinstance(q, wq.AndMaybe):
            return _dense(a.mask, a.score + b.score * a.mask)
        mask = a.mask & (~b.mask if isinstance(q, wq.AndNot) else b.mask)
        return _dense(mask, a.score * mask)

    def _term(self, q: wq.Term) -> Scored:
        field = q.fieldname
        if field not in self.searcher.schema:
            return self._nothing
        ids, tfs = self.postings(field, q.text)
        if not len(ids):
            return self._nothing
        if self.searcher.schema[field].scorable:
            values = self._bm25(field, q.text, tfs.astype(np.float32), ids, q.boost)
        else:
            values = np.full(len(ids), q.boost, dtype=np.float32)
        return _sparse(self.size, ids, values)

    def _bm25(self, field: str, text: str, tf: np.ndarray, docs: np.ndarray, boost: float):
        """BM25 of a term with frequencies `tf` (float32) in the passages `docs`."""
        idf = self.idf(field, text)
        norm = self._norm(field)[docs]
        return ((idf * (self.k1 + 1) * boost) * tf / (tf + norm)).astype(np.float32, copy=False)

    def _phrase(self, q: wq.Query) -> Scored:
        """Passages where the words follow each other, found by each segment's
        position arrays; scored as the sum of the words' scores."""
        to_bytes = self.searcher.schema[q.fieldname].to_bytes
        words = [to_bytes(w) for w in q.words]
        parts = [leaf.phrase(q.fieldname, words) + offset for leaf, offset in self.leaves]
        return self._scored_as_words(q, np.concatenate(parts) if parts else np.zeros(0, np.int64))

    def _scored_as_words(self, q: wq.Phrase, docs: np.ndarray) -> Scored:
        """The passages `docs` of a phrase, scored as the sum of its words there."""
        docs = docs[self.live[docs]] if self.deletions else docs
        if not len(docs):
            return self._nothing
        total = np.zeros(len(docs), dtype=np.float32)
        for word in q.words:
            total += self._term_at(q.fieldname, word, docs)
        return _sparse(self.size, docs, total * np.float32(q.boost))

    def _term_at(self, field: str, text: str, docs: np.ndarray) -> np.ndarray:
        """A term's scores at the passages `docs` (ascending) alone: a binary search
        in its postings, so a phrase of common words never scores them all."""
        ids, tfs = self.postings(field, text)
        if not len(ids):
            return np.zeros(len(docs), dtype=np.float32)
        pos = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
        tf = np.where(ids[pos] == docs, tfs[pos], 0).astype(np.float32)
        if not self.searcher.schema[field].scorable:
            return (tf > 0).astype(np.float32)
        return self._bm25(field, text, tf, docs, 1.0)

    def _matched_by_whoosh(self, q: wq.Query) -> Scored:
        """Anything else (phrases with slop, ranges): Whoosh finds the passages; a
        phrase scores as the sum of its words there, the rest by their boost."""
        docs = np.unique(np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64))
        if isinstance(q, wq.Phrase):
            return self._scored_as_words(q, docs)
        docs = docs[self.live[docs]] if self.deletions else docs
        return _sparse(self.size, docs, np.full(len(docs), q.boost, dtype=np.float32))


def vectors_for(searcher, k1: float, b: float) -> Vectors:
    """The Vectors of an open searcher, made on first use. Kept on the searcher
    itself so that both go together when the generation is closed."""
    found = getattr(searcher, "_seedsearch_vectors", None)
    if found is None or (found.k1, found.b) != (k1, b):
        found = Vectors(searcher, k1, b)
        searcher._seedsearch_vectors = found
    return found
