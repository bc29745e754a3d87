"""DOCX (python-docx), EPUB and ODT (zips of XML) written for the tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

import docx
from docx.oxml import OxmlElement

PAGE = object()  # in a DOCX or ODT body: the page ends here


def make_docx(
    body: Sequence,
    title: str = "",
    created: datetime | None = None,
    header: str = "",
    footer: str = "",
) -> bytes:
    """`body` items: ("h1", text), ("p", text), ("table", [[cell, ...], ...]) or PAGE,
    which records a rendered page break before the next paragraph, as Word does."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    if created:
        document.core_properties.created = created
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    broken = False
    for item in body:
        if item is PAGE:
            broken = True
            continue
        kind, content = item
        if kind == "table":
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
            continue
        if kind.startswith("h"):
            paragraph = document.add_heading(level=int(kind[1:]))
        else:
            paragraph = document.add_paragraph()
        if broken:
            run = paragraph.add_run()
            run._r.append(OxmlElement("w:lastRenderedPageBreak"))
            broken = False
        paragraph.add_run(content)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_epub(
    chapters: Sequence[tuple[str, str]],
    title: str = "A Book",
    date: str = "",
    fragment: bool = True,
    repeat_first: bool = True,
) -> bytes:
    """An EPUB 3 of (file name, XHTML body) chapters. With `fragment` the manifest
    links carry a #fragment; with `repeat_first` the spine lists chapter one twice."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        items, refs = [], []
        for n, (name, body) in enumerate(chapters):
            href = f"text/{name}" + ("#start" if fragment else "")
            items.append(f'<item id="c{n}" href="{href}" media-type="application/xhtml+xml"/>')
            refs.append(f'<itemref idref="c{n}"/>')
            z.writestr(
                f"OEBPS/text/{name}",
                '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>{escape(title)}</title></head><body>{body}</body></html>",
            )
        if repeat_first and refs:
            refs.append(refs[0])
        dated = f"<dc:date>{date}</dc:date>" if date else ""
        z.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{escape(title)}</dc:title>{dated}</metadata>"
            f"<manifest>{''.join(items)}</manifest><spine>{''.join(refs)}</spine></package>",
        )
    return out.getvalue()


_ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)


_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def make_odt(body: Sequence, title: str = "", date: str = "") -> bytes:
    """`body` items: ("h1", text), ("p", text), ("table", rows) or PAGE, written as
    the `text:soft-page-break` an editor records where it laid out a page end; a
    paragraph given as a list of texts and PAGEs runs across those page ends."""
    xml = []
    for item in body:
        if item is PAGE:
            xml.append("<text:soft-page-break/>")
            continue
        kind, content = item
        if kind == "table":
            rows = "".join(
                "<table:table-row>"
                + "".join(
                    f"<table:table-cell><text:p>{escape(c)}</text:p></table:table-cell>"
                    for c in row
                )
                + "</table:table-row>"
                for row in content
            )
            xml.append(f"<table:table>{rows}</table:table>")
        elif kind.startswith("h"):
            level = kind[1:]
            xml.append(f'<text:h text:outline-level="{level}">{escape(content)}</text:h>')
        else:
            pieces = content if isinstance(content, list) else [content]
            text = "".join(
                "<text:soft-page-break/>"
                if piece is PAGE
                else escape(piece).replace("  ", ' <text:s text:c="1"/>')
                for piece in pieces
            )
            xml.append(f"<text:p>{text}</text:p>")
    content_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODT_NS} '
        'office:version="1.2">'
        f"<office:body><office:text>{''.join(xml)}</office:text></office:body>"
        "</office:document-content>"
    )
    meta = f"<dc:title>{escape(title)}</dc:title>" if title else ""
    meta += f"<meta:creation-date>{date}</meta:creation-date>" if date else ""
    meta_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODT_NS}>'
        f"<office:meta>{meta}</office:meta></office:document-meta>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        mimetype = "application/vnd.oasis.opendocument.text"
        z.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content_xml)
        z.writestr("meta.xml", meta_xml)
        z.writestr("META-INF/manifest.xml", _MANIFEST)
    return out.getvalue()
