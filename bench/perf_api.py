"""/api/search against the bare framework: seedsearch's API and the hello app (the
same Flask under the same gunicorn threaded workers, answering a small JSON object)
in interleaved runs at ×1, and optionally a py-spy profile of a seedsearch worker.

    .venv/bin/python -m bench.perf_api [--runs 5] [--seconds 10] [--profile]
    .venv/bin/python -m bench.perf_api --in-process [--runs 5]

Prints a Markdown table of medians and seedsearch's share of hello's requests per
second, then (--profile) where a worker's GIL-holding time goes. --in-process
instead calls each WSGI app directly, without a server, and prints the CPU time
per request: far less noisy on a shared machine, so it measures one change at a
time. Needs wrk, the ×1 corpus and the seedsearch ×1 index of bench/perf.py
(built when missing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import psutil

from bench import kjv, perf_http, perf_profile
from bench.perf import PYTHON, WORK, code_version, log
from bench.perf_queries import query_mix, warmup_mix
from bench.perf_workers import ensure_index

SYSTEMS = ("seedsearch", "hello")
PROFILE_SECONDS = 10
IN_PROCESS_REQUESTS = 1000  # per run, after 200 to warm up


def measure(args: argparse.Namespace, index: Path, queries: list[str], warm: list[str]) -> dict:
    runs: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
    script = WORK / "raw" / "wrk-api.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    for n in range(args.runs):
        for system in SYSTEMS:  # interleaved: each run sees the machine's noise alike
            with perf_http.serving(system, index, WORK / "logs" / f"api-{system}.log") as server:
                perf_http.wrk(server, "api", warm, script, 2, 1)  # both workers warm
                r = perf_http.wrk(server, "api", queries, script, args.seconds, 1)
            runs[system].append(asdict(r))
            log(
                f"{system} (run {n + 1}/{args.runs}): {r.rps:,.0f} req/s, "
                f"p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms"
            )
    return runs


def profile(index: Path, queries: list[str], warm: list[str]) -> Path:
    """py-spy on one seedsearch worker while wrk loads the server (GIL-holding samples:
    time spent waiting for a core that wrk holds is not the worker's work)."""
    out = WORK / "profile" / "api-worker-x1.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    script = WORK / "raw" / "wrk-api-profile.lua"
    with perf_http.serving("seedsearch", index, WORK / "logs" / "api-profile.log") as server:
        perf_http.wrk(server, "api", warm, script, 2, 1)
        worker = psutil.Process(server.pid).children()[0].pid
        spy = [str(perf_profile.PY_SPY), "record", "--gil", "-r", "200", "-f", "raw"]
        spy += ["-d", str(PROFILE_SECONDS), "-p", str(worker), "-o", str(out)]
        with subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as p:
            perf_http.wrk(server, "api", queries, script, PROFILE_SECONDS, 1)
            p.wait(timeout=60)
    return out


def in_process(args: argparse.Namespace, index: Path, queries: list[str]) -> dict[str, list]:
    """CPU microseconds per request of each app called as WSGI, over the same URLs;
    seedsearch's result cache is emptied before each run, as distinct URLs would."""
    from werkzeug.test import EnvironBuilder

    from bench.hello_app import app as hello
    from webapp import create_app

    seedsearch = create_app({"INDEX": str(index)})
    engine = seedsearch.extensions["seedsearch"]
    engine.prepare()
    environs = [
        EnvironBuilder(path="/api/search", query_string={"q": q}).get_environ()
        for q in queries[: 200 + IN_PROCESS_REQUESTS]
    ]

    def serve(app, environs: list[dict]) -> None:
        for environ in environs:
            body = app(dict(environ), lambda status, headers, exc_info=None: None)
            b"".join(body)
            body.close()

    # The same URL again and again: the result cache answers, so this is all a
    # request costs but the search itself.
    repeated = [environs[200]] * IN_PROCESS_REQUESTS
    runs = {
        "seedsearch": (seedsearch, environs[200:]),
        "seedsearch, one URL repeated (cached)": (seedsearch, repeated),
        "hello": (hello, environs[200:]),
    }
    micros: dict[str, list] = {name: [] for name in runs}
    for app in (seedsearch, hello):
        serve(app, environs[:200])
    for n in range(args.runs):
        for name, (app, these) in runs.items():
            engine.clear_cache()
            started = time.process_time()
            serve(app, these)
            micros[name].append((time.process_time() - started) / len(these) * 1e6)
            log(f"{name} (run {n + 1}/{args.runs}): {micros[name][-1]:,.0f} µs per request")
    return micros


def in_process_table(micros: dict[str, list]) -> str:
    lines = ["| app, called in-process | CPU µs per request (median) |", "|---|---:|"]
    lines += [f"| {name} | {statistics.median(m):,.0f} |" for name, m in micros.items()]
    return "\n".join(lines)


def table(runs: dict[str, list[dict]]) -> str:
    def med(system: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[system])

    lines = [
        "| server | req/s | p50 ms | p99 ms | max ms | non-2xx / errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for system in SYSTEMS:
        errors = sum(r["status_errors"] + r["socket_errors"] for r in runs[system])
        lines.append(
            f"| {system} | {med(system, 'rps'):,.0f} | {med(system, 'p50_ms'):.1f} "
            f"| {med(system, 'p99_ms'):.1f} | {med(system, 'max_ms'):.0f} | {errors} |"
        )
    shares = [s["rps"] / h["rps"] for s, h in zip(runs["seedsearch"], runs["hello"], strict=True)]
    lines += [
        "",
        f"seedsearch ÷ hello, req/s: median {statistics.median(shares):.0%} "
        f"(runs: {', '.join(f'{x:.0%}' for x in shares)})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="add a py-spy profile")
    parser.add_argument("--in-process", action="store_true", help="no server: CPU per request")
    parser.add_argument("--out", type=Path, default=WORK / "perf-api.json")
    args = parser.parse_args()
    if not PYTHON.exists():
        sys.exit("Run ./run.sh test first (it sets up .venv).")
    corpus = kjv.corpus(WORK, 1).path
    index = ensure_index(corpus)
    mix = query_mix(corpus, scale=10)  # 3000 URLs: few repeat within a run
    queries = [q.seedsearch() for q in mix]
    warm = [q.seedsearch() for q in warmup_mix(corpus, mix)]
    if args.in_process:
        micros = in_process(args, index, queries)
        print(in_process_table(micros))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".in-process.json").write_text(json.dumps(micros, indent=1))
        return
    runs = measure(args, index, queries, warm)
    result = {"code": code_version(), "runs": runs}
    print(table(runs))
    if args.profile:
        log("profile: one seedsearch worker under wrk ...")
        raw = profile(index, queries, warm)
        stages = perf_profile.SERVE_STAGES + perf_profile.SEARCH_STAGES[1:]
        summary = perf_profile.summarise("one seedsearch worker, /api/search ×1", raw, stages)
        result["profile"] = str(raw)
        print()
        print(perf_profile.markdown(summary))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
