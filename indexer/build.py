"""Build and update the index: the only module that writes it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from . import store
from .errors import BuildError, IndexBroken
from .models import BuildReport, Document, Passage
from .passages import split_document
from .readers import Unreadable, content_hash, doc_id, find_files, parse_document, read_bytes
from .schema import build_schema

Progress = Callable[[int, int], None]  # called with (files done, files to do)


@dataclass(frozen=True)
class _Plan:
    """What a build has to do; a full build has no previous documents."""

    changed: list[tuple[Path, str]]  # (path, doc id) to read and (re)index
    removed: list[str]
    unchanged: dict[str, store.DocMeta]


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
    with store.build_lock(index_root):
        previous = _previous(index_root, full)
        files = [(p, doc_id(p, source)) for p in find_files(source)]
        plan = _plan(files, previous)
        if previous and not plan.changed and not plan.removed:
            return BuildReport(
                unchanged=len(plan.unchanged),
                passages=sum(d.passages for d in plan.unchanged.values()),
                seconds=time.perf_counter() - started,
                generation=previous[1].generation,
            )
        number, scratch = store.new_generation(index_root)
        try:
            report = _write(source, scratch, number, previous, plan, strict, progress, procs)
            store.publish(index_root, scratch, number)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return BuildReport(**{**report.__dict__, "seconds": time.perf_counter() - started})


def _previous(root: Path, full: bool) -> tuple[Path, store.IndexMeta] | None:
    """The generation to update, or None when a full build is wanted or needed."""
    if full:
        return None
    gen = store.current_dir(root)
    if gen is None or not gen.exists():
        return None
    try:
        meta = store.read_meta(gen)
    except IndexBroken:
        return None  # a damaged index is rebuilt from scratch
    if not meta.compatible() or not whoosh_index.exists_in(gen):
        return None
    return gen, meta


def _plan(files: list[tuple[Path, str]], previous) -> _Plan:
    """Compare content hashes with the previous generation's."""
    if previous is None:
        return _Plan(changed=files, removed=[], unchanged={})
    known = previous[1].documents
    changed, unchanged = [], {}
    for path, doc in files:
        old = known.get(doc)
        try:
            same = old is not None and content_hash(path.read_bytes()) == old.sha
        except OSError:
            same = False  # reported when the build reads it
        if same:
            unchanged[doc] = old
        else:
            changed.append((path, doc))
    seen = {doc for _, doc in files}
    return _Plan(changed=changed, removed=sorted(set(known) - seen), unchanged=unchanged)


def _write(
    source: Path,
    scratch: Path,
    number: int,
    previous: tuple[Path, store.IndexMeta] | None,
    plan: _Plan,
    strict: bool,
    progress: Progress | None,
    procs: int | None,
) -> BuildReport:
    known = previous[1].documents if previous else {}
    documents: dict[str, store.DocMeta] = dict(plan.unchanged)
    if previous:
        store.link_copy(previous[0], scratch)
        ix = whoosh_index.open_dir(str(scratch))
    else:
        ix = whoosh_index.create_in(str(scratch), build_schema())
    writer = _writer(ix, procs, previous is None, len(plan.changed))
    warnings: list[str] = []
    done = 0
    counts = {"added": 0, "updated": 0, "passages": 0, "duplicates": 0}
    try:
        for doc in plan.removed:
            writer.delete_by_term("doc", doc)
        for path, doc in plan.changed:
            try:
                data = read_bytes(path, source)
                old = known.get(doc)
                document = parse_document(doc, path.suffix, data)
            except Unreadable as exc:
                warnings.append(str(exc))
                if strict:
                    raise BuildError(f"--strict: {exc}") from None
                if doc in known:  # unreadable now: its old passages must go
                    writer.delete_by_term("doc", doc)
                continue
            finally:
                done += 1
                if progress:
                    progress(done, len(plan.changed))
            if old is not None:
                writer.delete_by_term("doc", doc)
            n, dups = _add_document(writer, document)
            documents[doc] = store.DocMeta(sha=document.sha, title=document.title, passages=n)
            counts["updated" if old is not None else "added"] += 1
            counts["duplicates"] += dups
        writer.commit(optimize=previous is None)
    except BaseException:
        writer.cancel()
        raise
    counts["passages"] = sum(d.passages for d in documents.values())
    removed = sum(1 for doc in known if doc not in documents)
    store.write_meta(
        scratch,
        store.IndexMeta(
            generation=number,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=str(source.resolve()),
            documents=documents,
        ),
    )
    return BuildReport(
        removed=removed,
        unchanged=len(plan.unchanged),
        warnings=tuple(warnings),
        generation=number,
        **counts,
    )


def _writer(ix, procs: int | None, fresh: bool, files: int):
    procs = procs if procs is not None else (os.cpu_count() or 1)
    if fresh and procs > 1 and files >= 64:
        return ix.writer(procs=procs, limitmb=256, multisegment=False)
    return ix.writer(limitmb=256)


def _add_document(writer, document: Document) -> tuple[int, int]:
    split = split_document(document)
    for passage in split.passages:
        writer.add_document(**passage_fields(passage))
    return len(split.passages), split.duplicates


def passage_fields(passage: Passage) -> dict:
    """The Whoosh fields of one passage."""
    return {
        "id": passage.id,
        "doc": passage.doc,
        "ordinal": passage.ordinal,
        "start": passage.start,
        "end": passage.end,
        "title": passage.title,
        "section": passage.section,
        "body": passage.text,
    }
