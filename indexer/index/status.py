"""What `seedsearch status`, /status and /api/status report: the served index
by folder and by format, the last build, the watcher, and every file skipped
with its reason. Names and counts only, never a document's text."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from ..errors import SeedsearchError
from ..formats import format_of
from . import generations
from .meta import BuildRecord, DocMeta, OcrRecord
from .progress import BuildProgress, read_progress
from .watch import WatchState, read_state


@dataclass(frozen=True)
class Count:
    """Documents and passages under one name (a folder, a format)."""

    name: str
    documents: int
    passages: int


@dataclass(frozen=True)
class Skipped:
    file: str  # path in the source folder
    reason: str


@dataclass(frozen=True)
class LastBuild:
    """What the build that wrote the served generation did."""

    finished_at: str
    seconds: float
    full: bool
    added: int
    updated: int
    moved: int
    removed: int
    unchanged: int
    skipped: int
    cluster: str  # the Dask scheduler whose workers read the files; "" for one machine


@dataclass(frozen=True)
class Watch:
    """The watcher, when one is running."""

    mode: str  # "inotify", "polling", or "none" while the source folder is missing
    poll_seconds: float | None
    note: str  # why polling though inotify was not ruled out, or why not watching
    activity: str  # "starting", "idle", "pending", "building", "waiting" or "retrying"
    since: str
    pending_since: str | None  # the oldest change not built yet
    builds: int  # builds finished since it started
    error: str | None  # why the last build failed, until one succeeds
    failures: int  # failed builds in a row
    retry_at: str | None


@dataclass(frozen=True)
class Ocr:
    """Scanned pages and images: how many pages OCR has read, how many are to go."""

    enabled: bool
    langs: str  # Tesseract's languages: "eng+rus"
    pages_read: int
    pages_waiting: int
    files_waiting: int
    seconds_left: float | None  # at the rate measured so far; None before any page
    problem: str | None  # why OCR cannot run (Tesseract or a language not installed)

    def estimate(self) -> str:
        """ "about 12 min" ("" when there is nothing to estimate)."""
        if self.seconds_left is None or not self.pages_waiting:
            return ""
        minutes = self.seconds_left / 60
        if minutes < 1:
            return "under a minute"
        if minutes < 90:
            return f"about {minutes:.0f} min"
        return f"about {minutes / 60:.1f} h"


@dataclass(frozen=True)
class Status:
    generation: int | None  # None when no index is served
    built_at: str | None
    documents: int
    passages: int
    problem: str | None  # why no index is served
    building: bool  # a build is running: the watcher's or a `seedsearch index`
    progress: BuildProgress | None  # that build's files done and to go, and its cluster
    pending: bool  # the watcher has seen changes it has not built yet
    watch: Watch | None
    last_build: LastBuild | None
    folders: tuple[Count, ...]  # documents by the folder they are in ("" for the top)
    formats: tuple[Count, ...]
    languages: tuple[Count, ...]  # documents with passages in each language, and those passages
    skipped: tuple[Skipped, ...]
    ocr: Ocr | None = None  # None when the index has no scanned page

    def to_json(self) -> dict:
        """The /api/status and `seedsearch status --json` shape."""
        out = asdict(self)
        for key in ("folders", "formats", "languages", "skipped"):
            out[key] = list(out[key])
        return out


def collect(root: Path) -> Status:
    """The status of the index folder `root`."""
    watcher = read_state(root)
    try:
        _gen, meta = generations.locate(root)
        problem = None
    except SeedsearchError as exc:
        meta, problem = None, exc.message
    progress = read_progress(root)
    building = (
        (watcher is not None and watcher.building)
        or build_holder(root) is not None
        or progress is not None
    )
    documents = meta.documents if meta else {}
    record = meta.build if meta else None
    skipped = _skipped(record.warnings) if record else ()
    return Status(
        generation=meta.generation if meta else None,
        built_at=meta.built_at if meta else None,
        documents=len(documents),
        passages=sum(d.passages for d in documents.values()),
        problem=problem,
        building=building,
        progress=progress,
        pending=watcher is not None and watcher.pending,
        watch=_watch(watcher) if watcher else None,
        last_build=_last_build(meta.built_at, record, len(skipped)) if record else None,
        folders=_counts(documents, lambda doc, _d: _folder(doc)),
        formats=_counts(documents, lambda doc, d: d.format or format_of(doc)),
        languages=_languages(documents),
        skipped=skipped,
        ocr=_ocr(meta.ocr, documents) if meta and meta.ocr else None,
    )


def _ocr(record: OcrRecord, documents: dict[str, DocMeta]) -> Ocr:
    waiting = sum(len(d.waiting) for d in documents.values())
    rate = record.seconds_per_page / max(record.workers, 1)
    runs = record.enabled and not record.problem
    return Ocr(
        enabled=record.enabled,
        langs=record.langs,
        pages_read=sum(d.ocr_pages for d in documents.values()),
        pages_waiting=waiting,
        files_waiting=sum(1 for d in documents.values() if d.waiting),
        seconds_left=round(waiting * rate, 1) if runs and rate else None,
        problem=record.problem or None,
    )


def _counts(documents: dict[str, DocMeta], key) -> tuple[Count, ...]:
    docs: Counter[str] = Counter()
    passages: Counter[str] = Counter()
    for doc, meta in documents.items():
        name = key(doc, meta)
        docs[name] += 1
        passages[name] += meta.passages
    return tuple(Count(name, docs[name], passages[name]) for name in sorted(docs))


def _languages(documents: dict[str, DocMeta]) -> tuple[Count, ...]:
    """Per language, the documents with passages in it and those passages, most
    passages first."""
    docs: Counter[str] = Counter()
    passages: Counter[str] = Counter()
    for meta in documents.values():
        for lang, count in meta.languages.items():
            docs[lang] += 1
            passages[lang] += count
    ordered = sorted(passages, key=lambda lang: (-passages[lang], lang))
    return tuple(Count(lang, docs[lang], passages[lang]) for lang in ordered)


def _folder(doc: str) -> str:
    parent = PurePosixPath(doc).parent.as_posix()
    return "" if parent == "." else parent


def _skipped(warnings: tuple[str, ...]) -> tuple[Skipped, ...]:
    """Each build warning, "FILE: reason", as a file and its reason."""
    out = []
    for warning in warnings:
        file, _, reason = warning.partition(": ")
        out.append(Skipped(file, reason))
    return tuple(sorted(out, key=lambda s: s.file))


def _last_build(built_at: str, record: BuildRecord, skipped: int) -> LastBuild:
    return LastBuild(
        finished_at=built_at,
        seconds=record.seconds,
        full=record.full,
        added=record.added,
        updated=record.updated,
        moved=record.moved,
        removed=record.removed,
        unchanged=record.unchanged,
        skipped=skipped,
        cluster=record.cluster,
    )


def _watch(state: WatchState) -> Watch:
    return Watch(
        mode=state.mode,
        poll_seconds=state.interval,
        note=state.reason,
        activity=state.activity,
        since=state.since,
        pending_since=state.pending_since or None,
        builds=state.builds,
        error=state.error or None,
        failures=state.failures,
        retry_at=state.retry_at or None,
    )


def build_holder(root: Path) -> int | None:
    """The pid holding `root`'s build lock, read from /proc/locks (Linux), or None.

    Never by trying the lock: that would make a `seedsearch index` started at the
    same moment fail with "another build is running".
    """
    try:
        st = os.stat(root / generations.LOCK_FILE)
        locks = Path("/proc/locks").read_text("ascii", errors="replace")
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in locks.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4711 fe:00:2148603 0 EOF"; "->" marks a waiter
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device:
            return int(fields[4]) if fields[4].isdigit() else None
    return None
