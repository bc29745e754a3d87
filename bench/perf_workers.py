"""The serving model, side by side at ×1: seedsearch (and the hello ceiling) under
gunicorn's threaded workers, as `seedsearch serve` runs them, against the same apps under
sync workers (the model before), in interleaved runs; then each under two slow clients.

    .venv/bin/python -m bench.perf_workers [--runs 3] [--seconds 10] [--out FILE.json]

Prints a Markdown table of medians and gthread/sync ratios. Needs the ×1 corpus and the
seedsearch ×1 index of bench/perf.py (it builds them when missing) and wrk.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from bench import kjv, perf_http
from bench.perf import PYTHON, ROOT, SEEDSEARCH, WORK, index_path, log, seedsearch_index_ok
from bench.perf_queries import query_mix, warmup_mix

SYSTEMS = ("seedsearch-sync", "seedsearch", "hello-sync", "hello")
SLOW_CLIENTS = perf_http.WORKERS  # as many half-sent requests as there are workers


def ensure_index(corpus: Path) -> Path:
    index = index_path("seedsearch", 1)
    if not seedsearch_index_ok(index):
        log(f"building {index} ...")
        argv = [str(SEEDSEARCH), "index", "--full", "-q", "--source", str(corpus)]
        subprocess.run([*argv, "--index", str(index)], check=True, cwd=ROOT)
    return index


@contextmanager
def slow_clients(server: perf_http.Server, count: int):
    """`count` connections that send half a request and then nothing (slowloris)."""
    host, port = server.url.removeprefix("http://").split(":")
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, int(port)), timeout=30)
            sock.sendall(b"GET /api/search?q=light HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        yield
    finally:
        for sock in socks:
            sock.close()


def measure(args: argparse.Namespace) -> dict[str, list[dict]]:
    corpus = kjv.corpus(WORK, 1).path
    index = ensure_index(corpus)
    queries = [q.seedsearch() for q in query_mix(corpus, scale=10)]
    warm = [q.seedsearch() for q in warmup_mix(corpus, query_mix(corpus, scale=10))]
    runs: dict[str, list[dict]] = {}
    for n in range(args.runs):
        for system in SYSTEMS:  # interleaved: each run sees the machine's noise alike
            log(f"{system} (run {n + 1}/{args.runs}) ...")
            script = WORK / "raw" / f"wrk-workers-{system}.lua"
            script.parent.mkdir(parents=True, exist_ok=True)
            with perf_http.serving(system, index, WORK / "logs" / f"{system}.log") as server:
                perf_http.wrk(server, "api", warm, script, 2, 1)
                routes = ["api"] if system.startswith("hello") else ["api", "html"]
                for route in routes:
                    r = perf_http.wrk(server, route, queries, script, args.seconds, 1)
                    runs.setdefault(f"{system} {route}", []).append(asdict(r))
                    log(f"  {route}: {r.rps:.0f} req/s, p99 {r.p99_ms:.1f} ms")
                if not system.startswith("hello"):
                    with slow_clients(server, SLOW_CLIENTS):
                        r = perf_http.wrk(server, "api", queries, script, args.seconds, 1)
                    runs.setdefault(f"{system} api+slow", []).append(asdict(r))
                    log(f"  api with {SLOW_CLIENTS} slow clients: {r.rps:.0f} req/s")
    return runs


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def table(runs: dict[str, list[dict]]) -> str:
    lines = [
        "| server | route | workers | req/s | p50 ms | p99 ms | max ms | non-2xx / errors "
        "| req/s gthread ÷ sync | p99 gthread ÷ sync |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, rs in runs.items():
        system, route = key.split(" ")
        name, sync = system.removesuffix("-sync"), system.endswith("-sync")
        other = runs.get(f"{name} {route}") if sync else None
        ratio = rps_ratio = ""
        if other and median(rs, "requests") == 0:
            rps_ratio = ratio = "sync answered nothing"
        elif other:
            rps_ratio = f"{median(other, 'rps') / median(rs, 'rps'):.2f}×"
            ratio = f"{median(other, 'p99_ms') / median(rs, 'p99_ms'):.2f}×"
        errors = sum(r["status_errors"] + r["socket_errors"] for r in rs)
        label = {"api": "/api/search", "html": "/?q=", "api+slow": "/api/search, 2 slow clients"}
        lines.append(
            f"| {name} | {label[route]} | {'sync' if sync else 'gthread ×16'} "
            f"| {median(rs, 'rps'):,.0f} | {median(rs, 'p50_ms'):.1f} "
            f"| {median(rs, 'p99_ms'):.1f} | {median(rs, 'max_ms'):.0f} | {errors} "
            f"| {rps_ratio} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=WORK / "perf-workers.json")
    args = parser.parse_args()
    if not PYTHON.exists():
        sys.exit("Run ./run.sh test first (it sets up .venv).")
    runs = measure(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=1))
    print(table(runs))


if __name__ == "__main__":
    main()
