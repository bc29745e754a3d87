"""What telling languages apart costs English: `seedsearch index --full` of the King
James Bible ×N (bench/kjv.py) and the engine's query latency on it (bench/perf_query.py's
mix), by the code before languages (a git worktree of BEFORE) and by this checkout,
alternating runs in one sitting. Goal: builds at most 1.3× slower, latency unchanged.

    .venv/bin/python -m bench.languages_perf [--copies 10] [--runs 3] [--rounds 3] [--before REF]

--runs 0 times queries only, on the indexes a run before left in bench/work/.

BEFORE defaults to the commit before indexer/languages.py was added.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import kjv

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
PYTHON = ROOT / ".venv" / "bin" / "python"
_PASSAGES = re.compile(r"(\d+) passages")


@dataclass(frozen=True)
class Build:
    seconds: float
    cpu_seconds: float
    passages: int


def before_ref() -> str:
    """The commit before the one that added indexer/languages.py."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "indexer/languages.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def checkout(ref: str) -> Path:
    """A worktree of `ref` under bench/work/ (made again when it holds another commit)."""
    tree = WORK / "before"
    want = subprocess.run(
        ["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    if tree.exists():
        have = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=tree, capture_output=True, text=True
        ).stdout.strip()
        if have == want:
            return tree
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), want],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return tree


def _env(tree: Path) -> dict:
    """The environment that runs `tree`'s code with this checkout's virtualenv."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def build(tree: Path, source: Path, index: Path) -> Build:
    """One full build by `tree`'s code, in its own process tree."""
    shutil.rmtree(index, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    argv = [str(PYTHON), "-m", "indexer", "index", "--full", "--quiet"]
    argv += ["--source", str(source), "--index", str(index)]
    subprocess.run(argv, cwd=tree, env=_env(tree), check=True, capture_output=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    stats = subprocess.run(
        [str(PYTHON), "-m", "indexer", "stats", "--json", "--index", str(index)],
        cwd=tree,
        env=_env(tree),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Build(seconds, cpu, json.loads(stats)["passages"])


def latency(tree: Path, index: Path, corpus: Path, out: Path) -> list[float]:
    """bench/perf_query.py's mix against `index`, by `tree`'s engine: ms per query,
    each timed once after a warm-up on other queries (the result cache never answers)."""
    script = ROOT / "bench" / "perf_query.py"
    argv = [str(PYTHON), str(script), "seedsearch", str(index), str(corpus)]
    subprocess.run(
        [*argv, "--rounds", "1", "--out", str(out)], cwd=tree, env=_env(tree), check=True
    )
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    return [r["ms"] for r in rows if "ms" in r]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default=None, help="git ref of the code before")
    parser.add_argument("--rounds", type=int, default=3, help="latency runs, alternating")
    args = parser.parse_args()
    ref = args.before or before_ref()
    trees = {"before": checkout(ref), "after": ROOT}
    corpus = kjv.corpus(WORK, args.copies)
    base = kjv.corpus(WORK, 1).path
    builds: dict[str, list[Build]] = {"before": [], "after": []}
    for _ in range(args.runs) if args.runs else ():
        for name, tree in trees.items():
            builds[name].append(build(tree, corpus.path, WORK / f"lang-index-{name}"))
            print(name, builds[name][-1], file=sys.stderr)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            out = WORK / f"lang-latency-{name}.jsonl"
            times[name] += latency(tree, WORK / f"lang-index-{name}", base, out)
    print(
        f"KJV ×{args.copies}, {corpus.verses:,} verses; before = {ref}; {args.runs} builds each\n"
    )
    print("| code | passages | build s (median) | CPU s | query p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in trees:
        runs, ms = builds[name], times[name]
        wall = statistics.median(b.seconds for b in runs) if runs else float("nan")
        cpu = statistics.median(b.cpu_seconds for b in runs) if runs else float("nan")
        passages = f"{runs[0].passages:,}" if runs else "–"
        print(
            f"| {name} | {passages} | {wall:.1f} | {cpu:.1f} | "
            f"{statistics.median(ms):.2f} | {percentile(ms, 95):.2f} | {percentile(ms, 99):.2f} |"
        )
    p50 = statistics.median(times["after"]) / statistics.median(times["before"])
    print(f"\nquery p50 after/before: {p50:.2f}×")
    if args.runs:
        for what in ("seconds", "cpu_seconds"):
            after = statistics.median(getattr(b, what) for b in builds["after"])
            before = statistics.median(getattr(b, what) for b in builds["before"])
            print(f"build {what} after/before: {after / before:.2f}×")


if __name__ == "__main__":
    main()
