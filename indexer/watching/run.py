"""Run the watcher: in the foreground (`seedsearch index --watch`), or as the one
background process of `seedsearch serve --watch`, which dies with the server."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import warnings
from functools import partial

from ..processes import die_with_parent
from .loop import Watcher, WatchOptions

LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"  # gunicorn's
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def run_watcher(options: WatchOptions, quiet: bool = False) -> None:
    """Watch until SIGINT or SIGTERM, logging to stderr; AlreadyWatched if another watches."""
    log = logging.getLogger("seedsearch.watch")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    # watchdog warns when a moved folder's watch is re-registered: its bookkeeping, not ours.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"watchdog\.")
    watcher = Watcher(options, log)

    def stop(_signum, _frame) -> None:
        watcher.stop.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("Stopped watching %s", options.source)


def spawn_watcher(options: WatchOptions) -> subprocess.Popen:
    """Start `seedsearch index --watch` as a child that dies with this process."""
    command = [sys.executable, "-m", "indexer", "index", "--watch"]
    command += ["--source", str(options.source), "--index", str(options.index_root)]
    if options.poll is not None:
        command += ["--poll", str(options.poll)]
    ocr = options.ocr
    command += ["--ocr-lang", ocr.langs, "--ocr-timeout", str(ocr.timeout)]
    if not ocr.enabled:
        command += ["--no-ocr"]
    if options.cluster:
        command += ["--cluster", options.cluster]
    if options.jobs is not None:
        command += ["--jobs", str(options.jobs)]
    limits = options.limits
    command += ["--file-timeout", repr(limits.seconds), "--file-memory", f"{limits.memory}b"]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        preexec_fn=partial(die_with_parent, signal.SIGTERM, os.getpid()),
    )
