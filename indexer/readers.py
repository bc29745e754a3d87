"""Turn files of text, Markdown and HTML into Documents of plain-text blocks."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import charset_normalizer
from bs4 import BeautifulSoup, NavigableString, Tag
from markdown_it import MarkdownIt

from .docdates import own_date
from .models import Block, Document

# (text, heading level or 0, is a list item)
RawBlock = tuple[str, int, bool]


MAX_FILE_BYTES = 10 * 10**6  # larger files take minutes to index: refused


class Unreadable(Exception):
    """A file skipped with a warning; the message names the file."""


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
    return parse_document(doc_id(path, root), path.suffix, read_bytes(path, root))


def read_bytes(path: Path, root: Path) -> bytes:
    """A file's bytes, or Unreadable when its name, size or permissions say no."""
    doc = doc_id(path, root)
    try:
        doc.encode("utf-8")
    except UnicodeEncodeError:
        raise Unreadable(f"{safe_name(doc)}: file name is not valid UTF-8; rename it") from None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Unreadable(
                f"{doc}: {size / 1e6:.1f} MB; files over {MAX_FILE_BYTES // 10**6} MB "
                "are skipped (split it into smaller files)"
            )
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"{doc}: cannot read ({exc.strerror or exc})") from None


def parse_document(doc: str, suffix: str, data: bytes) -> Document:
    """Decode and parse a file's bytes; Unreadable if there is nothing to index."""
    text = decode(data, doc)
    try:
        title, raw = READERS[suffix.lower()](text)
    except RecursionError:
        raise Unreadable(f"{doc}: nested too deeply to parse") from None
    raw = [b for b in raw if b[0]]
    if not any(level == 0 for _, level, _ in raw):
        raise Unreadable(f"{doc}: no text to index")
    document = assemble(doc, title or Path(doc).stem, raw, content_hash(data))
    return replace(document, format=FORMATS[suffix.lower()], date=own_date(suffix, text))


def content_hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def decode(data: bytes, doc: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else a confident guess."""
    if not data.strip():
        raise Unreadable(f"{doc}: empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _clean(data.decode(encoding))
            except UnicodeDecodeError:
                raise Unreadable(f"{doc}: invalid {encoding.upper()}") from None
    head = data[:8192]
    if b"\x00" in head:
        raise Unreadable(f"{doc}: binary file")
    try:
        return _clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(data[:200_000])
    if encoding is None:
        raise Unreadable(f"{doc}: not UTF-8 and its encoding could not be detected")
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for c in text[:8192] if c < " " and c not in "\n\r\t\f")
    if controls > len(text[:8192]) / 100:
        raise Unreadable(f"{doc}: binary file")
    return _clean(text)


def _guess_encoding(data: bytes) -> str | None:
    """A confident guess; among equally good guesses, windows-1252 wins, as in
    browsers, since Western European text is the commonest legacy case."""
    matches = [m for m in charset_normalizer.from_bytes(data) if m.chaos <= 0.1]
    if not matches:
        return None
    best = (matches[0].chaos, -matches[0].coherence)
    tied = [m for m in matches if (m.chaos, -m.coherence) == best]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return tied[0].encoding


# UTF-32 first: its little-endian BOM starts like UTF-16's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Control characters (terminal escapes among them) are not text: they would
# reach readers' terminals through `seedsearch search`.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    """LF newlines, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROLS.sub(" ", text)


def _squash(text: str) -> str:
    return " ".join(text.split())


def assemble(doc: str, title: str, raw: list[RawBlock], sha: str) -> Document:
    """Join blocks with blank lines into the document text, keeping spans."""
    blocks, offset = [], 0
    for text, level, item in raw:
        blocks.append(Block(text, offset, offset + len(text), level, item))
        offset += len(text) + 2
    text = "\n\n".join(b.text for b in blocks)
    return Document(doc=doc, title=_squash(title), text=text, sha=sha, blocks=tuple(blocks))


# -- plain text ---------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n\s*")


def read_text(text: str) -> tuple[str, list[RawBlock]]:
    """Paragraphs split at blank lines; a short unpunctuated first line is the title."""
    paragraphs = [_squash(p) for p in _BLANK_LINES.split(text.strip())]
    paragraphs = [p for p in paragraphs if p]
    first = text.strip().split("\n", 1)[0].strip()
    if len(paragraphs) > 1 and paragraphs[0] == _squash(first) and _looks_like_title(first):
        return paragraphs[0], [(paragraphs[0], 1, False)] + [(p, 0, False) for p in paragraphs[1:]]
    return "", [(p, 0, False) for p in paragraphs]


def _looks_like_title(line: str) -> bool:
    return len(line) <= 160 and len(line.split()) <= 20 and line[-1] not in ".!?,;:"


# -- Markdown -----------------------------------------------------------------

_FRONT_MATTER = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
_MARKDOWN = MarkdownIt("commonmark")


def read_markdown(text: str) -> tuple[str, list[RawBlock]]:
    """Headings and paragraphs; front matter, code and raw HTML are not prose."""
    text = _FRONT_MATTER.sub("", text.lstrip("\ufeff"), count=1)
    raw: list[RawBlock] = []
    level = items = 0
    for token in _MARKDOWN.parse(text):
        if token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "list_item_open":
            items += 1
        elif token.type == "list_item_close":
            items -= 1
        elif token.type == "inline":
            raw.append((_squash(_inline_text(token.children or [])), level, items > 0))
            level = 0
    title = next((t for t, lvl, _ in raw if lvl), "")
    return title, raw


def _inline_text(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


# -- HTML ---------------------------------------------------------------------

_NOT_PROSE = [
    "script",
    "style",
    "nav",
    "noscript",
    "template",
    "iframe",
    "svg",
    "form",
    "header",
    "footer",
    "aside",
    "figcaption",
    "button",
    "select",
    "head",
]
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "table",
        "tr",
        "ul",
        "ol",
        "dl",
        "hr",
        "figure",
        "address",
        "center",
        "body",
    ]
)


_VOID = re.compile(
    r"<(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)\b"
    r"((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>",
    re.I,
)


def read_html(text: str) -> tuple[str, list[RawBlock]]:
    """The main text: no script, style or navigation; headings become sections."""
    # html.parser nests unclosed void tags, which makes parsing quadratic.
    soup = BeautifulSoup(_VOID.sub(r"<\1\2/>", text), "html.parser")
    h1 = soup.find("h1")
    title_tag = soup.find("title")
    title = _squash(h1.get_text(" ")) if h1 else ""
    if not title and title_tag:
        title = _squash(title_tag.get_text(" "))
    for tag in soup.find_all(_NOT_PROSE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    raw: list[RawBlock] = []
    buffer: list[str] = []

    def flush(level: int = 0, item: bool = False) -> None:
        text = _squash("".join(buffer))
        buffer.clear()
        if text:
            raw.append((text, level, item))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not comments or doctypes
                    buffer.append(str(child))
            elif isinstance(child, Tag):
                name = child.name
                if name == "br":
                    buffer.append(" ")
                elif name == "pre" and child.find("code"):
                    flush()
                elif name in _BLOCKS:
                    flush()
                    walk(child)
                    level = int(name[1]) if re.fullmatch(r"h[1-6]", name) else 0
                    flush(level, name == "li")
                else:
                    walk(child)

    walk(root)
    flush()
    return title, raw


READERS: dict[str, Callable[[str], tuple[str, list[RawBlock]]]] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
}
# The format each suffix is filed under (filters and facets: `type:html`).
FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
