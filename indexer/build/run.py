"""Build and update the index: plan, write a new generation (serially or on
every core), record what was done and publish it atomically."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BuildError
from ..index import generations
from ..index.meta import BuildRecord, IndexMeta, write_meta
from ..models import BuildReport, count_formats
from ..readers import doc_id, find_files
from ..schema import build_schema
from ..storage.writer import PackWriter
from .documents import Tally, add_files
from .moves import copy_moves
from .parallel import write_parallel
from .plan import Plan, Previous, nothing_to_do, plan_changes, previous_generation

Progress = Callable[[int, int], None]  # called with (files done, files to do)


def build_index(
    source: Path,
    index_root: Path,
    *,
    full: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    procs: int | None = None,
) -> BuildReport:
    """Index `source` into `index_root`: incremental unless `full`; atomic either way.

    Raises BuildError (nothing published) when the source is unusable, when
    `strict` and a warning occurred, or when another build holds the lock.
    """
    started = time.perf_counter()
    source, index_root = Path(source), Path(index_root)
    if not source.is_dir():
        raise BuildError(f"Source folder {source} does not exist or is not a folder.")
    try:
        with generations.build_lock(index_root):
            report = _build_locked(source, index_root, full, strict, progress, procs, started)
    except OSError as exc:  # an index folder we cannot write, a full disk ...
        where = exc.filename or index_root
        raise BuildError(
            f"Cannot write the index at {index_root} ({exc.strerror or exc}: {where}); "
            "the index being served is unchanged."
        ) from None
    return replace(report, seconds=time.perf_counter() - started)


def _build_locked(
    source: Path,
    index_root: Path,
    full: bool,
    strict: bool,
    progress: Progress | None,
    procs: int | None,
    started: float,
) -> BuildReport:
    previous = previous_generation(index_root, full)
    walk_warnings: list[str] = []
    files = [(p, doc_id(p, source)) for p in find_files(source, walk_warnings)]
    if strict and walk_warnings:
        raise BuildError(f"--strict: {walk_warnings[0]}")
    plan = plan_changes(files, previous)
    if previous and nothing_to_do(plan, previous[1], walk_warnings):
        return BuildReport(
            unchanged=len(plan.unchanged),
            passages=sum(d.passages for d in plan.unchanged.values()),
            warnings=tuple(walk_warnings),
            generation=previous[1].generation,
        )
    number, scratch = generations.new_generation(index_root)
    try:
        report, meta = _write(source, scratch, number, previous, plan, strict, progress, procs)
        report = replace(
            report,
            warnings=tuple(walk_warnings) + report.warnings,
            seconds=time.perf_counter() - started,
        )
        write_meta(scratch, replace(meta, build=_record(report, full=previous is None)))
        generations.publish(index_root, scratch, number)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return report


def _record(report: BuildReport, full: bool) -> BuildRecord:
    """What this build did, kept in its generation's metadata for `seedsearch status`."""
    return BuildRecord(
        seconds=round(report.seconds, 3),
        full=full,
        added=report.added,
        updated=report.updated,
        moved=report.moved,
        removed=report.removed,
        unchanged=report.unchanged,
        warnings=report.warnings,
    )


def _write(
    source: Path,
    scratch: Path,
    number: int,
    previous: Previous | None,
    plan: Plan,
    strict: bool,
    progress: Progress | None,
    procs: int | None,
) -> tuple[BuildReport, IndexMeta]:
    """Write the generation's index; what was done, and the metadata to record."""
    known = previous[1].documents if previous else {}
    procs = procs if procs is not None else (os.cpu_count() or 1)
    if previous is None and procs > 1 and len(plan.changed) > 1:
        whoosh_index.create_in(str(scratch), build_schema())
        tally = write_parallel(scratch, source, plan.changed, procs, strict, progress)
    else:
        tally = _write_serial(source, scratch, previous, plan, strict, progress)
    documents = {**plan.unchanged, **tally.documents}
    meta = IndexMeta(
        generation=number,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        source=str(source.resolve()),
        documents=documents,
        skipped=tally.skipped,
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
    )
    return report, meta


def _write_serial(
    source: Path,
    scratch: Path,
    previous: Previous | None,
    plan: Plan,
    strict: bool,
    progress: Progress | None,
) -> Tally:
    """One writer: incremental updates (on a hard-linked copy) and small builds."""
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
        add_files(writer, source, changed, strict, tally, tick, replace=known)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return tally
