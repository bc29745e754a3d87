"""Count the files opened under a folder as the kernel sees them, whoever opens
them: an inotify watch for IN_OPEN on every folder of the tree (the folders'
own opens, a walk listing them, are left out). An open refused, by permissions
for instance, makes no event."""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
from collections.abc import Iterator
from pathlib import Path

IN_OPEN = 0x20
IN_Q_OVERFLOW = 0x4000
IN_ISDIR = 0x40000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then the name


class Opens:
    """The files opened under `root` since the watch began."""

    def __init__(self, root: Path) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self._folders: dict[int, Path] = {}
        for folder, _dirs, _files in os.walk(root):
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
            self._folders[wd] = Path(folder)
        self._root = root

    def files(self) -> list[str]:
        """Each file opened since the last call, relative to the root, once per open."""
        opened = []
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return opened
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, size = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + size].rstrip(b"\0")
                offset += _EVENT.size + size
                assert not mask & IN_Q_OVERFLOW, "inotify dropped events: count unknown"
                if mask & IN_OPEN and not mask & IN_ISDIR and name:
                    path = self._folders[wd] / os.fsdecode(name)
                    opened.append(path.relative_to(self._root).as_posix())

    def close(self) -> None:
        os.close(self._fd)


@contextlib.contextmanager
def counting_opens(root: Path) -> Iterator[Opens]:
    """Watch the files under `root` being opened, for the length of the block."""
    opens = Opens(root)
    try:
        yield opens
    finally:
        opens.close()
