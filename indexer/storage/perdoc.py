"""Per-document values of a pack segment: stored fields, field lengths and numeric
columns, as arrays in one pack file (``<segment>.docs``).

Whoosh 3 pickles and compresses every document's stored fields on its own (a
fifth of a build's time); here each stored field is one array for the whole
segment, written once when the segment is finished:

    stored/F/int                    int64 per document (integer fields)
    stored/F/text, stored/F/offsets UTF-8 values, concatenated, and where each starts
    stored/F/dict, stored/F/dict_offsets, stored/F/codes
                                    repeated text (a title, a folder) once, and a
                                    code per document
    stored/F/pickle, .../offsets    anything else, pickled
    stored/F/has                    1 where the document has the field (if not all)
    length/F                        Whoosh's one-byte field length per document
    column/F                        a numeric column's value per document
"""

from __future__ import annotations

import pickle
from array import array
from collections import defaultdict

import numpy as np
from whoosh.codec import base
from whoosh.columns import ColumnReader, NumericColumn
from whoosh.util.numeric import byte_to_length

from .inversion import length_bytes
from .pack import Pack, PackError, write_pack

DOCS_EXT = ".docs"
LAYOUT = 1
_ABSENT = 0xFFFFFFFF  # the code of a document without a dictionary-coded field


class PackPerDocWriter(base.PerDocumentWriter):
    """Collects a segment's stored fields, lengths and columns; writes them on close."""

    def __init__(self, storage, segment) -> None:
        self._storage = storage
        self._segment = segment
        self._doccount = 0
        self._docnum: int | None = None
        self._stored: dict[str, tuple[array, list]] = {}  # field -> (docs, values)
        self._lengths: dict[str, tuple[array, array]] = {}  # field -> (docs, lengths)
        self._columns: dict[str, tuple[NumericColumn, array, list]] = {}
        self._fieldlengths: dict[str, int] = defaultdict(int)
        self.is_closed = False

    def start_doc(self, docnum: int) -> None:
        if docnum != self._doccount:
            raise ValueError(f"start_doc({docnum}) when document {self._doccount} was expected")
        self._docnum = docnum

    def add_field(self, fieldname, fieldobj, value, length) -> None:
        docnum = self._docnum
        if value is not None:
            found = self._stored.get(fieldname)
            if found is None:
                found = self._stored[fieldname] = (array("I"), [])
            found[0].append(docnum)
            found[1].append(value)
        if length:
            lengths = self._lengths.get(fieldname)
            if lengths is None:
                lengths = self._lengths[fieldname] = (array("I"), array("I"))
            lengths[0].append(docnum)
            lengths[1].append(length)
            self._fieldlengths[fieldname] += length

    def add_column_value(self, fieldname, columnobj, value) -> None:
        if not isinstance(columnobj, NumericColumn):
            raise ValueError(f"the pack codec stores numeric columns only, not {columnobj!r}")
        found = self._columns.get(fieldname)
        if found is None:
            found = self._columns[fieldname] = (columnobj, array("I"), [])
        found[1].append(self._docnum)
        found[2].append(value)

    def add_vector_items(self, fieldname, fieldobj, items) -> None:
        raise ValueError("the pack codec does not store term vectors")

    def append(
        self, reader: PackPerDocReader, lengths: dict[str, np.ndarray], columns: dict
    ) -> None:
        """Add every document of `reader` (a segment without deletions) after those
        written, field by field: `lengths` are each scorable field's exact lengths
        (the stored ones are rounded to a byte), `columns` the column objects."""
        base, count = self._doccount, reader.doc_count_all()
        for field in reader._stored:
            docs, values = field.every()
            found = self._stored.setdefault(field.name, (array("I"), []))
            found[0].frombytes((docs + base).astype(np.uint32).tobytes())
            found[1].extend(values)
        for name, exact in lengths.items():
            docs = np.flatnonzero(exact)  # as add_field, which keeps lengths above 0
            found = self._lengths.setdefault(name, (array("I"), array("I")))
            found[0].frombytes((docs + base).astype(np.uint32).tobytes())
            found[1].frombytes(exact[docs].astype(np.uint32).tobytes())
            self._fieldlengths[name] += int(exact.sum())
        for name, column in columns.items():
            values = reader.column_array(name)
            found = self._columns.setdefault(name, (column, array("I"), []))
            found[1].frombytes(np.arange(base, base + count, dtype=np.uint32).tobytes())
            found[2].extend(values.tolist())
        self._doccount += count

    def finish_doc(self) -> None:
        self._doccount += 1
        self._docnum = None

    def cancel_doc(self) -> None:
        # Drop what the cancelled document added.
        docnum = self._docnum
        for docs, values in self._stored.values():
            while docs and docs[-1] == docnum:
                docs.pop()
                values.pop()
        for table in (self._lengths, self._columns):
            for entry in table.values():
                docs, values = entry[-2], entry[-1]
                while docs and docs[-1] == docnum:
                    docs.pop()
                    values.pop()
        self._docnum = None

    def close(self) -> None:
        count = self._doccount
        arrays: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        for name, (docs, values) in sorted(self._stored.items()):
            kinds[name] = _store(arrays, f"stored/{name}", np.frombuffer(docs, np.uint32), values)
            if len(docs) < count:
                has = np.zeros(count, dtype=np.uint8)
                has[np.frombuffer(docs, np.uint32)] = 1
                arrays[f"stored/{name}/has"] = has
        for name, (docs, lengths) in sorted(self._lengths.items()):
            out = np.zeros(count, dtype=np.uint8)
            out[np.frombuffer(docs, np.uint32)] = length_bytes(np.frombuffer(lengths, np.uint32))
            arrays[f"length/{name}"] = out
        columns = {}
        for name, (column, docs, values) in sorted(self._columns.items()):
            dtype = np.float64 if column._typecode in "fd" else np.int64
            out = np.full(count, column._default, dtype=dtype)
            out[np.frombuffer(docs, np.uint32)] = values
            arrays[f"column/{name}"] = out
            columns[name] = column._default
        self._segment._fieldlengths = dict(self._fieldlengths)
        meta = {"layout": LAYOUT, "doccount": count, "stored": kinds, "columns": columns}
        with self._segment.create_file(self._storage, DOCS_EXT) as f:
            write_pack(f, arrays, meta)
        self.is_closed = True


def _store(arrays: dict, key: str, docs: np.ndarray, values: list) -> str:
    """Encode one stored field's values into `arrays`; its kind for the reader."""
    count = len(docs)
    if all(type(v) is int for v in values) and all(-(2**63) <= v < 2**63 for v in values):
        out = np.zeros(int(docs.max()) + 1 if count else 0, dtype=np.int64)
        out[docs] = values
        arrays[f"{key}/int"] = out
        return "int"
    if all(type(v) is str for v in values):
        distinct = dict.fromkeys(values)
        if len(distinct) * 4 <= count:  # repeated values (titles, folders): a dictionary
            codes = {v: n for n, v in enumerate(distinct)}
            out = np.full(int(docs.max()) + 1, _ABSENT, dtype=np.uint32)
            out[docs] = [codes[v] for v in values]
            arrays[f"{key}/codes"] = out
            _blob(arrays, f"{key}/dict", [v.encode("utf-8", "surrogatepass") for v in distinct])
            return "dict"
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        _blob(arrays, f"{key}/text", _aligned(docs, encoded))
        return "text"
    _blob(arrays, f"{key}/pickle", _aligned(docs, [pickle.dumps(v, 4) for v in values]))
    return "pickle"


def _aligned(docs: np.ndarray, encoded: list[bytes]) -> list[bytes]:
    """One entry per document up to the last that has the field (b"" where absent)."""
    if not len(docs) or (int(docs[-1]) == len(docs) - 1):
        return encoded
    out = [b""] * (int(docs.max()) + 1)
    for d, e in zip(docs.tolist(), encoded, strict=True):
        out[d] = e
    return out


def _blob(arrays: dict, key: str, items: list[bytes]) -> None:
    lengths = np.fromiter((len(b) for b in items), dtype=np.uint64, count=len(items))
    offsets = np.zeros(len(items) + 1, dtype=np.uint64)
    np.cumsum(lengths, out=offsets[1:])
    arrays[key] = np.frombuffer(b"".join(items), dtype=np.uint8)
    arrays[f"{key}_offsets"] = offsets


class _StoredField:
    """Decodes one stored field of one document."""

    def __init__(self, pack: Pack, name: str, kind: str, doccount: int) -> None:
        key = f"stored/{name}"
        self.name, self.kind = name, kind
        self.has = pack.get(f"{key}/has")
        if kind == "int":
            self.ints = pack.array(f"{key}/int")
            self.span = len(self.ints)
        elif kind == "dict":
            self.codes = pack.array(f"{key}/codes")
            data, offsets = pack.array(f"{key}/dict"), pack.array(f"{key}/dict_offsets")
            _check_offsets(pack, name, data, offsets)
            self.values = [
                data[int(a) : int(b)].tobytes().decode("utf-8", "surrogatepass")
                for a, b in zip(offsets[:-1], offsets[1:], strict=True)
            ]
            used = self.codes[self.codes != _ABSENT]
            if len(used) and int(used.max()) >= len(self.values):
                raise PackError(f"{pack.name}: stored field {name!r}: codes out of range")
            self.span = len(self.codes)
        elif kind in ("text", "pickle"):
            self.data = pack.array(f"{key}/{kind}")
            self.offsets = pack.array(f"{key}/{kind}_offsets")
            _check_offsets(pack, name, self.data, self.offsets)
            self.span = len(self.offsets) - 1
        else:
            raise PackError(f"{pack.name}: stored field {name!r} of unknown kind {kind!r}")
        if self.span > doccount or (self.has is not None and len(self.has) != doccount):
            raise PackError(f"{pack.name}: stored field {name!r} does not fit the segment")

    def every(self) -> tuple[np.ndarray, list]:
        """The documents that have the field, in order, and their values."""
        docs = np.arange(self.span, dtype=np.int64)
        if self.has is not None:
            docs = docs[self.has[: self.span] != 0]
        if self.kind == "int":
            return docs, self.ints[docs].tolist()
        if self.kind == "dict":
            codes = self.codes[docs]
            docs = docs[codes != _ABSENT]
            return docs, [self.values[c] for c in self.codes[docs].tolist()]
        starts, ends = self.offsets[docs].tolist(), self.offsets[docs + 1].tolist()
        data = self.data.tobytes()
        raws = [data[a:b] for a, b in zip(starts, ends, strict=True)]
        if self.kind == "text":
            return docs, [raw.decode("utf-8", "surrogatepass") for raw in raws]
        return docs, [pickle.loads(raw) for raw in raws]

    def get(self, docnum: int):
        """The value, or _MISSING when the document has none."""
        if docnum >= self.span or (self.has is not None and not self.has[docnum]):
            return _MISSING
        if self.kind == "int":
            return int(self.ints[docnum])
        if self.kind == "dict":
            code = int(self.codes[docnum])
            return _MISSING if code == _ABSENT else self.values[code]
        raw = self.data[int(self.offsets[docnum]) : int(self.offsets[docnum + 1])].tobytes()
        if self.kind == "text":
            return raw.decode("utf-8", "surrogatepass")
        return pickle.loads(raw)


def _check_offsets(pack: Pack, name: str, data: np.ndarray, offsets: np.ndarray) -> None:
    ordered = len(offsets) and int(offsets[0]) == 0 and int(offsets[-1]) == len(data)
    if not ordered or np.any(offsets[1:] < offsets[:-1]):
        raise PackError(f"{pack.name}: stored field {name!r}: offsets out of order")


_MISSING = object()


class PackPerDocReader(base.PerDocumentReader):
    """Whoosh's per-document API over a segment's ``.docs`` pack."""

    def __init__(self, storage, segment) -> None:
        self._segment = segment
        self._doccount = segment.doc_count_all()
        self.pack = Pack.open(storage, segment.make_filename(DOCS_EXT))
        try:
            meta = self.pack.meta
            if meta.get("layout") != LAYOUT or meta.get("doccount") != self._doccount:
                raise PackError(f"{self.pack.name}: written for another segment or version")
            self._stored = [
                _StoredField(self.pack, name, kind, self._doccount)
                for name, kind in meta["stored"].items()
            ]
            for name in self.pack.names():
                if name.startswith(("length/", "column/")) and (
                    len(self.pack.array(name)) != self._doccount
                ):
                    raise PackError(f"{self.pack.name}: {name} does not fit the segment")
        except BaseException:
            self.pack.close()
            raise
        self._minmax: dict[str, tuple[int, int]] = {}

    def close(self) -> None:
        self.pack.close()

    def doc_count(self) -> int:
        return self._doccount - self._segment.deleted_count()

    def doc_count_all(self) -> int:
        return self._doccount

    def has_deletions(self) -> bool:
        return self._segment.has_deletions()

    def is_deleted(self, docnum: int) -> bool:
        return self._segment.is_deleted(docnum)

    def deleted_docs(self):
        return self._segment.deleted_docs()

    # -- columns

    def supports_columns(self) -> bool:
        return True

    def has_column(self, fieldname) -> bool:
        return f"column/{fieldname}" in self.pack

    def column_reader(self, fieldname, column):
        return ArrayColumnReader(self.pack.array(f"column/{fieldname}"), column)

    def column_array(self, fieldname) -> np.ndarray | None:
        """A numeric column's values, one per document (None if never set)."""
        return self.pack.get(f"column/{fieldname}")

    # -- lengths

    def lengths(self, fieldname) -> np.ndarray | None:
        """Each document's one-byte field length (None: the field has none)."""
        return self.pack.get(f"length/{fieldname}")

    def doc_field_length(self, docnum, fieldname, default=0):
        if docnum > self._doccount:
            raise IndexError(f"Asked for document {docnum} of {self._doccount}")
        lengths = self.lengths(fieldname)
        if lengths is None:
            return default
        found = int(lengths[docnum])
        return byte_to_length(found) if found else None  # as Whoosh 3 answers

    def field_length(self, fieldname) -> int:
        return self._segment._fieldlengths.get(fieldname, 0)

    def _bounds(self, fieldname) -> tuple[int, int]:
        found = self._minmax.get(fieldname)
        if found is None:
            lengths = self.lengths(fieldname)
            found = (0, 0) if lengths is None else (int(lengths.min()), int(lengths.max()))
            self._minmax[fieldname] = found
        return found

    def min_field_length(self, fieldname) -> int:
        return byte_to_length(self._bounds(fieldname)[0])

    def max_field_length(self, fieldname) -> int:
        return byte_to_length(self._bounds(fieldname)[1])

    # -- stored fields

    def stored_fields(self, docnum) -> dict:
        out = {}
        for field in self._stored:
            value = field.get(docnum)
            if value is not _MISSING:
                out[field.name] = value
        return out


class ArrayColumnReader(ColumnReader):
    """Whoosh's column reader API over a numeric array."""

    def __init__(self, values: np.ndarray, column) -> None:
        self._values = values
        self._reverse = False

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, docnum):
        return self._values[docnum].item()

    def __iter__(self):
        return iter(self._values.tolist())

    def sort_key(self, docnum):
        value = self[docnum]
        return 0 - value if self._reverse else value

    def is_reversible(self) -> bool:
        return True

    def set_reverse(self) -> None:
        self._reverse = True

    def load(self) -> list:
        return self._values.tolist()
