"""Turn the files of a source folder into Documents: one reader per format
behind one registry, each yielding the same blocks (with pages where the
format has them). Other packages add formats through the `seedsearch.readers`
entry point."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from ..formats import BY_SUFFIX, format_of
from ..models import Document, FileStat
from .assembly import assemble
from .base import Changed, Parsed, Part, ScanTexts, TooLarge, Unreadable, no_scans
from .html import read_html
from .markdown import read_markdown
from .text import read_text

__all__ = [
    "BUILT_IN",
    "Changed",
    "Parsed",
    "Part",
    "Reader",
    "ScanTexts",
    "SourceFile",
    "TooLarge",
    "Unreadable",
    "content_hash",
    "doc_id",
    "find_files",
    "max_bytes",
    "page_image",
    "parse_document",
    "read_bytes",
    "read_as",
    "read_document",
    "reader_for",
    "registry",
    "safe_name",
    "size_caps",
    "suffix_of",
    "too_large",
]

MB = 10**6
LIMIT_ENV = "SEEDSEARCH_MAX_MB"  # "50" for every format, or "pdf=200,txt=5"
ENTRY_POINTS = "seedsearch.readers"  # name: the suffix (".xyz"); value: a Reader


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
    engine: str = ""  # the native library that reads it, named if it crashes ("PDFium")


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
    "pdf": Reader(
        "pdf",
        _later("pdf", "read_pdf"),
        200,
        page_image=_later("pdf", "page_image"),
        engine="PDFium",
    ),
    "docx": Reader("docx", _later("docx", "read_docx"), 100),
    "epub": Reader("epub", _later("epub", "read_epub"), 100),
    "odt": Reader("odt", _later("odt", "read_odt"), 100),
    # A scanned page is a few MB as PNG; a multi-page TIFF of a report far more.
    "image": Reader(
        "image", _later("image", "read_image"), 100, page_image=_later("image", "page_image")
    ),
}
BUILT_IN: dict[str, Reader] = {s: _BY_FORMAT[f.name] for s, f in BY_SUFFIX.items()}


@functools.cache
def registry() -> dict[str, Reader]:
    """Every reader by suffix: the built-in ones, then those installed packages
    declare under the `seedsearch.readers` entry point (which may replace one)."""
    readers = dict(BUILT_IN)
    for point in importlib.metadata.entry_points(group=ENTRY_POINTS):
        try:
            reader = point.load()
        except Exception as exc:  # the plugin's own failure, named for its author
            raise BuildError(
                f"The reader plugin {point.name} ({point.value}) cannot be loaded: "
                f"{exc.__class__.__name__}: {exc}"
            ) from None
        suffix = point.name.strip().lower()
        if not isinstance(reader, Reader) or not suffix.startswith(".") or len(suffix) < 2:
            raise BuildError(
                f"The reader plugin {point.name} ({point.value}) must name a suffix "
                "(.xyz) and point at an indexer.readers.Reader."
            )
        readers[suffix] = reader
    return readers


def reader_for(path: Path | str) -> Reader | None:
    """The reader of a file, by its suffix; None for files that are not documents."""
    return registry().get(Path(path).suffix.lower())


def read_as(path: Path | str) -> str:
    """The format a file is read as, reader plugins included."""
    reader = reader_for(path)
    return reader.format if reader else format_of(path)


def max_bytes(fmt: str) -> int:
    """The size cap of a format: its default, or SEEDSEARCH_MAX_MB."""
    default = next((r.max_mb for r in registry().values() if r.format == fmt), _TEXT_MB)
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


@dataclass(frozen=True)
class SourceFile:
    """A document file found in the source folder, with what `stat` said of it."""

    path: str
    doc: str  # its id: the path relative to the source folder, with slashes
    stat: FileStat | None  # None when stat failed (a dangling link): reading says why


def find_files(root: Path, warnings: list[str] | None = None) -> list[SourceFile]:
    """Every indexable regular file under root, sorted by path, skipping hidden
    files and folders. Symlinked folders are not followed, so a symlink loop
    cannot hang the walk; folders that cannot be listed are reported. Nothing
    is opened: each file is stat'ed once (strings, not Paths: an archive of
    100,000 files is walked in a second)."""
    top = os.path.abspath(root)  # a task names its file wherever it is read

    def unlistable(error: OSError) -> None:
        if warnings is not None:
            where = os.path.relpath(error.filename, top) if error.filename else top
            warnings.append(f"{safe_name(where)}: cannot list folder ({error.strerror})")

    suffixes = registry()
    found = []
    for folder, dirs, files in os.walk(top, onerror=unlistable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        within = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in files:
            if name.startswith(".") or suffix_of(name) not in suffixes:
                continue
            path = os.path.join(folder, name)
            doc = name if within == "." else f"{within}/{name}"
            try:
                st = os.stat(path)
            except OSError:
                found.append(SourceFile(path, doc, None))  # a dangling link: reading says why
                continue
            if stat.S_ISREG(st.st_mode):  # not a pipe or a device
                found.append(SourceFile(path, doc, FileStat.of(st)))
            elif warnings is not None:
                warnings.append(f"{safe_name(doc)}: not a regular file (a pipe or device); skipped")
    found.sort(key=lambda f: f.doc)
    return found


def suffix_of(name: str) -> str:
    """A file name's suffix, lower case (".pdf"); "" for none. Path(name).suffix's
    answer, without building a Path for each of 100,000 files."""
    dot = name.rfind(".")
    return name[dot:].lower() if name.rfind("/") + 1 < dot < len(name) - 1 else ""


def safe_name(name: str) -> str:
    """A file name fit to print, even if it is not valid UTF-8."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def doc_id(path: Path, root: Path) -> str:
    """The document id: the path relative to the source folder, with slashes."""
    return path.relative_to(root).as_posix()


def read_document(path: Path, root: Path) -> Document:
    """Read one file into a Document, or raise Unreadable with the reason."""
    doc = doc_id(path, root)
    return parse_document(doc, path.suffix, read_bytes(path, doc)[0], path.parent)


def page_image(suffix: str, data: bytes, page: int) -> bytes:
    """Page `page` (1-based) of a file with scanned pages, as an image for OCR."""
    render = registry()[suffix.lower()].page_image
    if render is None:
        raise ValueError(f"{suffix} files have no page images")
    return render(data, page)


def size_caps() -> dict[str, int]:
    """The size cap of each suffix read, in bytes (SEEDSEARCH_MAX_MB applied)."""
    return {suffix: max_bytes(reader.format) for suffix, reader in registry().items()}


def too_large(doc: str, size: int, caps: dict[str, int] | None = None) -> TooLarge | None:
    """Why a file of `size` bytes is over its format's cap, or None if it is not.
    `caps` (from size_caps) saves working the caps out again for every file."""
    caps = caps if caps is not None else size_caps()
    limit = caps.get(suffix_of(doc))
    if limit is None or size <= limit:
        return None
    fmt = read_as(doc)
    return TooLarge(
        f"{doc}: {size / MB:.1f} MB; {fmt} files over {limit / MB:g} MB are skipped "
        f"(split it, or raise {LIMIT_ENV})",
        "too large",
    )


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC  # a pipe never blocks


def read_bytes(path: Path, doc: str) -> tuple[bytes, FileStat]:
    """A file's bytes and its stat when opened; Unreadable when its name, kind, size
    or permissions say no, Changed when it vanished or changed while it was read."""
    try:
        doc.encode("utf-8")
    except UnicodeEncodeError:
        raise Unreadable(
            f"{safe_name(doc)}: file name is not valid UTF-8; rename it", "file name not UTF-8"
        ) from None
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as exc:  # deleted, or a dangling link
        raise Changed(f"{doc}: cannot read ({exc.strerror})", "cannot read") from None
    except OSError as exc:
        raise Unreadable(f"{doc}: cannot read ({exc.strerror or exc})", "cannot read") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise Unreadable(
                f"{doc}: not a regular file (a pipe or device); skipped", "not a regular file"
            )
        problem = too_large(doc, opened.st_size)
        if problem is not None:
            raise problem
        with open(fd, "rb", closefd=False) as file:
            data = file.read()
        read = os.fstat(fd)
    except OSError as exc:
        raise Unreadable(f"{doc}: cannot read ({exc.strerror or exc})", "cannot read") from None
    finally:
        os.close(fd)
    seen = FileStat.of(opened)
    try:
        now = FileStat.of(os.stat(path))
    except OSError:
        now = None
    if not (seen.same_content(FileStat.of(read)) and seen.same_content(now)):
        raise Changed(f"{doc}: changed while it was read", "changed while read")
    return data, seen


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
    reader = registry()[suffix.lower()]
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
