"""seedsearch's segment writer: Whoosh's SegmentWriter, with postings buffered in
bulk instead of through Whoosh's per-posting pool.

Text fields analysed by seedsearch's own analyser take a fast path (words and
positions straight into integer buffers); other fields go through Whoosh's
field API into the same buffers. Merging a pack segment copies its arrays with
document numbers remapped; other segments take Whoosh's pool path. A writer
that has buffered FLUSH_OCCURRENCES occurrences finishes its segment and starts
another, so memory stays bounded however much is added.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from whoosh import formats
from whoosh.analysis import IDAnalyzer
from whoosh.fields import ID, TEXT, UnknownFieldError
from whoosh.writing import PostingPool, SegmentWriter

from ..analysis import ANALYZER, index_terms
from ..languages import DEFAULT
from .codec import PackCodec, pack_fields
from .inversion import GAP

FLUSH_OCCURRENCES = 6_000_000  # about 70 bytes each while a segment is inverted


class PackWriter(SegmentWriter):
    """A SegmentWriter for pack segments, fast for seedsearch's schema."""

    def __init__(self, ix, limitmb: int = 64, **kwargs) -> None:
        kwargs.setdefault("compound", False)
        super().__init__(ix, codec=PackCodec(), limitmb=limitmb, **kwargs)
        self._limitmb = limitmb
        self._finished: list = []  # segments this writer already completed
        self._occurrences = 0  # buffered in the segment being written
        self._names: dict[tuple, list[str]] = {}
        # Each fast field's last value and its terms: consecutive passages share
        # their document's title and their section's heading.
        self._last: dict[str, tuple[tuple[str, str], tuple[list[str], list[int]]]] = {}
        self._fast = {
            name
            for name, field in self.schema.items()
            if field.indexed
            and type(field.format) is formats.Positions
            and field.format.field_boost == 1.0
            and field.analyzer == ANALYZER
        }
        # Fields that index their whole value as one term (Whoosh's plain ID).
        self._whole = {
            name
            for name, field in self.schema.items()
            if type(field) is ID
            and field.analyzer == IDAnalyzer()
            and type(field.format) is formats.Existence
            and field.format.field_boost == 1.0
        }

    def add_document(self, **fields) -> None:
        """Add one document; same meaning as Whoosh's, without boosts."""
        self._check_state()
        schema, docnum, perdoc = self.schema, self.docnum, self.perdocwriter
        names = self._names.get(tuple(fields))
        if names is None:
            names = self._field_names(fields)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = (
                    self._index_field(name, field, value, docnum, fields) if field.indexed else 0
                )
                stored = fields.get(f"_stored_{name}", value)
                perdoc.add_field(name, field, stored if field.stored else None, length)
                if field.column_type and stored is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(stored))
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        if self._occurrences >= FLUSH_OCCURRENCES:
            self._start_next_segment()

    def _field_names(self, fields: dict) -> list[str]:
        """The fields of add_document's keywords, sorted, checked against the schema
        once for each set of keywords."""
        names = sorted(name for name in fields if not name.startswith("_"))
        for name in names:
            if name not in self.schema:
                raise UnknownFieldError(f"No field named {name!r} in {self.schema}")
        self._names[tuple(fields)] = names
        return names

    def _index_field(self, name: str, field, value, docnum: int, fields=None) -> int:
        """Buffer a field's postings, text analysed in the document's `lang` (or its
        `_lang_NAME`); return its length (0 if not scorable)."""
        buffer = self.fieldwriter.buffer(name, field)
        if name in self._fast:
            lang = _language(name, fields) if fields else DEFAULT
            last = self._last.get(name)
            if last is not None and last[0] == (value, lang):
                words, positions = last[1]  # the passage before's title or section
            else:
                words, positions = index_terms(value, lang)
                self._last[name] = ((value, lang), (words, positions))
            buffer.add_tokens(docnum, words, positions)
            self._occurrences += len(words)
            return len(words) if field.scorable else 0
        self._occurrences += 1
        if name in self._whole and isinstance(value, str):
            buffer.add_posting(value.encode("utf-8"), docnum, 1.0)
            return 1 if field.scorable else 0
        length = 0
        if isinstance(field, TEXT):
            analysed = field.index(value, lang=_language(name, fields) if fields else DEFAULT)
        else:
            analysed = field.index(value)
        for text, freq, weight, encoded in analysed:
            positions = field.format.decode_positions(encoded) if buffer.positional else None
            buffer.add_posting(text, docnum, weight, positions)
            length += freq
        return length if field.scorable else 0

    def _start_next_segment(self) -> None:
        """Finish the segment being written and go on in a new one."""
        self._finished.append(self._finalize_segment())
        self.newsegment = self.codec.new_segment(self.storage, self.indexname)
        self.perdocwriter = self.codec.per_document_writer(self.storage, self.newsegment)
        self.fieldwriter = self.codec.field_writer(self.storage, self.newsegment)
        self.pool = PostingPool(self._tempstorage, self.newsegment, limitmb=self._limitmb)
        self.docnum = self.docbase = 0
        self._added = False
        self._occurrences = 0

    def finish_segments(self) -> list:
        """Close this writer's segments without committing (a build worker's part)."""
        self._check_state()
        if self._added:
            self._finished.append(self._finalize_segment())
        else:
            self._close_segment()
        return self._finished

    def adopt(self, segments: list) -> None:
        """Commit `segments`, finished by other writers of this index (a cluster's
        tasks), with this writer's own."""
        self._check_state()
        self._finished.extend(segments)

    def commit(self, mergetype=None, optimize=None, merge=None) -> None:
        self._check_state()
        final = self._merge_segments(mergetype, optimize, merge) + self._finished
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final)
        self._finish()

    def add_reader(self, reader) -> None:
        """Merge a segment: a pack's arrays are copied, anything else via Whoosh."""
        pack = pack_fields(reader)
        if pack is None:
            super().add_reader(reader)
            return
        self._check_state()
        base = self.docnum
        names = {n for n in reader.indexed_field_names() if n in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | names, reader)
        old = reader.doc_count_all()
        new = np.arange(base, base + old, dtype=np.int64)
        if docmap is not None:
            new[:] = -1
            if docmap:
                olds = np.fromiter(docmap.keys(), dtype=np.int64, count=len(docmap))
                new[olds] = np.fromiter(docmap.values(), dtype=np.int64, count=len(docmap))
        for name in sorted(names):
            self._copy_field(pack.fields[name], self.schema[name], name, new)
        self._added = True

    def append_segment(self, reader) -> None:
        """Add every document of the pack segment `reader`, which has no deletions,
        field by field as arrays (a merge of segments written for the same build).
        Field lengths are the exact ones, so scores are those of one segment."""
        pack = pack_fields(reader)
        if pack is None or reader.has_deletions():
            raise ValueError("only pack segments without deletions are appended")
        self._check_state()
        schema, base, count = self.schema, self.docnum, reader.doc_count_all()
        lengths = {
            name: field.doc_lengths()
            for name, field in pack.fields.items()
            if name in schema and schema[name].scorable
        }
        columns = {
            name: schema[name].column_type
            for name in schema.names()
            if schema[name].column_type and reader._perdoc.has_column(name)
        }
        self.perdocwriter.append(reader._perdoc, lengths, columns)
        new = np.arange(base, base + count, dtype=np.int64)
        for name in sorted(pack.fields):
            if name in schema:
                self._copy_field(pack.fields[name], schema[name], name, new)
        self.docnum += count
        self._added = True

    def copy_documents(
        self,
        reader,
        docnums: list[int],
        changes: dict[str, Callable[[dict], object]],
        lang: str = DEFAULT,
    ) -> None:
        """Add copies of the documents `docnums` of the pack segment `reader`, with
        each field of `changes` set anew from the old stored fields (a moved file's
        id, doc and folders); every other field's postings are copied as arrays,
        not analysed again. A changed text field is analysed in `lang`."""
        pack = pack_fields(reader)
        if pack is None:
            raise ValueError("only pack segments are copied without analysis")
        self._check_state()
        base, perdoc, schema = self.docnum, self.perdocwriter, self.schema
        new = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        new[np.asarray(docnums, dtype=np.int64)] = np.arange(base, base + len(docnums))
        old_perdoc = reader._perdoc
        # Exact lengths (the per-document ones are rounded to a byte), so that
        # field totals, and so scores, are those of indexing the text again.
        lengths = {
            name: field.doc_lengths()
            for name, field in pack.fields.items()
            if name in schema and schema[name].scorable and name not in changes
        }
        names = sorted(
            n for n in schema.names() if n in changes or n in pack.fields or schema[n].stored
        )
        for old in docnums:
            stored = reader.stored_fields(old)
            docnum = self.docnum
            perdoc.start_doc(docnum)
            for name in names:
                field = schema[name]
                if name in changes:
                    value = changes[name](stored)
                    if value is None:
                        continue
                    indexed = field.indexed
                    given = {"lang": lang}
                    length = self._index_field(name, field, value, docnum, given) if indexed else 0
                    perdoc.add_field(name, field, value if field.stored else None, length)
                    continue
                length = int(lengths[name][old]) if name in lengths else 0
                if name in stored or length:
                    perdoc.add_field(name, field, stored.get(name), length)
                if field.column_type and old_perdoc.has_column(name):
                    value = old_perdoc.column_reader(name, field.column_type)[old]
                    perdoc.add_column_value(name, field.column_type, value)
            perdoc.finish_doc()
            self.docnum += 1
        for name in sorted(pack.fields):
            if name in schema and name not in changes:
                self._copy_field(pack.fields[name], schema[name], name, new)
        self._added = True

    def _copy_field(self, field, fieldobj, name: str, new: np.ndarray) -> None:
        buffer = self.fieldwriter.buffer(name, fieldobj)
        terms = [field.term(i) for i in range(field.count)]
        if buffer.positional:
            terms = [t.decode("utf-8") for t in terms]
        ids = np.asarray(buffer.ids(terms), dtype=np.uint32)
        per_posting = np.repeat(np.arange(field.count), np.diff(field.post_ptr.astype(np.int64)))
        if buffer.positional:
            freqs = field.freqs.astype(np.int64)
            docs = np.repeat(field.docs.astype(np.int64), freqs)
            keep = new[docs] >= 0
            local = field.positions.astype(np.int64) - field.docbase[docs].astype(np.int64)
            term_ids = ids[np.repeat(per_posting, freqs)]
            live = np.flatnonzero(new >= 0)
            extents = np.diff(field.docbase.astype(np.int64))[live] - GAP
            buffer.add_chunk(
                term_ids[keep], new[docs[keep]], local[keep], (new[live], extents.clip(0))
            )
        else:
            docs = field.docs.astype(np.int64)
            keep = new[docs] >= 0
            weights = field.weights if field.weights is not None else np.ones(len(docs))
            buffer.add_chunk(ids[per_posting[keep]], new[docs[keep]], weights[keep])


def _language(name: str, fields: dict) -> str:
    """The language a document's field is analysed in: `_lang_NAME`, else `lang`."""
    return fields.get("_lang_" + name) or fields.get("lang") or DEFAULT
