"""The document formats seedsearch reads, in one table: the readers, the
`type:` filter, the status counts and the web app's file links all use it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class Format:
    """One format: what the index calls it, how pages name it, how its files are served."""

    name: str  # in the index, `type:` and the API: "pdf"
    label: str  # on the page: "PDF"
    suffixes: tuple[str, ...]
    mimetype: str  # the original file, served as
    inline: bool  # opens in the browser; else a download (HTML must not run on this site)


FORMATS = (
    Format("txt", "Text", (".txt",), "text/plain; charset=utf-8", True),
    Format("md", "Markdown", (".md", ".markdown"), "text/plain; charset=utf-8", True),
    Format("html", "HTML", (".html", ".htm"), "text/html", False),
    Format("pdf", "PDF", (".pdf",), "application/pdf", True),
    Format(
        "docx",
        "Word",
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        False,
    ),
    Format("epub", "EPUB", (".epub",), "application/epub+zip", False),
    Format("odt", "OpenDocument", (".odt",), "application/vnd.oasis.opendocument.text", False),
    # Photos and scans of pages, read by OCR; served as what each file is.
    Format(
        "image",
        "Image",
        (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"),
        "",
        True,
    ),
)
_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
}
BY_NAME = {f.name: f for f in FORMATS}
BY_SUFFIX = {suffix: f for f in FORMATS for suffix in f.suffixes}
ALIASES = {"markdown": "md", "htm": "html", "text": "txt", "images": "image"}  # other names


def format_of(path: PurePath | str) -> str:
    """The format a file is read as ("pdf", "md" ...), from its suffix."""
    suffix = PurePath(path).suffix.lower()
    known = BY_SUFFIX.get(suffix)
    return known.name if known else suffix.lstrip(".")


def mimetype_of(path: PurePath | str) -> str:
    """The media type a file of a known format is served as ("" when unknown)."""
    suffix = PurePath(path).suffix.lower()
    known = BY_SUFFIX.get(suffix)
    if known is None:
        return ""
    return known.mimetype or _IMAGE_TYPES.get(suffix, "")


def label(name: str) -> str:
    """How a page names a format: `md` is Markdown."""
    known = BY_NAME.get(name)
    return known.label if known else name.upper()
