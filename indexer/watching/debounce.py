"""Turn bursts of changes (an editor's save-to-temp-and-rename, a copy of a
thousand files, a file written slowly in pieces) into one build, started once
the burst has settled."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .events import Change, Kind

QUIET = 0.3  # seconds without a change that end a burst
WRITE_GRACE = 5.0  # a file written to and not closed holds the build back this long
MAX_WAIT = 30.0  # changes that never settle are built anyway after this long


@dataclass(frozen=True)
class Timing:
    quiet: float = QUIET
    write_grace: float = WRITE_GRACE
    max_wait: float = MAX_WAIT


class Debouncer:
    """Collects changes from the observer's thread and tells the build loop when
    the pending ones have settled. All times are time.monotonic()."""

    def __init__(self, timing: Timing = Timing()) -> None:
        self.timing = timing
        self._cond = threading.Condition()
        self._first: float | None = None  # the oldest change not yet handed to a build
        self._last = 0.0
        self._writing: dict[str, float] = {}  # file -> its last write, while not closed

    def add(self, change: Change, at: float | None = None) -> None:
        """Record a change seen at monotonic time `at` (now by default)."""
        now = time.monotonic() if at is None else at
        with self._cond:
            if change.kind is Kind.WRITING:
                self._writing[change.path] = now
            else:
                self._writing.pop(change.path, None)  # closed, deleted or replaced
                if change.moved_from:
                    self._writing.pop(change.moved_from, None)
            if self._first is None:
                self._first = now
            self._last = now
            self._cond.notify_all()

    def poke(self) -> None:
        """Something may have changed unseen (events were lost): build soon."""
        self.add(Change(Kind.CHANGED, ""))

    def pending_since(self) -> float | None:
        """When the oldest change not yet handed to a build came, if any."""
        with self._cond:
            return self._first

    def due(self) -> float | None:
        """When the pending changes will have settled, or None if there are none."""
        with self._cond:
            if self._first is None:
                return None
            t = self.timing
            settled = self._last + t.quiet
            for written in self._writing.values():
                settled = max(settled, written + t.write_grace)
            return min(settled, self._first + t.max_wait)

    def wait(self, timeout: float) -> bool:
        """Block until pending changes have settled (True) or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                due = self.due()
                if due is not None and due <= now:
                    return True
                if now >= deadline:
                    return False
                self._cond.wait(min(deadline, due if due is not None else deadline) - now)

    def take(self) -> None:
        """A build is starting: it will see every change made until now."""
        with self._cond:
            self._first = None
            now = time.monotonic()
            grace = self.timing.write_grace
            self._writing = {p: t for p, t in self._writing.items() if t + grace > now}
