"""Read files in worker processes, each file under a time and a memory limit.

A reader that crashes (a native library's segfault), runs past its time or
past its memory takes only its worker down: the file is skipped with the
reason, the worker is replaced, and the build goes on. Recoll's filters with
`filtermaxseconds` and `filtermaxmbytes`, and Tika's forked parser, do the
same. The work per file is `run_limited(task, limits)`, bytes out; the pool
only moves tasks and bytes, so another pool (a cluster's) can take its place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import resource
import selectors
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Protocol

from ..detection import preload
from ..errors import BuildError
from ..readers import reader_for, safe_name
from .children import FORK, become_child, start
from .documents import FileRead, FileTask, Scans, encode, read_file, skipped, stat_of

DEFAULT_SECONDS = 300.0  # a 2,000-page PDF takes well under a minute
DEFAULT_MEMORY = 2 << 30  # bytes: a 200 MB PDF's text needs a fraction of it
IN_FLIGHT = 2  # tasks sent to a worker at once: it never waits for the next one
STOPPED = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}  # a worker killed by these was asked
_RESULT, _LAST = b".", b"!"  # a result; a result after which the worker exits


@dataclass(frozen=True)
class FileLimits:
    """What reading one file may take: wall-clock seconds, and memory in bytes
    beyond what the worker already holds."""

    seconds: float = DEFAULT_SECONDS
    memory: int = DEFAULT_MEMORY


DEFAULT_LIMITS = FileLimits()


def describe_bytes(size: int) -> str:
    """2147483648 -> "2 GB", 314572800 -> "300 MB" (binary units, as `free` shows them)."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


# -- in the worker ------------------------------------------------------------------


def run_limited(task: FileTask, limits: FileLimits, scans: Scans = None) -> tuple[bytes, bool]:
    """Read one file with its memory limited; its result as bytes, and whether the
    process should be replaced (it ran out of memory, and may be in a bad way).
    The time limit is the caller's to enforce: only a kill stops native code."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + limits.memory
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        try:
            return encode(read_file(task, scans)), False
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except MemoryError:
        pass
    reason = f"needed more than {describe_bytes(limits.memory)}"
    return encode(_failed(task, reason)), True


def _address_space() -> int:
    """This process's virtual memory now, in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _worker(conn: Connection, limits: FileLimits, scans: Scans, builder: int) -> None:
    become_child(builder)
    while True:
        try:
            task = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        data, retire = run_limited(task, limits, scans)
        conn.send_bytes((_LAST if retire else _RESULT) + data)
        if retire:
            return


# -- in the builder -----------------------------------------------------------------


class FilePool(Protocol):
    """What a build needs of whatever reads its files: tasks in, and each task's
    result out as bytes (`run_limited`'s), a file that killed its reader included."""

    def run(self, tasks: Iterable[FileTask]) -> Iterator[tuple[FileTask, bytes]]: ...

    def close(self) -> None: ...


@dataclass(eq=False)  # each worker is itself: a key of the selector's
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    tasks: deque[FileTask] = field(default_factory=deque)  # sent; the first is being read
    since: float = 0.0  # when the first of `tasks` began (time.monotonic)


class ReaderPool:
    """A FilePool of up to `procs` worker processes on this machine, reading files
    under `limits` (scanned pages from what OCR read, `scans`); a worker that dies
    or overruns is replaced. Use as a context manager."""

    def __init__(self, procs: int, limits: FileLimits, scans: Scans = None) -> None:
        self.procs = max(1, procs)
        self.limits = limits
        self.scans = scans
        self._workers: list[_Worker] = []
        self._selector = selectors.DefaultSelector()  # the workers' pipes, kept registered

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, tasks: Iterable[FileTask]) -> Iterator[tuple[FileTask, bytes]]:
        """Each task with its result as bytes (indexer.build.documents.encode), in
        the order they finish; tasks are started in the order given."""
        queue = deque(tasks)
        while len(self._workers) < min(self.procs, len(queue)):
            self._workers.append(self._start())
        while queue or any(w.tasks for w in self._workers):
            for worker in self._workers:
                while queue and len(worker.tasks) < IN_FLIGHT:
                    self._send(worker, queue.popleft())
            busy = [w for w in self._workers if w.tasks]
            events = self._selector.select(self._next_deadline(busy))
            ready = {key.data for key, _mask in events}
            for worker in ready.difference(busy):  # died with nothing to do
                self._retire(worker, queue)
            for worker in busy:
                if worker in ready:
                    yield self._receive(worker, queue)
                elif self._overdue(worker):
                    task = worker.tasks.popleft()
                    self._retire(worker, queue)
                    yield task, encode(_failed(task, self._timeout()))

    def close(self) -> None:
        """Stop every worker (killed: a worker may be stuck in a reader)."""
        for worker in self._workers:
            worker.process.kill()
        for worker in self._workers:
            worker.process.join()
            worker.conn.close()
        self._workers.clear()
        self._selector.close()

    def _start(self) -> _Worker:
        preload()  # the language model, loaded once and shared by the forked workers
        ours, theirs = FORK.Pipe(duplex=True)
        process = FORK.Process(
            target=_worker, args=(theirs, self.limits, self.scans, os.getpid()), daemon=True
        )
        start(process)
        theirs.close()  # so that the worker's death reads as the end of the pipe
        worker = _Worker(process, ours)
        self._selector.register(ours, selectors.EVENT_READ, worker)
        return worker

    def _send(self, worker: _Worker, task: FileTask) -> None:
        if not worker.tasks:
            worker.since = time.monotonic()
        worker.tasks.append(task)
        # If it died, the end of its pipe says so, and the task is still listed.
        with contextlib.suppress(OSError):
            worker.conn.send_bytes(pickle.dumps(task))

    def _receive(self, worker: _Worker, queue: deque[FileTask]) -> tuple[FileTask, bytes]:
        task = worker.tasks.popleft()
        try:
            message = worker.conn.recv_bytes()
        except (EOFError, OSError):  # it died, perhaps half-way through a message
            worker.process.join()
            code = worker.process.exitcode
            if code is not None and -code in STOPPED:
                # Stopped, not crashed (a service manager ending everything): the
                # build stops too, rather than record the file as failed.
                stopped = signal.Signals(-code).name
                raise BuildError(f"A reader was stopped ({stopped}).") from None
            reason = _death(task, code)
            self._retire(worker, queue)
            return task, encode(_failed(task, reason))
        worker.since = time.monotonic()  # its next task, if any, began
        if message[:1] == _LAST:  # out of memory: it exits, its next task goes elsewhere
            self._retire(worker, queue)
        return task, message[1:]

    def _retire(self, worker: _Worker, queue: deque[FileTask]) -> None:
        """Stop `worker`, put the tasks it had not begun back at the front of the
        queue, and start another in its place."""
        worker.process.kill()
        worker.process.join()
        self._selector.unregister(worker.conn)
        worker.conn.close()
        queue.extendleft(reversed(worker.tasks))
        self._workers[self._workers.index(worker)] = self._start()

    def _timeout(self) -> str:
        return f"took longer than {self.limits.seconds:g} s"

    def _overdue(self, worker: _Worker) -> bool:
        late = time.monotonic() - worker.since > self.limits.seconds
        return late and not worker.conn.poll(0)  # a result on its way is not late

    def _next_deadline(self, busy: list[_Worker]) -> float | None:
        if not busy:
            return None
        first = min(w.since for w in busy) + self.limits.seconds
        return max(0.0, first - time.monotonic()) + 0.01


def _death(task: FileTask, code: int | None) -> str:
    """Why the file a worker died on was not read: its crash, named as Recoll and
    Tika name theirs, with the library that crashed when the format has one."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        reader = reader_for(task.doc)
        crashed = f"{reader.engine} crashed" if reader and reader.engine else "crashed"
        return f"{crashed} (signal {name})"
    return f"its reader exited with status {code}"


def _failed(task: FileTask, reason: str) -> FileRead:
    """A file skipped for a reason of the pool's (a crash, the time or memory limit),
    remembered with its stat so that it is not read again until it changes."""
    warning = f"{safe_name(task.doc)}: {reason}"
    return FileRead(skipped(task, warning, reason, stat_of(task.path)))
