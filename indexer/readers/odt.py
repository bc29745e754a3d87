"""OpenDocument text (ODT): content.xml read with lxml; headings become
sections and pages come from the soft page breaks the editor recorded. Notes
and comments are not read."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Parsed, Part
from .dates import iso_date
from .decoding import CONTROLS, squash
from .zipped import open_zip, parse_xml, read_member

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_NS = {
    "office": _OFFICE,
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def _t(name: str) -> str:
    return f"{{{_TEXT}}}{name}"


_PARAGRAPH, _HEADING, _BREAK = _t("p"), _t("h"), _t("soft-page-break")
_CONTAINERS = {_t("list"), _t("list-item"), _t("list-header"), _t("section"), _t("index-body")}
_CONTAINERS |= {f"{{{_TABLE}}}{n}" for n in ("table", "table-row", "table-cell", "table-rows")}
_CONTAINERS |= {f"{{{_TABLE}}}{n}" for n in ("table-header-rows", "table-row-group")}
_SKIPPED = {_t("note"), _t("tracked-changes"), _t("sequence-decls"), _t("bookmark-ref")}
_SKIPPED |= {f"{{{_OFFICE}}}annotation", f"{{{_OFFICE}}}annotation-end"}  # comments
_ITEMS = {_t("list-item"), _t("list-header"), f"{{{_TABLE}}}table-cell"}
_PAGE_ENDS = "\ue000"  # in a paragraph's raw text: a soft page break was here


def read_odt(data: bytes, doc: str) -> Parsed:
    """Headings and paragraphs (lists and tables included) in document order."""
    archive = open_zip(data, doc, "odt")
    with archive:
        content = parse_xml(read_member(archive, "content.xml", doc), doc, "content.xml")
        meta = None
        if "meta.xml" in archive.NameToInfo:
            meta = parse_xml(read_member(archive, "meta.xml", doc), doc, "meta.xml")
    body = content.find(".//office:body/office:text", _NS)
    pages = _Pages()
    parts = list(_walk(body, pages, False)) if body is not None else []
    paged = pages.page > 1
    if not paged:
        parts = [Part(p.text, p.level, p.item) for p in parts]
    title = squash(meta.findtext(".//dc:title", "", _NS)) if meta is not None else ""
    title = title or next((p.text for p in parts if p.level == 1), "")
    date = ""
    if meta is not None:
        date = iso_date(meta.findtext(".//dc:date", "", _NS)) or iso_date(
            meta.findtext(".//meta:creation-date", "", _NS)
        )
    return Parsed(
        title=title,
        parts=tuple(parts),
        date=date,
        page_labels=tuple(str(n) for n in range(1, pages.page + 1)) if paged else (),
    )


class _Pages:
    def __init__(self) -> None:
        self.page = 1


def _walk(node, pages: _Pages, item: bool) -> Iterator[Part]:
    for child in node:
        tag = child.tag
        if tag == _BREAK:
            pages.page += 1
        elif tag in (_PARAGRAPH, _HEADING):
            first = pages.page
            text, start, breaks = _paged(CONTROLS.sub(" ", "".join(_inline(child, pages))), first)
            level = _number(child.get(_t("outline-level")), 1) if tag == _HEADING else 0
            if text:
                yield Part(text, min(max(level, 0), 6), item, start, breaks)
        elif tag in _CONTAINERS:
            yield from _walk(child, pages, item or tag in _ITEMS)


def _inline(node, pages: _Pages) -> Iterator[str]:
    """The text of a paragraph: spaces, tabs and line breaks as spaces; notes left out."""
    if node.text:
        yield node.text
    for child in node:
        tag = child.tag
        if tag == _t("s"):
            yield " " * min(_number(child.get(_t("c")), 1), 100)
        elif tag in (_t("tab"), _t("line-break")):
            yield " "
        elif tag == _BREAK:
            pages.page += 1
            yield _PAGE_ENDS
        elif tag not in _SKIPPED and isinstance(tag, str):
            yield from _inline(child, pages)
        if child.tail:
            yield child.tail


def _paged(raw: str, first: int) -> tuple[str, int, tuple[tuple[int, int], ...]]:
    """A paragraph's text, squashed, with the page it starts on and where later
    pages begin in it; `raw` marks each page end with _PAGE_ENDS."""
    text, start, breaks = "", first, []
    for n, piece in enumerate(raw.split(_PAGE_ENDS)):
        words = squash(piece)
        if not words:
            continue
        if not text:
            start = first + n
        else:
            text += " "
            breaks.append((len(text), first + n))
        text += words
    return text, start, tuple(breaks)


def _number(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default
