"""Builds on a Dask cluster: the files are read, split, analysed and written as
segments by tasks on the cluster's workers; planning, committing and publishing
stay with the build that holds the lock, as on one machine.

Workers reach the documents and the new generation through a shared folder (the
same paths on every machine), so a task sends no text: it gets a batch of file
paths and returns its segments and their tally as one pickled bytes object
(Dask moves bytes fast and many small Python objects very slowly). Batches
hold up to BATCH_FILES files, fewer when there are few files to spread over the
workers; their segments are then merged on the workers into segments about the
size a build on one machine writes, so that searches do not pay for many.

A task is idempotent: each run writes segments under new names, and only the
segments of the run whose result arrives are committed; Whoosh's commit deletes
every other segment file, such as one half-written by a worker that died (Dask
runs its tasks again elsewhere).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import logging
import math
import os
import pickle
import re
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from ..analysis import ANALYZER_VERSION
from ..errors import BuildError
from ..index.meta import FORMAT_VERSION
from ..readers import LIMIT_ENV
from ..readers.ocr import OcrSettings, OcrUnavailable, PageText, check
from ..storage.writer import PackWriter
from .documents import FileResult, FileTask, Indexed, Scans, Skipped, add_passages, read_file
from .ocr import Job, read_file_pages

BATCH_FILES = 100  # files per task at most: a task costs a few milliseconds of overhead
BATCH_BYTES = 256 << 20  # and at most this much source, unless one file is larger
BATCHES_PER_THREAD = 4  # at least, when there are enough files: work is shared evenly
MERGE_BYTES = 100 << 20  # merged segments' size on disk; one machine's are about this
LOCAL_BELOW = 10  # an update with fewer files to read is written here, not on the cluster
CONNECT_SECONDS = 10.0
WORKER_WAIT = 10.0  # seconds to wait for a first worker to join
NO_WORKERS_SECONDS = 60.0  # a cluster without workers this long fails the build
POLL = 1.0  # seconds between looks at the cluster while tasks run
RETRIES = 1  # a task that raised (a network share's hiccup) is run once more
OCR_LOCAL_BELOW = 2  # scanned pages read here: one page gains nothing from a cluster
OCR_PAGES = 4  # pages of one file per OCR task at most: its file is read once for them
OCR_TASKS_PER_THREAD = 4  # at least, while pages allow: no thread is left alone at the end
OCR_IN_FLIGHT = 2  # OCR tasks per worker thread at once: the next waits as one ends
CHECK_FILE = ".cluster-check"
# [tcp|tls|ws|wss://]HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 one
ADDRESS = re.compile(r"(?:(?:tcp|tls|wss?)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s/:@\[\]]+):\d{1,5}")

Seen = Callable[[str, tuple[str, ...]], None]  # told the cluster's address and workers


@dataclass(frozen=True)
class Batch:
    """Files one task reads, in source order."""

    number: int
    files: list[FileTask]
    size: int


@dataclass(frozen=True)
class Written:
    """A task's result: its segments with their size on disk, and what became of
    each file it read."""

    segments: list[tuple[object, int]]  # (Whoosh segment, bytes)
    results: tuple[FileResult, ...] = ()
    error: str = ""  # a --strict warning: the build fails


class ClusterFiles:
    """Reads a build's files on the Dask cluster at `address`, in place of the
    reader pool: the workers write the passages as segments, and `read` commits
    them with the build's writer. A worker reads its batch in its own process,
    without the pool's per-file limits: a file that kills it fails its task, which
    Dask runs again elsewhere, then the build (as KilledWorker)."""

    def __init__(self, address: str, seen: Seen | None = None) -> None:
        self.address = check_address(address)
        self._seen = seen or (lambda _address, _workers: None)

    def takes(self, files: int, update: bool) -> bool:
        """Whether the cluster reads this build's `files` files: every full build, and
        updates with enough files that connecting to it costs less than reading them
        here."""
        return not update or files >= LOCAL_BELOW

    def read(
        self,
        writer: PackWriter,
        source: Path,
        files: list[FileTask],
        strict: bool,
        scans: Scans,
        done: Callable[[FileResult], None],
    ) -> None:
        """Index `files` on the cluster into new segments of `writer`'s index, which
        `writer` adopts at the end; `done(result)` for each file as its batch ends
        (the caller deletes there the old passages of a document read again).
        `scans` finds what OCR read, in the index folder the workers share."""
        if not files:
            return
        # Absolute, not resolved: the workers see the folders by the same paths,
        # not necessarily through the same links (find_files makes them so).
        index_dir = Path(writer.storage.folder).absolute()
        source = source.absolute()
        with _client(self.address) as client:
            threads = _check(client, self.address, source, index_dir, files)
            self._seen(self.address, tuple(sorted(threads)))
            run = _Run(client, self.address, index_dir, self._seen)
            batches = make_batches(files, sum(threads.values()))
            results = run.batches(batches, strict, scans, done)
            segments = run.merge([s for r in results for s in r.segments])
        writer.adopt(segments)

    def takes_pages(self, jobs: list[Job]) -> bool:
        """Whether the cluster reads these scanned pages: a page costs seconds of
        OCR, connecting to the cluster a fraction of one, so any two pages or more."""
        return len(jobs) >= OCR_LOCAL_BELOW

    def read_pages(
        self,
        source: Path,
        root: Path,
        jobs: list[Job],
        settings: OcrSettings,
        done: Callable[[Job, PageText | None], None],
        more: Callable[[], bool],
    ) -> None:
        """build.ocr.read_pages on the cluster: the pages read by tasks, a few of one
        file each; `done(job, text)` as each task returns, new tasks only while `more()`."""
        source = source.absolute()
        jobs = [Job(job.path.absolute(), job.doc, job.sha, job.page) for job in jobs]
        with _client(self.address) as client:
            files = [FileTask(str(job.path), job.doc) for job in jobs]
            threads = _check(client, self.address, source, root.absolute(), files)
            _check_ocr(client, settings)
            self._seen(self.address, tuple(sorted(threads)))
            run = _Run(client, self.address, root.absolute(), self._seen)
            slots = sum(threads.values())
            run.pages(page_tasks(jobs, slots), settings, done, more, slots)


def page_tasks(jobs: list[Job], threads: int) -> list[list[Job]]:
    """Consecutive pages of one file, in the jobs' order, up to OCR_PAGES a task, fewer
    when that would give the cluster's `threads` under OCR_TASKS_PER_THREAD tasks each:
    three files of four pages on two threads would leave one thread idle for a third
    of the time, where tasks of one page keep both busy to the end."""
    size = max(1, min(OCR_PAGES, len(jobs) // (max(1, threads) * OCR_TASKS_PER_THREAD)))
    tasks: list[list[Job]] = []
    for job in jobs:
        if tasks and tasks[-1][0].path == job.path and len(tasks[-1]) < size:
            tasks[-1].append(job)
        else:
            tasks.append([job])
    return tasks


def _check_ocr(client, settings: OcrSettings) -> None:
    """BuildError unless every worker has Tesseract and the languages asked for."""
    for worker, problem in sorted(_on_all(client, _ocr_problem, settings.langs)):
        if isinstance(problem, BaseException):
            problem = _reason(problem)
        if problem:
            raise BuildError(
                f"The Dask worker {worker} cannot read scanned pages: {problem}. "
                "The text without OCR is published; the scanned pages wait."
            )


# -- on the machine that builds --------------------------------------------------------


def check_address(address: str) -> str:
    """A Dask scheduler's address as given, or BuildError: Dask is missing, or it is
    not an address (Dask's client would wait out its timeout, then hang on exit).
    Dask is not imported here: a watcher's small updates are built without it."""
    if importlib.util.find_spec("distributed") is None:
        raise BuildError(
            "--cluster needs Dask's distributed scheduler: pip install 'seedsearch[cluster]'."
        )
    if ADDRESS.fullmatch(address) is None:
        raise BuildError(
            f"Not a Dask scheduler's address: {address!r}; give it as tcp://HOST:PORT "
            "(the scheduler listens on port 8786 unless told otherwise)."
        )
    return address


def make_batches(files: list[FileTask], threads: int) -> list[Batch]:
    """Consecutive files in batches: at most BATCH_FILES and BATCH_BYTES each, and
    at least BATCHES_PER_THREAD batches per worker thread while files last."""
    wanted = max(1, threads) * BATCHES_PER_THREAD
    per = max(1, min(BATCH_FILES, math.ceil(len(files) / wanted)))
    batches: list[Batch] = []
    current: list[FileTask] = []
    size = 0
    for item in files:
        length = _size(item.path)
        if current and (len(current) >= per or size + length > BATCH_BYTES):
            batches.append(Batch(len(batches), current, size))
            current, size = [], 0
        current.append(item)
        size += length
    if current:
        batches.append(Batch(len(batches), current, size))
    return batches


def _size(path: Path | str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


@contextlib.contextmanager
def _client(address: str) -> Iterator:
    """A Dask client of the scheduler at `address`, or BuildError saying why not."""
    from distributed import Client  # check_address found it

    with _dask_logs_silenced():
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise BuildError(
                f"Cannot reach the Dask scheduler at {address} ({_reason(exc)}); "
                "the index being served is unchanged."
            ) from None
        try:
            with client.as_current():  # what distributed.wait asks for
                yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_SECONDS)


@contextlib.contextmanager
def _dask_logs_silenced() -> Iterator[None]:
    """The build reports what goes wrong in its own words; Dask's client would also
    log each lost connection and failed reconnection, with tracebacks."""
    handlers = logging.getLogger("distributed").handlers
    silence = logging.Filter("nothing: no logger has this name")
    for handler in handlers:
        handler.addFilter(silence)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(silence)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def _check(
    client, address: str, source: Path, index_dir: Path, files: list[FileTask]
) -> dict[str, int]:
    """The cluster's workers and their threads, once every worker is known to run
    this version of seedsearch and to see the source and the index where we do."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
        threads = client.nthreads()
    except (OSError, TimeoutError):
        raise BuildError(
            f"The Dask cluster at {address} has no workers (waited {WORKER_WAIT:g} s); "
            "the index being served is unchanged."
        ) from None
    ours = _version()
    for worker, theirs in sorted(_on_all(client, importlib.metadata.version, "seedsearch")):
        if isinstance(theirs, BaseException):
            raise BuildError(
                f"seedsearch is not installed on the Dask worker {worker}: install "
                f"seedsearch {ours} on every worker (pip install 'seedsearch[cluster]')."
            )
        if theirs != ours:
            raise BuildError(
                f"The Dask worker {worker} runs seedsearch {theirs}, this machine {ours}: "
                "install the same version on every worker."
            )
    token = secrets.token_hex(8)
    check = index_dir / CHECK_FILE
    check.write_text(token, "utf-8")
    # A file the workers must see as this machine does (one deleted since the plan
    # is the build's to skip, not a worker's fault).
    sample = next((Path(f.path) for f in files if os.path.isfile(f.path)), None)
    try:
        size = _size(sample) if sample else 0
        args = (str(source), str(sample or ""), size, str(index_dir), token)
        seen = sorted(_on_all(client, _look, *args, ANALYZER_VERSION, FORMAT_VERSION))
    finally:
        check.unlink(missing_ok=True)
    for worker, problem in seen:
        if isinstance(problem, BaseException):
            problem = f"failed to check its folders ({_reason(problem)})"
        if problem:
            raise BuildError(
                f"The Dask worker {worker} {problem}. Every worker must see the source "
                "and the index folders at the same paths as this machine (a shared "
                "folder: NFS, a cloud volume); the index being served is unchanged."
            )
    return {worker: threads.get(worker, 1) for worker, _ in seen}


def _on_all(client, function, *args) -> list[tuple[str, object]]:
    """function(*args) on every worker: (worker, result or the exception raised)."""
    try:
        return list(client.run(function, *args, on_error="return").items())
    except (OSError, TimeoutError) as exc:
        raise BuildError(
            f"Lost the Dask cluster while checking its workers ({_reason(exc)}); "
            "the index being served is unchanged."
        ) from None


def _version() -> str:
    try:
        return importlib.metadata.version("seedsearch")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


class _Run:
    """Tasks on the cluster, waited for with an eye on the cluster itself."""

    def __init__(self, client, address: str, index_dir: Path, seen: Seen) -> None:
        self.client = client
        self.address = address
        self.index_dir = index_dir
        self.seen = seen
        self.token = secrets.token_hex(6)

    def batches(
        self,
        batches: list[Batch],
        strict: bool,
        scans: Scans,
        done_file: Callable[[FileResult], None],
    ) -> list[Written]:
        """Each batch read into segments by a task; the results in batch order."""
        caps = os.environ.get(LIMIT_ENV)
        index_dir = str(self.index_dir)
        futures = {}
        for batch in sorted(batches, key=lambda b: -b.size):  # the longest first
            future = self.client.submit(
                read_batch,
                index_dir,
                batch.files,
                strict,
                caps,
                scans,
                key=f"seedsearch-read-{self.token}-{batch.number}",
                retries=RETRIES,
            )
            futures[future] = batch

        def done(_future, result: Written) -> None:
            if result.error:
                raise BuildError(result.error)
            for read in result.results:
                done_file(read)

        results = self._wait(futures, done, lambda f: _files_named(futures[f].files))
        return [results[f] for f in sorted(futures, key=lambda f: futures[f].number)]

    def merge(self, segments: list[tuple[object, int]]) -> list:
        """The segments, small ones merged on the workers into segments of up to
        MERGE_BYTES; in order."""
        groups: list[list[tuple[object, int]]] = []
        for segment in segments:
            if groups and sum(s for _, s in groups[-1]) + segment[1] <= MERGE_BYTES:
                groups[-1].append(segment)
            else:
                groups.append([segment])
        futures = {}
        for number, group in enumerate(groups):
            if len(group) > 1:
                future = self.client.submit(
                    merge_segments,
                    str(self.index_dir),
                    [s for s, _ in group],
                    key=f"seedsearch-merge-{self.token}-{number}",
                    retries=RETRIES,
                )
                futures[future] = number
        merged = self._wait(futures, lambda _f, _r: None, lambda _f: "merging segments")
        by_group = {futures[f]: [s for s, _ in merged[f].segments] for f in futures}
        out = []
        for number, group in enumerate(groups):
            out += by_group.get(number, [s for s, _ in group])
        return out

    def pages(
        self,
        tasks: list[list[Job]],
        settings: OcrSettings,
        done: Callable[[Job, PageText | None], None],
        more: Callable[[], bool],
        threads: int,
    ) -> None:
        """Each task of pages read on the cluster, OCR_IN_FLIGHT per thread at once,
        new ones only while `more()`; `done` for each page as its task returns."""
        queue = iter(enumerate(tasks))
        pending: dict = {}
        limit = max(1, threads) * OCR_IN_FLIGHT

        def submit() -> None:
            while len(pending) < limit and more():
                item = next(queue, None)
                if item is None:
                    return
                number, task = item
                future = self.client.submit(
                    read_page_task,
                    task,
                    settings,
                    key=f"seedsearch-ocr-{self.token}-{number}",
                    retries=RETRIES,
                )
                pending[future] = task

        def finished(future, texts: list) -> None:
            for job, text in zip(pending.pop(future), texts, strict=True):
                done(job, text)
            submit()

        submit()
        while pending:
            self._wait(dict.fromkeys(pending, None), finished, lambda f: _pages_named(pending[f]))

    def _wait(self, futures: dict, done, what) -> dict:
        """Every future's Written result; `done(future, result)` as each arrives.
        BuildError if a task fails for good or the cluster goes away."""
        from distributed import wait
        from distributed.scheduler import KilledWorker

        results: dict = {}
        pending = set(futures)
        alone_since = None  # when the cluster was first seen without workers
        try:
            while pending:
                try:
                    finished, pending = wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    alone_since = self._look_at_workers(alone_since)
                    continue
                except (CancelledError, OSError) as exc:  # all cancelled: the scheduler is gone
                    raise self._lost(exc) from None
                for future in finished:
                    try:
                        result = pickle.loads(future.result())
                    except KilledWorker:
                        raise BuildError(
                            f"Dask workers died one after another running one task "
                            f"({what(future)}); a file there may crash its reader. "
                            "The index being served is unchanged."
                        ) from None
                    except (CancelledError, OSError, TimeoutError) as exc:
                        raise self._lost(exc) from None
                    except Exception as exc:  # raised in the task, after its retries
                        raise BuildError(
                            f"A build task failed on the Dask cluster ({what(future)}): "
                            f"{_reason(exc)}; the index being served is unchanged."
                        ) from None
                    results[future] = result
                    done(future, result)
        finally:
            if pending:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(pending))
        return results

    def _lost(self, exc: BaseException) -> BuildError:
        # Dask cancels every task of a client that lost its scheduler.
        why = "the connection to it was lost" if isinstance(exc, CancelledError) else _reason(exc)
        return BuildError(
            f"Lost the Dask scheduler at {self.address} during the build ({why}); "
            "the index being served is unchanged."
        )

    def _look_at_workers(self, alone_since: float | None) -> float | None:
        """Tell the status who works; BuildError once the cluster has had no
        worker for NO_WORKERS_SECONDS (tasks would wait for ever)."""
        try:
            workers = tuple(sorted(self.client.nthreads()))
        except Exception as exc:  # the scheduler went away
            raise self._lost(exc) from None
        self.seen(self.address, workers)
        if workers:
            return None
        now = time.monotonic()
        if alone_since is not None and now - alone_since > NO_WORKERS_SECONDS:
            raise BuildError(
                f"The Dask cluster at {self.address} has had no workers for "
                f"{NO_WORKERS_SECONDS:g} s; the index being served is unchanged."
            )
        return alone_since if alone_since is not None else now


def _pages_named(task: list[Job]) -> str:
    pages = ", ".join(str(job.page) for job in task)
    return f"{task[0].doc}, page{'s' if len(task) > 1 else ''} {pages}"


def _files_named(files: list[FileTask]) -> str:
    first = files[0].doc
    return first if len(files) == 1 else f"{len(files)} files from {first}"


# -- on a worker ---------------------------------------------------------------------


def _look(
    source: str,
    sample: str,
    size: int,
    index_dir: str,
    token: str,
    analyzer: int,
    index_format: int,
) -> str:
    """On a worker: "" when it sees the folders as the builder does and writes
    indexes the same way, else what is wrong, to follow "The Dask worker X"."""
    if (analyzer, index_format) != (ANALYZER_VERSION, FORMAT_VERSION):
        return "runs another version of seedsearch's analyser or index format"
    if not os.path.isdir(source):
        return f"cannot see the source folder {source}"
    try:
        if sample and os.stat(sample).st_size != size:
            return f"sees another source folder at {source} ({sample} differs)"
    except OSError as exc:
        return f"cannot see {sample} in the source folder ({exc.strerror})"
    try:
        with open(os.path.join(index_dir, CHECK_FILE), encoding="utf-8") as fh:
            theirs = fh.read()
    except OSError:
        return f"cannot see the index folder {os.path.dirname(index_dir)}"
    if theirs != token:
        return f"sees another index folder at {os.path.dirname(index_dir)}"
    probe = os.path.join(index_dir, f".cluster-write-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(probe, "wb"):
            pass
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write in the index folder {os.path.dirname(index_dir)} ({exc.strerror})"
    return ""


def _ocr_problem(langs: str) -> str:
    """On a worker: "" when Tesseract and `langs` are installed, else what is missing."""
    try:
        check(langs)
    except OcrUnavailable as exc:
        return str(exc)
    return ""


def read_page_task(jobs: list[Job], settings: OcrSettings) -> bytes:
    """On a worker: the pages `jobs` of one file read by OCR; their texts, pickled."""
    return pickle.dumps(read_file_pages(jobs, settings))


def read_batch(
    index_dir: str,
    files: list[FileTask],
    strict: bool,
    caps: str | None,
    scans: Scans = None,
) -> bytes:
    """On a worker: read `files` into new segments of the index at `index_dir`
    (not committed); the Written result, pickled."""
    results = []
    with _size_caps(caps):
        ix = whoosh_index.open_dir(index_dir)
        # _lk=False: the builder holds the lock; tasks only add segment files.
        writer = PackWriter(ix, _lk=False)
        for task in files:
            read = read_file(task, scans)
            warnings = _warnings(read.result)
            if strict and warnings:  # nothing of this build will be committed
                return pickle.dumps(Written([], error=f"--strict: {warnings[0]}"))
            if read.passages is not None:
                add_passages(writer, read.passages)
            results.append(read.result)
        segments = writer.finish_segments()
    return pickle.dumps(Written(_sized(index_dir, segments), tuple(results)))


def _warnings(result: FileResult) -> tuple[str, ...]:
    if isinstance(result, Skipped):
        return (result.warning,)
    return result.notes if isinstance(result, Indexed) else ()


def merge_segments(index_dir: str, segments: list) -> bytes:
    """On a worker: the uncommitted `segments` of the index at `index_dir` copied
    into one new segment; the Written result, pickled."""
    ix = whoosh_index.open_dir(index_dir)
    writer = PackWriter(ix, _lk=False)
    for segment in segments:
        reader = SegmentReader(ix.storage, ix.schema, segment)
        try:
            # Not add_reader, Whoosh's merge: it sums field lengths rounded to a
            # byte, and the scores would differ from those of a build on one machine.
            writer.append_segment(reader)
        finally:
            reader.close()
    return pickle.dumps(Written(_sized(index_dir, writer.finish_segments())))


def _sized(index_dir: str, segments: list) -> list[tuple[object, int]]:
    names = os.listdir(index_dir)
    out = []
    for segment in segments:
        prefix = segment.make_filename("")
        ours = (n for n in names if n.startswith(prefix))
        size = sum(os.path.getsize(os.path.join(index_dir, n)) for n in ours)
        out.append((segment, size))
    return out


@contextlib.contextmanager
def _size_caps(caps: str | None) -> Iterator[None]:
    """The builder's size caps (SEEDSEARCH_MAX_MB) while a task reads, not the worker's."""
    before = os.environ.get(LIMIT_ENV)
    _set_env(LIMIT_ENV, caps)
    try:
        yield
    finally:
        _set_env(LIMIT_ENV, before)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
