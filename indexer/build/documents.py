"""Full builds on every core: each worker process reads, splits, analyses and
writes its own share of the files as one Whoosh segment of the same index.

Whoosh's own MpWriter pickles every document to its workers and leaves them
orphaned (holding the build lock) if the builder is killed; here workers read
files themselves and die with their parent.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BuildError
from ..index.meta import DocMeta
from ..models import FormatCount
from ..readers import Unreadable, format_of, parse_document, read_bytes, safe_name
from ..storage.writer import PackWriter
from .filing import filing
from .passages import data_note, passages_of


@dataclass
class Tally:
    """What writing a set of files produced."""

    documents: dict[str, DocMeta] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    passages: int = 0
    duplicates: int = 0
    formats: list[FormatCount] = field(default_factory=list)  # one per file read or skipped
    skipped: dict[str, str] = field(default_factory=dict)  # doc -> why


def add_files(
    writer,
    source: Path,
    files: list[tuple[Path, str]],
    strict: bool,
    tally: Tally,
    tick: Callable[[], None],
    replace: set[str] = frozenset(),
) -> None:
    """Add each file's passages to `writer`, deleting old ones of docs in `replace`."""
    for path, doc in files:
        try:
            document, split = _read(path, doc, source)
        except Unreadable as exc:
            tally.warnings.append(str(exc))
            why = ((exc.reason, 1),)
            tally.formats.append(FormatCount(format_of(path), skipped=1, reasons=why))
            tally.skipped[safe_name(doc)] = str(exc)
            if strict:
                raise BuildError(f"--strict: {exc}") from None
            if doc in replace:  # unreadable now: its old passages must go
                writer.delete_by_term("doc", doc)
            continue
        finally:
            tick()
        _note(tally, [*document.notes, data_note(document, split)], strict)
        pages = len(document.page_labels)
        tally.formats.append(FormatCount(document.format, 1, 0, pages, document.blank_pages))
        if doc in replace:
            writer.delete_by_term("doc", doc)
        filed = filing(document, _mtime(path))
        for p in split.passages:
            writer.add_document(
                id=p.id,
                doc=p.doc,
                ordinal=p.ordinal,
                start=p.start,
                end=p.end,
                page=p.page or None,
                page_label=p.page_label or None,
                folder="\n".join(filed.folders) or None,
                format=filed.format,
                year=filed.year,
                date=filed.date_number,
                title=p.title,
                section=p.section,
                body=p.text,
            )
        tally.documents[doc] = DocMeta(
            document.sha,
            document.title,
            len(split.passages),
            format=filed.format,
            date=filed.date,
            pages=len(document.page_labels),
            blank_pages=document.blank_pages,
        )
        tally.passages += len(split.passages)
        tally.duplicates += split.duplicates


def _read(path: Path, doc: str, source: Path):
    """A file's Document and its passages (at least one), or Unreadable saying why.

    A library failing on a malformed file (a parser's own exception) is that
    file's problem, not the build's: it is skipped with the error named."""
    try:
        document = parse_document(doc, path.suffix, read_bytes(path, source), path.parent)
        return document, passages_of(document)
    except (Unreadable, BuildError):
        raise
    except Exception as exc:
        name = safe_name(doc)
        raise Unreadable(
            f"{name}: could not be read ({exc.__class__.__name__}: {str(exc)[:200]})",
            "could not be read",
        ) from None


def _note(tally: Tally, notes: list[str], strict: bool) -> None:
    """Warnings about a document that was indexed all the same."""
    for note in filter(None, notes):
        tally.warnings.append(note)
        if strict:
            raise BuildError(f"--strict: {note}")


def shard(files: list[tuple[Path, str]], parts: int) -> list[list[tuple[Path, str]]]:
    """Split files into `parts` lists of about equal total size."""
    sized = sorted(files, key=lambda f: -_size(f[0]))
    shards: list[list[tuple[Path, str]]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for item in sized:
        k = loads.index(min(loads))
        shards[k].append(item)
        loads[k] += _size(item[0]) + 1
    return [s for s in shards if s]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def write_parallel(
    index_dir: Path,
    source: Path,
    files: list[tuple[Path, str]],
    procs: int,
    strict: bool,
    progress: Callable[[int, int], None] | None,
) -> Tally:
    """Index `files` into the empty index at `index_dir` with `procs` workers."""
    ctx = multiprocessing.get_context("fork")
    workers, conns = [], []
    for part in shard(files, procs):
        parent_end, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_worker,
            args=(os.getpid(), index_dir, source, part, strict, child_end),
            daemon=True,
        )
        proc.start()
        child_end.close()
        workers.append(proc)
        conns.append(parent_end)
    tally, segments, done = Tally(), [], 0
    try:
        pending = list(conns)
        while pending:
            for conn in wait(pending):
                try:
                    kind, payload = conn.recv()
                except EOFError:
                    raise BuildError("A build worker died unexpectedly.") from None
                if kind == "tick":
                    done += payload
                    if progress:
                        progress(done, len(files))
                elif kind == "error":
                    raise BuildError(payload)
                else:
                    written, part = payload
                    segments.extend(written)
                    tally.documents.update(part.documents)
                    tally.warnings.extend(part.warnings)
                    tally.passages += part.passages
                    tally.duplicates += part.duplicates
                    tally.formats.extend(part.formats)
                    tally.skipped.update(part.skipped)
                    pending.remove(conn)
    except BaseException:
        for proc in workers:
            proc.kill()
        raise
    finally:
        for proc in workers:
            proc.join()
    _commit_segments(index_dir, segments)
    return tally


def _commit_segments(index_dir: Path, segments: list) -> None:
    """Publish the workers' segments in one TOC, as Whoosh's MpWriter does."""
    ix = whoosh_index.open_dir(str(index_dir))
    writer = PackWriter(ix)
    writer._close_segment()  # the parent wrote nothing itself
    writer._commit_toc(segments)
    writer._finish()


def _worker(
    builder: int,
    index_dir: Path,
    source: Path,
    files: list[tuple[Path, str]],
    strict: bool,
    conn: Connection,
) -> None:
    _die_with_parent(builder)
    try:
        ix = whoosh_index.open_dir(str(index_dir))
        # _lk=False: the builder holds seedsearch's lock; workers share the index.
        writer = PackWriter(ix, _lk=False)
        tally = Tally()
        batch = 0

        def tick() -> None:
            nonlocal batch
            batch += 1
            if batch == 16:
                conn.send(("tick", batch))
                batch = 0

        add_files(writer, source, files, strict, tally, tick)
        conn.send(("tick", batch))
        # Not commit() or cancel(): the builder commits every worker's segments
        # in one TOC, and cancel() would destroy the temp folder workers share.
        conn.send(("done", (writer.finish_segments(), tally)))
    except BuildError as exc:
        conn.send(("error", exc.message))
    except Exception as exc:  # reported to the builder, which fails cleanly
        conn.send(("error", f"build worker failed: {exc.__class__.__name__}: {exc}"))
    finally:
        conn.close()


def _die_with_parent(builder: int) -> None:
    """Ask Linux to kill this worker when the builder dies, even by kill -9."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != builder:  # the builder died before prctl took effect
        os._exit(1)
