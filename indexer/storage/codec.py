"""A Whoosh codec whose postings are flat numpy arrays in one pack file per segment.

The term dictionary and postings live in ``<segment>.pak`` (see pack.py for the
file layout and inversion.py for how it is built); stored fields, field lengths
and columns in ``<segment>.docs`` (perdoc.py). Per field the postings pack holds:

    terms, term_offsets   sorted term bytes, concatenated, and where each starts
    keys                  each term's first 8 bytes as a uint64, for searchsorted
    post_ptr              where each term's postings start in docs (and freqs)
    docs                  document numbers (uint32), ascending within a term
    freqs | weights       term frequency (positional fields) or weight, if not 1
    stat_*                Whoosh's TermInfo statistics per term
    pos_ptr, positions    global positions (document base + position), sorted
    docbase               each document's base position

Every Whoosh API keeps working through the codec: Searcher, matchers (as list
matchers over the arrays), merges, deletions and clean_files. seedsearch's
vector scoring reads the arrays directly (`field_arrays`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

import numpy as np
from whoosh import formats
from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.matching import ListMatcher, ReadTooFar
from whoosh.reading import TermInfo, TermNotFound
from whoosh.util.numeric import byte_to_length

from .inversion import FieldBuffer
from .pack import Pack, PackError, write_pack
from .perdoc import PackPerDocReader, PackPerDocWriter

PACK_EXT = ".pak"
_CHUNK = 256  # terms read at a time when walking a field's terms
LAYOUT = 1  # the arrays' meaning; pack.VERSION is the container's


class PackCodec(W3Codec):
    """W3Codec with the term dictionary and postings in a memory-mapped pack."""

    def field_writer(self, storage, segment):
        return PackFieldWriter(storage, segment)

    def terms_reader(self, storage, segment):
        return PackTermsReader(storage, segment)

    def per_document_writer(self, storage, segment):
        return PackPerDocWriter(storage, segment)

    def per_document_reader(self, storage, segment):
        return PackPerDocReader(storage, segment)

    def new_segment(self, storage, indexname):
        return PackSegment(self, indexname)


class PackSegment(W3Segment):
    """A segment whose files are never assembled into a compound file: the
    pack must stay a plain file to be memory-mapped."""

    def should_assemble(self) -> bool:
        return False


def field_kind(fieldobj) -> str:
    """How the pack stores a field: "positions", "frequency" or "existence"."""
    fmt = type(fieldobj.format)
    if fmt is formats.Positions:
        return "positions"
    if fmt is formats.Frequency:
        return "frequency"
    if fmt is formats.Existence:
        return "existence"
    raise ValueError(
        f"the pack codec stores Existence, Frequency and Positions fields, not {fmt.__name__}"
    )


# -- writing ---------------------------------------------------------------------------


class PackFieldWriter(base.FieldWriter):
    """Collects a segment's postings into field buffers and writes the pack on close.

    Whoosh's own writers feed it one posting at a time (start_field/start_term/
    add); seedsearch's PackWriter fills the same buffers in bulk.
    """

    def __init__(self, storage, segment) -> None:
        self._storage = storage
        self._segment = segment
        self.buffers: dict[str, FieldBuffer] = {}
        self.is_closed = False
        self._field: FieldBuffer | None = None
        self._format = None
        self._term = b""

    def buffer(self, name: str, fieldobj) -> FieldBuffer:
        """The buffer of field `name`, made on first use."""
        found = self.buffers.get(name)
        if found is None:
            kind = field_kind(fieldobj)
            found = FieldBuffer(name, kind == "positions", fieldobj.scorable)
            self.buffers[name] = found
        return found

    def start_field(self, fieldname, fieldobj) -> None:
        self._field = self.buffer(fieldname, fieldobj)
        self._format = fieldobj.format

    def start_term(self, btext) -> None:
        self._term = btext

    def add(self, docnum, weight, vbytes, length) -> None:
        field = self._field
        if field.positional:
            field.add_posting(self._term, docnum, weight, self._format.decode_positions(vbytes))
        else:
            field.add_posting(self._term, docnum, weight)

    def finish_term(self) -> None:
        pass

    def close(self) -> None:
        doccount = self._segment.doc_count_all()
        arrays, fields = {}, {}
        for name in sorted(self.buffers):
            buffer = self.buffers[name]
            if not len(buffer):
                continue
            inverted = buffer.invert(doccount)
            fields[name] = {"terms": inverted.terms, "postings": inverted.postings}
            arrays.update({f"{name}/{key}": value for key, value in inverted.arrays.items()})
        meta = {"layout": LAYOUT, "doccount": doccount, "fields": fields}
        with self._segment.create_file(self._storage, PACK_EXT) as f:
            write_pack(f, arrays, meta)
        self.buffers.clear()
        self.is_closed = True


# -- reading ---------------------------------------------------------------------------


class PackField:
    """One field of an open pack: its sorted terms and their postings."""

    def __init__(self, pack: Pack, name: str, doccount: int) -> None:
        def get(key: str) -> np.ndarray | None:
            return pack.get(f"{name}/{key}")

        self.name = name
        self.doccount = doccount
        self.data = get("terms")
        self.offsets = get("term_offsets")
        self.keys = get("keys")
        self.post_ptr = get("post_ptr")
        self.docs = get("docs")
        self.freqs = get("freqs")
        self.weights = get("weights")
        self.stat_weight = get("stat_weight")
        self.stat_maxweight = get("stat_maxweight")
        self.stat_minlen = get("stat_minlen")
        self.stat_maxlen = get("stat_maxlen")
        self.pos_ptr = get("pos_ptr")
        self.positions = get("positions")
        self.docbase = get("docbase")
        self.count = 0 if self.keys is None else len(self.keys)
        self._validate(pack.name)

    def _validate(self, where: str) -> None:
        """Refuse arrays that do not fit together: a damaged file must fail at open."""

        def check(ok: bool, what: str) -> None:
            if not ok:
                raise PackError(f"{where}: field {self.name!r}: {what}")

        n = self.count
        for required in ("data", "offsets", "post_ptr", "docs", "stat_weight", "stat_maxweight"):
            check(getattr(self, required) is not None, f"no {required} array")
        check(len(self.offsets) == n + 1 and len(self.post_ptr) == n + 1, "pointer lengths")
        check(_ascending(self.offsets) and int(self.offsets[-1]) == len(self.data), "term offsets")
        check(_ascending(self.keys), "term keys out of order")
        check(n == 0 or bool(np.all(self.post_ptr[1:] > self.post_ptr[:-1])), "empty postings")
        check(int(self.post_ptr[0]) == 0 and int(self.post_ptr[-1]) == len(self.docs), "postings")
        check(not len(self.docs) or int(self.docs.max()) < self.doccount, "document numbers")
        for stat in (self.stat_weight, self.stat_maxweight, self.stat_minlen, self.stat_maxlen):
            check(stat is None or len(stat) == n, "term statistics")
        for per_posting in (self.freqs, self.weights):
            check(per_posting is None or len(per_posting) == len(self.docs), "frequencies")
        if self.positions is not None:
            check(self.freqs is not None and self.pos_ptr is not None, "position pointers")
            check(self.docbase is not None and len(self.docbase) == self.doccount + 1, "bases")
            check(len(self.pos_ptr) == n + 1 and _ascending(self.pos_ptr), "position pointers")
            check(int(self.pos_ptr[-1]) == len(self.positions), "position count")
            check(
                not len(self.positions) or int(self.positions.max()) < int(self.docbase[-1]),
                "positions",
            )

    # -- terms

    def term(self, i: int) -> bytes:
        return self.data[int(self.offsets[i]) : int(self.offsets[i + 1])].tobytes()

    def lower_bound(self, text: bytes) -> int:
        """The index of the first term >= text."""
        key = int.from_bytes(text[:8].ljust(8, b"\0"), "big")
        lo = int(np.searchsorted(self.keys, np.uint64(key), side="left"))
        hi = int(np.searchsorted(self.keys, np.uint64(key), side="right"))
        if hi - lo <= 1:
            return lo if lo == hi or self.term(lo) >= text else hi
        return bisect_left(range(lo, hi), text, key=self.term) + lo

    def find(self, text: bytes) -> int:
        """The index of term `text`, or -1."""
        i = self.lower_bound(text)
        return i if i < self.count and self.term(i) == text else -1

    def terms_from(self, start: int) -> Iterator[bytes]:
        # Offsets a chunk at a time: a prefix walk usually stops after a few terms,
        # and converting whole arrays made one over 1M passage ids cost 30 ms, not 0.3.
        data, offsets = self.data, self.offsets
        for first in range(start, self.count, _CHUNK):
            ends = offsets[first : min(first + _CHUNK, self.count) + 1].tolist()
            for begin, end in zip(ends, ends[1:], strict=False):
                yield data[begin:end].tobytes()

    # -- postings

    def span(self, i: int) -> tuple[int, int]:
        return int(self.post_ptr[i]), int(self.post_ptr[i + 1])

    def doc_ids(self, i: int) -> np.ndarray:
        start, end = self.span(i)
        return self.docs[start:end]

    def term_weights(self, i: int) -> np.ndarray | None:
        """Weights of term i's postings (None: all 1.0)."""
        start, end = self.span(i)
        if self.freqs is not None:
            return self.freqs[start:end]
        if self.weights is not None:
            return self.weights[start:end]
        return None

    def term_positions(self, i: int) -> np.ndarray:
        """Term i's global positions, ascending."""
        return self.positions[int(self.pos_ptr[i]) : int(self.pos_ptr[i + 1])]

    def doc_lengths(self) -> np.ndarray:
        """Each document's exact length in this field: its number of occurrences."""
        weights = self.freqs if self.freqs is not None else self.weights
        if weights is None:
            return np.bincount(self.docs, minlength=self.doccount)
        return np.bincount(self.docs, weights=weights, minlength=self.doccount).astype(np.int64)

    def term_info(self, i: int) -> TermInfo:
        start, end = self.span(i)
        scored = self.stat_minlen is not None
        return TermInfo(
            weight=float(self.stat_weight[i]),
            df=end - start,
            minlength=byte_to_length(int(self.stat_minlen[i])) if scored else 0,
            maxlength=byte_to_length(int(self.stat_maxlen[i])) if scored else 0,
            maxweight=float(self.stat_maxweight[i]),
            minid=int(self.docs[start]),
            maxid=int(self.docs[end - 1]),
        )


def _ascending(values: np.ndarray) -> bool:
    return len(values) < 2 or bool(np.all(values[1:] >= values[:-1]))


class _EncodedValues:
    """Whoosh's encoded posting values of one term, made only when asked for."""

    def __init__(self, field: PackField, i: int, fmt) -> None:
        start, end = field.span(i)
        self._field, self._format = field, fmt
        self._docs = field.docs[start:end]
        if field.positions is not None:
            freqs = field.freqs[start:end].astype(np.int64)
            self._starts = int(field.pos_ptr[i]) + np.concatenate(([0], np.cumsum(freqs)))
        else:
            self._freqs = field.term_weights(i)

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, j: int) -> bytes:
        field = self._field
        if field.positions is None:
            freq = 1 if self._freqs is None else int(self._freqs[j])
            return self._format.encode(freq)
        doc = int(self._docs[j])
        found = field.positions[int(self._starts[j]) : int(self._starts[j + 1])]
        return self._format.encode((found - field.docbase[doc]).tolist())


class PackMatcher(ListMatcher):
    """Whoosh's list matcher over one term's arrays, skipping by binary search."""

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)


class _NoField:
    count = 0

    def find(self, text: bytes) -> int:
        return -1

    def lower_bound(self, text: bytes) -> int:
        return 0

    def terms_from(self, start: int) -> Iterator[bytes]:
        return iter(())


class PackTermsReader(base.TermsReader):
    """Whoosh's term dictionary and postings API over a segment's pack file."""

    def __init__(self, storage, segment) -> None:
        self.pack = Pack.open(storage, segment.make_filename(PACK_EXT))
        try:
            meta = self.pack.meta
            doccount = segment.doc_count_all()
            if meta.get("layout") != LAYOUT or meta.get("doccount") != doccount:
                raise PackError(f"{self.pack.name}: written for another segment or version")
            self.fields = {name: PackField(self.pack, name, doccount) for name in meta["fields"]}
        except BaseException:
            self.pack.close()
            raise

    def field(self, name: str) -> PackField | _NoField:
        return self.fields.get(name) or _NoField()

    def __contains__(self, term) -> bool:
        fieldname, text = term
        return self.field(fieldname).find(text) >= 0

    def indexed_field_names(self):
        return self.fields.keys()

    def cursor(self, fieldname, fieldobj):
        return PackCursor(self.field(fieldname), fieldobj)

    def terms(self):
        return self.terms_from("", b"")

    def terms_from(self, fieldname, prefix):
        for name in sorted(self.fields):
            if name < fieldname:
                continue
            field = self.fields[name]
            start = field.lower_bound(prefix) if name == fieldname else 0
            for text in field.terms_from(start):
                yield name, text

    def items(self):
        return self.items_from("", b"")

    def items_from(self, fieldname, prefix):
        for name, text in self.terms_from(fieldname, prefix):
            yield (name, text), self.term_info(name, text)

    def _index(self, fieldname, text) -> tuple[PackField, int]:
        field = self.field(fieldname)
        i = field.find(text)
        if i < 0:
            raise TermNotFound(f"{fieldname}:{text!r}")
        return field, i

    def term_info(self, fieldname, text):
        field, i = self._index(fieldname, text)
        return field.term_info(i)

    def frequency(self, fieldname, text):
        field, i = self._key_index(fieldname, text)
        return float(field.stat_weight[i])

    def doc_frequency(self, fieldname, text):
        field, i = self._key_index(fieldname, text)
        start, end = field.span(i)
        return end - start

    def _key_index(self, fieldname, text) -> tuple[PackField, int]:
        # Whoosh's readers answer 0 for a missing term when this raises KeyError.
        field = self.field(fieldname)
        i = field.find(text)
        if i < 0:
            raise KeyError(text)
        return field, i

    def matcher(self, fieldname, text, format_, scorer=None):
        field, i = self._index(fieldname, text)
        weights = field.term_weights(i)
        values = None if type(format_) is formats.Existence else _EncodedValues(field, i, format_)
        return PackMatcher(
            field.doc_ids(i).tolist(),
            weights=None if weights is None else weights.astype(np.float64).tolist(),
            values=values,
            format=format_,
            scorer=scorer,
            term=(fieldname, text),
            terminfo=field.term_info(i),
        )

    def close(self) -> None:
        self.pack.close()


class PackCursor(base.FieldCursor):
    """Walks one field's sorted terms (Whoosh's spelling automata use it)."""

    def __init__(self, field: PackField | _NoField, fieldobj) -> None:
        self._field = field
        self._fieldobj = fieldobj
        self._i = 0

    def first(self):
        self._i = 0
        return self.text()

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._i = self._field.lower_bound(term)
        return self.text()

    def next(self):
        self._i += 1
        return self.text()

    def is_valid(self) -> bool:
        return self._i < self._field.count

    def text(self):
        if not self.is_valid():
            return None
        return self._fieldobj.from_bytes(self._field.term(self._i))

    def term_info(self):
        return self._field.term_info(self._i) if self.is_valid() else None


def pack_fields(leaf_reader) -> PackTermsReader | None:
    """The pack of a Whoosh leaf (segment) reader, or None for other codecs."""
    terms = getattr(leaf_reader, "_terms", None)
    return terms if isinstance(terms, PackTermsReader) else None
