"""A generation's metadata: what it holds (documents, skipped files) and the
build that wrote it, kept as `seedsearch.json` beside the Whoosh files."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..analysis import ANALYZER_VERSION
from ..errors import IndexBroken
from ..models import FileStat

FORMAT_VERSION = 3  # 2: postings in pack files (indexer/storage); 3: page maps, OCR marks
# What each analyzer version changed, for the message that asks for a rebuild.
ANALYZER_CHANGES = {3: "each passage is now analysed in its own language"}
META_FILE = "seedsearch.json"


@dataclass(frozen=True)
class DocMeta:
    sha: str
    title: str
    passages: int
    format: str = ""
    date: str = ""  # the document's own date, else its file's modification date
    pages: int = 0  # physical pages of a paged format; 0 when unpaged
    blank_pages: int = 0  # of which without a text layer (scans)
    ocr_pages: int = 0  # pages whose text OCR read
    waiting: tuple[int, ...] = ()  # scanned pages OCR has not read yet
    lang: str = ""  # the document's language (ISO 639-1), most of its text's
    languages: dict[str, int] = field(default_factory=dict)  # passages per language

    # The file's stat when it was read. size -1: not recorded (an older generation);
    # mtime_ns 0: modified so shortly before it was read that a later write could
    # share its timestamp, so the next build compares content, not stat.
    size: int = -1
    mtime_ns: int = 0
    inode: int = 0

    @property
    def stat(self) -> FileStat | None:
        """The stat that says the file is unchanged, or None if there is none to trust."""
        if self.size < 0 or not self.mtime_ns:
            return None
        return FileStat(self.size, self.mtime_ns, self.inode)

    @property
    def settled(self) -> bool:
        """Whether a trusted stat was recorded (one that moved is news)."""
        return self.stat is not None


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the index and why; when reading it failed, its stat then,
    so that it is not read again until it changes."""

    warning: str  # "FILE: reason", as printed
    reason: str  # the reason in a few words ("binary file", "crashed (signal SIGSEGV)")
    format: str  # "" in generations written before it was recorded
    size: int = -1  # -1: nothing remembered, the next build tries again
    mtime_ns: int = 0
    inode: int = 0
    ctime_ns: int = 0  # moved by chmod too: a file made readable is tried again

    @classmethod
    def of(cls, warning: str, reason: str, fmt: str, stat: FileStat | None) -> SkippedFile:
        if stat is None:
            return cls(warning, reason, fmt)
        return cls(warning, reason, fmt, stat.size, stat.mtime_ns, stat.inode, stat.ctime_ns)

    def still(self, stat: FileStat | None) -> bool:
        """Whether the file is as it was when it failed, so reading it would fail again."""
        return (
            self.size >= 0
            and stat is not None
            and (self.size, self.mtime_ns, self.inode, self.ctime_ns)
            == (stat.size, stat.mtime_ns, stat.inode, stat.ctime_ns)
        )


@dataclass(frozen=True)
class OcrRecord:
    """How the last build read scanned pages, for the status's estimate."""

    enabled: bool
    langs: str
    seconds_per_page: float  # measured over this index's pages so far; 0 before any
    workers: int  # pages read at once
    problem: str = ""  # why OCR cannot run: Tesseract or a language not installed


@dataclass(frozen=True)
class BuildRecord:
    """What the build that wrote a generation did, for `seedsearch status`."""

    seconds: float
    full: bool  # rebuilt from scratch rather than updated
    added: int
    updated: int
    moved: int
    removed: int
    unchanged: int
    warnings: tuple[str, ...] = ()  # "FILE: reason" for each file skipped
    cluster: str = ""  # the Dask scheduler whose workers read the files; "" for one machine


@dataclass(frozen=True)
class IndexMeta:
    """What a generation records about itself, beside the Whoosh files."""

    generation: int
    built_at: str
    source: str
    documents: dict[str, DocMeta] = field(default_factory=dict)
    skipped: dict[str, SkippedFile] = field(default_factory=dict)  # by file
    walk_warnings: tuple[str, ...] = ()  # folders that could not be listed, pipes ...
    format: int = FORMAT_VERSION
    analyzer: int = ANALYZER_VERSION
    build: BuildRecord | None = None  # None in generations written before it was recorded
    ocr: OcrRecord | None = None  # None when no build of it met a scanned page

    def compatible(self) -> bool:
        return self.format == FORMAT_VERSION and self.analyzer == ANALYZER_VERSION

    def mismatch(self) -> str:
        """Why this seedsearch cannot read the generation ("" when it can)."""
        if self.analyzer != ANALYZER_VERSION:
            return (
                f"its words were analysed by analyzer version {self.analyzer} and this "
                f"seedsearch searches version {ANALYZER_VERSION} "
                f"({ANALYZER_CHANGES.get(ANALYZER_VERSION, 'words are analysed anew')})"
            )
        if self.format != FORMAT_VERSION:
            return f"it is in index format {self.format}; this seedsearch reads {FORMAT_VERSION}"
        return ""


def write_meta(gen_dir: Path, meta: IndexMeta) -> None:
    tmp = gen_dir / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(_plain(meta), ensure_ascii=False, separators=(",", ":")), "utf-8")
    os.replace(tmp, gen_dir / META_FILE)


def _plain(meta: IndexMeta) -> dict:
    """The metadata as JSON values. Not asdict(), whose deep copy of 100,000
    documents takes seconds: their records hold plain values, read as they are."""
    out = {f.name: getattr(meta, f.name) for f in fields(meta)}
    out["documents"] = {doc: vars(d) for doc, d in meta.documents.items()}
    out["skipped"] = {file: vars(s) for file, s in meta.skipped.items()}
    out["build"] = asdict(meta.build) if meta.build is not None else None
    out["ocr"] = asdict(meta.ocr) if meta.ocr is not None else None
    return out


def read_meta(gen_dir: Path) -> IndexMeta:
    """The metadata of a generation; IndexBroken if it is unreadable."""
    try:
        raw = json.loads((gen_dir / META_FILE).read_text("utf-8"))
        docs = {
            k: DocMeta(**{**v, "waiting": tuple(v.get("waiting", ()))})
            for k, v in raw.pop("documents").items()
        }
        skipped = {k: _skipped(v) for k, v in raw.pop("skipped", {}).items()}
        build = raw.pop("build", None)
        if build is not None:
            build = BuildRecord(**{**build, "warnings": tuple(build.get("warnings", ()))})
        ocr = raw.pop("ocr", None)
        ocr = OcrRecord(**ocr) if ocr is not None else None
        walked = tuple(raw.pop("walk_warnings", ()))
        return IndexMeta(
            documents=docs, skipped=skipped, walk_warnings=walked, build=build, ocr=ocr, **raw
        )
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexBroken(
            f"The index at {gen_dir} is damaged ({exc.__class__.__name__}); "
            "rebuild it with `seedsearch index --full`."
        ) from None


def _skipped(value: str | dict) -> SkippedFile:
    """A skipped file's record; generations written before files were remembered
    kept the warning alone (tried again at the next build)."""
    if isinstance(value, str):
        return SkippedFile(value, value.rsplit(": ", 1)[-1], "")
    return SkippedFile(**value)
