"""seedsearch's performance benchmark (issue 5): index build, engine query latency and
HTTP serving, side by side with a naive Whoosh approach, SQLite FTS5 and a hello route.

    .venv/bin/python -m bench.perf            # full: ×1 and ×10 (+ ×32 build), ~30 min
    .venv/bin/python -m bench.perf --quick    # ×1 only, short runs, under 2 minutes
    add --write to update bench/RESULTS.md (performance section) and bench/latency.png,
    --profile to add py-spy profiles (always on in full mode),
    --reuse to query existing indexes in bench/work/ instead of rebuilding them,
    --render MODE to rewrite the report from the last saved MODE run.

Generated corpora, indexes, profiles and raw results live in bench/work/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
PYTHON = ROOT / ".venv" / "bin" / "python"
SEEDSEARCH = ROOT / ".venv" / "bin" / "seedsearch"
APT = {"bible": "bible-kjv", "wrk": "wrk"}  # command -> Debian package
PIP = {"psutil": "psutil", "matplotlib": "matplotlib"}  # module -> pip package
BIG_BUILD_LIMIT = 20 * 60  # seconds the ×32 build may take before it is stopped
SLOW_RUN = 120  # seconds: a query run slower than this is not repeated
HTTP_MIX_SCALE = 10  # ×300 distinct URLs, so a result cache rarely sees a repeat


@dataclass(frozen=True)
class Mode:
    name: str
    build_scales: tuple[int, ...]
    query_scales: tuple[int, ...]
    http_scales: tuple[int, ...]
    runs: int  # repetitions of ×1 builds, of query runs and of ×1 HTTP runs
    http_seconds: int
    big: bool  # the ×32 seedsearch build
    profile: bool
    query_budget: int  # seconds one system's query run may take


QUICK = Mode("quick", (1,), (1,), (1,), 1, 3, False, False, 60)
FULL = Mode("full", (1, 10), (1, 10), (1, 10), 3, 10, True, True, 600)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_tools(profile: bool) -> None:
    """Install what the benchmark needs (apt as root, pip into the venv), or say what."""
    apt = [pkg for cmd, pkg in APT.items() if shutil.which(cmd) is None]
    pip = [pkg for mod, pkg in PIP.items() if importlib.util.find_spec(mod) is None]
    if profile and not (ROOT / ".venv" / "bin" / "py-spy").exists():
        pip.append("py-spy")
    if apt:
        if os.geteuid() != 0:
            sys.exit(f"Missing tools; run: sudo apt-get install -y {' '.join(apt)}")
        log(f"apt-get install -y {' '.join(apt)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", *apt], check=True, env=env)
    if pip:
        log(f"pip install {' '.join(pip)}")
        cmd = [str(PYTHON), "-m", "pip", "install", "--quiet", *pip]
        if subprocess.run(cmd).returncode:
            sys.exit(f"Could not install; run: .venv/bin/pip install {' '.join(pip)}")
        importlib.invalidate_caches()


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text()
    cpu = next((x.split(":", 1)[1].strip() for x in info.splitlines() if "model name" in x), "?")
    mem = Path("/proc/meminfo").read_text().split()
    ram_kb = int(mem[mem.index("MemTotal:") + 1])
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    try:
        os_name = platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        os_name = platform.platform()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_kb / 1024 / 1024,
        "os": os_name,
        "python": platform.python_version(),
        "whoosh": metadata.version("whoosh-reloaded"),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk[1] if len(wrk) > 1 else "?",
    }


def code_version() -> str:
    """The commit measured, and whether the work tree had changes on top of it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "indexer", "webapp"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return f"{head or '?'}" + (" + uncommitted changes in indexer/ or webapp/" if dirty else "")


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, and how many runs there were."""
    chosen = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**chosen, "runs": len(runs)}


def index_path(system: str, copies: int) -> Path:
    return WORK / "index" / (f"{system}-x{copies}" + (".db" if system == "fts5" else ""))


def seedsearch_index_ok(path: Path) -> bool:
    """True if `path` holds an index this version of seedsearch can open."""
    code = "import sys; from indexer.search.engine import Engine; Engine(sys.argv[1]).health()"
    return subprocess.run([str(PYTHON), "-c", code, str(path)], capture_output=True).returncode == 0


def run_builds(mode: Mode, corpora: dict, reuse: bool, notes: list[str]) -> list[dict]:
    from bench import perf_build

    cache_file = WORK / "perf-builds.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    out = []
    for copies in mode.build_scales:
        c = corpora[copies]
        for system in ("seedsearch", "naive", "fts5"):
            key = f"{system}-x{copies}"
            path = index_path(system, copies)
            usable = seedsearch_index_ok(path) if system == "seedsearch" else path.exists()
            if reuse and usable and key in cache:
                log(f"build {key}: reusing the index and numbers of {cache[key]['date']}")
                out.append(cache[key])
                notes.append(f"build {key} reused from {cache[key]['date']} (--reuse).")
                continue
            runs = []
            for _ in range(mode.runs if copies == 1 else 1):
                log(f"build {key} ...")
                if system == "seedsearch":
                    r = perf_build.seedsearch(c.path, path, copies, c.bytes)
                else:
                    r = perf_build.reference(system, c.path, path, copies, c.bytes)
                log(f"  {r.seconds:.1f} s, {r.passages} passages, peak {r.peak_rss_mb:.0f} MB")
                runs.append({**asdict(r), "date": dt.date.today().isoformat()})
            cache[key] = median_run(runs)
            out.append(cache[key])
            cache_file.write_text(json.dumps(cache, indent=1))
    return out


def big_build(corpora: dict, builds: list[dict], notes: list[str]) -> dict | None:
    """seedsearch alone on ×32 (≈1M verses), stopped after BIG_BUILD_LIMIT."""
    from bench import perf_build

    c = corpora[32]
    path = index_path("seedsearch", 32)
    x10 = next((b for b in builds if b["system"] == "seedsearch" and b["copies"] == 10), None)
    if x10 and x10["seconds"] * 3.2 > BIG_BUILD_LIMIT:
        minutes = x10["seconds"] * 3.2 / 60
        notes.append(
            f"The ×32 seedsearch build was skipped: ×10 throughput projects {minutes:.0f} min, "
            f"over the benchmark's {BIG_BUILD_LIMIT / 60:.0f} min limit (target: < 5 min)."
        )
        log(f"build seedsearch-x32 skipped (projected {minutes:.0f} min)")
        return None
    log("build seedsearch-x32 ...")
    try:
        r = perf_build.seedsearch(c.path, path, 32, c.bytes, limit=BIG_BUILD_LIMIT)
    except perf_build.TooSlow as exc:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"The ×32 seedsearch build was {exc} (limit {BIG_BUILD_LIMIT / 60:.0f} min).")
        log(f"  {exc}")
        return None
    log(f"  {r.seconds:.1f} s, {r.passages} passages, peak {r.peak_rss_mb:.0f} MB")
    return {**asdict(r), "runs": 1, "date": dt.date.today().isoformat()}


def run_queries(mode: Mode, corpus1: Path, notes: list[str]) -> dict:
    from bench import perf_query
    from bench.perf_queries import query_mix
    from bench.perf_report import latency_summary

    out: dict[str, dict] = {}
    for copies in mode.query_scales:
        out[str(copies)] = {}
        for system in ("seedsearch", "naive", "fts5"):
            runs = []
            for n in range(mode.runs):
                log(f"queries {system} ×{copies} (run {n + 1}/{mode.runs}) ...")
                raw = WORK / "raw" / f"query-{system}-x{copies}-{n}.jsonl"
                raw.parent.mkdir(parents=True, exist_ok=True)
                raw.unlink(missing_ok=True)
                argv = [str(PYTHON), str(BENCH / "perf_query.py"), system]
                argv += [str(index_path(system, copies)), str(corpus1), "--out", str(raw)]
                started = time.perf_counter()
                try:
                    subprocess.run(argv, check=True, cwd=ROOT, timeout=mode.query_budget)
                except subprocess.CalledProcessError as exc:
                    notes.append(
                        f"{system} ×{copies} query run {n + 1} failed (exit {exc.returncode}); "
                        "its unfinished queries count as timed out."
                    )
                    log(f"  failed (exit {exc.returncode})")
                except subprocess.TimeoutExpired:
                    notes.append(
                        f"{system} ×{copies} query run {n + 1} stopped after its "
                        f"{mode.query_budget} s budget; unfinished queries count as timed out."
                    )
                    log(f"  stopped after {mode.query_budget} s")
                runs.append(perf_query.read_run(raw))
                if not runs[-1]["queries"]:  # died before its first query
                    runs[-1]["queries"] = len(query_mix(corpus1))
                if runs[-1]["done"] < runs[-1]["queries"]:
                    break  # one slow run says enough; do not spend the budget again
                if time.perf_counter() - started > SLOW_RUN:
                    break  # seconds-long queries need no median of three to be seen
            s = latency_summary(runs)
            out[str(copies)][system] = s
            log(f"  p50 {s['p50']:.2f} ms, p95 {s['p95']:.2f} ms, p99 {s['p99']:.2f} ms")
    return out


def run_cold(mode: Mode, corpus1: Path, notes: list[str]) -> dict:
    """The mix twice in a fresh seedsearch process, with no warm-up (and the page cache
    dropped when running as root): first use against steady state."""
    from bench import perf_query
    from bench.perf_report import latency_summary

    out = {}
    for copies in mode.query_scales:
        dropped = drop_page_cache()
        raw = WORK / "raw" / f"query-cold-x{copies}.jsonl"
        raw.parent.mkdir(parents=True, exist_ok=True)
        log(f"queries seedsearch ×{copies}, cold (page cache dropped: {dropped}) ...")
        argv = [str(PYTHON), str(BENCH / "perf_query.py"), "seedsearch"]
        argv += [str(index_path("seedsearch", copies)), str(corpus1), "--cold", "--rounds", "2"]
        subprocess.run([*argv, "--out", str(raw)], check=True, cwd=ROOT, timeout=600)
        run = perf_query.read_run(raw)
        passes = []
        for n in (0, 1):
            rows = [i for i, r in enumerate(run["rounds"]) if r == n]
            part = {**run, "queries": len(rows), "done": len(rows)}
            for key in ("kinds", "qs", "ms", "totals"):
                part[key] = [run[key][i] for i in rows]
            passes.append(part)
        first, second = (latency_summary([p]) for p in passes)
        out[str(copies)] = {
            "dropped": dropped,
            "first": first,
            "second": second,
            "first_s": sum(passes[0]["ms"]) / 1000,
            "second_s": sum(passes[1]["ms"]) / 1000,
        }
        c = out[str(copies)]
        log(f"  pass 1 {c['first_s']:.2f} s, pass 2 {c['second_s']:.2f} s")
    return out


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so index files are read from disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        return True
    except OSError:
        return False


UPDATED_BOOK = "copy-01/40-matthew.md"


def run_update(corpora: dict, runs: int = 3) -> dict | None:
    """`seedsearch index` after one book of the ×10 corpus changed, on a copy of the
    ×10 index (hard links: the index is never rewritten in place)."""
    base = index_path("seedsearch", 10)
    if 10 not in corpora or not seedsearch_index_ok(base):
        return None
    source = corpora[10].path
    changed = WORK / "corpus" / "x10-changed"
    if not changed.exists():
        shutil.copytree(source, changed, copy_function=os.link)
        book = changed / UPDATED_BOOK
        text = book.read_text("utf-8")
        book.unlink()  # a new file, not the hard-linked original
        book.write_text(text.replace("Jesus", "Yeshua"), "utf-8")
    times = []
    for n in range(runs):
        scratch = WORK / "index" / "update-x10"
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(base, scratch, symlinks=True, copy_function=os.link)
        log(f"update ×10, one book changed (run {n + 1}/{runs}) ...")
        argv = [str(SEEDSEARCH), "index", "-q", "--source", str(changed), "--index", str(scratch)]
        started = time.perf_counter()
        subprocess.run(argv, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
        log(f"  {times[-1]:.2f} s")
    shutil.rmtree(WORK / "index" / "update-x10", ignore_errors=True)
    return {"book": UPDATED_BOOK, "seconds": statistics.median(times), "all": times, "runs": runs}


def serve_available() -> bool:
    cmd = [str(SEEDSEARCH), "serve", "--help"]
    return subprocess.run(cmd, capture_output=True, cwd=ROOT).returncode == 0


def run_http(mode: Mode, corpus1: Path, notes: list[str]) -> tuple[list[dict], int]:
    from bench import perf_http
    from bench.perf_queries import query_mix, warmup_mix

    mix = query_mix(corpus1, scale=HTTP_MIX_SCALE)  # enough URLs that few repeat within a run
    queries = {"seedsearch": [q.seedsearch() for q in mix], "naive": [q.whoosh() for q in mix]}
    queries["hello"] = queries["seedsearch"]
    warm = [q.seedsearch() for q in warmup_mix(corpus1, mix)]
    systems = ["seedsearch", "naive", "hello"]
    if not serve_available():
        systems.remove("seedsearch")
        notes.append("`seedsearch serve` was not available: the seedsearch HTTP rows are missing.")
    out = []
    for copies in mode.http_scales:
        for system in systems:
            if system == "hello" and copies != 1:
                continue  # the ceiling does not depend on the corpus
            routes = ("api",) if system == "hello" else ("api", "html")
            reps = mode.runs if copies == 1 else 1
            runs: dict[str, list] = {r: [] for r in routes}
            rss: list[float] = []
            pss: list[float] = []
            for n in range(reps):
                log(f"http {system} ×{copies} (run {n + 1}/{reps}) ...")
                index = index_path(system if system != "hello" else "naive", copies)
                logfile = WORK / "logs" / f"{system}-x{copies}.log"
                with perf_http.serving(system, index, logfile) as server:
                    script = WORK / "raw" / f"wrk-{system}.lua"
                    # Warm both workers (index opened, caches filled) on other queries.
                    perf_http.wrk(server, "api", warm, script, 2, copies)
                    for route in routes:
                        r = perf_http.wrk(
                            server, route, queries[system], script, mode.http_seconds, copies
                        )
                        log(
                            f"  {route}: {r.rps:.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                            f"p99 {r.p99_ms:.1f} ms"
                        )
                        runs[route].append(asdict(r))
                    rss, pss = server.worker_rss_mb(), server.worker_pss_mb()
            for route in routes:
                out.append(_median_http(runs[route], rss, pss))
    return out, len(mix)


def _median_http(runs: list[dict], rss: list[float], pss: list[float]) -> dict:
    numbers = ("rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")
    merged = {**runs[0], **{k: statistics.median(r[k] for r in runs) for k in numbers}}
    merged["status_errors"] = sum(r["status_errors"] for r in runs)
    merged["socket_errors"] = sum(r["socket_errors"] for r in runs)
    merged["requests"] = sum(r["requests"] for r in runs)
    merged["requests_all_runs"] = True
    statuses: dict[str, int] = {}
    for r in runs:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    merged["statuses"] = statuses
    return {**merged, "runs": len(runs), "worker_rss_mb": rss, "worker_pss_mb": pss}


def run_profiles(corpus1: Path, search_copies: int) -> list[dict]:
    """py-spy on a ×1 build, a search loop and a serving worker under load; what was
    recorded, as {name, raw, kind} (see profile_tables)."""
    import psutil

    from bench import perf_http, perf_profile
    from bench.perf_queries import query_mix

    out_dir = WORK / "profile"
    specs = []
    log("profile: seedsearch index --full ×1 ...")
    scratch = WORK / "index" / "profile-build"
    shutil.rmtree(scratch, ignore_errors=True)
    argv = [str(SEEDSEARCH), "index", "--full", "--quiet", "--source", str(corpus1)]
    raw = perf_profile.record("build-x1", [*argv, "--index", str(scratch)], out_dir, 600)
    shutil.rmtree(scratch, ignore_errors=True)
    specs.append({"name": "`seedsearch index --full` ×1", "raw": str(raw), "kind": "build"})

    log(f"profile: Engine.search loop ×{search_copies} (at most 2 min) ...")
    index = index_path("seedsearch", search_copies)
    argv = perf_profile.search_argv(index, corpus1, 2)
    raw = perf_profile.record(f"search-x{search_copies}", argv, out_dir, 120)
    name = f"Engine.search over the query mix ×{search_copies}, 2 rounds"
    specs.append({"name": name, "raw": str(raw), "kind": "search"})

    if serve_available():
        log("profile: a serving worker under wrk, ×1 ...")
        queries = [q.seedsearch() for q in query_mix(corpus1, scale=HTTP_MIX_SCALE)]
        index = index_path("seedsearch", 1)
        with perf_http.serving("seedsearch", index, out_dir / "serve.log") as server:
            worker = psutil.Process(server.pid).children()[0].pid
            raw = out_dir / "serve-worker-x1.txt"
            # --gil: only samples holding the GIL, so time the worker waits for a CPU
            # inside send() (wrk shares the two cores) is not counted as work.
            spy = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--gil", "-r", "100"]
            spy += ["-f", "raw", "-d", "8", "-p", str(worker), "-o", str(raw)]
            with subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as p:
                perf_http.wrk(server, "api", queries, WORK / "raw" / "wrk-profile.lua", 8, 1)
                p.wait(timeout=60)
        name = "one `seedsearch serve` worker under wrk on /api/search ×1 (GIL-holding samples)"
        specs.append({"name": name, "raw": str(raw), "kind": "serve"})
    return specs


def profile_tables(specs: list[dict]) -> list[str]:
    """Each recorded profile summarised as Markdown (stages, then hottest functions)."""
    from bench import perf_profile

    stages = {
        "build": perf_profile.BUILD_STAGES,
        "search": perf_profile.SEARCH_STAGES,
        "serve": perf_profile.SERVE_STAGES + perf_profile.SEARCH_STAGES[1:],
    }
    return [
        perf_profile.markdown(perf_profile.summarise(s["name"], Path(s["raw"]), stages[s["kind"]]))
        for s in specs
        if Path(s["raw"]).exists()
    ]


def code_fingerprint() -> str:
    """A hash of indexer/ and webapp/ sources, to tell whether they changed mid-run."""
    digest = hashlib.sha1()
    for path in sorted([*ROOT.glob("indexer/**/*.py"), *ROOT.glob("webapp/**/*")]):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def render(mode_name: str, write: bool) -> None:
    """Rewrite the report from a saved run (bench/work/perf-results-MODE.json)."""
    from bench import perf_report

    results = json.loads((WORK / f"perf-results-{mode_name}.json").read_text())
    top = max(int(c) for c in results["queries"])
    default = [  # runs saved before profiles were recorded in the results file
        {"name": "`seedsearch index --full` ×1", "raw": "build-x1.txt", "kind": "build"},
        {"name": f"Engine.search over the query mix ×{top}", "raw": f"search-x{top}.txt"},
        {
            "name": "one `seedsearch serve` worker under wrk on /api/search ×1 "
            "(GIL-holding samples)",
            "raw": "serve-worker-x1.txt",
        },
    ]
    for spec, kind in zip(default[1:], ("search", "serve"), strict=True):
        spec["kind"] = kind
    for spec in default:
        spec["raw"] = str(WORK / "profile" / spec["raw"])
    specs = results.get("profiles", default if results["mode"] == "full" else [])
    text = perf_report.section(results, profile_tables(specs))
    print(text)
    if write:
        perf_report.write_section(BENCH / "RESULTS.md", text)
        perf_report.plot(results["queries"], BENCH / "latency.png")
        log("wrote bench/RESULTS.md (performance section) and bench/latency.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="×1 only, short runs (< 2 min)")
    parser.add_argument("--write", action="store_true", help="update RESULTS.md and latency.png")
    parser.add_argument("--profile", action="store_true", help="add py-spy profiles")
    parser.add_argument("--reuse", action="store_true", help="reuse indexes built before")
    parser.add_argument("--no-big", action="store_true", help="skip the ×32 build")
    parser.add_argument(
        "--render", metavar="MODE", help="only re-render the report of the last MODE run"
    )
    args = parser.parse_args()
    if args.render:
        render(args.render, args.write)
        return
    mode = QUICK if args.quick else FULL
    if args.profile:
        mode = Mode(**{**asdict(mode), "profile": True})
    if args.no_big:
        mode = Mode(**{**asdict(mode), "big": False})
    started = time.perf_counter()
    ensure_tools(mode.profile)
    WORK.mkdir(exist_ok=True)
    fingerprint = code_fingerprint()
    load_before = os.getloadavg()[0]
    from bench import kjv, perf_report
    from bench.perf_queries import query_mix

    scales = sorted({*mode.build_scales, *mode.query_scales, *mode.http_scales})
    scales += [32] if mode.big else []
    corpora = {n: kjv.corpus(WORK, n) for n in scales}
    notes: list[str] = []
    builds = run_builds(mode, corpora, args.reuse, notes)
    update = run_update(corpora) if 10 in corpora else None
    corpus1 = corpora[1].path
    queries = run_queries(mode, corpus1, notes)
    cold = run_cold(mode, corpus1, notes)
    http, http_mix = run_http(mode, corpus1, notes)
    profiles = run_profiles(corpus1, max(mode.query_scales)) if mode.profile else []
    if mode.big:
        big = big_build(corpora, builds, notes)
        builds += [big] if big else []
    if code_fingerprint() != fingerprint:
        notes.append(
            "indexer/ or webapp/ changed while this run was measuring: "
            "its rows may come from different versions of the code."
        )
    command = ".venv/bin/python -m bench.perf" + "".join(
        f" {a}" for a in sys.argv[1:] if a != "--write"
    )
    results = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "mode": mode.name,
        "command": command,
        "machine": machine(),
        "code": code_version(),
        "corpus_mb": corpora[1].bytes / 1e6,
        "mix_size": len(query_mix(corpus1)),
        "http_mix": http_mix,
        "http_seconds": mode.http_seconds,
        "builds": builds,
        "queries": queries,
        "cold": cold,
        "update": update,
        "http": http,
        "notes": notes,
        "profiles": profiles,
        "load": [load_before, os.getloadavg()[0]],
        "elapsed_s": time.perf_counter() - started,
    }
    (WORK / f"perf-results-{mode.name}.json").write_text(json.dumps(results, indent=1))
    text = perf_report.section(results, profile_tables(profiles))
    print(text)
    if args.write:
        perf_report.write_section(BENCH / "RESULTS.md", text)
        perf_report.plot(queries, BENCH / "latency.png")
        log("wrote bench/RESULTS.md (performance section) and bench/latency.png")
    log(f"done in {results['elapsed_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
