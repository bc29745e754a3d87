"""A file's way into the index: read it, split it into passages, file it by
folder, format and date, and add its passages to a writer; with a Tally of what
that produced. Both the serial path and each parallel worker run add_files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..detection import detect
from ..errors import BuildError
from ..index.meta import DocMeta
from ..models import Document, FormatCount, Split, pages_text
from ..readers import ScanTexts, Unreadable, format_of, parse_document, read_bytes, safe_name
from .filing import filing
from .passages import data_note, passages_of

# How a build finds what OCR read on a file's scanned pages (by its content
# hash); None when OCR is off and scanned pages are left unread.
Scans = Callable[[str], ScanTexts] | None


@dataclass
class Tally:
    """What writing a set of files produced."""

    documents: dict[str, DocMeta] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    passages: int = 0
    duplicates: int = 0
    formats: list[FormatCount] = field(default_factory=list)  # one per file read or skipped
    skipped: dict[str, str] = field(default_factory=dict)  # doc -> why


def add_files(
    writer,
    source: Path,
    files: list[tuple[Path, str]],
    strict: bool,
    tally: Tally,
    tick: Callable[[], None],
    replace: set[str] = frozenset(),
    scans: Scans = None,
) -> None:
    """Add each file's passages to `writer`, deleting old ones of docs in `replace`.
    Scanned pages OCR has not read yet are left out and counted as waiting."""
    for path, doc in files:
        try:
            document, split = _read(path, doc, source, scans)
        except Unreadable as exc:
            tally.warnings.append(str(exc))
            why = ((exc.reason, 1),)
            tally.formats.append(FormatCount(format_of(path), skipped=1, reasons=why))
            tally.skipped[safe_name(doc)] = str(exc)
            if strict:
                raise BuildError(f"--strict: {exc}") from None
            if doc in replace:  # unreadable now: its old passages must go
                writer.delete_by_term("doc", doc)
            continue
        finally:
            tick()
        notes = [*document.notes, data_note(document, split), _off_note(document, scans)]
        _note(tally, notes, strict)
        pages = len(document.page_labels)
        tally.formats.append(FormatCount(document.format, 1, 0, pages, document.blank_pages))
        if doc in replace:
            writer.delete_by_term("doc", doc)
        filed = filing(document, _mtime(path))
        detected = detect([p.text for p in split.passages])
        for p, lang in zip(split.passages, detected.passages, strict=True):
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
                folder="\n".join(filed.folders) or None,
                format=filed.format,
                year=filed.year,
                date=filed.date_number,
                title=p.title,
                section=p.section,
                body=p.text,
                lang=lang,
                _lang_title=detected.document,  # a title is in its document's language
            )
        tally.documents[doc] = DocMeta(
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
        )
        tally.passages += len(split.passages)
        tally.duplicates += split.duplicates


def _read(path: Path, doc: str, source: Path, scans: Scans):
    """A file's Document and its passages (at least one, unless all its text is
    on scanned pages OCR will read), or Unreadable saying why.

    A library failing on a malformed file (a parser's own exception) is that
    file's problem, not the build's: it is skipped with the error named."""
    try:
        data = read_bytes(path, source)
        document = parse_document(doc, path.suffix, data, path.parent, scans)
        try:
            return document, passages_of(document)
        except Unreadable:
            if not document.waiting:
                raise
        if scans is None:
            raise Unreadable(
                f"{doc}: no text layer, only scanned pages; not read: OCR is off",
                "no text layer",
            )
        return document, Split(passages=())
    except (Unreadable, BuildError):
        raise
    except Exception as exc:
        name = safe_name(doc)
        raise Unreadable(
            f"{name}: could not be read ({exc.__class__.__name__}: {str(exc)[:200]})",
            "could not be read",
        ) from None


def _note(tally: Tally, notes: list[str], strict: bool) -> None:
    """Warnings about a document that was indexed all the same."""
    for note in filter(None, notes):
        tally.warnings.append(note)
        if strict:
            raise BuildError(f"--strict: {note}")


def _off_note(document: Document, scans: Scans) -> str:
    """The warning for scanned pages left unread because OCR is off."""
    if scans is not None or not document.waiting:
        return ""
    pages = len(document.page_labels)
    return (
        f"{document.doc}: {len(document.waiting)} of {pages} pages are scans (images "
        "without text); not read: OCR is off"
    )


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
