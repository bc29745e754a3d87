"""Formats that are zips of XML (DOCX, EPUB, ODT): open them safely."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from .base import Unreadable

MAX_XML_BYTES = 200 * 10**6  # unpacked XML of one file: a zip bomb stops here

# No entities, no DTD fetching, no network: a document is data, not a program.
XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=True
)


def open_zip(data: bytes, doc: str, fmt: str) -> zipfile.ZipFile:
    """The file as a zip, or Unreadable naming what is wrong with it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unreadable(f"{doc}: damaged {fmt.upper()} (not a valid zip)", "damaged") from None
    unpacked = sum(i.file_size for i in archive.infolist() if i.filename.endswith(("xml", "html")))
    if unpacked > MAX_XML_BYTES:
        raise Unreadable(f"{doc}: {unpacked / 1e6:.0f} MB of XML unpacked; skipped", "too large")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, doc: str) -> bytes:
    """One member's bytes, or Unreadable when it is missing or damaged."""
    try:
        return archive.read(name)
    except KeyError:
        raise Unreadable(f"{doc}: damaged file ({name} is missing)", "damaged") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise Unreadable(f"{doc}: damaged file ({name}: {exc})", "damaged") from None


def parse_xml(data: bytes, doc: str, name: str) -> etree._Element:
    """An XML member parsed with entities and the network off."""
    try:
        root = etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"{doc}: damaged file ({name}: {exc})", "damaged") from None
    if root is None:
        raise Unreadable(f"{doc}: damaged file ({name} is empty)", "damaged")
    return root
