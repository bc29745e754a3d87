"""Turn the files of a source folder into Documents: one reader per format
behind one registry, each yielding the same blocks (with pages where the
format has them)."""

from __future__ import annotations

import hashlib
import importlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..formats import BY_SUFFIX, format_of
from ..models import Document
from .assembly import assemble
from .base import Parsed, Part, ScanTexts, Unreadable, no_scans
from .html import read_html
from .markdown import read_markdown
from .text import read_text

__all__ = [
    "READERS",
    "Parsed",
    "Part",
    "Reader",
    "ScanTexts",
    "Unreadable",
    "content_hash",
    "doc_id",
    "find_files",
    "max_bytes",
    "page_image",
    "parse_document",
    "read_bytes",
    "read_document",
    "safe_name",
]

MB = 10**6
LIMIT_ENV = "SEEDSEARCH_MAX_MB"  # "50" for every format, or "pdf=200,txt=5"


@dataclass(frozen=True)
class Reader:
    """How one format is read: its name, its reader and its default size cap."""

    format: str
    read: Callable[..., Parsed]  # (data, doc), plus the file's folder or its scans' texts
    max_mb: int
    site_aware: bool = False  # reads the file's neighbours (HTML: what repeats is chrome)
    # Has scanned pages, read by OCR: read() takes their texts, and page_image(data,
    # page) renders a page for the engine.
    page_image: Callable[[bytes, int], bytes] | None = None


def _later(module: str, name: str) -> Callable[..., Parsed]:
    """A reader imported on first use: PDFium and python-docx take a while to load,
    and the web app, which never reads a file, needs neither."""

    def call(*args):
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(*args)

    return call


_TEXT_MB = 10  # plain text larger than this takes minutes to index
_BY_FORMAT = {
    "txt": Reader("txt", read_text, _TEXT_MB),
    "md": Reader("md", read_markdown, _TEXT_MB),
    "html": Reader("html", read_html, _TEXT_MB, site_aware=True),
    # Page images and fonts make these large for little text: a 300-page
    # manual is 5-20 MB, a scanned report far more.
    "pdf": Reader("pdf", _later("pdf", "read_pdf"), 200, page_image=_later("pdf", "page_image")),
    "docx": Reader("docx", _later("docx", "read_docx"), 100),
    "epub": Reader("epub", _later("epub", "read_epub"), 100),
    "odt": Reader("odt", _later("odt", "read_odt"), 100),
    # A scanned page is a few MB as PNG; a multi-page TIFF of a report far more.
    "image": Reader(
        "image", _later("image", "read_image"), 100, page_image=_later("image", "page_image")
    ),
}
READERS: dict[str, Reader] = {s: _BY_FORMAT[f.name] for s, f in BY_SUFFIX.items()}


def max_bytes(fmt: str) -> int:
    """The size cap of a format: its default, or SEEDSEARCH_MAX_MB."""
    default = next(r.max_mb for r in READERS.values() if r.format == fmt)
    setting = os.environ.get(LIMIT_ENV, "").strip()
    limit = default
    for item in filter(None, (s.strip() for s in setting.split(","))):
        name, _, value = item.rpartition("=")
        if name.strip().lower() in ("", fmt):
            try:
                limit = float(value)
            except ValueError:
                continue
    return int(limit * MB)


def find_files(root: Path, warnings: list[str] | None = None) -> list[Path]:
    """Every indexable regular file under root, sorted by path, skipping hidden
    files and folders. Symlinked folders are not followed, so a symlink loop
    cannot hang the walk; folders that cannot be listed are reported."""

    def unlistable(error: OSError) -> None:
        if warnings is not None:
            where = Path(error.filename).relative_to(root) if error.filename else root
            warnings.append(f"{safe_name(str(where))}: cannot list folder ({error.strerror})")

    found = []
    for folder, dirs, files in os.walk(root, onerror=unlistable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(folder, name)
            if name.startswith(".") or path.suffix.lower() not in READERS:
                continue
            try:
                regular = stat.S_ISREG(path.stat().st_mode)  # not a pipe or a device
            except OSError:
                regular = True  # a dangling link: reading it reports why
            if regular:
                found.append(path)
            elif warnings is not None:
                name = safe_name(path.relative_to(root).as_posix())
                warnings.append(f"{name}: not a regular file (a pipe or device); skipped")
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def safe_name(name: str) -> str:
    """A file name fit to print, even if it is not valid UTF-8."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def doc_id(path: Path, root: Path) -> str:
    """The document id: the path relative to the source folder, with slashes."""
    return path.relative_to(root).as_posix()


def read_document(path: Path, root: Path) -> Document:
    """Read one file into a Document, or raise Unreadable with the reason."""
    return parse_document(doc_id(path, root), path.suffix, read_bytes(path, root), path.parent)


def page_image(suffix: str, data: bytes, page: int) -> bytes:
    """Page `page` (1-based) of a file with scanned pages, as an image for OCR."""
    render = READERS[suffix.lower()].page_image
    if render is None:
        raise ValueError(f"{suffix} files have no page images")
    return render(data, page)


def read_bytes(path: Path, root: Path) -> bytes:
    """A file's bytes, or Unreadable when its name, size or permissions say no."""
    doc = doc_id(path, root)
    try:
        doc.encode("utf-8")
    except UnicodeEncodeError:
        raise Unreadable(
            f"{safe_name(doc)}: file name is not valid UTF-8; rename it", "file name not UTF-8"
        ) from None
    try:
        size = path.stat().st_size
        fmt = format_of(path)
        limit = max_bytes(fmt)
        if size > limit:
            raise Unreadable(
                f"{doc}: {size / MB:.1f} MB; {fmt} files over {limit / MB:g} MB are skipped "
                f"(split it, or raise {LIMIT_ENV})",
                "too large",
            )
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"{doc}: cannot read ({exc.strerror or exc})", "cannot read") from None


def parse_document(
    doc: str,
    suffix: str,
    data: bytes,
    folder: Path | None = None,
    scans: Callable[[str], ScanTexts] | None = None,
) -> Document:
    """Parse a file's bytes by its format; Unreadable if there is nothing to index.
    `folder`, where the file lies, lets a reader compare it with its neighbours;
    `scans` gives the OCR texts of a file's scanned pages by its content hash."""
    reader = READERS[suffix.lower()]
    sha = content_hash(data)
    try:
        if reader.site_aware:
            parsed = reader.read(data, doc, folder)
        elif reader.page_image is not None:
            parsed = reader.read(data, doc, scans(sha) if scans else no_scans)
        else:
            parsed = reader.read(data, doc)
    except RecursionError:
        raise Unreadable(f"{doc}: nested too deeply to parse", "nested too deeply") from None
    if not any(p.text for p in parsed.parts) and not parsed.title.strip() and not parsed.waiting:
        raise Unreadable(f"{doc}: no text to index", "no text")
    return assemble(doc, parsed, sha, reader.format, Path(doc).stem)


def content_hash(data: bytes) -> str:
    """The hash that tells an incremental build a file changed."""
    return hashlib.sha1(data).hexdigest()
