"""Engine-side query latency, including highlighting of the 10 hits, for one system.

Runs in its own process (so one system's caches and memory do not colour another's):
    perf_query.py SYSTEM INDEX CORPUS [--rounds N] [--cold] [--out FILE]
SYSTEM is seedsearch (one warm Engine), naive (index opened per query) or fts5.
--cold skips the warm-up: the first round is the first use of a freshly started
process; seedsearch's result cache is emptied between rounds, so no round is
answered from it.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import psutil

from bench.perf_queries import MixQuery, query_mix, warmup_mix


def seedsearch_runner(index: Path) -> Callable[[MixQuery], int]:
    from indexer.errors import SeedsearchError
    from indexer.models import Query
    from indexer.search.engine import Engine

    engine = Engine(index)
    engine.prepare()  # as a serving worker does when it starts

    def run(q: MixQuery) -> int:
        try:
            result = engine.search(Query(q.seedsearch()))
        except SeedsearchError:
            return -1
        return result.total

    run.reset = engine.clear_cache  # type: ignore[attr-defined]
    return run


def naive_runner(index: Path) -> Callable[[MixQuery], int]:
    from bench import perf_naive

    return lambda q: perf_naive.search(index, q.whoosh())["total"]


def fts5_runner(index: Path) -> Callable[[MixQuery], int]:
    from bench import perf_fts5

    db = perf_fts5.connect(index)
    return lambda q: perf_fts5.search(db, q.fts5())["total"]


RUNNERS = {"seedsearch": seedsearch_runner, "naive": naive_runner, "fts5": fts5_runner}


def measure(
    system: str, index: Path, corpus: Path, rounds: int, out: TextIO, cold: bool = False
) -> None:
    """Warm up on queries outside the mix (unless cold), then time each query of the mix
    once per round, writing one JSON line per query as it goes (a run stopped early keeps
    what it did)."""
    mix = query_mix(corpus)
    run = RUNNERS[system](index)
    if not cold:
        for q in warmup_mix(corpus, mix):
            run(q)
    out.write(json.dumps({"system": system, "queries": len(mix), "rounds": rounds}) + "\n")
    for n in range(rounds):
        if n and cold and hasattr(run, "reset"):
            run.reset()
        for q in mix:
            started = time.perf_counter()
            total = run(q)
            ms = (time.perf_counter() - started) * 1000
            row = {"kind": q.kind, "q": q.seedsearch(), "ms": ms, "total": total, "round": n}
            out.write(json.dumps(row) + "\n")
            out.flush()
    out.write(json.dumps({"rss_mb": psutil.Process().memory_info().rss / 1e6}) + "\n")


def read_run(path: Path) -> dict:
    """A run's lines gathered; queries it did not finish have no entry (see `done`)."""
    text = path.read_text() if path.exists() else ""
    lines = [json.loads(x) for x in text.splitlines() if x.strip()]
    if not lines:
        lines = [{}]
    head, rows = lines[0], [x for x in lines[1:] if "ms" in x]
    tail = lines[-1] if "rss_mb" in lines[-1] else {}
    return {
        "system": head.get("system"),
        "queries": head.get("queries", 0) * head.get("rounds", 1),
        "done": len(rows),
        "kinds": [x["kind"] for x in rows],
        "qs": [x["q"] for x in rows],
        "ms": [x["ms"] for x in rows],
        "totals": [x["total"] for x in rows],
        "errors": sum(1 for x in rows if x["total"] < 0),
        "rounds": [x.get("round", 0) for x in rows],
        "rss_mb": tail.get("rss_mb", 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("system", choices=sorted(RUNNERS))
    parser.add_argument("index", type=Path)
    parser.add_argument("corpus", type=Path, help="the x1 corpus the query mix is drawn from")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="no warm-up; no cached results")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.out:
        with open(args.out, "w") as out:
            measure(args.system, args.index, args.corpus, args.rounds, out, args.cold)
        return
    measure(args.system, args.index, args.corpus, args.rounds, io.StringIO(), args.cold)


if __name__ == "__main__":
    main()
