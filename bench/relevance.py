"""Ranking quality on the Cranfield collection: seedsearch against bm25s and
SQLite FTS5, on the same documents and questions.

    .venv/bin/python bench/relevance.py [--collection DIR] [--variants] [--write]

Indexes the collection through the normal build into a temporary folder, runs
every topic through Engine.search (1000 passages, first passage per document)
and scores MAP, nDCG@10, P@10 and Recall@100 with ir-measures. --variants
also measures the ranking alternatives behind the defaults; --write puts the
tables into bench/RESULTS.md between the relevance markers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COLLECTION = (ROOT / ".." / "shared" / "testcollections" / "cranfield").resolve()
RESULTS = ROOT / "bench" / "RESULTS.md"
SEEDS = ROOT / "seeds"
JUDGED = ROOT / "tests" / "seed_queries.json"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    from relevance_collection import GAIN_NOTE, is_collection, read_collection

    folder = args.collection.resolve()
    if not is_collection(folder):
        print(f"No Cranfield collection at {folder}; skipping the relevance benchmark.")
        return 0
    missing = [name for name in ("ir_measures", "bm25s") if importlib.util.find_spec(name) is None]
    if missing:
        names = ", ".join(missing)
        print(f"Not installed: {names}; run pip install -e '.[bench]'", file=sys.stderr)
        return 1
    started = time.perf_counter()
    collection = read_collection(folder)
    with tempfile.TemporaryDirectory(prefix="seedsearch-relevance-") as work:
        report = _measure(collection, Path(work), args.variants)
    seconds = time.perf_counter() - started
    text = _markdown(report, seconds, GAIN_NOTE, folder)
    print(text)
    if args.write:
        from relevance_report import write_section

        write_section(RESULTS, text, keep_variants=not args.variants)
        print(f"Wrote the relevance section of {RESULTS.relative_to(ROOT)}.")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collection", type=Path, default=DEFAULT_COLLECTION)
    parser.add_argument("--variants", action="store_true", help="also measure the alternatives")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    return parser.parse_args(argv)


def _measure(collection, work: Path, variants: bool):
    from relevance_baselines import bm25s_run, fts5_run
    from relevance_engine import check_seed, index_collection, run_topics
    from relevance_report import Report, evaluate

    from indexer.search import Engine

    timings = {}
    t = time.perf_counter()
    if variants:
        from relevance_variants import build_indexes

        roots = build_indexes(collection, work)
    else:
        roots = {"default": index_collection(collection, work / "default")}
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    with Engine(roots["default"]) as engine:
        ours = run_topics(engine, collection.topics)
    timings["seedsearch"] = time.perf_counter() - t
    runs = {"seedsearch": ours.run}
    for name, make in (("bm25s", bm25s_run), ("SQLite FTS5", fts5_run)):
        t = time.perf_counter()
        runs[name] = make(collection)
        timings[name] = time.perf_counter() - t
    table = {name: evaluate(collection.qrels, run) for name, run in runs.items()}
    t = time.perf_counter()
    seed = check_seed(SEEDS, JUDGED, work) if JUDGED.exists() and SEEDS.is_dir() else None
    timings["seed queries"] = time.perf_counter() - t
    rows = []
    if variants:
        t = time.perf_counter()
        rows = _variant_rows(collection, roots)
        timings["variants"] = time.perf_counter() - t
    return Report(
        table=table,
        variants=rows,
        refused=ours.refused,
        passages=ours.passages,
        documents=ours.documents,
        topics=len(collection.topics),
        judged=sum(len(j) for j in collection.qrels.values()),
        timings=timings,
        seed=seed,
    )


def _variant_rows(collection, roots):
    from relevance_report import VariantRow, evaluate
    from relevance_variants import VARIANTS, rank_topics

    rows = []
    for variant in VARIANTS:
        t = time.perf_counter()
        with variant.patch():
            run = rank_topics(roots[variant.index], collection.topics)
        scores = evaluate(collection.qrels, run)
        rows.append(VariantRow(variant.group, variant.label, scores))
        print(
            f"  {variant.label[:60]:60s} MAP {scores['MAP']:.4f} "
            f"nDCG@10 {scores['nDCG@10']:.4f} ({time.perf_counter() - t:.1f}s)",
            file=sys.stderr,
        )
    return rows


def _markdown(report, seconds: float, gain_note: str, folder: Path) -> str:
    from relevance_report import render

    command = ".venv/bin/python bench/relevance.py " + shlex.join(sys.argv[1:])
    return render(
        report,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=_machine(),
        command=command.strip(),
        seconds=seconds,
        gain_note=gain_note,
        collection=folder.name,
    )


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


if __name__ == "__main__":
    sys.exit(main())
