"""Where the time goes: py-spy profiles of a full build and of a search loop, summarised
as the functions with the most samples (self and inclusive)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
_LINE = re.compile(r" \(([^)]*?):\d+\)$")
_PROCESS = re.compile(r'^process \d+:"')


# Where the time goes, by stage: (label, function as "file:qualname"), inclusive samples.
BUILD_STAGES = (
    ("read + parse documents", "indexer/readers/__init__.py:parse_document"),
    ("split into passages", "indexer/build/passages.py:split_document"),
    ("MpWriter: pickle batches to job files", "whoosh/multiproc.py:MpWriter._enqueue"),
    ("add passages to a writer", "whoosh/writing.py:SegmentWriter.add_document"),
    ("of which field analysis + posting encoding", "whoosh/fields.py:FieldType.index"),
    ("of which our analyzer (tokenize, fold, stem)", "indexer/analysis.py:SnowballFilter.__call__"),
    ("of which stored fields / columns", "whoosh/codec/whoosh3.py:W3PerDocWriter.add_field"),
    ("posting pool: sort + pickle runs to disk", "whoosh/externalsort.py:SortingPool.save"),
    ("posting pool: read runs back", "whoosh/externalsort.py:SortingPool._read_run"),
    ("MpWriter: merge runs (parent)", "whoosh/multiproc.py:MpWriter._merge_subsegments"),
    ("write postings (FieldWriter.add_postings)", "whoosh/codec/base.py:FieldWriter.add_postings"),
    ("os.path.exists per posting", "whoosh/codec/whoosh3.py:W3PerDocReader.has_column"),
    ("merge segments", "whoosh/writing.py:SegmentWriter.add_reader"),
)
SEARCH_STAGES = (
    ("Engine.search", "indexer/search/engine.py:Engine.search"),
    ("parse + expand query", "indexer/search/parse.py:parse"),
    ("rank (both tiers)", "indexer/search/rank.py:rank"),
    ("of which pseudo-relevance feedback pass", "indexer/search/rank.py:_feedback"),
    ("of which Searcher.search calls", "whoosh/searching.py:Searcher.search"),
    ("of which len(results) (count all matches)", "whoosh/searching.py:Results.__len__"),
    ("of which the every-word mask", "whoosh/searching.py:Searcher._filter_to_comb"),
    ("of which BitSet truthiness (Whoosh bug)", "whoosh/idsets.py:BaseBitSet.__nonzero__"),
    ("spelling suggestion", "indexer/search/spelling.py:suggest"),
    ("build hits", "indexer/search/engine.py:Engine._hit"),
    ("of which stored_fields", "whoosh/searching.py:Searcher.stored_fields"),
    ("of which find_matches (re-analysis)", "indexer/search/highlight.py:find_matches"),
    ("of which snippet window + marking", "indexer/search/highlight.py:snippet"),
    ("collapse per document", "indexer/search/rank.py:_collapse"),
)
SERVE_STAGES = (
    ("gunicorn: handle request", "gunicorn/workers/gthread.py:ThreadWorker.handle_request"),
    ("Flask dispatch", "flask/app.py:Flask.full_dispatch_request"),
    ("Engine.search", "indexer/search/engine.py:Engine.search"),
    ("JSON response", "flask/json/provider.py:DefaultJSONProvider.response"),
    ("templates", "flask/templating.py:render_template"),
)
# Frames every stack shares (entry points, click, runpy): left out of the inclusive table.
_BOILERPLATE = (
    "click/",
    "runpy",
    "multiprocessing/",
    "<string>",
    "importlib",
    "perf_query.py",
    "gunicorn/",
    "webapp/cli.py",
    "webapp/server.py",
)


@dataclass(frozen=True)
class Profile:
    """A py-spy profile boiled down: samples per process and the hottest functions."""

    name: str
    samples: int
    per_process: tuple[tuple[str, int], ...]  # ("main process" / "child processes", samples)
    top_self: tuple[tuple[str, int], ...]  # (function, samples where it is the leaf)
    top_total: tuple[tuple[str, int], ...]  # (function, samples where it is on the stack)
    stages: tuple[tuple[str, int], ...]  # (stage label, samples where it is on the stack)


def record(name: str, argv: list[str], out_dir: Path, seconds: int = 300, rate: int = 100) -> Path:
    """Run argv under py-spy (children included) for at most `seconds`, then stop it;
    the raw collapsed-stack file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"{name}.txt"
    raw.unlink(missing_ok=True)
    target = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        spy = [str(PY_SPY), "record", "-s", "--nonblocking", "-r", str(rate), "-f", "raw"]
        spy += ["-d", str(seconds), "-p", str(target.pid), "-o", str(raw)]
        subprocess.run(
            spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60
        )
    finally:
        if target.poll() is None:
            for child in psutil.Process(target.pid).children(recursive=True):
                child.kill()
            target.kill()
        target.wait()
    return raw


def _function(frame: str) -> str:
    """'rank (indexer/search/rank.py:57)' -> 'indexer/search/rank.py:rank'."""
    match = _LINE.search(frame)
    if match is None:
        return frame
    return f"{match.group(1)}:{frame[: match.start()]}"


def summarise(name: str, raw: Path, stages=(), top: int = 20) -> Profile:
    """Self and inclusive samples per function, processes told apart."""
    self_, total, procs = Counter(), Counter(), Counter()
    samples = 0
    for line in raw.read_text("utf-8", "replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        child = sum(1 for f in frames if _PROCESS.match(f)) > 1
        # Command lines may hold ';': keep only real frames (they end in "(file:line)").
        funcs = [_function(f) for f in frames if _LINE.search(f)]
        if child:  # a forked child's stack starts with the parent's frames up to the fork
            cut = max((i for i, f in enumerate(funcs) if f.endswith("._bootstrap")), default=-1)
            funcs = funcs[cut + 1 :]
        if not funcs:
            continue
        procs["child processes" if child else "main process"] += n
        samples += n
        self_[funcs[-1]] += n
        for f in set(funcs):
            total[f] += n
    inclusive = [
        (f, n)
        for f, n in total.most_common()
        if not f.startswith(_BOILERPLATE) and not f.endswith(":<module>")
    ]
    return Profile(
        name=name,
        samples=samples,
        per_process=tuple(procs.most_common()),
        top_self=tuple(self_.most_common(top)),
        top_total=tuple(inclusive[:top]),
        stages=tuple((label, total.get(func, 0)) for label, func in stages),
    )


def markdown(profile: Profile) -> str:
    """The summary as Markdown: two tables of (function, % of samples)."""
    s = max(profile.samples, 1)
    lines = [f"**{profile.name}**: {profile.samples} samples; "]
    lines[0] += ", ".join(f"{p} {n / s:.0%}" for p, n in profile.per_process)
    if profile.stages:
        lines += ["", "| stage | % of samples |", "|---|---:|"]
        # Stages the code no longer has (0 samples) are left out.
        lines += [f"| {label} | {n / s:.1%} |" for label, n in profile.stages if n]
    lines += ["", "| self % | function | | incl. % | function |", "|---:|---|---|---:|---|"]
    for (f1, n1), (f2, n2) in zip(profile.top_self, profile.top_total, strict=False):
        lines.append(f"| {n1 / s:.1%} | `{f1}` | | {n2 / s:.1%} | `{f2}` |")
    return "\n".join(lines)


def search_argv(index: Path, corpus: Path, rounds: int) -> list[str]:
    """A loop of Engine.search over the query mix (bench/perf_query.py's seedsearch runner)."""
    return [
        str(PYTHON),
        str(BENCH / "perf_query.py"),
        "seedsearch",
        str(index),
        str(corpus),
        "--rounds",
        str(rounds),
    ]


if __name__ == "__main__":  # summarise a raw file: perf_profile.py build|search|serve RAW
    kind = sys.argv[1]
    stages = {"build": BUILD_STAGES, "search": SEARCH_STAGES, "serve": SERVE_STAGES}[kind]
    print(markdown(summarise(kind, Path(sys.argv[2]), stages)))
