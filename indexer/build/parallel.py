"""Full builds on every core: writer processes, each analysing the passages it is
given and writing them as segments of the same index, which the builder then
commits in one TOC, as Whoosh's MpWriter does.

Writers never read a file (readers do, in indexer/build/isolation.py): the
passages reach them as the bytes readers made of them. Unlike MpWriter's,
they die with the builder, which holds the build lock.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BuildError
from ..storage.writer import PackWriter
from .children import FORK, become_child, start
from .documents import add_passages, decode_passages

_FINISH = b""  # the message that ends a writer's input
INBOX = 4  # files' passages a writer holds, received and not yet written


@dataclass
class _Writer:
    process: object
    conn: Connection
    load: int = 0  # bytes of passages sent to it


class SegmentWriters:
    """`procs` writer processes over the empty index at `index_dir`. Use as a context
    manager: on an error they are killed and nothing is committed."""

    def __init__(self, index_dir: Path, procs: int) -> None:
        self.index_dir = index_dir
        self._writers: list[_Writer] = []
        for _ in range(procs):
            ours, theirs = FORK.Pipe(duplex=True)
            process = FORK.Process(
                target=_writer, args=(theirs, index_dir, os.getpid()), daemon=True
            )
            start(process)
            theirs.close()
            self._writers.append(_Writer(process, ours))

    def __enter__(self) -> SegmentWriters:
        return self

    def __exit__(self, *exc) -> None:
        for writer in self._writers:
            writer.process.kill()
            writer.process.join()
            writer.conn.close()

    def add(self, passages: bytes | memoryview) -> None:
        """Send one file's encoded passages to the writer with the least to do."""
        writer = min(self._writers, key=lambda w: w.load)
        writer.load += len(passages)
        try:
            writer.conn.send_bytes(passages)
        except OSError:
            raise BuildError("A build worker died unexpectedly.") from None

    def commit(self) -> None:
        """Have every writer finish its segments, and commit them all in one TOC."""
        segments = []
        for writer in self._writers:
            writer.conn.send_bytes(_FINISH)
        for writer in self._writers:
            try:
                kind, payload = writer.conn.recv()
            except (EOFError, OSError):
                raise BuildError("A build worker died unexpectedly.") from None
            if kind == "error":
                raise BuildError(payload)
            segments.extend(payload)
        ix = whoosh_index.open_dir(str(self.index_dir))
        writer = PackWriter(ix)
        writer._close_segment()  # the builder wrote nothing itself
        writer._commit_toc(segments)
        writer._finish()


def _writer(conn: Connection, index_dir: Path, builder: int) -> None:
    become_child(builder)
    try:
        ix = whoosh_index.open_dir(str(index_dir))
        # _lk=False: the builder holds seedsearch's lock; writers share the index.
        writer = PackWriter(ix, _lk=False)
        inbox = _receiving(conn)
        while message := inbox.get():
            add_passages(writer, decode_passages(message))
        # Not commit() or cancel(): the builder commits every writer's segments in
        # one TOC, and cancel() would destroy the temp folder the writers share.
        conn.send(("done", writer.finish_segments()))
    except Exception as exc:  # reported to the builder, which fails cleanly
        conn.send(("error", f"build worker failed: {exc.__class__.__name__}: {exc}"))
    finally:
        conn.close()


def _receiving(conn: Connection) -> queue.Queue:
    """The messages of `conn`, read ahead by a thread: the builder hands a writer
    its next file at once instead of waiting until it is done with the last, and
    so goes back to the readers. A few are held at most, so a slow writer still
    holds the build back rather than filling memory."""
    inbox: queue.Queue = queue.Queue(maxsize=INBOX)

    def receive() -> None:
        try:
            while message := conn.recv_bytes():
                inbox.put(message)
        except (EOFError, OSError):  # the builder is gone: this process dies with it
            pass
        inbox.put(_FINISH)

    threading.Thread(target=receive, name="receive", daemon=True).start()
    return inbox
