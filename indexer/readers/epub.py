"""EPUB: the zip read with the standard library, its package file with lxml,
and each chapter, in spine order, through the HTML reader; each spine document
(a chapter file) is a page, so a hit says which one its words are in."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from urllib.parse import unquote

from .base import Parsed, Part, Unreadable
from .dates import iso_date
from .decoding import decode, squash
from .maintext import parse_html
from .zipped import open_zip, parse_xml, read_member

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def read_epub(data: bytes, doc: str) -> Parsed:
    """The book's chapters in reading order; a chapter's title is its section."""
    archive = open_zip(data, doc, "epub")
    with archive:
        container = parse_xml(read_member(archive, "META-INF/container.xml", doc), doc, "container")
        rootfile = container.find(".//c:rootfile", _NS)
        if rootfile is None or not rootfile.get("full-path"):
            raise Unreadable(f"{doc}: damaged EPUB (no package file)", "damaged")
        opf_path = rootfile.get("full-path")
        opf = parse_xml(read_member(archive, opf_path, doc), doc, opf_path)
        title = squash(opf.findtext(".//dc:title", "", _NS))
        parts: list[Part] = []
        page = 0
        for name in _spine(opf, posixpath.dirname(opf_path)):
            if name not in archive.NameToInfo:
                continue  # a spine entry without its file: the rest still reads
            page += 1  # each spine document is a page: where a hit's words are
            chapter = parse_html(decode(read_member(archive, name, doc), doc))
            if not any(p.level for p in chapter.parts) and chapter.title not in ("", title):
                parts.append(Part(squash(chapter.title), 1, page=page))
            parts.extend(replace(p, page=page) for p in chapter.parts)
    if page < 2:  # one document: nothing to tell apart
        parts = [replace(p, page=0) for p in parts]
    date = iso_date(opf.findtext(".//dc:date", "", _NS))
    labels = tuple(str(n) for n in range(1, page + 1)) if page > 1 else ()
    return Parsed(title=title, parts=tuple(parts), date=date, page_labels=labels)


def _spine(opf, base: str) -> list[str]:
    """Zip member names of the spine's documents, in order, each once."""
    manifest = {}
    for item in opf.iterfind(".//opf:manifest/opf:item", _NS):
        href = unquote((item.get("href") or "").split("#", 1)[0])
        if href:
            manifest[item.get("id")] = posixpath.normpath(posixpath.join(base, href))
    names, seen = [], set()
    for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS):
        name = manifest.get(ref.get("idref"))
        if name and name not in seen:
            seen.add(name)
            names.append(name)
    return names
