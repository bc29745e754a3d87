"""Search as you type, server side: the latency of the requests a typist makes.

Every prefix of a few dozen phrases taken from the corpus ("b", "bl", "ble", ...,
"blessed are the meek") is asked for in three forms, side by side:

  flat      /api/search?q=P                          the API as it was
  grouped   /api/search?q=P&group=doc&facets=1       what the results page computes
  page      /?q=P                                    what the page's script fetches

Each prefix is asked once per form, so every request misses the result cache.
Three measurements: the engine in-process (flat against grouped with facets,
each on its own Engine, interleaved query by query); one typist over HTTP (a
`seedsearch serve` with 2 workers per form, all three up, the forms interleaved
prefix by prefix); and 8 connections sharing the prefixes, each form on a fresh
server in turn, ROUNDS rounds in rotating order. The machine is shared: compare
the forms of one run, not runs. Run after `./run.sh test` and
`.venv/bin/pip install -e '.[bench]'`:

    .venv/bin/python -m bench.perf_typing            # seed and the King James Bible ×1
    .venv/bin/python -m bench.perf_typing --json     # the figures as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import kjv
from indexer.build.run import build_index
from indexer.errors import BadQuery
from indexer.models import Query
from indexer.search.engine import Engine
from tests.live_server import live_server

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work" / "typing"

FORMS = {
    "flat": lambda q: "/api/search?" + urlencode({"q": q}),
    "grouped": lambda q: "/api/search?" + urlencode({"q": q, "group": "doc", "facets": "1"}),
    "page": lambda q: "/?" + urlencode({"q": q}),
}
PHRASES = 40  # phrases typed per corpus
CONNECTIONS = 8
ROUNDS = 2  # of the 8-connection runs, each form on a fresh server
SEED = 14


@dataclass(frozen=True)
class Run:
    corpus: str
    form: str
    clients: int
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def phrases(source: Path, count: int) -> list[str]:
    """`count` phrases of 2-5 words from the corpus's own sentences."""
    rng = random.Random(SEED)
    texts = [p.read_text("utf-8") for p in sorted(source.rglob("*.*")) if p.is_file()]
    words = [re.findall(r"[A-Za-z]+", t) for t in texts]
    out = []
    while len(out) < count:
        doc = rng.choice(words)
        start = rng.randrange(max(1, len(doc) - 5))
        out.append(" ".join(doc[start : start + rng.randint(2, 5)]).lower())
    return out


def prefixes(typed: list[str]) -> list[str]:
    """What a typist's box holds after each key, once each, blanks left out."""
    seen = dict.fromkeys(t[:n].strip() for t in typed for n in range(1, len(t) + 1))
    return [p for p in seen if p]


def timed(url: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            ok = True
    except urllib.error.HTTPError as error:
        error.read()
        ok = error.code == 400  # a lone stop word or wildcard: a fast, correct answer
    return (time.perf_counter() - started) * 1000, ok


def measure(base: str, paths: list[str], clients: int) -> tuple[list[float], int]:
    """Each path requested once by `clients` connections sharing the list."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = iter(paths)

    def work() -> None:
        nonlocal errors
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                return
            ms, ok = timed(base + path)
            with lock:
                times.append(ms)
                errors += not ok

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(corpus: str, form: str, clients: int, times: list[float], errors: int) -> Run:
    return Run(
        corpus,
        form,
        clients,
        len(times),
        round(statistics.median(times), 2),
        round(percentile(times, 95), 2),
        round(percentile(times, 99), 2),
        round(max(times), 2),
        errors,
    )


def engine_runs(name: str, index: Path, typed: list[str]) -> list[Run]:
    """In-process: Engine.search, flat against grouped with facets, interleaved."""
    forms = {
        "flat": lambda q: Query(q),
        "grouped": lambda q: Query(q, by_document=True, facets=True),
    }
    engines = {form: Engine(index) for form in forms}
    times: dict[str, list[float]] = {form: [] for form in forms}
    for n, q in enumerate(typed):
        order = list(forms) if n % 2 else list(forms)[::-1]
        for form in order:
            started = time.perf_counter()
            # A lone stop word or wildcard is refused: a fast, correct answer.
            with contextlib.suppress(BadQuery):
                engines[form].search(forms[form](q))
            times[form].append((time.perf_counter() - started) * 1000)
    for engine in engines.values():
        engine.close()
    return [summary(name, f"engine {form}", 1, times[form], 0) for form in forms]


def typist_runs(name: str, index: Path, typed: list[str]) -> list[Run]:
    """One typist over HTTP: a server per form, forms interleaved prefix by prefix."""
    with contextlib.ExitStack() as stack:
        servers = {form: stack.enter_context(live_server(index, workers=2)) for form in FORMS}
        for form, server in servers.items():
            server.get(FORMS[form]("warm up"))  # the index opened, its catalog built
        times: dict[str, list[float]] = {form: [] for form in FORMS}
        errors = dict.fromkeys(FORMS, 0)
        forms = list(FORMS)
        for n, q in enumerate(typed):
            for form in forms[n % 3 :] + forms[: n % 3]:
                ms, ok = timed(servers[form].url + FORMS[form](q))
                times[form].append(ms)
                errors[form] += not ok
    return [summary(name, form, 1, times[form], errors[form]) for form in FORMS]


def loaded_runs(name: str, index: Path, typed: list[str]) -> list[Run]:
    """CONNECTIONS connections over HTTP, each form on a fresh server, in rotation."""
    times: dict[str, list[float]] = {form: [] for form in FORMS}
    errors = dict.fromkeys(FORMS, 0)
    forms = list(FORMS)
    for round_ in range(ROUNDS):
        for form in forms[round_ % 3 :] + forms[: round_ % 3]:
            with live_server(index, workers=2) as server:
                server.get(FORMS[form]("warm up"))
                got, failed = measure(server.url, [FORMS[form](q) for q in typed], CONNECTIONS)
            times[form] += got
            errors[form] += failed
    return [summary(name, form, CONNECTIONS, times[form], errors[form]) for form in FORMS]


def run_corpus(name: str, slug: str, source: Path) -> list[Run]:
    index = WORK / f"index-{slug}"
    if not (index / "current").exists():
        build_index(source, index, full=True)
    typed = prefixes(phrases(source, PHRASES))
    runs = []
    for measure_ in (engine_runs, typist_runs, loaded_runs):
        runs += measure_(name, index, typed)
        for run in runs[-3:]:
            print(json.dumps(asdict(run), ensure_ascii=False), file=sys.stderr)
    return runs


def table(runs: list[Run]) -> str:
    flat = {(r.corpus, r.clients, r.form.startswith("engine")): r for r in runs if "flat" in r.form}
    lines = [
        "| corpus | form | connections | requests | p50 ms | p95 ms | p99 ms | max ms "
        "| p50 vs flat | p99 vs flat |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        base = flat[(r.corpus, r.clients, r.form.startswith("engine"))]
        lines.append(
            f"| {r.corpus} | {r.form} | {r.clients} | {r.requests} | {r.p50_ms} | {r.p95_ms} "
            f"| {r.p99_ms} | {r.max_ms} | {r.p50_ms / base.p50_ms:.2f}× "
            f"| {r.p99_ms / base.p99_ms:.2f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    corpora = [
        ("seed", "seed", ROOT / "seeds"),
        ("KJV ×1", "kjv1", kjv.corpus(BENCH / "work", 1).path),
    ]
    runs = [run for name, slug, source in corpora for run in run_corpus(name, slug, source)]
    if args.json:
        print(json.dumps([asdict(r) for r in runs], indent=1))
    else:
        print(table(runs))


if __name__ == "__main__":
    main()
