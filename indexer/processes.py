"""Child processes that never outlive their parent: build workers, the watcher's
builds and servers started for tests all ask Linux for a signal when it dies."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> None:
    """In a child: get `sig` when the parent dies, even by kill -9; exit at once if
    it is already gone (pid `parent` no longer ours, or adopted by init when None)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass  # not Linux: children may outlive a killed parent
    orphaned = os.getppid() != parent if parent is not None else os.getppid() == 1
    if orphaned:
        os._exit(1)
