"""Build and update the index: plan, write a new generation (serially or on
every core), record what was done and publish it atomically; then read the
scanned pages waiting for OCR, publishing again as their text arrives."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BuildError, SeedsearchError
from ..index import generations
from ..index.meta import BuildRecord, DocMeta, IndexMeta, OcrRecord, write_meta
from ..index.progress import ProgressFile
from ..models import BuildReport, count_formats
from ..readers import doc_id, find_files
from ..readers.ocr import OcrSettings, OcrUnavailable, check, settings_from
from ..schema import build_schema
from ..storage.writer import PackWriter
from .cluster import ClusterFiles
from .documents import Scans, Tally, add_files
from .moves import copy_moves
from .ocr import read_pages, waiting_jobs
from .ocr_cache import OcrCache
from .parallel import write_parallel
from .plan import Plan, Previous, nothing_to_do, plan_changes, previous_generation

Progress = Callable[[int, int], None]  # called with (files done, files to do)
AddFiles = Callable[..., None]  # documents.add_files, or a cluster's
PUBLISH_EVERY = 30.0  # seconds of OCR between publications of the pages it read


class _Build:
    """One build's settings, and what it learns once (whether OCR can run)."""

    def __init__(
        self,
        source: Path,
        root: Path,
        strict: bool,
        procs: int,
        ocr: OcrSettings,
        cluster: ClusterFiles | None = None,
    ) -> None:
        self.source = source
        self.root = root
        self.strict = strict
        self.procs = procs
        self.ocr = ocr
        self.cluster = cluster  # reads the files on a Dask cluster, when given
        self.cache = OcrCache(root, ocr)
        self.started = time.perf_counter()
        self._problem: str | None = None

    @property
    def scans(self) -> Scans:
        """How readers find OCR text; None when OCR is off."""
        return self.cache.texts if self.ocr.enabled else None

    def problem(self) -> str:
        """Why OCR cannot run here ("" when it can); Tesseract is asked once a build."""
        if self._problem is None:
            try:
                check(self.ocr.langs)
                self._problem = ""
            except OcrUnavailable as exc:
                self._problem = str(exc)
        return self._problem

    def read_again(self, meta: DocMeta) -> bool:
        """Whether OCR has read pages of an unchanged document since it was indexed."""
        if not self.ocr.enabled or not meta.waiting:
            return False
        read = self.cache.pages(meta.sha)
        return any(page in read for page in meta.waiting)


def build_index(
    source: Path,
    index_root: Path,
    *,
    full: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    procs: int | None = None,
    ocr: OcrSettings | None = None,
    ocr_budget: float | None = None,
    ocr_progress: Progress | None = None,
    cluster: str | None = None,
) -> BuildReport:
    """Index `source` into `index_root`: incremental unless `full`; atomic either way.
    With `cluster` (a Dask scheduler's address) the files are read on its workers.

    The text that needs no OCR is published first; then the scanned pages waiting
    for OCR are read (for `ocr_budget` seconds at most, if given; the next build
    goes on), and published again every PUBLISH_EVERY seconds as they arrive.
    Raises BuildError when the source is unusable, when `strict` and a warning
    occurred, or when another build holds the lock; what was published stays.
    """
    started = time.perf_counter()
    source, index_root = Path(source), Path(index_root)
    if not source.is_dir():
        raise BuildError(f"Source folder {source} does not exist or is not a folder.")
    procs = procs if procs is not None else (os.cpu_count() or 1)
    if ocr is None:
        try:
            ocr = settings_from()  # SEEDSEARCH_OCR_LANG and _TIMEOUT, else the defaults
        except ValueError as exc:
            raise BuildError(str(exc)) from None
    try:
        with generations.build_lock(index_root):
            tracker = ProgressFile(index_root)
            try:
                files = ClusterFiles(cluster, tracker.cluster) if cluster else None
                build = _Build(source, index_root, strict, procs, ocr, files)
                report = _build_locked(build, full, _tracked(tracker, progress))
                if ocr.enabled:
                    report = _read_scans(build, report, ocr_budget, ocr_progress)
                _prune_cache(build)
            finally:
                tracker.close()
    except OSError as exc:  # an index folder we cannot write, a full disk ...
        where = exc.filename or index_root
        raise BuildError(
            f"Cannot write the index at {index_root} ({exc.strerror or exc}: {where}); "
            "the index being served is unchanged."
        ) from None
    return replace(report, seconds=time.perf_counter() - started)


def _tracked(tracker: ProgressFile, progress: Progress | None) -> Progress:
    """`progress`, also kept in the index folder for `seedsearch status`."""

    def report(done: int, total: int) -> None:
        tracker.files(done, total)
        if progress:
            progress(done, total)

    return report


def _build_locked(
    build: _Build, full: bool, progress: Progress | None, carry: BuildReport | None = None
) -> BuildReport:
    """Plan, write and publish one generation. `carry` is what this build published
    before (the text without OCR): its record is this generation's too."""
    previous = previous_generation(build.root, full)
    walk_warnings: list[str] = []
    files = [(p, doc_id(p, build.source)) for p in find_files(build.source, walk_warnings)]
    if build.strict and walk_warnings:
        raise BuildError(f"--strict: {walk_warnings[0]}")
    plan = plan_changes(files, previous, build.read_again)
    if previous and nothing_to_do(plan, previous[1], walk_warnings):
        waiting = _waiting(previous[1].documents)
        return carry or BuildReport(
            unchanged=len(plan.unchanged),
            passages=sum(d.passages for d in plan.unchanged.values()),
            warnings=tuple(walk_warnings),
            generation=previous[1].generation,
            ocr_waiting=waiting,
        )
    number, scratch = generations.new_generation(build.root)
    try:
        report, meta = _write(build, scratch, number, previous, plan, progress)
        report = replace(
            report,
            warnings=tuple(walk_warnings) + report.warnings,
            seconds=time.perf_counter() - build.started,
        )
        if carry is not None:
            report = _carried(carry, report)
        write_meta(scratch, replace(meta, build=_record(report)))
        generations.publish(build.root, scratch, number)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return report


def _carried(first: BuildReport, again: BuildReport) -> BuildReport:
    """A build that published twice, as one: what it did first (what changed), with
    the pages OCR read since, and the state of the generation it published last."""
    new = tuple(w for w in again.warnings if w not in first.warnings)
    return replace(
        first,
        passages=again.passages,
        warnings=first.warnings + new,
        seconds=again.seconds,
        generation=again.generation,
        ocr_pages=again.ocr_pages,
        ocr_waiting=again.ocr_waiting,
        ocr_problem=again.ocr_problem,
    )


def _record(report: BuildReport) -> BuildRecord:
    """What this build did, kept in its generation's metadata for `seedsearch status`."""
    return BuildRecord(
        seconds=round(report.seconds, 3),
        full=report.full,
        added=report.added,
        updated=report.updated,
        moved=report.moved,
        removed=report.removed,
        unchanged=report.unchanged,
        warnings=report.warnings,
        cluster=report.cluster,
    )


def _write(
    build: _Build,
    scratch: Path,
    number: int,
    previous: Previous | None,
    plan: Plan,
    progress: Progress | None,
) -> tuple[BuildReport, IndexMeta]:
    """Write the generation's index; what was done, and the metadata to record."""
    known = previous[1].documents if previous else {}
    if progress:
        progress(0, len(plan.changed))  # the status shows the files to go from the start
    cluster = build.cluster
    on_cluster = cluster is not None and cluster.takes(plan, update=previous is not None)
    if on_cluster:
        tally = _write_serial(build, scratch, previous, plan, progress, cluster.add)
    elif previous is None and build.procs > 1 and len(plan.changed) > 1:
        whoosh_index.create_in(str(scratch), build_schema())
        tally = write_parallel(
            scratch, build.source, plan.changed, build.procs, build.strict, progress, build.scans
        )
    else:
        tally = _write_serial(build, scratch, previous, plan, progress)
    documents = {**plan.unchanged, **tally.documents}
    ocr = _ocr_record(build, documents, previous[1].ocr if previous else None)
    meta = IndexMeta(
        generation=number,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        source=str(build.source.resolve()),
        documents=documents,
        skipped=tally.skipped,
        ocr=ocr,
    )
    moved = sum(1 for m in plan.moved if m.new in tally.documents)  # still readable
    report = BuildReport(
        added=sum(1 for doc in tally.documents if doc not in known) - moved,
        updated=sum(1 for doc in tally.documents if doc in known),
        moved=moved,
        removed=sum(1 for doc in known if doc not in documents) - moved,
        unchanged=len(plan.unchanged),
        skipped=len(tally.skipped),
        passages=sum(d.passages for d in documents.values()),
        duplicates=tally.duplicates,
        warnings=tuple(tally.warnings),
        generation=number,
        formats=count_formats(tally.formats),
        full=previous is None,
        ocr_waiting=_waiting(documents),
        ocr_problem=ocr.problem if ocr else "",
        cluster=cluster.address if on_cluster else "",
    )
    return report, meta


def _ocr_record(
    build: _Build, documents: dict[str, DocMeta], before: OcrRecord | None
) -> OcrRecord | None:
    """How scanned pages are read, recorded once the index has any."""
    scanned = any(d.waiting or d.ocr_pages for d in documents.values())
    if not scanned and before is None:
        return None
    waiting = _waiting(documents) > 0
    return OcrRecord(
        enabled=build.ocr.enabled,
        langs=build.ocr.langs,
        seconds_per_page=round(build.cache.seconds_per_page(), 3) if scanned else 0.0,
        workers=build.procs,
        problem=build.problem() if build.ocr.enabled and waiting else "",
    )


def _waiting(documents: dict[str, DocMeta]) -> int:
    return sum(len(d.waiting) for d in documents.values())


def _write_serial(
    build: _Build,
    scratch: Path,
    previous: Previous | None,
    plan: Plan,
    progress: Progress | None,
    add: AddFiles = add_files,
) -> Tally:
    """One writer: incremental updates (on a hard-linked copy) and small builds.
    `add` writes the changed files: here, or as segments written by a cluster."""
    if previous:
        generations.link_copy(previous[0], scratch)
        ix = whoosh_index.open_dir(str(scratch))
    else:
        ix = whoosh_index.create_in(str(scratch), build_schema())
    known = set(previous[1].documents) if previous else set()
    writer = PackWriter(ix)
    tally, done = Tally(), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(plan.changed))

    try:
        for doc in plan.removed:
            writer.delete_by_term("doc", doc)
        changed = plan.changed
        if plan.moved:
            # Moves keep their passages (copied, not read again); the few that
            # cannot (a new extension) are read again under their new id.
            copied, again = copy_moves(writer, plan.moved, previous[1].documents)
            tally.documents.update(copied)
            for move in again:
                writer.delete_by_term("doc", move.old)
            changed = changed + [(m.path, m.new) for m in again]
        add(writer, build.source, changed, build.strict, tally, tick, known, build.scans)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return tally


def _read_scans(
    build: _Build, report: BuildReport, budget: float | None, progress: Progress | None
) -> BuildReport:
    """Read the pages waiting for OCR into the cache, publishing what was read every
    PUBLISH_EVERY seconds and at the end; for `budget` seconds at most, if given."""
    if not report.ocr_waiting or report.ocr_problem or budget is not None and budget <= 0:
        return report
    _gen, meta = generations.locate(build.root)
    jobs = waiting_jobs(build.source, meta.documents, build.cache)
    if not jobs:
        return report
    deadline = time.monotonic() + budget if budget is not None else None
    published, read, fresh = time.monotonic(), 0, False

    def done(job, text) -> None:
        nonlocal published, read, fresh, report
        if text is not None:  # None: the file changed meanwhile; the next build reads it
            build.cache.put(job.sha, job.page, text)
            read += 1
            fresh = True
        if progress:
            progress(read, len(jobs))
        if fresh and time.monotonic() - published >= PUBLISH_EVERY:
            report = _build_locked(build, False, None, replace(report, ocr_pages=read))
            published, fresh = time.monotonic(), False

    def more() -> bool:
        return deadline is None or time.monotonic() < deadline

    cluster = build.cluster
    if cluster is not None and cluster.takes_pages(jobs):
        cluster.read_pages(build.source, build.root, jobs, build.ocr, done, more)
    else:
        read_pages(jobs, build.ocr, build.procs, done, more)
    if fresh:
        report = _build_locked(build, False, None, replace(report, ocr_pages=read))
    return replace(report, ocr_pages=read)


def _prune_cache(build: _Build) -> None:
    """Forget OCR text of files the index no longer holds (deleted, or changed)."""
    gen = generations.current_dir(build.root)
    if gen is None or not build.cache.path.exists():
        return
    try:
        _gen, meta = generations.locate(build.root)
    except SeedsearchError:
        return
    build.cache.prune({d.sha for d in meta.documents.values()})
