"""Word (DOCX) through python-docx: paragraphs and tables in document order,
headings as sections, pages from the page breaks Word recorded when it last
laid the document out (`w:lastRenderedPageBreak`). Headers and footers are
not prose and are not read."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from .base import Parsed, Part, Unreadable
from .dates import iso_date
from .decoding import CONTROLS, squash
from .zipped import open_zip

_HEADING = re.compile(r"heading (\d)", re.I)


def read_docx(data: bytes, doc: str) -> Parsed:
    """Paragraphs, table cells and headings, each with its page when Word recorded pages."""
    open_zip(data, doc, "docx").close()  # a damaged zip or a zip bomb stops here
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise Unreadable(f"{doc}: damaged DOCX ({exc})", "damaged") from None
    counter = _Pages()
    parts = list(_blocks(document.iter_inner_content(), counter))
    paged = counter.page > 1
    if not paged:
        parts = [Part(p.text, p.level, p.item) for p in parts]
    props = document.core_properties
    title = squash(props.title or "") or next((p.text for p in parts if p.level == 1), "")
    return Parsed(
        title=title,
        parts=tuple(parts),
        date=iso_date(props.created) if props.created else "",
        page_labels=tuple(str(n) for n in range(1, counter.page + 1)) if paged else (),
    )


class _Pages:
    """The page the reading has reached."""

    def __init__(self) -> None:
        self.page = 1


def _blocks(items: Iterator, pages: _Pages, in_table: bool = False) -> Iterator[Part]:
    for item in items:
        if isinstance(item, Paragraph):
            yield from _paragraph(item, pages, in_table)
        elif isinstance(item, Table):
            seen = set()  # holds the elements, so lxml keeps one proxy per cell
            for row in item.rows:
                for cell in row.cells:
                    if cell._tc in seen:  # a merged cell repeats across its span
                        continue
                    seen.add(cell._tc)
                    yield from _blocks(cell.iter_inner_content(), pages, in_table=True)


def _paragraph(paragraph: Paragraph, pages: _Pages, in_table: bool) -> Iterator[Part]:
    level = _level(paragraph)
    item = in_table or _is_list_item(paragraph)
    breaks = paragraph.rendered_page_breaks
    if not breaks:
        yield Part(_text(paragraph.text), level, item, pages.page)
        return
    # Text before the first break is on the page before it; the rest is on the next.
    before = _fragment(breaks[0].preceding_paragraph_fragment)
    after = _fragment(breaks[0].following_paragraph_fragment)
    if before:
        yield Part(before, level, item, pages.page)
    pages.page += len(breaks)
    if after:
        yield Part(after, level, item, pages.page - len(breaks) + 1)


def _fragment(paragraph: Paragraph | None) -> str:
    return _text(paragraph.text) if paragraph is not None else ""


def _text(text: str) -> str:
    return squash(CONTROLS.sub(" ", text))


def _level(paragraph: Paragraph) -> int:
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError):
        return 0
    if name == "Title":
        return 1
    match = _HEADING.fullmatch(name or "")
    return int(match.group(1)) if match else 0


def _is_list_item(paragraph: Paragraph) -> bool:
    p_pr = paragraph._p.pPr
    return p_pr is not None and p_pr.numPr is not None
