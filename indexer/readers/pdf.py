"""PDF through PDFium (pypdfium2): text per page in reading order, with the
printed page labels, running headers and footers dropped and line-end
hyphenation resolved against the rest of the document. A page of images without
text (a scan) is read by OCR: its text comes from the build's OCR cache, and
`page_image` renders it for the engine."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .base import Parsed, Part, ScanTexts, Unreadable, no_scans
from .dates import iso_date
from .decoding import squash
from .ocr import DPI
from .scanned import look_up

EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running heads
RUNNING_SHARE = 0.4  # an edge line on this share of the pages is a running head
RUNNING_MIN_PAGES = 3
PARAGRAPH_END = (
    0.85  # a sentence's end on a line shorter than this share of a full one ends a paragraph
)

# PDFium marks a line-end hyphen with U+FFFE (some producers give U+0002).
_BREAK = "\ufffe"
_BROKEN = re.compile(r"(\w+)[\ufffe\x02]\s*(\w+)")
_WORD = re.compile(r"\w+(?:-\w+)*")
_DIGITS = re.compile(r"\d+")
# Controls (but tab and newline), format characters (soft hyphens, zero-width
# spaces, bidi marks), private use and noncharacters; U+FFFE marks hyphens.
_NOT_TEXT = re.compile(
    "[\x00\x01\x03-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\ue000-\uf8ff\ufdd0-\ufdef\ufeff\ufff0-\ufffd\uffff\U000f0000-\U0010ffff]"
)
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_BAD_TITLE = re.compile(
    r"^(?:microsoft \w+ - |untitled|document\d*$|slide \d)|\.(?:docx?|odt|pdf|rtf|indd|tex|dvi)$",
    re.I,
)


MAX_PIXELS = 40_000_000  # a page image larger than this (a poster at 300 dpi) is rendered smaller


def read_pdf(data: bytes, doc: str, scans: ScanTexts = no_scans) -> Parsed:
    """The text of each page, as paragraphs and the outline's headings; a scanned
    page's text is what OCR read, if it has read it."""
    pdf = _open(data, doc)
    try:
        pages = [_page_text(pdf, i) for i in range(len(pdf))]
        labels = tuple(_label(pdf, i) for i in range(len(pdf)))
        meta = _metadata(pdf)
        outline = _outline(pdf)
    finally:
        pdf.close()
    scanned = [n for n, p in enumerate(pages, 1) if p is None]
    found = look_up(scanned, scans)
    for page, text in found.texts.items():
        pages[page - 1] = text
    if not any(pages) and not found.waiting:
        if found.failures:
            why = found.failures[0][1]
            raise Unreadable(f"{doc}: no text layer, and OCR failed ({why})", "OCR failed")
        raise Unreadable(f"{doc}: no text to index", "no text")
    lines = _drop_running_heads([_lines(p or "") for p in pages])
    lines = _join_hyphens(lines)
    parts = list(_parts(lines, outline, set(found.texts)))
    title = meta.get("Title", "").strip()
    if not title or _BAD_TITLE.search(title) or len(title) > 200:
        title = _first_line_title(lines)
    return Parsed(
        title=title,
        parts=tuple(parts),
        date=iso_date(meta.get("CreationDate", "")),
        page_labels=labels,
        notes=tuple(found.notes(doc)),
        blank_pages=len(scanned),
        ocr_pages=tuple(sorted(found.texts)),
        waiting=found.waiting,
    )


def pages_parts(pages: list[str], ocr: set[int]) -> list[Part]:
    """The paragraphs of pages of plain text (OCR's), the way a PDF's pages are read:
    running heads dropped, broken words joined, never across pages."""
    lines = _join_hyphens(_drop_running_heads([_lines(p) for p in pages]))
    return list(_parts(lines, {}, ocr))


def page_image(data: bytes, page: int) -> bytes:
    """Page `page` (1-based) rendered for OCR at 300 dpi in grey, as PGM bytes."""
    pdf = pdfium.PdfDocument(data)
    try:
        sheet = pdf[page - 1]
        try:
            width, height = sheet.get_size()  # in points, 72 to the inch
            scale = DPI / 72
            pixels = width * height * scale * scale
            if pixels > MAX_PIXELS:
                scale *= math.sqrt(MAX_PIXELS / pixels)
            bitmap = sheet.render(scale=scale, grayscale=True)
            out = io.BytesIO()
            bitmap.to_pil().save(out, format="PPM")
            return out.getvalue()
        finally:
            sheet.close()
    finally:
        pdf.close()


def _open(data: bytes, doc: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise Unreadable(f"{doc}: encrypted PDF (needs a password)", "encrypted") from None
        if "security" in message.lower():
            raise Unreadable(f"{doc}: PDF with an unsupported encryption", "encrypted") from None
        reason = message.rsplit("(PDFium: ", 1)[-1].rstrip(".)") or "unknown error"
        raise Unreadable(f"{doc}: damaged PDF ({reason})", "damaged") from None


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str | None:
    """The page's text; "" for a blank page, None for a page of images without
    text (a scan) or one PDFium cannot read."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        textpage = page.get_textpage()
        try:
            text = _normalize(textpage.get_text_range())
        finally:
            textpage.close()
        if text.strip():
            return text
        images = page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2)
        return None if next(images, None) is not None else ""
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


def _normalize(text: str) -> str:
    """NFKC (ligatures decomposed), LF newlines, no control or private-use characters."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_TEXT.sub("", text)


def _label(pdf: pdfium.PdfDocument, index: int) -> str:
    try:
        return pdf.get_page_label(index) or str(index + 1)
    except (pdfium.PdfiumError, ValueError):
        return str(index + 1)


def _metadata(pdf: pdfium.PdfDocument) -> dict[str, str]:
    try:
        return pdf.get_metadata_dict(skip_empty=True)
    except (pdfium.PdfiumError, ValueError):
        return {}


def _outline(pdf: pdfium.PdfDocument) -> dict[int, list[tuple[int, str]]]:
    """{page index: [(level, title)]} of the document's bookmarks."""
    found: dict[int, list[tuple[int, str]]] = {}
    try:
        for mark in pdf.get_toc(max_depth=6):
            dest = mark.get_dest()
            index = dest.get_index() if dest is not None else None
            title = squash(_normalize(mark.get_title()))
            if index is not None and title:
                found.setdefault(index, []).append((mark.level + 1, title))
    except (pdfium.PdfiumError, ValueError):
        pass
    return found


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n")]


def _fold(line: str) -> str:
    return _DIGITS.sub("#", squash(line).lower())


def _drop_running_heads(pages: list[list[str]]) -> list[list[str]]:
    """Drop edge lines (digits folded) repeated on many pages: running headers,
    footers and page numbers are not prose."""
    edges = [_edge_indexes(lines) for lines in pages]
    counts: Counter[str] = Counter()
    for lines, where in zip(pages, edges, strict=True):
        counts.update({_fold(lines[i]) for i in where})
    texted = sum(1 for lines in pages if any(lines))
    need = max(RUNNING_MIN_PAGES, math.ceil(RUNNING_SHARE * texted))
    running = {line for line, n in counts.items() if n >= need}
    if not running:
        return pages
    return [
        [line for i, line in enumerate(lines) if i not in where or _fold(line) not in running]
        for lines, where in zip(pages, edges, strict=True)
    ]


def _edge_indexes(lines: list[str]) -> set[int]:
    filled = [i for i, line in enumerate(lines) if line]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def _join_hyphens(pages: list[list[str]]) -> list[list[str]]:
    """Join a word broken at a line end when the document has it whole elsewhere;
    keep the hyphen when it has the hyphenated form (or neither: then the
    analyser indexes both the parts and the joined word)."""
    words: set[str] = set()
    for lines in pages:
        for line in lines:
            words.update(w.lower() for w in _WORD.findall(line))

    def mend(match: re.Match) -> str:
        first, second = match.groups()
        if (first + second).lower() in words and f"{first}-{second}".lower() not in words:
            return first + second
        return f"{first}-{second}"

    return [
        [_BROKEN.sub(mend, line).replace(_BREAK, "-").replace("\x02", "-") for line in lines]
        for lines in pages
    ]


def _parts(
    pages: list[list[str]], outline: dict[int, list[tuple[int, str]]], ocr: set[int]
) -> Iterator[Part]:
    """Each page's headings (from the outline) and paragraphs, never across pages."""
    for index, lines in enumerate(pages):
        yield from _page_parts(lines, list(outline.get(index, ())), index + 1, index + 1 in ocr)


def _page_parts(
    lines: list[str], headings: list[tuple[int, str]], page: int, ocr: bool = False
) -> list[Part]:
    parts = []
    for level, title in list(headings):
        if not any(_same_heading(line, title) for line in lines):
            parts.append(Part(title, level, page=page))  # a bookmark to a page without its words
            headings.remove((level, title))
    full = _full_width(lines)
    paragraph: list[str] = []

    def flush() -> None:
        text = squash(" ".join(paragraph))
        paragraph.clear()
        if text:
            parts.append(Part(text, page=page, ocr=ocr))

    for line in lines:
        heading = next((h for h in headings if _same_heading(line, h[1])), None)
        if heading is not None:
            headings.remove(heading)
            flush()
            parts.append(Part(squash(line), heading[0], page=page, ocr=ocr))
        elif not line:
            flush()
        else:
            paragraph.append(line)
            short = len(line) < PARAGRAPH_END * full
            # A short line alone without a full stop is a heading or a label.
            if short and (_TERMINAL.search(line) or len(paragraph) == 1 and len(line) < full / 2):
                flush()
    flush()
    return parts


def _full_width(lines: list[str]) -> float:
    """The length of a full line of this page, in characters."""
    lengths = sorted(len(line) for line in lines if line)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _same_heading(line: str, title: str) -> bool:
    return bool(line) and squash(line).casefold() == title.casefold()


def _first_line_title(pages: list[list[str]]) -> str:
    for lines in pages:
        for line in lines:
            if line:
                words = line.split()
                return line if len(words) <= 15 and not _TERMINAL.search(line) else ""
    return ""
