"""Copies of an index kept current for servers on other machines: the current
generation's files are copied first, into a folder of the same name, and the
copy's `current` pointer is switched last, so a server reading the copy sees
either the old generation or the new one, never half of one.

Generations are never rewritten, and a segment file keeps its name from one
generation to the next, so a file the copy's current generation already has
is hard-linked, not copied again: a publish after an update costs the new
segments only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from . import generations
from .meta import META_FILE


@dataclass(frozen=True)
class Published:
    """What `publish_to` did."""

    generation: int
    copied: int  # files copied
    linked: int  # files hard-linked from the copy's previous generation
    bytes_copied: int
    already: bool  # the copy was current already


def publish_to(root: Path, target: Path, beside: tuple[str, ...] = ()) -> Published:
    """Make `target` a copy of the index at `root` at its current generation, with
    the files named in `beside` (kept next to the generations) copied as they are.

    Raises IndexMissing or IndexBroken for the source, BuildLocked if a build or
    another publish holds `target`, BuildError if the source changed meanwhile.
    """
    gen, _meta = generations.locate(root)
    if target.resolve() == root.resolve():
        raise BuildError(f"{target} is the index itself; publish to another folder.")
    try:
        target.mkdir(parents=True, exist_ok=True)
        with generations.build_lock(target):
            final = target / gen.name
            previous = generations.current_dir(target)
            copied = linked = size = 0
            already = previous == final and final.is_dir()
            if not final.is_dir():
                copied, linked, size = _copy_generation(gen, target, previous)
            _copy_beside(root, target, beside)
            if not already:
                generations.point_to(target, final)
    except OSError as exc:  # a folder we cannot write, a full disk ...
        raise BuildError(
            f"Cannot write the copy at {target} ({exc.strerror or exc}: "
            f"{exc.filename or target}); it still serves what it served."
        ) from None
    return Published(generations.generation_of(gen), copied, linked, size, already)


def _copy_generation(gen: Path, target: Path, previous: Path | None) -> tuple[int, int, int]:
    """Copy the generation folder `gen` into `target` under its own name, complete
    before it gets that name; (files copied, files linked, bytes copied)."""
    scratch = target / f"{gen.name}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)  # left by a publish that was killed
    scratch.mkdir()
    copied = linked = size = 0
    try:
        for item in sorted(gen.iterdir()):
            if not item.is_file():
                continue
            have = previous / item.name if previous is not None else None
            if _same(item, have):
                os.link(have, scratch / item.name)
                linked += 1
            else:
                shutil.copy2(item, scratch / item.name)
                copied += 1
                size += item.stat().st_size
        os.replace(scratch, target / gen.name)  # point_to fsyncs the folder
    except FileNotFoundError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BuildError(
            f"The index changed while it was being copied ({exc.filename} is gone); "
            "run `seedsearch publish` again."
        ) from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return copied, linked, size


def _same(item: Path, have: Path | None) -> bool:
    """Whether the copy's file `have` is `item`: a segment file of the same name
    and size (Whoosh never rewrites one); the metadata is new in every generation."""
    if have is None or item.name == META_FILE:
        return False
    try:
        return have.is_file() and have.stat().st_size == item.stat().st_size
    except OSError:
        return False


def _copy_beside(root: Path, target: Path, names: tuple[str, ...]) -> None:
    """Each file of `names` copied from `root` to `target` in one rename, with its
    mode; removed from `target` when `root` has none."""
    for name in names:
        source, dest = root / name, target / name
        if not source.is_file():
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()
            continue
        # Not "*.tmp": builds and publishes remove those.
        part = target / f".{name}.{os.getpid()}.part"
        shutil.copy2(source, part)
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, dest)
