"""Builds on one machine against builds on a local Dask cluster (a scheduler and
two one-thread workers on 127.0.0.1), side by side in interleaved runs: the ×10
King James Bible from scratch, an update of ten books, a one-file build (the
cluster's fixed cost) and a folder of scanned PDFs read by OCR (bench/perf_ocr.py's
scans: CISI's abstracts typeset, rendered at 300 dpi, saved without a text layer);
plus Dask's own cost per task and per round trip.

    .venv/bin/python -m bench.perf_cluster [--copies 10] [--runs 3] [--scans 12] [--out FILE.json]

Each build runs in a fresh process (`--one` below) that reports its phases: the
plan, the first files done, the last, and the end (merging and publishing). CPU
is that process's and its children's, plus the workers' and the scheduler's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench import kjv
from bench.perf import PYTHON, ROOT, WORK, log
from bench.perf_ocr import make_folders
from tests.dask_cluster import DaskCluster, dask_cluster

UPDATED_BOOKS = 10


def one_build(source: str, index: str, cluster: str | None, full: bool) -> dict:
    """In a child: one build, timed by phase."""
    from whoosh import index as whoosh_index

    from indexer.build.run import build_index

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        now = time.perf_counter() - started
        marks.setdefault("planned", now)
        if done:
            marks.setdefault("first", now)
        if done == total:
            marks["read"] = now

    def ocr_progress(done: int, total: int) -> None:
        if done == total:
            marks["ocr"] = time.perf_counter() - started

    report = build_index(
        Path(source),
        Path(index),
        full=full,
        progress=progress,
        cluster=cluster,
        ocr_progress=ocr_progress,
    )
    marks["end"] = time.perf_counter() - started
    gen = Path(index) / "current"
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return {
        **marks,
        "cpu": cpu,
        "passages": report.passages,
        "ocr_pages": report.ocr_pages,
        "files": report.added + report.updated,
        "cluster": report.cluster,
        "segments": len(whoosh_index.open_dir(str(gen))._segments()),
        "index_mb": sum(p.stat().st_size for p in gen.iterdir() if p.is_file()) / 1e6,
    }


def run_child(source: Path, index: Path, cluster: DaskCluster | None, full: bool) -> dict:
    """One build in a fresh process; its phases and the CPU it cost everywhere."""
    helpers = [psutil.Process(p.pid) for p in cluster.alive_workers()] if cluster else []
    if cluster:
        helpers.append(psutil.Process(cluster.scheduler.pid))
    # User and system time, the helpers' own and their waited children's (Tesseract).
    before = sum(sum(p.cpu_times()[:4]) for p in helpers)
    argv = [str(PYTHON), "-m", "bench.perf_cluster", "--one", str(source), str(index)]
    if cluster:
        argv += ["--cluster", cluster.address]
    if full:
        argv.append("--full")
    wall = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - wall
    result = json.loads(done.stdout)
    result["process"] = wall  # the child's whole life: imports included
    result["cpu"] += sum(sum(p.cpu_times()[:4]) for p in helpers) - before
    return result


def dask_costs(cluster: DaskCluster, tasks: int = 200, trips: int = 20) -> dict:
    """Dask's time per task (many at once) and per round trip (one at a time)."""
    client = cluster.client
    started = time.perf_counter()
    client.gather([client.submit(abs, -n, pure=False) for n in range(tasks)])
    per_task = (time.perf_counter() - started) / tasks
    times = []
    for n in range(trips):
        started = time.perf_counter()
        client.submit(abs, -n, pure=False).result()
        times.append(time.perf_counter() - started)
    return {"per_task_ms": per_task * 1e3, "round_trip_ms": statistics.median(times) * 1e3}


def changed_copy(corpus: Path, folder: Path) -> Path:
    """A copy of the corpus by hard links, to change books in without touching it."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(corpus, folder, copy_function=os.link)
    return folder


def change_books(folder: Path, run: int) -> None:
    """Give UPDATED_BOOKS books of the first copy a new last verse (new files: the
    hard links to the corpus are broken, not written through)."""
    for book in sorted((folder / "copy-01").glob("*.md"))[:UPDATED_BOOKS]:
        text = book.read_text("utf-8")
        book.unlink()
        book.write_text(text + f"\nAnd this was added in run {run}.\n", "utf-8")


def measure(args: argparse.Namespace) -> dict:
    corpus = kjv.corpus(WORK, args.copies)
    one_file = WORK / "corpus" / "one-book"
    if not one_file.exists():
        one_file.mkdir(parents=True)
        shutil.copy(sorted(kjv.corpus(WORK, 1).path.glob("*.md"))[0], one_file)
    out: dict = {"copies": args.copies, "files": corpus.files, "full": [], "update": [], "one": []}
    out |= {"scans": [], "scanned_pages": args.scans}
    scans = make_folders(args.scans)[0] if args.scans else None
    with (
        tempfile.TemporaryDirectory(prefix="seedsearch-cluster-") as tmp,
        dask_cluster(Path(tmp) / "dask", workers=2) as cluster,
    ):
        tmp = Path(tmp)
        out["dask"] = dask_costs(cluster)
        log(f"dask: {out['dask']}")
        updates = changed_copy(corpus.path, WORK / "corpus" / f"x{args.copies}-updates")
        base = tmp / "base"
        run_child(updates, base, None, full=True)
        for run in range(args.runs):
            for where in ("local", "cluster"):
                on = cluster if where == "cluster" else None
                index = tmp / f"full-{where}"
                shutil.rmtree(index, ignore_errors=True)
                out["full"].append({"where": where, **run_child(corpus.path, index, on, True)})
                log(f"full {where}: {out['full'][-1]}")
                index = tmp / f"one-{where}"
                shutil.rmtree(index, ignore_errors=True)
                out["one"].append({"where": where, **run_child(one_file, index, on, True)})
                index = tmp / f"update-{where}"
                shutil.rmtree(index, ignore_errors=True)
                shutil.copytree(base, index, symlinks=True, copy_function=os.link)
                change_books(updates, run * 2 + (where == "cluster"))
                out["update"].append({"where": where, **run_child(updates, index, on, False)})
                log(f"update {where}: {out['update'][-1]}")
                if scans is not None:  # a fresh index: its OCR cache is empty
                    index = tmp / f"scans-{where}"
                    shutil.rmtree(index, ignore_errors=True)
                    out["scans"].append({"where": where, **run_child(scans, index, on, True)})
                    log(f"scans {where}: {out['scans'][-1]}")
    return out


def table(out: dict) -> str:
    """Markdown: medians per build and where, and the cluster/local ratio."""

    def med(rows: list[dict], where: str, key: str) -> float:
        values = [r[key] for r in rows if r["where"] == where and key in r]
        return statistics.median(values) if values else float("nan")

    lines = [
        "| build | where | wall s (process) | planned s | first files s | all read s "
        "| OCR done s | publish s | CPU s (all processes) | segments, MB | cluster / local wall |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    builds = [
        ("full", f"×{out['copies']} from scratch ({out['files']} files)"),
        ("update", f"update of {UPDATED_BOOKS} books"),
        ("one", "one book from scratch"),
    ]
    if out.get("scans"):
        builds.append(("scans", f"{out['scanned_pages']} scanned pages from scratch (OCR)"))
    for name, label in builds:
        rows = out[name]
        for where in ("local", "cluster"):
            wall = med(rows, where, "end")
            ocr = med(rows, where, "ocr")
            last = med(rows, where, "read") if math.isnan(ocr) else ocr
            lines.append(
                f"| {label} | {where} | {wall:.2f} ({med(rows, where, 'process'):.2f}) "
                f"| {med(rows, where, 'planned'):.2f} | {med(rows, where, 'first'):.2f} "
                f"| {med(rows, where, 'read'):.2f} | {'–' if math.isnan(ocr) else f'{ocr:.2f}'} "
                f"| {wall - last:.2f} | {med(rows, where, 'cpu'):.1f} "
                f"| {med(rows, where, 'segments'):.0f}, {med(rows, where, 'index_mb'):.0f} "
                f"| {wall / med(rows, 'local', 'end'):.2f}× |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scans", type=int, default=12, help="scanned pages (0: none)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", nargs=2, metavar=("SOURCE", "INDEX"), help=argparse.SUPPRESS)
    parser.add_argument("--cluster", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_build(*args.one, args.cluster, args.full)))
        return
    out = measure(args)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1), "utf-8")
    print(table(out))
    dask = out["dask"]
    print(
        f"\nDask: {dask['per_task_ms']:.2f} ms per task (200 submitted at once), "
        f"{dask['round_trip_ms']:.1f} ms per round trip (median of 20)."
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
