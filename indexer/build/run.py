"""Build and update the index: plan from stat, read what changed in worker
processes (each file within its limits), write a new generation (serially or
on every core), record what was done and publish it atomically; then read the
scanned pages waiting for OCR, publishing again as their text arrives."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BuildError, SeedsearchError
from ..index import generations
from ..index.meta import DocMeta, OcrRecord, write_meta
from ..index.progress import ProgressFile
from ..models import BuildReport
from ..readers import SourceFile, find_files
from ..readers.ocr import OcrSettings, OcrUnavailable, check, settings_from
from ..schema import build_schema
from ..storage.writer import PackWriter
from .cluster import ClusterFiles
from .documents import (
    FileResult,
    FileTask,
    Indexed,
    Same,
    Scans,
    Skipped,
    add_passages,
    decode_head,
    decode_passages,
)
from .isolation import DEFAULT_LIMITS, FileLimits, FilePool, ReaderPool
from .moves import copy_moves
from .ocr import read_pages, waiting_jobs
from .ocr_cache import OcrCache
from .outcome import Outcome, Tally, carried, waiting
from .parallel import SegmentWriters
from .plan import Move, Plan, Previous, pick_origin, plan, previous_generation

Progress = Callable[[int, int], None]  # called with (files done, files to do)
PUBLISH_EVERY = 30.0  # seconds of OCR between publications of the pages it read


def build_index(
    source: Path,
    index_root: Path,
    *,
    full: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    procs: int | None = None,
    limits: FileLimits = DEFAULT_LIMITS,
    retry_failed: bool = False,
    ocr: OcrSettings | None = None,
    ocr_budget: float | None = None,
    ocr_progress: Progress | None = None,
    cluster: str | None = None,
) -> BuildReport:
    """Index `source` into `index_root`: incremental unless `full`; atomic either way.
    Files are read by `procs` worker processes (one per usable CPU by default), each
    file within `limits`; files that failed are read again only once they have
    changed, or with `retry_failed`. With `cluster` (a Dask scheduler's address) the
    files are read on its workers.

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
    procs = procs if procs is not None else len(os.sched_getaffinity(0))
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
                build = _Build(source, index_root, strict, max(1, procs), limits, ocr, files)
                report = build.run(full, retry_failed, _tracked(tracker, progress))
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


class _Build:
    """One build's settings, and what it learns once (whether OCR can run)."""

    def __init__(
        self,
        source: Path,
        root: Path,
        strict: bool,
        procs: int,
        limits: FileLimits,
        ocr: OcrSettings,
        cluster: ClusterFiles | None = None,
    ) -> None:
        self.source = source
        self.root = root
        self.strict = strict
        self.procs = procs
        self.limits = limits
        self.ocr = ocr
        self.cluster = cluster  # reads the files on a Dask cluster, when given
        self.cluster_used = ""  # its address, once it has read files of this build
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

    def run(
        self,
        full: bool,
        retry_failed: bool,
        progress: Progress | None,
        carry: BuildReport | None = None,
    ) -> BuildReport:
        """Plan, read, write and publish one generation. `carry` is what this build
        published before (the text without OCR): its record is this generation's too."""
        previous = previous_generation(self.root, full)
        before = previous[1] if previous else None
        walk_warnings: list[str] = []
        files = find_files(self.source, walk_warnings)
        if self.strict and walk_warnings:
            raise BuildError(f"--strict: {walk_warnings[0]}")
        todo = plan(files, before, retry_failed, self.read_again)
        if self.strict and todo.skipped:
            raise BuildError(f"--strict: {min(s.warning for s in todo.skipped.values())}")
        outcome = Outcome(todo, Tally(self.strict), walk_warnings, before)
        if before and todo.idle(before) and tuple(walk_warnings) == before.walk_warnings:
            return carry or outcome.report(before.generation, before.ocr)
        number, scratch = generations.new_generation(self.root)
        try:
            with ReaderPool(self.procs, self.limits, self.scans) as pool:
                if previous is None:
                    self._write_full(scratch, todo, pool, outcome.tally, progress)
                elif not self._write_update(scratch, previous, outcome, pool, progress):
                    # Only files still skipped, or read to the content they had.
                    shutil.rmtree(scratch, ignore_errors=True)
                    return carry or outcome.report(before.generation, before.ocr)
            ocr = self._ocr_record(outcome.documents(), before.ocr if before else None)
            report = outcome.report(number, ocr)
            seconds = time.perf_counter() - self.started
            report = replace(report, seconds=seconds, cluster=self.cluster_used)
            if carry is not None:
                report = carried(carry, report)
            write_meta(scratch, outcome.meta(number, self.source, report, ocr))
            generations.publish(self.root, scratch, number)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return report

    def _ocr_record(
        self, documents: dict[str, DocMeta], before: OcrRecord | None
    ) -> OcrRecord | None:
        """How scanned pages are read, recorded once the index has any."""
        scanned = any(d.waiting or d.ocr_pages for d in documents.values())
        if not scanned and before is None:
            return None
        left = waiting(documents) > 0
        return OcrRecord(
            enabled=self.ocr.enabled,
            langs=self.ocr.langs,
            seconds_per_page=round(self.cache.seconds_per_page(), 3) if scanned else 0.0,
            workers=self.procs,
            problem=self.problem() if self.ocr.enabled and left else "",
        )

    def _write_full(
        self, scratch: Path, todo: Plan, pool: FilePool, tally: Tally, progress: Progress | None
    ) -> None:
        """A new index of every file: read on the cluster, if there is one; else, on
        several cores, writer processes take the passages the readers make; otherwise
        this process writes them."""
        ix = whoosh_index.create_in(str(scratch), build_schema())
        # Largest first, so that no worker is left with a big file at the end.
        order = sorted(todo.read, key=lambda f: -(f.stat.size if f.stat else 0))
        tasks = [FileTask(f.path, f.doc) for f in order]
        cluster = self._cluster_for(len(tasks), update=False)
        if cluster is None and self.procs > 1 and len(tasks) > 1:
            with SegmentWriters(scratch, self.procs) as writers:

                def hand(result: FileResult, body: memoryview | None) -> None:
                    if isinstance(result, Indexed):
                        writers.add(body)

                self._read(pool, None, None, tasks, tally, progress, hand)
                writers.commit()
            return
        writer = PackWriter(ix)
        try:

            def write(result: FileResult, body: memoryview | None) -> None:
                if isinstance(result, Indexed) and body is not None:
                    add_passages(writer, decode_passages(body))

            self._read(pool, cluster, writer, tasks, tally, progress, write)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def _write_update(
        self,
        scratch: Path,
        previous: Previous,
        outcome: Outcome,
        pool: FilePool,
        progress: Progress | None,
    ) -> bool:
        """Update a hard-linked copy of the previous generation; False when nothing
        came of it worth a new generation."""
        todo, tally = outcome.todo, outcome.tally
        known = previous[1].documents
        gone, files = self._find_moves(todo, pool, tally)
        generations.link_copy(previous[0], scratch)
        writer = PackWriter(whoosh_index.open_dir(str(scratch)))
        try:
            changed = bool(gone or tally.moves)
            for doc in [*gone, *(d for d in known if d in todo.skipped)]:
                writer.delete_by_term("doc", doc)
                changed = True
            tasks = [FileTask(f.path, f.doc, todo.same_as.get(f.doc, "")) for f in files]
            if tally.moves:
                # Moves keep their passages (copied, not read again); the few that
                # cannot (a new extension) are read again under their new id.
                copied, again = copy_moves(writer, tally.moves, known)
                tally.documents.update(copied)
                for move in again:
                    writer.delete_by_term("doc", move.old)
                tasks += [FileTask(m.path, m.new) for m in again]

            def write(result: FileResult, body: memoryview | None) -> None:
                nonlocal changed
                if isinstance(result, Same):
                    return
                if result.doc in known:  # read again, or unreadable now: its passages go
                    writer.delete_by_term("doc", result.doc)
                    changed = True
                if isinstance(result, Indexed):
                    if body is not None:  # else a cluster's workers wrote them
                        add_passages(writer, decode_passages(body))
                    changed = True

            cluster = self._cluster_for(len(tasks), update=True)
            self._read(pool, cluster, writer, tasks, tally, progress, write)
            if not (changed or outcome.news()):
                writer.cancel()
                return False
            writer.commit()
            return True
        except BaseException:
            writer.cancel()
            raise

    def _cluster_for(self, files: int, update: bool) -> ClusterFiles | None:
        """The cluster that reads these files, if there is one and it takes them."""
        if self.cluster is None or not files or not self.cluster.takes(files, update):
            return None
        self.cluster_used = self.cluster.address
        return self.cluster

    def _read(
        self,
        pool: FilePool,
        cluster: ClusterFiles | None,
        writer: PackWriter | None,
        tasks: list[FileTask],
        tally: Tally,
        progress: Progress | None,
        take: Callable[[FileResult, memoryview | None], None],
    ) -> None:
        """Read `tasks` in the pool, or on `cluster` (whose workers write the
        passages as segments that `writer` adopts); `take(result, passages)` for
        each file, its result counted in `tally` (passages None from a cluster)."""
        if progress:
            progress(0, len(tasks))  # the status shows the files to go from the start
        done = 0

        def one(result: FileResult, body: memoryview | None) -> None:
            nonlocal done
            tally.count(result)
            done += 1
            if progress:
                progress(done, len(tasks))
            take(result, body)

        if cluster is not None:
            cluster.read(
                writer, self.source, tasks, self.strict, self.scans, lambda r: one(r, None)
            )
            return
        for _task, data in pool.run(tasks):
            one(*decode_head(data))

    def _find_moves(
        self, todo: Plan, pool: FilePool, tally: Tally
    ) -> tuple[list[str], list[SourceFile]]:
        """Moves into `tally` (those stat found, and new files with the content of a
        document gone); the documents gone for good, and the files still to read."""
        tally.moves.extend(todo.moved)
        gone = {sha: list(docs) for sha, docs in todo.gone.items()}
        files = list(todo.read)
        if gone and todo.new:
            by_doc = {f.doc: f for f in todo.new}
            tasks = [FileTask(f.path, f.doc, hash_only=True) for f in todo.new]
            settled = set()
            for _task, data in pool.run(tasks):
                result, _body = decode_head(data)
                if isinstance(result, Same) and gone.get(result.sha):
                    origin = pick_origin(gone[result.sha], result.doc)
                    path = by_doc[result.doc].path
                    tally.moves.append(Move(origin, result.doc, path, result.stat))
                    settled.add(result.doc)
                elif isinstance(result, Skipped):
                    tally.count(result)  # unreadable: not worth a second try now
                    settled.add(result.doc)
            files = [f for f in files if f.doc not in settled]
        return sorted(doc for docs in gone.values() for doc in docs), files


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
            report = build.run(False, False, None, replace(report, ocr_pages=read))
            published, fresh = time.monotonic(), False

    def more() -> bool:
        return deadline is None or time.monotonic() < deadline

    cluster = build.cluster
    if cluster is not None and cluster.takes_pages(jobs):
        cluster.read_pages(build.source, build.root, jobs, build.ocr, done, more)
    else:
        read_pages(jobs, build.ocr, build.procs, done, more)
    if fresh:
        report = build.run(False, False, None, replace(report, ocr_pages=read))
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
