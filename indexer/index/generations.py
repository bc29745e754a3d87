"""The index folder on disk: generations, the `current` pointer, publishing and
the build lock.

Each build writes a complete Whoosh index into a new ``gen-NNNNNN`` folder and
then swaps the ``current`` symlink to it with one atomic rename, so a reader
sees either the old index or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import BuildLocked, IndexBroken, IndexMissing
from .meta import META_FILE, IndexMeta, read_meta

CURRENT = "current"
LOCK_FILE = ".build.lock"
KEEP_OLD = 2  # previous generations kept for readers that have not switched yet


def current_dir(root: Path) -> Path | None:
    """The generation folder `current` points at, or None if there is none."""
    try:
        target = os.readlink(root / CURRENT)
    except OSError:
        return None
    return root / target


def generation_of(path: Path) -> int:
    return int(path.name.split("-", 1)[1])


def locate(root: Path) -> tuple[Path, IndexMeta]:
    """The current generation and its metadata, or a clear error."""
    if not root.exists():
        raise IndexMissing(f"No index at {root}; build one with `seedsearch index`.")
    gen = current_dir(root)
    if gen is None or not gen.exists():
        raise IndexMissing(f"No index at {root}; build one with `seedsearch index`.")
    meta = read_meta(gen)
    if not meta.compatible():
        raise IndexBroken(
            f"The index at {root} was built by another version of seedsearch: "
            f"{meta.mismatch()}. Rebuild it with `seedsearch index --full`."
        )
    return gen, meta


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the index's build lock, or fail at once if another build has it."""

    def refused(other: str) -> Exception:
        return BuildLocked(
            f"Another build of {root} is running (pid {other}); try again when it ends."
        )

    with pid_lock(root, LOCK_FILE, refused):
        yield


@contextlib.contextmanager
def pid_lock(root: Path, name: str, refused: Callable[[str], Exception]) -> Iterator[None]:
    """Hold the lock file `name` in `root`, with our pid written in it, or raise
    refused(the holder's pid) at once. flock is released by the kernel when its
    holder dies, even by kill -9."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise refused(other) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def new_generation(root: Path) -> tuple[int, Path]:
    """A fresh scratch folder for the next generation; leftovers of killed builds go."""
    for leftover in root.glob("*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)
    numbers = [generation_of(p) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    number = max(numbers, default=0) + 1
    scratch = root / f"gen-{number:06d}.tmp"
    scratch.mkdir()
    return number, scratch


def link_copy(src: Path, dst: Path) -> None:
    """Copy a generation by hard links: Whoosh never rewrites a file in place."""
    for item in src.iterdir():
        if item.is_file() and item.name != META_FILE:
            os.link(item, dst / item.name)


def publish(root: Path, scratch: Path, number: int) -> Path:
    """Make a finished scratch folder the current generation, atomically."""
    final = root / f"gen-{number:06d}"
    _fsync_dir(scratch)
    os.replace(scratch, final)
    point_to(root, final)
    return final


def point_to(root: Path, final: Path) -> None:
    """Make the complete generation `final` the current one, atomically, and
    remove those too old for any reader to still be on."""
    pointer = root / (CURRENT + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        pointer.unlink()
    os.symlink(final.name, pointer)
    os.replace(pointer, root / CURRENT)
    _fsync_dir(root)
    _prune(root, generation_of(final))


def _prune(root: Path, current: int) -> None:
    for gen in root.glob("gen-*"):
        if gen.name[4:].isdigit() and generation_of(gen) < current - KEEP_OLD:
            shutil.rmtree(gen, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    for name in os.listdir(path):
        child = path / name
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def index_size(gen_dir: Path) -> int:
    return sum(p.stat().st_size for p in gen_dir.iterdir() if p.is_file())
