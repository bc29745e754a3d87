"""The watcher: catch up with the folder, then build after each settled burst of
changes, retrying failed builds with backoff while the last good index serves."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from watchdog.events import FileSystemEvent

from ..build.isolation import DEFAULT_LIMITS, FileLimits
from ..index.watch import WatchState, clear_state, watch_lock, write_state
from ..readers.ocr import OcrSettings
from .builder import Outcome, run_build
from .debounce import QUIET, Debouncer, Timing
from .events import Relevance
from .observer import FolderWatch

TICK = 0.5  # seconds between looks at the observer and the pending state
RETRY_FIRST, RETRY_MAX = 1.0, 60.0  # backoff after a failed build
LOCKED_FIRST, LOCKED_MAX = 0.5, 5.0  # backoff while another build holds the lock
# Seconds of OCR a build spends on scanned pages before it publishes and ends: the
# next build goes on with them, after any change to the folder.
OCR_SLICE = 30.0


@dataclass(frozen=True)
class WatchOptions:
    source: Path
    index_root: Path
    poll: float | None = None  # poll every this many seconds instead of using inotify
    full: bool = False  # the first build rebuilds from scratch
    strict: bool = False  # any warning fails a build
    ocr: OcrSettings = OcrSettings()  # how scanned pages and images are read
    cluster: str | None = None  # a Dask scheduler's address: builds read files on its workers
    limits: FileLimits = DEFAULT_LIMITS  # what reading one file may take
    retry_failed: bool = False  # the first build reads again files that failed before
    jobs: int | None = None  # files read at once (default: one per CPU)


class Watcher:
    """Keeps `index_root` in step with `source` until `stop` is set."""

    def __init__(self, options: WatchOptions, log: logging.Logger) -> None:
        self.options = options
        self.log = log
        self.stop = threading.Event()
        self.debouncer = Debouncer()
        self.relevance = Relevance(options.source, options.index_root)
        # Watched by its real path, as Relevance compares event paths with it.
        source = Path(os.path.realpath(options.source))
        self.watch = FolderWatch(source, self._on_event, options.poll, log, self.debouncer.poke)
        self.state = WatchState(0, "", None, "", "starting", _now())
        self.full = options.full
        self.retry_failed = options.retry_failed
        self.failures = self.lock_waits = 0
        self.retry_at: float | None = None
        self.warned: set[str] = set()
        self.scans_left = False  # OCR stopped at its slice with pages still to read

    def run(self) -> None:
        """Watch, build, retry, until stopped. AlreadyWatched if another watcher runs."""
        root = self.options.index_root
        with watch_lock(root), _rescan_on_lost_events(self):
            try:
                self.watch.start()  # first, so that no change escapes the catch-up build
                self._check_observer()
                self._build()
                while not self.stop.is_set():
                    self._step()
            finally:
                self.watch.stop()
                clear_state(root)

    # -- one turn of the loop -----------------------------------------------------------

    def _step(self) -> None:
        if self.retry_at is not None:
            wait = self.retry_at - time.monotonic()
            if wait > 0:
                self.stop.wait(min(wait, TICK))
                self._publish(self._resting())  # changes may be pending meanwhile
            else:
                self._build()
            return
        if self.scans_left and self.debouncer.pending_since() is None:
            self._build()  # no change is waiting: go on reading scans
        elif self.debouncer.wait(TICK):
            self._build()
        else:
            self._check_observer()
            self._publish(self._resting())

    def _build(self) -> None:
        self.debouncer.take()
        self.retry_at = None
        self._publish("building")
        try:
            outcome = run_build(
                self.options.source,
                self.options.index_root,
                full=self.full,
                strict=self.options.strict,
                cluster=self.options.cluster,
                limits=self.options.limits,
                retry_failed=self.retry_failed,
                procs=self.options.jobs,
                started=lambda pid: self._publish("building", build_pid=pid),
                stop=self.stop,
                ocr=self.options.ocr,
                ocr_budget=OCR_SLICE,
            )
        except OSError as exc:  # no process could be started (out of memory, of pids ...)
            outcome = Outcome(error=f"cannot start a build process ({exc.strerror or exc})")
        if self.stop.is_set():
            return
        self.scans_left = False
        if outcome.ok:
            self._succeeded(outcome)
        elif outcome.locked:
            self._locked(outcome)
        else:
            self._failed(outcome)
        self._check_observer(coverage=True)  # the build may have met new folders
        self._publish(self._resting())

    def _succeeded(self, outcome: Outcome) -> None:
        report = outcome.report
        if self.failures:
            self.log.info("The build works again after %d failed attempts", self.failures)
        self.full = self.retry_failed = False
        self.failures = self.lock_waits = 0
        self.state = replace(self.state, builds=self.state.builds + 1, error="", failures=0)
        warnings = set(report.warnings)
        if report.ocr_problem:
            warnings.add(f"OCR: {report.ocr_problem}")
        for warning in sorted(warnings - self.warned):
            self.log.warning("warning: %s", warning)
        self.warned = warnings
        if report.added or report.updated or report.moved or report.removed or report.ocr_pages:
            self.log.info("Indexed: %s (generation %d)", report.summary(), report.generation)
        # Pages still waiting after a slice that read some: the next build goes on.
        self.scans_left = bool(report.ocr_waiting and report.ocr_pages)

    def _failed(self, outcome: Outcome) -> None:
        self.failures += 1
        self.lock_waits = 0
        delay = min(RETRY_FIRST * 2 ** (self.failures - 1), RETRY_MAX)
        self.retry_at = time.monotonic() + delay
        self.state = replace(self.state, error=outcome.error, failures=self.failures)
        self.log.error(
            "Build failed (%d in a row): %s; trying again in %.0f s; the last good index "
            "is still served",
            self.failures,
            outcome.error,
            delay,
        )

    def _locked(self, outcome: Outcome) -> None:
        if not self.lock_waits:
            self.log.info("%s Waiting for it.", outcome.error)
        self.lock_waits += 1
        self.retry_at = time.monotonic() + min(
            LOCKED_FIRST * 2 ** (self.lock_waits - 1), LOCKED_MAX
        )

    # -- the observer -------------------------------------------------------------------

    def _on_event(self, event: FileSystemEvent) -> None:
        change = self.relevance.change(event)
        if change is not None:
            self.debouncer.add(change)

    def _check_observer(self, coverage: bool = False) -> None:
        self.watch.check(coverage)
        interval = self.watch.mode.interval
        # Polling sees a burst one scan at a time, and cannot tell a file still open.
        self.debouncer.timing = (
            Timing() if interval is None else Timing(quiet=interval + QUIET, write_grace=0)
        )

    # -- the state file -----------------------------------------------------------------

    def _resting(self) -> str:
        if self.retry_at is not None:
            return "waiting" if self.lock_waits else "retrying"
        return "pending" if self.debouncer.pending_since() is not None else "idle"

    def _publish(self, activity: str, build_pid: int = 0) -> None:
        first = self.debouncer.pending_since()
        pending = _wall(first) if first is not None else ""
        since = self.state.since if activity == self.state.activity else _now()
        retry = _wall(self.retry_at) if self.retry_at is not None else ""
        mode = self.watch.mode
        state = replace(
            self.state,
            pid=os.getpid(),
            mode=mode.kind,
            interval=mode.interval,
            reason=mode.reason,
            activity=activity,
            since=since,
            pending_since=pending,
            build_pid=build_pid,
            retry_at=retry,
        )
        if state != self.state:
            self.state = state
            try:
                write_state(self.options.index_root, state)
            except OSError as exc:  # a full disk: the status goes stale, watching goes on
                self.log.warning("Cannot write the watcher's state: %s", exc.strerror or exc)


class _LostEventsHandler(logging.Handler):
    """watchdog logs, and carries on, when the kernel drops events: rescan then."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__(logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        self.watcher.log.warning("%s; looking for changes again", record.getMessage())
        self.watcher.debouncer.poke()


@contextlib.contextmanager
def _rescan_on_lost_events(watcher: Watcher) -> Iterator[None]:
    handler = _LostEventsHandler(watcher)
    logging.getLogger("watchdog").addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger("watchdog").removeHandler(handler)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _wall(monotonic: float) -> str:
    """A time.monotonic() instant as an ISO time."""
    at = time.time() - (time.monotonic() - monotonic)
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
