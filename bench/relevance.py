"""Ranking quality on every test collection in ../shared/testcollections
(or $SEEDSEARCH_COLLECTIONS):
seedsearch against bm25s and SQLite FTS5, on the same documents and questions.

    .venv/bin/python -m bench.relevance [--collections DIR] [--variants] [--write]

Indexes each collection through the normal build into a temporary folder, runs
every judged topic through Engine.search twice, as the grouped view (1000
documents) and as passages (1000, each document at its first passage), and
scores MAP, nDCG@10, P@10 and Recall@100 with ir-measures. --variants also
measures each ranking choice on every collection (documents), and chooses
every knob leaving one collection out (bench/relevance_loco.py); --write puts
the tables into bench/RESULTS.md between the relevance markers.
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
RESULTS = ROOT / "bench" / "RESULTS.md"
SEEDS = ROOT / "seeds"
JUDGED = ROOT / "tests" / "seed_queries.json"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    from bench.relevance_collection import collections_in, collections_root, read_collection

    root = (args.collections or collections_root(ROOT)).resolve()
    folders = collections_in(root) if root.is_dir() else []
    if not folders:
        print(f"No test collection under {root}; skipping the relevance benchmark.")
        return 0
    missing = [name for name in ("ir_measures", "bm25s") if importlib.util.find_spec(name) is None]
    if missing:
        names = ", ".join(missing)
        print(f"Not installed: {names}; run pip install -e '.[bench]'", file=sys.stderr)
        return 1
    started = time.perf_counter()
    collections = [read_collection(folder) for folder in folders]
    with tempfile.TemporaryDirectory(prefix="seedsearch-relevance-") as work:
        report = _measure(collections, Path(work), args.variants)
    seconds = time.perf_counter() - started
    text = _markdown(report, seconds)
    print(text)
    if args.write:
        from bench.relevance_report import write_section

        write_section(RESULTS, text, keep_variants=not args.variants)
        print(f"Wrote the relevance section of {RESULTS.relative_to(ROOT)}.")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--collections",
        type=Path,
        help="default: $SEEDSEARCH_COLLECTIONS or ../shared/testcollections",
    )
    parser.add_argument("--variants", action="store_true", help="also measure the alternatives")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    return parser.parse_args(argv)


def _measure(collections, work: Path, variants: bool):
    from bench.relevance_engine import check_seed, index_collection
    from bench.relevance_report import Report

    timings: dict[str, float] = {}
    roots, reports = {}, []
    for collection in collections:
        t = time.perf_counter()
        roots[collection.name] = index_collection(collection, work / collection.name)
        timings[f"{collection.name} index"] = time.perf_counter() - t
        reports.append(_one_collection(collection, roots[collection.name], timings))
    t = time.perf_counter()
    seed = check_seed(SEEDS, JUDGED, work) if JUDGED.exists() and SEEDS.is_dir() else None
    timings["seed queries"] = time.perf_counter() - t
    rows, held_out = [], {}
    if variants:
        t = time.perf_counter()
        rows = _variant_rows(collections, roots)
        rows.append(_byline_row(collections, work))
        timings["variants"] = time.perf_counter() - t
        t = time.perf_counter()
        held_out = _held_out(collections, roots, rows)
        timings["left out"] = time.perf_counter() - t
    return Report(collections=reports, variants=rows, timings=timings, seed=seed, held_out=held_out)


def _one_collection(collection, root: Path, timings: dict[str, float]):
    from bench.relevance_baselines import bm25s_run, fts5_run
    from bench.relevance_engine import run_topics
    from bench.relevance_plain import bm25_run
    from bench.relevance_report import OURS, PASSAGES, CollectionReport, evaluate, ratio_interval
    from indexer.search.engine import Engine

    name = collection.name
    t = time.perf_counter()
    with Engine(root) as engine:
        ours = run_topics(engine, collection.topics, by_document=True)
        passages = run_topics(engine, collection.topics, by_document=False)
    timings[f"{name} seedsearch"] = time.perf_counter() - t
    runs = {OURS: ours.run, PASSAGES: passages.run}
    for system, make in (("bm25s", bm25s_run), ("SQLite FTS5", fts5_run)):
        t = time.perf_counter()
        runs[system] = make(collection)
        timings[f"{name} {system}"] = time.perf_counter() - t
    docs = [(d.id, d.plain) for d in collection.docs]
    plain = evaluate(collection.qrels, bm25_run(docs, collection.topics))
    return CollectionReport(
        name=name,
        table={system: evaluate(collection.qrels, run) for system, run in runs.items()},
        refused=tuple(sorted(set(ours.refused) | set(passages.refused))),
        passages=ours.passages,
        documents=ours.documents,
        topics=len(collection.topics),
        judged=sum(len(j) for j in collection.qrels.values()),
        gain_note=collection.gain_note,
        plain_bm25=plain,
        intervals={
            m: ratio_interval(collection.qrels, runs[OURS], runs["bm25s"], m)
            for m in ("MAP", "nDCG@10")
        },
    )


def _variant_rows(collections, roots):
    from bench.relevance_engine import rank_topics
    from bench.relevance_report import VariantRow, evaluate
    from bench.relevance_variants import VARIANTS

    rows = []
    for variant in VARIANTS:
        t = time.perf_counter()
        scores = {}
        with variant.patch():
            for c in collections:
                scores[c.name] = evaluate(c.qrels, rank_topics(roots[c.name], c.topics))
        rows.append(VariantRow(variant.group, variant.label, scores, variant.knob))
        _progress(variant.label, scores, t)
    return rows


def _progress(label: str, scores: dict, started: float) -> None:
    summary = "  ".join(
        f"{n} MAP {s['MAP']:.4f} nDCG@10 {s['nDCG@10']:.4f}" for n, s in scores.items()
    )
    print(f"  {label[:50]:50s} {summary} ({time.perf_counter() - started:.1f}s)", file=sys.stderr)


def _byline_row(collections, work: Path):
    """The defaults on indexes where an authors line opening a record is a
    passage of its own, as before this issue: an index-time choice."""
    from bench.relevance_engine import index_collection, rank_topics
    from bench.relevance_report import VariantRow, evaluate
    from bench.relevance_variants import DOCUMENTS, attribute
    from indexer.build import passages

    t = time.perf_counter()
    scores = {}
    with attribute(passages, "_join_openers", lambda text, paras: paras):
        roots = {
            c.name: index_collection(c, work / "bylines" / c.name, procs=1) for c in collections
        }
    for c in collections:
        scores[c.name] = evaluate(c.qrels, rank_topics(roots[c.name], c.topics))
    label = "an authors line opening a record is a passage of its own (before)"
    _progress(label, scores, t)
    return VariantRow(DOCUMENTS, label, scores, "bylines")


def _held_out(collections, roots, rows) -> dict[str, dict[str, float]]:
    """Each collection scored with every knob set as the other collections chose."""
    from bench.relevance_engine import rank_topics
    from bench.relevance_loco import chosen_without, folds
    from bench.relevance_report import evaluate
    from bench.relevance_variants import VARIANTS, combined

    found = folds(rows, [c.name for c in collections])
    patches = {v.label: v.patch for v in VARIANTS}
    defaults = next(r for r in rows if r.label == "defaults")
    held_out = {}
    for c in collections:
        chosen = [label for label in chosen_without(found, c.name) if label in patches]
        if not chosen:
            held_out[c.name] = defaults.scores[c.name]
            continue
        with combined(*(patches[label] for label in chosen))():
            held_out[c.name] = evaluate(c.qrels, rank_topics(roots[c.name], c.topics))
    return held_out


def _markdown(report, seconds: float) -> str:
    from bench.relevance_report import render

    command = ".venv/bin/python -m bench.relevance " + shlex.join(sys.argv[1:])
    return render(
        report,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=_machine(),
        command=command.strip(),
        seconds=seconds,
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
