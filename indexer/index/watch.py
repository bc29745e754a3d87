"""The watcher's presence in the index folder: a lock that keeps a second watcher
out, and a small state file that tells web workers and `seedsearch status`
what it is doing. Both sit beside the generations."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import SeedsearchError
from . import generations

STATE_FILE = ".watch.json"
LOCK_FILE = ".watch.lock"


class AlreadyWatched(SeedsearchError):
    code = "already_watched"


@dataclass(frozen=True)
class WatchState:
    """What the watcher is doing. Times are ISO 8601 in UTC, "" when not applicable."""

    pid: int
    mode: str  # "inotify" or "polling"
    interval: float | None  # seconds between scans when polling
    reason: str  # why polling when inotify was not ruled out by the operator
    activity: str  # "starting", "idle", "pending", "building" or "retrying"
    since: str  # when the activity began
    pending_since: str = ""  # the oldest change not yet built
    build_pid: int = 0  # the process running the current build
    builds: int = 0  # builds finished since the watcher started
    error: str = ""  # why the last build failed; cleared by the next that succeeds
    failures: int = 0  # builds failed in a row
    retry_at: str = ""  # when a failed build is tried again

    @property
    def pending(self) -> bool:
        return bool(self.pending_since)

    @property
    def building(self) -> bool:
        return self.activity == "building"


def write_state(root: Path, state: WatchState) -> None:
    """Replace the state file atomically: readers see the old one or the new one."""
    tmp = root / f"{STATE_FILE}.{os.getpid()}.part"
    tmp.write_text(json.dumps(asdict(state)), "utf-8")
    os.replace(tmp, root / STATE_FILE)


def read_state(root: Path) -> WatchState | None:
    """The state of the watcher of `root` if one is running, else None."""
    try:
        raw = json.loads((root / STATE_FILE).read_text("utf-8"))
        known = {f.name for f in fields(WatchState)}
        state = WatchState(**{k: v for k, v in raw.items() if k in known})
    except (OSError, ValueError, TypeError):
        return None
    return state if process_alive(state.pid) else None  # left by a killed watcher


def clear_state(root: Path) -> None:
    with contextlib.suppress(OSError):
        (root / STATE_FILE).unlink()


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@contextlib.contextmanager
def watch_lock(root: Path) -> Iterator[None]:
    """Be the one watcher of `root`, or raise AlreadyWatched naming the other."""

    def refused(other: str) -> Exception:
        return AlreadyWatched(f"Another watcher (pid {other}) already keeps {root} up to date.")

    with generations.pid_lock(root, LOCK_FILE, refused):
        yield
