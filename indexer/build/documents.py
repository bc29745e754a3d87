"""One file, read on its own: its bytes, its Document and its passages, or why it
is skipped; and how those passages go into a segment.

`read_file` is a plain function of a FileTask, and what it returns travels as
bytes (`encode`): a small head the builder reads (what became of the file) and
the passages, which go to whichever process writes them without the builder
unpickling them. The build runs it in worker processes that may die
(indexer/build/isolation.py).
"""

from __future__ import annotations

import os
import pickle
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..detection import detect
from ..index.meta import DocMeta, SkippedFile
from ..models import Document, FileStat, FormatCount, Passage, Split, pages_text
from ..readers import (
    Changed,
    ScanTexts,
    TooLarge,
    Unreadable,
    content_hash,
    parse_document,
    read_as,
    read_bytes,
    safe_name,
)
from .filing import Filing, filing
from .passages import data_note, passages_of

# How a build finds what OCR read on a file's scanned pages (by its content
# hash); None when OCR is off and scanned pages are left unread.
Scans = Callable[[str], ScanTexts] | None

# A file modified this shortly before it was read might be written again within
# the same timestamp tick without its size changing: its stat is not trusted, and
# the next build compares content (git's "racily clean" entries). Linux stamps
# files to the nanosecond from a clock that moves a tick (1-10 ms) at a time;
# FAT, ext3 and some network shares stamp whole seconds (FAT: two).
RACY_NS = 20_000_000
RACY_WHOLE_SECONDS_NS = 2_000_000_000


@dataclass(frozen=True)
class FileTask:
    """A file to read: where it is, its document id, and what is known of it."""

    path: str
    doc: str
    same_as: str = ""  # a content hash: if the file still has it, no need to parse it
    hash_only: bool = False  # only its content hash is wanted (a possible move)


@dataclass(frozen=True)
class Indexed:
    """A file read into passages."""

    doc: str
    meta: DocMeta  # what the generation's metadata keeps of it
    notes: tuple[str, ...]  # warnings that did not stop it ("3 pages are scans")
    count: FormatCount
    duplicates: int  # pull quotes collapsed


@dataclass(frozen=True)
class Same:
    """A file whose content hash is the one asked about (or was all that was asked)."""

    doc: str
    sha: str
    stat: FileStat  # mtime_ns 0 when too recent to trust (see RACY_NS)


@dataclass(frozen=True)
class Skipped:
    """A file left out, and why."""

    doc: str
    record: SkippedFile

    @property
    def warning(self) -> str:
        return self.record.warning


FileResult = Indexed | Same | Skipped


@dataclass(frozen=True)
class Passages:
    """What a segment writer needs of a file read: its passages, their languages
    (ISO 639-1, one a passage) and the document's, and its filing."""

    filed: Filing
    passages: tuple[Passage, ...]
    langs: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class FileRead:
    """The outcome of reading one file: its result, and its passages if it was indexed."""

    result: FileResult
    passages: Passages | None = None


def read_file(task: FileTask, scans: Scans = None) -> FileRead:
    """Read one file, its scanned pages from what OCR read (`scans`). A file that
    vanishes or changes while it is read (an editor replacing it) is read once
    more, then reported; every other problem is a Skipped result naming it, never
    an exception (but MemoryError)."""
    try:
        try:
            return _read_once(task, scans)
        except Changed:
            return _read_once(task, scans)
    except Changed as exc:  # twice: reported, and read again at the next build
        return FileRead(skipped(task, exc.args[0], exc.reason, None))


def _read_once(task: FileTask, scans: Scans) -> FileRead:
    path, doc = Path(task.path), task.doc
    started = time.time_ns()
    try:
        data, stat = read_bytes(path, doc)
    except Changed:
        raise
    except TooLarge as exc:  # its size says so at every build: nothing to remember
        return FileRead(skipped(task, str(exc), exc.reason, None))
    except Unreadable as exc:
        return FileRead(skipped(task, str(exc), exc.reason, stat_of(path)))
    sha = content_hash(data)
    if task.hash_only or sha == task.same_as:
        return FileRead(Same(doc, sha, _trusted(stat, started)))
    try:
        document = parse_document(doc, path.suffix, data, path.parent, scans)
        split = _passages(document, scans)
    except MemoryError:
        raise  # the memory limit's business (indexer/build/isolation.py)
    except Unreadable as exc:
        return FileRead(skipped(task, str(exc), exc.reason, stat))
    except Exception as exc:
        # A library failing on a malformed file (a parser's own exception) is that
        # file's problem, not the build's: it is skipped with the error named.
        why = f"could not be read ({exc.__class__.__name__}: {str(exc)[:200]})"
        return FileRead(skipped(task, f"{safe_name(doc)}: {why}", "could not be read", stat))
    if not stat.same_content(stat_of(path)):
        raise Changed(f"{doc}: changed while it was read", "changed while read")
    filed = filing(document, stat.mtime_ns / 1e9)
    detected = detect([p.text for p in split.passages])
    kept = _trusted(stat, started)
    meta = DocMeta(
        document.sha,
        document.title,
        len(split.passages),
        format=filed.format,
        date=filed.date,
        pages=len(document.page_labels),
        blank_pages=document.blank_pages,
        ocr_pages=len(document.ocr_pages),
        waiting=document.waiting,
        lang=detected.document,
        languages=dict(Counter(detected.passages).most_common()),
        size=kept.size,
        mtime_ns=kept.mtime_ns,
        inode=kept.inode,
    )
    notes = (*document.notes, data_note(document, split), _off_note(document, scans))
    notes = tuple(filter(None, notes))
    count = FormatCount(document.format, 1, 0, meta.pages, document.blank_pages)
    result = Indexed(doc, meta, notes, count, split.duplicates)
    return FileRead(result, Passages(filed, split.passages, detected.passages, detected.document))


def _passages(document: Document, scans: Scans) -> Split:
    """The document's passages: at least one, unless all its text is on scanned
    pages OCR will read (Unreadable then if OCR is off)."""
    try:
        return passages_of(document)
    except Unreadable:
        if not document.waiting:
            raise
    if scans is None:
        raise Unreadable(
            f"{document.doc}: no text layer, only scanned pages; not read: OCR is off",
            "no text layer",
        )
    return Split(passages=())


def _off_note(document: Document, scans: Scans) -> str:
    """The warning for scanned pages left unread because OCR is off."""
    if scans is not None or not document.waiting:
        return ""
    pages = len(document.page_labels)
    return (
        f"{document.doc}: {len(document.waiting)} of {pages} pages are scans (images "
        "without text); not read: OCR is off"
    )


def skipped(task: FileTask, warning: str, reason: str, stat: FileStat | None) -> Skipped:
    """The Skipped result of a file; with its stat, it is not read again until it changes."""
    record = SkippedFile.of(warning, reason, read_as(task.doc), stat)
    return Skipped(safe_name(task.doc), record)


def stat_of(path: Path | str) -> FileStat | None:
    """What stat says of a file now, or None if it is gone."""
    try:
        return FileStat.of(os.stat(path))
    except OSError:
        return None


def _trusted(stat: FileStat, started: int) -> FileStat:
    """The stat to keep: its mtime zeroed when too recent to tell a later write."""
    whole_seconds = stat.mtime_ns % 1_000_000_000 == 0  # a file system of coarse stamps
    if stat.mtime_ns >= started - (RACY_WHOLE_SECONDS_NS if whole_seconds else RACY_NS):
        return FileStat(stat.size, 0, stat.inode, stat.ctime_ns)
    return stat


# -- as bytes ------------------------------------------------------------------------


def encode(read: FileRead) -> bytes:
    """A FileRead as bytes: the length of the head, the head, then the passages."""
    head = pickle.dumps(read.result, protocol=pickle.HIGHEST_PROTOCOL)
    body = b"" if read.passages is None else pickle.dumps(read.passages, pickle.HIGHEST_PROTOCOL)
    return len(head).to_bytes(4, "little") + head + body


def decode_head(data: bytes) -> tuple[FileResult, memoryview]:
    """The result of encoded bytes, and the passages still encoded (empty if none)."""
    view = memoryview(data)
    size = int.from_bytes(view[:4], "little")
    return pickle.loads(view[4 : 4 + size]), view[4 + size :]


def decode_passages(body: bytes | memoryview) -> Passages:
    return pickle.loads(body)


# -- into a segment ------------------------------------------------------------------


def add_passages(writer, batch: Passages) -> None:
    """Add one file's passages to a Whoosh writer."""
    filed = batch.filed
    folder = "\n".join(filed.folders) or None
    for p, lang in zip(batch.passages, batch.langs, strict=True):
        writer.add_document(
            id=p.id,
            doc=p.doc,
            ordinal=p.ordinal,
            start=p.start,
            end=p.end,
            page=p.page or None,
            page_label=p.page_label or None,
            pages=pages_text(p.pages) or None,
            ocr=1 if p.ocr else None,
            folder=folder,
            format=filed.format,
            year=filed.year,
            date=filed.date_number,
            title=p.title,
            section=p.section,
            body=p.text,
            lang=lang,
            _lang_title=batch.lang,  # a title is in its document's language
        )
