"""Time one index build in its own process tree: wall time, peak RSS, processes, size."""

from __future__ import annotations

import contextlib
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SEEDSEARCH = ROOT / ".venv" / "bin" / "seedsearch"
_PASSAGES = re.compile(r"(\d+) passages")


@dataclass(frozen=True)
class BuildRun:
    system: str
    copies: int
    seconds: float
    passages: int
    source_bytes: int
    peak_rss_mb: float  # the whole process tree, summed, at its largest
    peak_procs: int  # processes in the tree at most (MpWriter adds children)
    size_mb: float  # the index on disk
    cpu_seconds: float  # user + system of the whole tree

    @property
    def passages_per_s(self) -> float:
        return self.passages / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.source_bytes / 1e6 / self.seconds


@dataclass(frozen=True)
class _Watch:
    seconds: float
    peak_rss: int
    peak_procs: int
    cpu: float
    stdout: str


class TooSlow(Exception):
    """A build stopped because it ran past its time limit."""


def watch(
    argv: list[str], poll: float = 0.05, limit: float | None = None, cwd: Path = ROOT
) -> _Watch:
    """Run argv to completion, polling its process tree's RSS; CalledProcessError on
    failure, TooSlow (the tree killed) past `limit` seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    root = psutil.Process(proc.pid)
    peak_rss, peak_procs = 0, 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        rss = 0
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                rss += p.memory_info().rss
        peak_rss, peak_procs = max(peak_rss, rss), max(peak_procs, len(tree))
        if limit is not None and time.perf_counter() - started > limit:
            for p in reversed(tree):
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            proc.wait()
            raise TooSlow(f"stopped after {limit:.0f} s")
        time.sleep(poll)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, argv, out, err)
    # Waited-for grandchildren (MpWriter's) count in RUSAGE_CHILDREN too.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return _Watch(seconds, peak_rss, peak_procs, cpu, out)


def folder_size(path: Path) -> int:
    path = path.resolve()
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def seedsearch(
    source: Path, index: Path, copies: int, source_bytes: int, limit: float | None = None
) -> BuildRun:
    """`seedsearch index --full` from scratch, the real CLI."""
    shutil.rmtree(index, ignore_errors=True)
    argv = [str(SEEDSEARCH), "index", "--full", "--source", str(source), "--index", str(index)]
    w = watch(argv, limit=limit)
    match = _PASSAGES.search(w.stdout)
    if match is None:
        raise RuntimeError(f"no passage count in `seedsearch index` output: {w.stdout!r}")
    return BuildRun(
        system="seedsearch",
        copies=copies,
        seconds=w.seconds,
        passages=int(match.group(1)),
        source_bytes=source_bytes,
        peak_rss_mb=w.peak_rss / 1e6,
        peak_procs=w.peak_procs,
        size_mb=folder_size(index / "current") / 1e6,
        cpu_seconds=w.cpu,
    )


def reference(system: str, source: Path, target: Path, copies: int, source_bytes: int) -> BuildRun:
    """The naive Whoosh build or the FTS5 build, each in its own process."""
    script = {"naive": "perf_naive.py", "fts5": "perf_fts5.py"}[system]
    if target.is_dir():
        shutil.rmtree(target)
    target.unlink(missing_ok=True)
    w = watch([str(PYTHON), str(BENCH / script), str(source), str(target)])
    return BuildRun(
        system=system,
        copies=copies,
        seconds=w.seconds,
        passages=int(w.stdout.split()[-1]),
        source_bytes=source_bytes,
        peak_rss_mb=w.peak_rss / 1e6,
        peak_procs=w.peak_procs,
        size_mb=folder_size(target) / 1e6,
        cpu_seconds=w.cpu,
    )
