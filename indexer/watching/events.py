"""What a file-system event means for the index: whether it can change what is
indexed, and whether it starts or ends a write still in progress."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)

from ..readers import registry

# The events asked of the kernel. Not opens, reads or closes without a write:
# a build reads every file, and must not wake the watcher up again.
WANTED: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileAttribEvent,  # a file made readable
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    DirAttribEvent,  # a folder made listable
]


class Kind(Enum):
    """What a relevant event tells the debouncer."""

    CHANGED = "changed"  # something to index may differ: build once things settle
    WRITING = "writing"  # a file was written to and may still be open
    CLOSED = "closed"  # a file written to was closed: its write is complete


@dataclass(frozen=True)
class Change:
    kind: Kind
    path: str  # the file written or closed; for CHANGED, the event's path
    moved_from: str = ""  # a move's old path, whose write (if any) is over


class Relevance:
    """Decides which events concern the documents of `source`."""

    def __init__(self, source: Path, index_root: Path) -> None:
        self.source = os.path.realpath(source)  # the observer watches this path
        # An index kept inside the source changes with every build: never a reason to build.
        self.index = os.path.realpath(index_root)
        # Read here, in the watcher's main thread: a broken reader plugin fails the
        # watcher at its start with a clear message, not its observer thread later.
        self.suffixes = frozenset(registry())

    def change(self, event: FileSystemEvent) -> Change | None:
        """The Change `event` makes, or None when it cannot affect the index."""
        paths = [os.fsdecode(event.src_path)]
        if event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        if not any(self._concerns(p, event.is_directory) for p in paths):
            return None
        if isinstance(event, FileModifiedEvent):
            return Change(Kind.WRITING, paths[0])
        if isinstance(event, FileClosedEvent):
            return Change(Kind.CLOSED, paths[0])
        moved_from = paths[0] if len(paths) == 2 else ""
        return Change(Kind.CHANGED, paths[-1], moved_from)

    def _concerns(self, path: str, is_directory: bool) -> bool:
        # Lexical, not realpath: a symlinked file inside the source is a document.
        path = os.path.normpath(path)
        if _inside(path, self.index):
            return False
        relative = os.path.relpath(path, self.source)
        if relative == "." and is_directory:
            return True  # the source folder itself: its permissions, its deletion
        if relative.startswith(".."):
            return False
        parts = Path(relative).parts
        if any(part.startswith(".") for part in parts):
            return False  # hidden files and folders are never indexed
        return is_directory or Path(relative).suffix.lower() in self.suffixes


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
