"""/api/search against the bare framework: seedsearch's API and the hello app (the
same Flask under the same gunicorn threaded workers, answering a small JSON object)
in interleaved runs at ×1, optionally with an older commit's seedsearch beside them
and a py-spy profile of a seedsearch worker.

    .venv/bin/python -m bench.perf_api [--runs 5] [--seconds 10] [--against REV] [--profile]
    .venv/bin/python -m bench.perf_api --in-process [--runs 7] [--against REV]

Prints a Markdown table of medians and each seedsearch's share of hello's requests
per second in the same run, then (--profile) where a worker's GIL-holding time goes.
--in-process instead calls each WSGI app directly, without a server, and prints the
CPU time per request, also for one URL repeated (answered from the result cache: all
a request costs but the search): far less noisy on a shared machine. Needs wrk, the
×1 corpus and the seedsearch ×1 index of bench/perf.py (built when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import psutil

from bench import kjv, perf_http, perf_profile, trees
from bench.perf import PYTHON, ROOT, WORK, code_version, index_path, log
from bench.perf_queries import query_mix, warmup_mix
from bench.perf_workers import ensure_index

PROFILE_SECONDS = 10
IN_PROCESS_REQUESTS = 1000  # per run, after 200 to warm up
CACHED = ", one URL repeated (cached)"


def servers(against: dict[str, Path]) -> dict[str, tuple[str, dict[str, str]]]:
    """name -> (perf_http system, extra environment), in the order they run."""
    out = {"seedsearch": ("seedsearch", {})}
    for name, tree in against.items():  # the older commit's code first on the path
        out[name] = ("seedsearch", {"PYTHONPATH": str(tree)})
    out["hello"] = ("hello", {})
    return out


def measure(args: argparse.Namespace, index: Path, against: dict[str, Path]) -> dict:
    queries, warm = mixes()
    runs: dict[str, list[dict]] = {name: [] for name in servers(against)}
    script = WORK / "raw" / "wrk-api.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    for n in range(args.runs):
        # Interleaved: each run sees the machine's noise alike.
        for name, (system, env) in servers(against).items():
            logfile = WORK / "logs" / f"api-{name.replace(' ', '-')}.log"
            with perf_http.serving(system, index, logfile, env) as server:
                perf_http.wrk(server, "api", warm, script, 2, 1)  # both workers warm
                before = _workers_cpu(server)
                r = perf_http.wrk(server, "api", queries, script, args.seconds, 1)
                cpu_us = (_workers_cpu(server) - before) / max(r.requests, 1) * 1e6
            runs[name].append({**asdict(r), "worker_cpu_us": cpu_us})
            log(
                f"{name} (run {n + 1}/{args.runs}): {r.rps:,.0f} req/s, "
                f"p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
                f"{cpu_us:,.0f} µs of worker CPU per request"
            )
    return runs


def _workers_cpu(server: perf_http.Server) -> float:
    """CPU seconds the server's workers have used so far (user + system)."""
    total = 0.0
    for worker in psutil.Process(server.pid).children():
        times = worker.cpu_times()
        total += times.user + times.system
    return total


def mixes() -> tuple[list[str], list[str]]:
    """The 3,000 query URLs (few repeat within a run) and the warm-up queries."""
    corpus = kjv.corpus(WORK, 1).path
    mix = query_mix(corpus, scale=10)
    return [q.seedsearch() for q in mix], [q.seedsearch() for q in warmup_mix(corpus, mix)]


def profile(index: Path) -> Path:
    """py-spy on one seedsearch worker while wrk loads the server (GIL-holding samples:
    time spent waiting for a core that wrk holds is not the worker's work)."""
    queries, warm = mixes()
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


class InProcess:
    """This checkout's app and the hello app, called as WSGI over the same URLs."""

    def __init__(self, index: Path) -> None:
        from bench.hello_app import app as hello
        from webapp import create_app

        self.seedsearch = create_app({"INDEX": str(index)})
        self.engine = self.seedsearch.extensions["seedsearch"]
        self.engine.prepare()
        self.hello = hello
        queries, _ = mixes()
        environs = [self._environ(q) for q in queries[: 200 + IN_PROCESS_REQUESTS]]
        self.warm, self.urls = environs[:200], environs[200:]
        for app in (self.seedsearch, self.hello):
            self._serve(app, self.warm)

    def run(self, hello: bool = True) -> dict[str, float]:
        """CPU µs per request of each; the result cache is emptied before each pass,
        as distinct URLs would find it."""
        passes = {
            "seedsearch": (self.seedsearch, self.urls),
            # The same URL again and again: the result cache answers.
            "seedsearch" + CACHED: (self.seedsearch, [self.urls[0]] * IN_PROCESS_REQUESTS),
        }
        if hello:
            passes["hello"] = (self.hello, self.urls)
        out = {}
        for name, (app, environs) in passes.items():
            self.engine.clear_cache()
            started = time.process_time()
            self._serve(app, environs)
            out[name] = (time.process_time() - started) / len(environs) * 1e6
        return out

    @staticmethod
    def _environ(q: str) -> dict:
        from werkzeug.test import EnvironBuilder

        return EnvironBuilder(path="/api/search", query_string={"q": q}).get_environ()

    @staticmethod
    def _serve(app, environs: list[dict]) -> None:
        for environ in environs:
            body = app(dict(environ), lambda status, headers, exc_info=None: None)
            b"".join(body)
            body.close()


def in_process(args: argparse.Namespace, index: Path, against: dict[str, Path]) -> dict:
    """Runs of this checkout's app and hello here, and of each older commit's app in a
    process of its own with its code first on the path, interleaved."""
    here = InProcess(index)
    micros: dict[str, list[float]] = {}
    for n in range(args.runs):
        for name, tree in against.items():
            for label, value in _in_process_elsewhere(tree).items():
                micros.setdefault(label.replace("seedsearch", name, 1), []).append(value)
        for label, value in here.run().items():
            micros.setdefault(label, []).append(value)
        latest = ", ".join(f"{k} {v[-1]:,.0f} µs" for k, v in micros.items())
        log(f"run {n + 1}/{args.runs}: {latest}")
    return micros


def steps(here: InProcess) -> dict[str, float]:
    """Where a request's CPU goes, in µs per request over the same URLs: each step timed
    where the engine calls it (the timers add about a microsecond per call)."""
    from indexer.search import engine as module

    spent: Counter[str] = Counter()
    wrapped = [
        (module.Engine, "search", "Engine.search"),
        (module, "parse", "parse the query"),
        (module, "rank", "rank"),
        (module, "suggest", "spelling suggestion"),
        (module.Engine, "_hit", "build each hit (stored fields, highlight, link)"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in wrapped]
    for owner, name, label in wrapped:
        setattr(owner, name, _timer(getattr(owner, name), label, spent))
    try:
        total = here.run(hello=False)["seedsearch"]
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    per_request = {label: seconds / IN_PROCESS_REQUESTS * 1e6 for label, seconds in spent.items()}
    search = per_request.pop("Engine.search")
    out = {"the web layer (Flask, parameters, JSON, headers)": total - search}
    out |= per_request
    out["the rest of Engine.search"] = search - sum(per_request.values())
    return out


def _timer(function, label: str, spent: Counter):
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started

    return timed


def _in_process_elsewhere(tree: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="perf-api-") as tmp:
        out = Path(tmp) / "run.json"
        argv = [str(PYTHON), "-m", "bench.perf_api", "--one-pass", str(out)]
        # Not run from the checkout, whose own webapp/ would come first on the path.
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT}"}
        subprocess.run(argv, cwd=tmp, env=env, check=True)
        return json.loads(out.read_text())


def in_process_table(micros: dict[str, list[float]]) -> str:
    lines = ["| app, called in-process | CPU µs per request (median) |", "|---|---:|"]
    lines += [f"| {name} | {statistics.median(m):,.0f} |" for name, m in micros.items()]
    return "\n".join(lines)


def steps_table(split: dict[str, float]) -> str:
    total = sum(split.values())
    lines = ["| step of a request (this checkout) | CPU µs | share |", "|---|---:|---:|"]
    lines += [f"| {step} | {us:,.0f} | {us / total:.0%} |" for step, us in split.items()]
    return "\n".join(lines)


def table(runs: dict[str, list[dict]]) -> str:
    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    lines = [
        "| server | req/s | p50 ms | p99 ms | max ms | non-2xx / errors | worker CPU µs per "
        "request | share of hello's req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        errors = sum(r["status_errors"] + r["socket_errors"] for r in rs)
        shares = [r["rps"] / h["rps"] for r, h in zip(rs, runs["hello"], strict=True)]
        share = "" if name == "hello" else f"{statistics.median(shares):.0%}"
        share += f" ({', '.join(f'{x:.0%}' for x in shares)})" if share else ""
        lines.append(
            f"| {name} | {med(name, 'rps'):,.0f} | {med(name, 'p50_ms'):.1f} "
            f"| {med(name, 'p99_ms'):.1f} | {med(name, 'max_ms'):.0f} | {errors} "
            f"| {med(name, 'worker_cpu_us'):,.0f} | {share} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--against", help="also run this commit's seedsearch (e.g. main)")
    parser.add_argument("--profile", action="store_true", help="add a py-spy profile")
    parser.add_argument("--in-process", action="store_true", help="no server: CPU per request")
    parser.add_argument("--one-pass", type=Path, help=argparse.SUPPRESS)  # see in_process
    parser.add_argument("--out", type=Path, default=WORK / "perf-api.json")
    args = parser.parse_args()
    if not PYTHON.exists():
        sys.exit("Run ./run.sh test first (it sets up .venv).")
    if args.one_pass:  # the index is there: the process that started this one made it
        one_pass = InProcess(index_path("seedsearch", 1)).run(hello=False)
        args.one_pass.write_text(json.dumps(one_pass))
        return
    index = ensure_index(kjv.corpus(WORK, 1).path)
    with tempfile.TemporaryDirectory(prefix="perf-api-") as tmp:
        against = {}
        if args.against:
            tree = trees.unpack(args.against, Path(tmp), ("indexer", "webapp"))
            against[f"seedsearch {trees.short(args.against)}"] = tree
        result = {"code": code_version(), "against": args.against}
        if args.in_process:
            result["in_process"] = micros = in_process(args, index, against)
            result["steps"] = split = steps(InProcess(index))
            report = in_process_table(micros) + "\n\n" + steps_table(split)
        else:
            result["runs"] = runs = measure(args, index, against)
            report = table(runs)
    print(report)
    if args.profile:
        log("profile: one seedsearch worker under wrk ...")
        raw = profile(index)
        stages = perf_profile.SERVE_STAGES + perf_profile.SEARCH_STAGES[1:]
        summary = perf_profile.summarise("one seedsearch worker, /api/search ×1", raw, stages)
        result["profile"] = str(raw)
        print()
        print(perf_profile.markdown(summary))
    out = args.out.with_suffix(".in-process.json") if args.in_process else args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
