"""Full builds on every core: each worker process reads, splits, analyses and
writes its own share of the files as one Whoosh segment of the same index.

Whoosh's own MpWriter pickles every document to its workers and leaves them
orphaned (holding the build lock) if the builder is killed; here workers read
files themselves and die with their parent.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path

from whoosh import index as whoosh_index

from ..detection import preload
from ..errors import BuildError
from ..processes import die_with_parent
from ..storage.writer import PackWriter
from .documents import Scans, Tally, add_files


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
    scans: Scans = None,
) -> Tally:
    """Index `files` into the empty index at `index_dir` with `procs` workers."""
    ctx = multiprocessing.get_context("fork")
    preload()  # the language model, loaded once and shared by the forked workers
    workers, conns = [], []
    for part in shard(files, procs):
        parent_end, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_worker,
            args=(os.getpid(), index_dir, source, part, strict, scans, child_end),
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
    scans: Scans,
    conn: Connection,
) -> None:
    die_with_parent(signal.SIGKILL, builder)
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

        add_files(writer, source, files, strict, tally, tick, scans=scans)
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
