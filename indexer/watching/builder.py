"""Run one build in a child process, so that a build that crashes, leaks or is
killed never takes the watcher with it. Children come from a fork server: the
watcher has threads (its observer), and forking a threaded process is unsafe."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..build.isolation import DEFAULT_LIMITS, FileLimits
from ..build.run import build_index
from ..errors import BuildLocked, SeedsearchError
from ..models import BuildReport
from ..processes import die_with_parent
from ..readers.ocr import OcrSettings

_CONTEXT = multiprocessing.get_context("forkserver")
# Each child starts with the indexer and the language model loaded.
_CONTEXT.set_forkserver_preload([__name__, f"{__package__}.warm"])
POLL = 0.2  # seconds between checks for a stop request while a build runs


@dataclass(frozen=True)
class Outcome:
    """How a build ended: a report, or why there is none."""

    report: BuildReport | None = None
    error: str = ""
    locked: bool = False  # another build held the lock: try again shortly

    @property
    def ok(self) -> bool:
        return self.report is not None


def run_build(
    source: Path,
    index_root: Path,
    *,
    full: bool,
    strict: bool,
    started: Callable[[int], None],
    stop: threading.Event,
    ocr: OcrSettings,
    ocr_budget: float | None = None,
    cluster: str | None = None,
    limits: FileLimits = DEFAULT_LIMITS,
    retry_failed: bool = False,
    procs: int | None = None,
) -> Outcome:
    """Build in a child process (its files read on the Dask cluster at `cluster`,
    if given); `started` gets its pid. A set `stop` kills it. OCR reads scanned
    pages for `ocr_budget` seconds at most; the next build goes on."""
    receive, send = _CONTEXT.Pipe(duplex=False)
    options = {
        "full": full,
        "strict": strict,
        "ocr": ocr,
        "ocr_budget": ocr_budget,
        "cluster": cluster,
        "limits": limits,
        "retry_failed": retry_failed,
        "procs": procs,
    }
    child = _CONTEXT.Process(
        target=_child,
        args=(source, index_root, options, send),
        name="seedsearch-build",  # not a daemon: a full build starts worker processes
    )
    child.start()
    send.close()
    started(child.pid)
    try:
        while not receive.poll(POLL):
            if stop.is_set():
                child.kill()
                return Outcome(error="stopped")
            if not child.is_alive() and not receive.poll(0):
                return _died(child)
        try:
            kind, payload = receive.recv()
        except EOFError:
            return _died(child)
    finally:
        receive.close()
        child.join()
    if kind == "ok":
        return Outcome(report=payload)
    return Outcome(error=payload, locked=kind == "locked")


def _died(child: multiprocessing.process.BaseProcess) -> Outcome:
    child.join()
    code = child.exitcode
    if code is not None and code < 0:
        try:
            how = f"was killed ({signal.Signals(-code).name})"
        except ValueError:
            how = f"was killed (signal {-code})"
    else:
        how = f"exited with status {code} without finishing"
    return Outcome(error=f"the build process {how}; the index being served is unchanged")


def _child(source: Path, index_root: Path, options: dict, conn: Connection) -> None:
    die_with_parent()
    try:
        report = build_index(source, index_root, **options)
        conn.send(("ok", report))
    except BuildLocked as exc:
        conn.send(("locked", exc.message))
    except SeedsearchError as exc:
        conn.send(("error", exc.message))
    except Exception as exc:  # a bug: its traceback goes to the log, its gist to the status
        traceback.print_exc()
        conn.send(("error", f"the build failed: {exc.__class__.__name__}: {exc}"))
    finally:
        conn.close()
