"""Start watching a folder: inotify where it works, polling where it cannot
(asked for, inotify unavailable, its watch limit reached, a network share)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from .events import WANTED

DEFAULT_POLL = 2.0  # seconds between scans when polling was not asked for
# Changes made on another machine never reach this one's inotify.
NETWORK_FILESYSTEMS = frozenset(
    ["nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre"]
    + ["gpfs", "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "davfs", "fuse.davfs2"]
)
IN_CREATE = 0x100
RESTART_EVERY = 5.0  # seconds between tries to watch a folder that went away


@dataclass(frozen=True)
class Mode:
    """How the folder is watched, and why polling when it was not asked for."""

    kind: str  # "inotify" (or the platform's own notifier), "polling", or "none"
    interval: float | None = None  # seconds between scans when polling
    reason: str = ""  # why polling was chosen over inotify, or why not watching

    def __str__(self) -> str:
        return f"polling every {self.interval:g} s" if self.interval else self.kind


class _Forward(FileSystemEventHandler):
    def __init__(self, handle: Callable[[FileSystemEvent], None]) -> None:
        self.handle = handle

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.handle(event)


class FolderWatch:
    """The observer of one folder: falls back to polling when inotify runs out of
    watches, and watches again a folder that went away and came back."""

    def __init__(
        self,
        source: Path,
        handle: Callable[[FileSystemEvent], None],
        poll: float | None,
        log: logging.Logger,
        missed: Callable[[], None],
    ) -> None:
        self.source, self.handle, self.poll, self.log = source, handle, poll, log
        self.missed = missed  # called when changes may have gone unseen
        self.observer: BaseObserver | None = None
        self.mode = Mode("none", reason="not watching yet")
        self.fallback = ""  # why polling replaced inotify, kept across restarts
        self.next_try = 0.0
        self.identity: tuple[int, int] | None = None  # the folder watched: (device, inode)

    def start(self) -> None:
        self.next_try = time.monotonic() + RESTART_EVERY
        if not self.source.is_dir():
            self.mode = Mode("none", reason=f"{self.source} is not a folder")
            self.log.warning("%s is not a folder; watching it once it is", self.source)
            return
        self.identity = _identity(self.source)
        self.observer, mode = start(self.source, self.handle, self.poll)
        if mode.reason:  # inotify just failed: poll from now on, and say so once
            self.poll, self.fallback, self.mode = mode.interval, mode.reason, mode
            self.log.warning("Watching %s by %s: %s", self.source, mode, mode.reason)
        else:
            self.mode = Mode(mode.kind, mode.interval, self.fallback)
            self.log.info("Watching %s with %s", self.source, mode)

    def check(self, coverage: bool = False) -> None:
        """Watch again if the observer stopped; with `coverage`, also count the folders
        inotify watches (a walk of the folder tree: after builds, not every tick)."""
        if self.observer is not None and not self._same_folder():
            self.stop()  # moved away or replaced: inotify would follow the old folder
            self.missed()
        if self.observer is not None and alive(self.observer):
            problem = ""
            if coverage and self.mode.kind == "inotify":
                problem = watch_shortfall(self.source)
            if problem:
                stop(self.observer)
                self.poll, self.fallback = DEFAULT_POLL, problem
                self.observer = _polling(self.source, self.handle, DEFAULT_POLL)
                self.mode = Mode("polling", DEFAULT_POLL, problem)
                self.log.warning("Switching to %s: %s", self.mode, problem)
                self.missed()  # changes in the folders not watched went unseen
            return
        if time.monotonic() < self.next_try:
            return
        self.next_try = time.monotonic() + RESTART_EVERY
        self.stop()
        if self.source.is_dir():
            self.start()
            self.missed()  # whatever happened while it was not watched
        else:
            self.mode = Mode("none", reason=f"{self.source} is not a folder")

    def stop(self) -> None:
        if self.observer is not None:
            stop(self.observer)
            self.observer = None

    def _same_folder(self) -> bool:
        return _identity(self.source) == self.identity


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def start(
    source: Path, handle: Callable[[FileSystemEvent], None], poll: float | None
) -> tuple[BaseObserver, Mode]:
    """Watch `source` recursively, passing each event to `handle` (on the observer's thread)."""
    if poll is not None:
        return _polling(source, handle, poll), Mode("polling", poll)
    fs = filesystem_type(source)
    if fs in NETWORK_FILESYSTEMS:
        reason = f"{source} is on a network file system ({fs}), which inotify cannot follow"
        return _fallback(source, handle, reason)
    observer = None
    try:
        observer = Observer()
        observer.schedule(_Forward(handle), str(source), recursive=True, event_filter=WANTED)
        observer.start()
    except OSError as exc:
        if observer is not None:
            stop(observer)
        if exc.errno == errno.ENOSPC:
            # Some kernels refuse the watch that passes the limit instead of letting
            # watchdog skip the folder: the same shortfall, counted by probing.
            return _fallback(source, handle, _limit_note(_watchable(source), count_folders(source)))
        return _fallback(source, handle, f"inotify cannot watch it ({exc.strerror or exc})")
    kind = type(observer).__name__.removesuffix("Observer").lower() or "native"
    problem = watch_shortfall(source) if kind == "inotify" else ""
    if problem:
        stop(observer)
        return _fallback(source, handle, problem)
    return observer, Mode(kind)


def _fallback(source: Path, handle, reason: str) -> tuple[BaseObserver, Mode]:
    return _polling(source, handle, DEFAULT_POLL), Mode("polling", DEFAULT_POLL, reason)


def _polling(source: Path, handle, interval: float) -> BaseObserver:
    observer = PollingObserver(timeout=interval)
    observer.schedule(_Forward(handle), str(source), recursive=True, event_filter=WANTED)
    observer.start()
    return observer


def stop(observer: BaseObserver) -> None:
    observer.stop()
    with contextlib.suppress(RuntimeError):
        observer.join(timeout=10)


def alive(observer: BaseObserver) -> bool:
    """Whether the observer still watches: its emitter stops when the folder goes."""
    return observer.is_alive() and all(e.is_alive() for e in observer.emitters)


def watch_shortfall(source: Path) -> str:
    """Why inotify is missing folders of `source`, or "" when it is not.

    watchdog silently skips a subfolder it cannot watch, so count: fewer inotify
    watches than folders, and no room for one more, means the limit was hit.
    """
    folders = count_folders(source)
    watches = inotify_watches()
    if watches >= folders or _room_for_a_watch(source):
        return ""
    return _limit_note(watches, folders)


def _limit_note(watches: int, folders: int) -> str:
    return (
        f"the inotify watch limit is reached ({watches} of {folders} folders watched; "
        "raise fs.inotify.max_user_watches to watch them all with inotify)"
    )


def count_folders(source: Path) -> int:
    """Folders an inotify watch is needed for: the source and every listable
    subfolder, symlinks excluded (hidden ones included, as watchdog watches them)."""
    return sum(1 for _ in _folders(source))


def _folders(source: Path) -> Iterator[str]:
    for folder, dirs, _files in os.walk(source):
        yield folder
        dirs[:] = [d for d in dirs if os.access(os.path.join(folder, d), os.R_OK | os.X_OK)]


def inotify_watches() -> int:
    """inotify watches this process holds, from /proc/self/fdinfo (Linux)."""
    total = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify":
                    with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                        total += sum(1 for line in info if line.startswith("inotify wd:"))
    return total


def _watchable(source: Path) -> int:
    """How many of the folders of `source` inotify can watch at once right now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
    except (OSError, AttributeError):
        return 0
    if fd < 0:
        return 0
    watched = 0
    try:
        for folder in _folders(source):
            if libc.inotify_add_watch(fd, os.fsencode(folder), IN_CREATE) < 0:
                if ctypes.get_errno() in (errno.ENOSPC, errno.EMFILE):
                    break
                continue
            watched += 1
    finally:
        os.close(fd)  # the kernel drops its watches with it
    return watched


def _room_for_a_watch(source: Path) -> bool:
    """Whether one more inotify watch can be added right now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
    except (OSError, AttributeError):
        return False
    if fd < 0:
        return False
    try:
        ok = libc.inotify_add_watch(fd, os.fsencode(source), IN_CREATE) >= 0
        return ok or ctypes.get_errno() not in (errno.ENOSPC, errno.EMFILE)
    finally:
        os.close(fd)


def filesystem_type(path: Path) -> str:
    """The type of the file system `path` is on, from /proc/self/mountinfo ("" if unknown)."""
    real = os.path.realpath(path)
    best, kind = "", ""
    try:
        lines = Path("/proc/self/mountinfo").read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        point = fields[4].replace("\\040", " ")
        fs = line.split(" - ", 1)[1].split()[0]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fs
    return kind
