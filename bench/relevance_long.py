"""Long questions and pasted pages on the King James Bible: engine latency by
length, up to a 10,000-character paste.

    .venv/bin/python -m bench.relevance_long [--copies N ...] [--index DIR ...] [--write]

Builds (or, with --index, reuses) an index of N Bibles (bench/kjv.py) under
bench/work/ for each N, then times one warm Engine.search (parse, rank, feedback, spelling,
highlighting of 10 hits) per query, each distinct query once: questions of 10,
50 and 100 words cut from the Bible itself and from the seed essay (words the
Bible mostly lacks), and 10,000-character pastes of either. --write puts the
table into bench/RESULTS.md between its markers, inside the relevance section.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.relevance_report import END as SECTION_END
from bench.relevance_report import LEND as END
from bench.relevance_report import LSTART as START

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "RESULTS.md"
ESSAY = ROOT / "seeds" / "hrw-local-collaborations-in-russia.txt"
PER_KIND = 20  # distinct queries of each kind
LENGTHS = (10, 50, 100)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    indexes = args.index or [_build(n) for n in args.copies]
    if len(indexes) != len(args.copies):
        raise SystemExit("Give one --index per --copies.")
    from bench.relevance import _machine
    from indexer.search.engine import Engine

    rows = []
    for copies, index in zip(args.copies, indexes, strict=True):
        with Engine(index) as engine:
            found, passages = _measure(engine)
        rows += [{"corpus": f"×{copies} ({passages:,} passages)", **r} for r in found]
    text = _render(rows, args, _machine())
    print(text)
    if args.write:
        _write(text)
        print(f"Wrote the long-query table into {RESULTS.relative_to(ROOT)}.")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1], help="Bibles (1)")
    parser.add_argument("--index", type=Path, nargs="+", help="existing indexes of those")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    return parser.parse_args(argv)


def _build(copies: int) -> Path:
    from bench.kjv import corpus
    from indexer.build.run import build_index

    source = corpus(WORK, copies).path
    index = WORK / f"long-queries-x{copies}"
    if not (index / "current").exists():
        print(f"Indexing {source} into {index} ...", file=sys.stderr)
        build_index(source, index, full=True)
    return index


def _queries(source: str, rng: random.Random) -> dict[str, list[str]]:
    """PER_KIND windows of each length, and PER_KIND 10,000-character pastes."""
    from indexer.search.parse import MAX_QUERY_CHARS

    words = source.split()
    kinds: dict[str, list[str]] = {}
    for n in LENGTHS:
        starts = rng.sample(range(len(words) - n), PER_KIND)
        kinds[f"{n} words"] = [" ".join(words[s : s + n]) + "?" for s in starts]
    pastes = []
    for _ in range(PER_KIND):
        start = rng.randrange(len(source) // 2)
        pastes.append(((source[start:] + "\n\n") * 3)[:MAX_QUERY_CHARS])
    kinds["10,000 characters"] = pastes
    return kinds


def _sources() -> dict[str, str]:
    from bench.kjv import corpus

    bible = "\n\n".join(
        re.sub(r"^#+ .*$", "", p.read_text("utf-8"), flags=re.M)
        for p in sorted(corpus(WORK, 1).path.glob("*.md"))
    )
    return {"Bible text": bible, "seed essay": ESSAY.read_text("utf-8")}


def _measure(engine) -> tuple[list[dict], int]:
    from indexer.models import Query

    rng = random.Random(11)
    engine.search(Query("warm up the searcher"))
    rows = []
    for origin, source in _sources().items():
        for kind, queries in _queries(source, rng).items():
            times, warm, shortened, answered = [], [], 0, 0
            for text in queries:
                started = time.perf_counter()
                result = engine.search(Query(text))
                times.append((time.perf_counter() - started) * 1000)
                # Again (11 hits: not the cached result), the words' postings now decoded.
                started = time.perf_counter()
                engine.search(Query(text, per_page=11))
                warm.append((time.perf_counter() - started) * 1000)
                shortened += bool(result.dropped)
                answered += bool(result.hits)
            times.sort()
            warm.sort()
            rows.append(
                {
                    "origin": origin,
                    "kind": kind,
                    "queries": len(queries),
                    "answered": answered,
                    "shortened": shortened,
                    "p50": statistics.median(times),
                    "p99": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
                    "max": times[-1],
                    "warm p50": statistics.median(warm),
                    "warm p99": warm[min(len(warm) - 1, round(0.99 * (len(warm) - 1)))],
                }
            )
            print(f"  {origin:10s} {kind:18s} p50 {rows[-1]['p50']:.1f} ms", file=sys.stderr)
    return rows, engine.health().passages


def _render(rows: list[dict], args, machine: str) -> str:
    from indexer.search.parse import MAX_TERMS

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    copies = " ".join(map(str, args.copies))
    lines = [
        START,
        "### Long questions and pasted pages (King James Bible)",
        "",
        f"Measured {when} on {machine} with `.venv/bin/python -m bench.relevance_long "
        f"--copies {copies}`. One warm `Engine.search` per query (parse, rank, "
        "feedback, spelling, 10 highlighted hits); each query distinct and timed when first "
        "asked (the first time its words' postings are read) and "
        "again (*warm*: the same query for 11 hits, so not a cached result). Queries of over "
        f"{MAX_TERMS} distinct words are searched by their {MAX_TERMS} most informative. "
        "The machine is shared with other work: read the medians.",
        "",
        "| corpus | from | query | queries | answered | shortened | p50 ms | p99 ms | max ms "
        "| warm p50 ms | warm p99 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['origin']} | {r['kind']} | {r['queries']} | {r['answered']} | "
            f"{r['shortened']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
            f"{r['warm p50']:.1f} | {r['warm p99']:.1f} |"
        )
    lines.append(END)
    return "\n".join(lines)


def _write(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8")
    block = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if block.search(old):
        new = block.sub(lambda _: text, old)
    else:
        new = old.replace(SECTION_END, text + "\n" + SECTION_END)
    RESULTS.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
