"""A running build's progress, for `seedsearch status` and /status: the files done
and to go and, on a Dask cluster, its address and workers. The build keeps a
small state file beside the generations; it goes when the build ends."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from .watch import process_alive

STATE_FILE = ".build.json"
INTERVAL = 0.5  # seconds between writes of the state file while files are done
# A build on another machine (a server over a shared index folder) cannot be asked
# whether it is alive: its state counts while the file is younger than this.
REMOTE_STALE = 600.0


@dataclass(frozen=True)
class BuildProgress:
    """Where a build is. Times are ISO 8601 in UTC."""

    pid: int  # the process that holds the build lock
    host: str  # the machine it runs on
    started: str
    done: int = 0  # files read (or skipped) so far
    total: int = 0  # files this build reads; 0 until it knows
    cluster: str = ""  # the Dask scheduler's address; "" for a build on this machine
    workers: tuple[str, ...] = ()  # the cluster's workers, as last seen


class ProgressFile:
    """Keeps the index's build state file current while a build runs."""

    def __init__(self, root: Path) -> None:
        self._path = root / STATE_FILE
        started = datetime.now(UTC).isoformat(timespec="seconds")
        self._state = BuildProgress(pid=os.getpid(), host=socket.gethostname(), started=started)
        self._written = 0.0
        self._write()

    def files(self, done: int, total: int) -> None:
        """`done` of `total` files are read; written at most every INTERVAL."""
        self._state = replace(self._state, done=done, total=total)
        if done >= total or time.monotonic() - self._written >= INTERVAL:
            self._write()

    def cluster(self, address: str, workers: tuple[str, ...]) -> None:
        """The build runs on the Dask cluster at `address`, on these workers."""
        self._state = replace(self._state, cluster=address, workers=workers)
        self._write()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._path.unlink()

    def _write(self) -> None:
        tmp = self._path.with_name(f"{STATE_FILE}.{os.getpid()}.part")
        try:
            tmp.write_text(json.dumps(asdict(self._state)), "utf-8")
            os.replace(tmp, self._path)
        except OSError:
            return  # the status is a courtesy: a full disk must not fail the build here
        self._written = time.monotonic()


def read_progress(root: Path) -> BuildProgress | None:
    """The progress of the build running on `root`, or None if none is running."""
    path = root / STATE_FILE
    try:
        age = time.time() - path.stat().st_mtime
        raw = json.loads(path.read_text("utf-8"))
        known = {f.name for f in fields(BuildProgress)}
        state = BuildProgress(**{k: v for k, v in raw.items() if k in known})
        state = replace(state, workers=tuple(state.workers))
    except (OSError, ValueError, TypeError):
        return None
    if state.host != socket.gethostname():
        return state if age < REMOTE_STALE else None
    return state if process_alive(state.pid) else None  # else left by a killed build
