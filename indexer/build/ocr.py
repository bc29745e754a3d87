"""Reading scanned pages, after a build has published the text it could read
without OCR: the pages waiting for OCR are rendered and read by Tesseract in
worker processes, one page per core at a time and each within its time limit,
and kept in the OCR cache. Small scans go first, so one long scan never holds
the rest back."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..errors import BuildError
from ..index.meta import DocMeta
from ..processes import die_with_parent
from ..readers import content_hash, page_image
from ..readers.ocr import OcrSettings, PageText, recognize
from .ocr_cache import OcrCache


@dataclass(frozen=True)
class Job:
    """One scanned page to read: page `page` of the file at `path`, whose content is `sha`."""

    path: Path
    doc: str
    sha: str
    page: int


def waiting_jobs(source: Path, documents: dict[str, DocMeta], cache: OcrCache) -> list[Job]:
    """Every page still waiting for OCR, the documents with the fewest first."""
    jobs = []
    waiting = [(len(meta.waiting), doc, meta) for doc, meta in documents.items() if meta.waiting]
    for _, doc, meta in sorted(waiting):
        done = cache.pages(meta.sha)
        jobs.extend(Job(source / doc, doc, meta.sha, p) for p in meta.waiting if p not in done)
    return jobs


def read_pages(
    jobs: list[Job],
    settings: OcrSettings,
    procs: int,
    done: Callable[[Job, PageText | None], None],
    more: Callable[[], bool],
) -> None:
    """Read `jobs` on `procs` workers; `done(job, text)` as each page is read (text
    None when the file changed meanwhile). New pages start only while `more()`."""
    workers = [_Worker(settings) for _ in range(max(1, min(procs, len(jobs))))]
    try:
        queue: Iterator[Job] = iter(jobs)
        busy: dict[Connection, tuple[_Worker, Job]] = {}
        idle = list(workers)
        while True:
            while idle and more():
                job = next(queue, None)
                if job is None:
                    break
                worker = idle.pop()
                worker.conn.send(job)
                busy[worker.conn] = (worker, job)
            if not busy:
                return
            for conn in wait(list(busy)):
                worker, job = busy.pop(conn)
                try:
                    result = conn.recv()
                except EOFError:
                    raise BuildError("An OCR worker died unexpectedly.") from None
                idle.append(worker)
                done(job, result)
    finally:
        for worker in workers:
            worker.stop()


class _Worker:
    """A process that reads the pages it is sent until it is sent None."""

    def __init__(self, settings: OcrSettings) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(os.getpid(), settings, child), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # it died already
            self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(builder: int, settings: OcrSettings, conn: Connection) -> None:
    die_with_parent(signal.SIGKILL, builder)
    # The file of the last page, and its hash: the next page is likely its.
    file: tuple[Path, bytes, str] | None = None
    try:
        while (job := conn.recv()) is not None:
            if file is None or file[0] != job.path:
                data = _read(job.path)
                file = (job.path, data, content_hash(data))
            path, data, sha = file
            conn.send(_page_text(job, data, settings) if sha == job.sha else None)
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


def read_file_pages(jobs: list[Job], settings: OcrSettings) -> list[PageText | None]:
    """Jobs of one file, read here: each page's text, or None when the file no longer
    has the content it was planned with (a cluster's task; see build/cluster.py)."""
    data = _read(jobs[0].path)
    sha = content_hash(data)
    return [_page_text(job, data, settings) if sha == job.sha else None for job in jobs]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # gone or unreadable: its hash no longer matches


def _page_text(job: Job, data: bytes, settings: OcrSettings) -> PageText:
    """The page's text, or a failure saying why."""
    started = time.monotonic()
    try:
        image = page_image(job.path.suffix, data, job.page)
    except Exception as exc:  # a damaged page or image: that page's problem only
        why = f"cannot render the page ({exc.__class__.__name__}: {str(exc)[:100]})"
        return PageText(None, time.monotonic() - started, why)
    return recognize(image, settings)
