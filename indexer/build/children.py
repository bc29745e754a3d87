"""The build's child processes (readers and segment writers): forked, so that
they start with the readers and plugins loaded, and killed with their builder."""

from __future__ import annotations

import multiprocessing
import signal

from ..errors import BuildError
from ..processes import die_with_parent

FORK = multiprocessing.get_context("fork")


def become_child(builder: int) -> None:
    """In a child: die with the builder, even if it is killed with -9, and leave
    Ctrl-C to the builder, which stops its children itself."""
    die_with_parent(signal.SIGKILL, builder)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start(process: multiprocessing.process.BaseProcess) -> None:
    """Start a child, or BuildError when the system has no process to give."""
    try:
        process.start()
    except OSError as exc:  # out of memory or of process ids
        raise BuildError(f"Cannot start a build process ({exc.strerror or exc}).") from None
