"""An update over a big folder where nothing changed, against the full build of it.

Makes 100,000 small text files (1,000 folders of 100), builds them with
`seedsearch index --full`, then times `seedsearch index` over the unchanged folder
(median of --runs), beside the floor any update pays: listing the tree and reading
each file's stat, in one Python process. The document files an update opens are
counted twice: by the kernel (an inotify IN_OPEN watch on every folder,
tests/opens.py) and by strace (every open, openat and openat2 of a path inside the
folder, the update's processes followed). Last, one file is edited and the update
timed again: the files it opens are the one edited.

    .venv/bin/python -m bench.perf_nochange [--files 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.perf import SEEDSEARCH, code_version, log
from indexer.index import generations
from tests.opens import counting_opens

WORK = Path(tempfile.gettempdir()) / "seedsearch-bench-nochange"
PER_FOLDER = 100
OPEN_CALL = re.compile(r'\bopen(?:at2?)?\((?:[^,]*, )?"([^"]*)"')


def make_tree(source: Path, files: int) -> None:
    """`files` small documents of distinct sentences, PER_FOLDER to a folder."""
    if source.is_dir() and sum(1 for _ in source.rglob("*.txt")) == files:
        return
    shutil.rmtree(source, ignore_errors=True)
    rng = random.Random(files)
    words = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "su", "ta", "ve") for b in range(400)]
    for n in range(files):
        folder = source / f"box{n // PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        sentences = [" ".join(rng.choices(words, k=12)).capitalize() + "." for _ in range(4)]
        (folder / f"note{n:06d}.txt").write_text(f"Note {n}\n\n{' '.join(sentences)}\n", "utf-8")


def index(source: Path, target: Path, *extra: str, prefix: tuple[str, ...] = ()) -> float:
    """Seconds one `seedsearch index` run took (it must succeed)."""
    args = [*prefix, str(SEEDSEARCH), "index", "--quiet", "--source", str(source)]
    started = time.perf_counter()
    done = subprocess.run([*args, "--index", str(target), *extra], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"seedsearch index failed:\n{done.stderr}")
    return seconds


def walk_and_stat(source: Path) -> float:
    """Seconds to list the tree and stat every file: what no update can skip."""
    started = time.perf_counter()
    for folder, _dirs, names in os.walk(source):
        for name in names:
            os.stat(os.path.join(folder, name))
    return time.perf_counter() - started


def strace_opens(source: Path, target: Path) -> tuple[float, list[str]]:
    """An update run under strace: its seconds, and the paths inside `source` that
    its processes asked to open."""
    log_file = WORK / "strace.log"
    calls = "trace=open,openat,openat2"
    prefix = ("strace", "-f", "-qq", "-e", calls, "-e", "signal=none", "-o", str(log_file))
    seconds = index(source, target, prefix=prefix)
    inside = f"{source}/"
    opened = [
        path
        for line in log_file.read_text(errors="replace").splitlines()
        if (match := OPEN_CALL.search(line)) and (path := match.group(1)).startswith(inside)
    ]
    # The folders themselves are opened to list them: not documents.
    return seconds, [path for path in opened if not Path(path).is_dir()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source, target = WORK / f"source-{args.files}", WORK / f"index-{args.files}"
    log(f"making {args.files:,} files in {source} ...")
    make_tree(source, args.files)
    shutil.rmtree(target, ignore_errors=True)
    log("full build ...")
    full = index(source, target, "--full")
    log(f"full build: {full:.1f} s")
    built = generations.generation_of(generations.current_dir(target))

    updates, walks, kernel_opens = [], [], []
    for run in range(args.runs):
        walks.append(walk_and_stat(source))
        with counting_opens(source) as opens:
            updates.append(index(source, target))
            kernel_opens.append(len(opens.files()))
        log(f"run {run + 1}: update {updates[-1]:.2f} s, walk+stat {walks[-1]:.2f} s")
    traced, traced_opens = strace_opens(source, target)
    same_generation = generations.generation_of(generations.current_dir(target)) == built

    middle = args.files // 2
    edited = source / f"box{middle // PER_FOLDER:04d}" / f"note{middle:06d}.txt"
    text = edited.read_text("utf-8")
    edited.write_text(text + "\nOne more sentence, edited.\n", "utf-8")
    try:
        with counting_opens(source) as opens:
            one_edit = index(source, target)
            edit_opens = opens.files()
    finally:
        edited.write_text(text, "utf-8")  # the tree stays as made, for the next run

    update = statistics.median(updates)
    print(f"\n{args.files:,} files, {PER_FOLDER} to a folder; Python {platform.python_version()},")
    print(f"code {code_version()}, {os.cpu_count()} cores; medians of {args.runs}\n")
    print("| run | s | × full build | document files opened |")
    print("|---|---:|---:|---:|")
    rows = [
        ("`index --full`", full, "all"),
        (
            "`index`, nothing changed",
            update,
            f"{max(kernel_opens)} (kernel), {len(traced_opens)} (strace)",
        ),
        ("listing the tree and a stat of each file, in Python", statistics.median(walks), "0"),
        ("`index`, nothing changed, under strace", traced, ""),
        ("`index`, one file edited", one_edit, str(len(edit_opens))),
    ]
    for name, seconds, opened in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / full:.4f} | {opened} |")
    print(f"\nA new generation after the no-change updates: {'no' if same_generation else 'YES'}")
    print(f"Opened after the edit: {', '.join(edit_opens) or 'nothing'}")
    if traced_opens:
        print(f"strace saw opens of: {', '.join(traced_opens[:10])}")


if __name__ == "__main__":
    main()
