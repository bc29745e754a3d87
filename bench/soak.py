"""seedsearch's reliability soak (issue 6): the long versions of the tests in
tests/test_rebuild_while_serving.py, tests/test_fuzz.py and tests/test_bad_documents.py.

    .venv/bin/python -m bench.soak                      # full run, ~10 minutes
    .venv/bin/python -m bench.soak --write              # ... and rewrite bench/RELIABILITY.md
    .venv/bin/python -m bench.soak --short --json F     # CI-sized run (a test calls this)
    .venv/bin/python -m bench.soak --only kills,fuzz    # some sections
    .venv/bin/python -m bench.soak --render F           # rewrite the report from a --json

Sections: `rebuild` (a real `seedsearch serve --workers 2` under 4 client threads while
`seedsearch index` rebuilds, full and incremental, alternating two corpora), `kills`
(SIGKILL of the builder at random moments), `disk` (builds under RLIMIT_FSIZE), `fuzz`
(random queries over HTTP), `cost` (expensive queries on a large index, each in its own
process with a time limit) and `documents` (a 50 MB single-line file, HTML with many
void tags). Every loop is bounded in count and time; servers bind to 127.0.0.1.
Work files go to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.index import generations
from indexer.index.meta import read_meta
from tests.live_server import LiveServer, live_server, seedsearch_command

ROOT = Path(__file__).resolve().parent.parent

REPORT = ROOT / "bench" / "RELIABILITY.md"
SEEDS = ROOT / "seeds"
X10_INDEX = ROOT / "bench" / "work" / "index" / "seedsearch-x10"
CLIENTS = 4


@dataclass(frozen=True)
class Plan:
    """How much of each section to run."""

    rebuild_rounds: int
    rebuild_seconds: float
    rebuild_passages: tuple[int, int]  # passages of the two alternating corpora
    kill_trials: int
    kill_files: int  # files of 40 passages in the corpus whose builds are killed
    disk_limits: tuple[int, ...]
    fuzz_queries: int
    cost_timeout: float
    big_file_mb: int
    big_file_timeout: float
    html_sizes_mb: tuple[float, ...]


FULL = Plan(
    rebuild_rounds=200,
    rebuild_seconds=100,
    rebuild_passages=(300, 450),
    kill_trials=24,
    kill_files=300,
    disk_limits=(64_000, 256_000, 1_000_000),
    fuzz_queries=2000,
    cost_timeout=10,
    big_file_mb=50,
    big_file_timeout=180,
    html_sizes_mb=(0.5, 1, 2, 4),
)
SHORT = Plan(
    rebuild_rounds=2,
    rebuild_seconds=30,
    rebuild_passages=(6, 9),
    kill_trials=2,
    kill_files=40,
    disk_limits=(256_000,),
    fuzz_queries=60,
    cost_timeout=5,
    big_file_mb=0,
    big_file_timeout=0,
    html_sizes_mb=(),
)
SECTIONS = ("rebuild", "kills", "disk", "fuzz", "cost", "documents")
SHORT_SECTIONS = ("rebuild", "kills", "fuzz")


# -- corpora ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A source folder whose every passage holds the word `note` and `marker`."""

    path: Path
    marker: str
    passages: int


def log_corpus(folder: Path, marker: str, passages: int) -> Corpus:
    """Distinct full-sized paragraphs in two files; none merged or collapsed."""
    folder.mkdir(parents=True, exist_ok=True)
    half = passages // 2
    files = {"shared.txt": range(half), f"only-{marker}.txt": range(half, passages)}
    for name, numbers in files.items():
        paragraphs = [
            f"Note {n} in the {marker} log: the {marker} was seen near the quay at dawn, "
            f"and {n + 2} keepers wrote it down before the tide turned again."
            for n in numbers
        ]
        (folder / name).write_text(f"Log of the {marker}\n\n" + "\n\n".join(paragraphs), "utf-8")
    return Corpus(folder, marker, passages)


def big_corpus(folder: Path, marker: str, files: int, paragraphs: int = 40) -> Corpus:
    """Enough text that a full build takes seconds."""
    rng = random.Random(files)
    words = [f"w{n}" for n in range(3000)]
    for f in range(files):
        paras = [
            " ".join(rng.choices(words, k=30)).capitalize() + f". A note on the {marker}, {f}-{p}."
            for p in range(paragraphs)
        ]
        path = folder / f"part{f % 7}" / f"doc{f:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Doc {f}\n\n" + "\n\n".join(paras), "utf-8")
    return Corpus(folder, marker, files * paragraphs)


# -- builds ------------------------------------------------------------------------------


def build_command(corpus: Corpus, index: Path, *extra: str) -> list[str]:
    """`seedsearch index` of `corpus` into `index`; add "--quiet" to `extra` for silence."""
    args = ["index", "--source", str(corpus.path), "--index", str(index), *extra]
    return seedsearch_command() + args


def build(
    corpus: Corpus, index: Path, *extra: str, preexec=None, quiet: bool = True
) -> subprocess.CompletedProcess:
    return subprocess.run(
        build_command(corpus, index, *extra, *(["--quiet"] if quiet else [])),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=preexec,
    )


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (a builder and its workers)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry))
    return members


# -- load --------------------------------------------------------------------------------


@dataclass
class Load:
    """What the client threads saw while something else happened to the index."""

    corpora: tuple[Corpus, ...]
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    seen: list[tuple[float, int]] = field(default_factory=list)  # (received, generation)
    lock: threading.Lock = field(default_factory=threading.Lock)


def fetch(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_response(path: str, status: int, body: bytes, load: Load, last: int) -> int:
    """AssertionError unless the response is whole and from one generation."""
    assert status == 200, f"HTTP {status}: {body[:200]!r}"
    counts = {c.passages: c for c in load.corpora}
    if path == "/healthz":
        health = json.loads(body)
        assert health["passages"] in counts, f"passages {health['passages']}"
        assert health["generation"] >= last, f"generation went back {last} -> {health}"
        with load.lock:
            load.seen.append((time.monotonic(), health["generation"]))
        return health["generation"]
    if path.startswith("/api/"):
        result = json.loads(body)
        corpus = counts.get(result["total"])
        assert corpus is not None, f"total {result['total']} belongs to no generation"
        texts = [r["text"] for r in result["results"]]
        others = {c.marker for c in load.corpora} - {corpus.marker}
        assert texts and all(corpus.marker in t for t in texts), "hits of another generation"
        assert not any(m in t for t in texts for m in others), "hits of two generations"
        return last
    page = body.decode("utf-8")
    assert page.rstrip().endswith("</html>"), "truncated page"
    total = int(re.search(r"([\d,]+) matching passage", page).group(1).replace(",", ""))
    assert total in counts, f"page total {total} belongs to no generation"
    return last


def client(server: LiveServer, load: Load, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    last = 0
    paths = ["/api/search?q=note&per_page=20", "/healthz", "/?q=note", "/healthz"]
    for _ in range(1_000_000):  # bounded; `stop` ends it long before
        if stop.is_set():
            return
        path = rng.choice(paths)
        try:
            status, body = fetch(server.url + path)
            last = check_response(path, status, body, load, last)
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            with load.lock:
                load.failures.append(f"{path}: {exc.__class__.__name__}: {exc}"[:300])
        with load.lock:
            load.requests += 1


@contextlib.contextmanager
def under_load(server: LiveServer, *corpora: Corpus):
    load = Load(corpora)
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(server, load, stop, n), daemon=True)
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def watch_commits(index: Path, stop: threading.Event, commits: dict[int, float]) -> None:
    """Note when each generation is committed (the `current` link changes)."""
    last = None
    while not stop.is_set():
        with contextlib.suppress(OSError, ValueError, IndexError):
            link = os.readlink(index / generations.CURRENT)
            if link != last:
                commits.setdefault(generations.generation_of(Path(link)), time.monotonic())
                last = link
        time.sleep(0.001)


def health(server: LiveServer) -> dict:
    status, body = fetch(server.url + "/healthz")
    if status != 200:
        raise RuntimeError(f"/healthz answered {status}: {body[:200]!r}")
    return json.loads(body)


# -- sections ------------------------------------------------------------------------------


def rebuild_section(work: Path, plan: Plan) -> dict:
    """Rebuilds (full and incremental, alternating corpora) under continuous load."""
    a = log_corpus(work / "a", "albatross", plan.rebuild_passages[0])
    b = log_corpus(work / "b", "zeppelin", plan.rebuild_passages[1])
    index = work / "index"
    build(a, index).check_returncode()
    commits: dict[int, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=watch_commits, args=(index, stop, commits), daemon=True)
    watcher.start()
    modes = Counter()
    at_once = 0
    started = time.monotonic()
    with live_server(index, workers=2) as server, under_load(server, a, b) as load:
        for n in range(plan.rebuild_rounds):
            if time.monotonic() - started > plan.rebuild_seconds:
                break
            corpus = (b, a)[n % 2]
            mode = ("--full", "", "", "--full")[n % 4]
            done = build(corpus, index, *([mode] if mode else []))
            if done.returncode != 0:
                load.failures.append(f"build {n} failed: {done.stderr[-300:]}")
                continue
            modes["full" if mode else "incremental"] += 1
            committed = generations.generation_of(generations.current_dir(index))
            # Right after the builder exits, the next answer shows its generation.
            now = health(server)
            if (now["generation"], now["passages"]) == (committed, corpus.passages):
                at_once += 1
            else:
                load.failures.append(f"gen {committed} not served at once: {now}")
        time.sleep(0.5)
    stop.set()
    watcher.join(5)
    lags = served_lags(commits, load.seen)
    return {
        "requests": load.requests,
        "failed": len(load.failures),
        "failures": load.failures[:10],
        "rebuilds": sum(modes.values()),
        "full": modes["full"],
        "incremental": modes["incremental"],
        "served_at_once": at_once,
        "lag_ms_max": round(max(lags) * 1000, 1) if lags else None,
        "lag_ms_median": round(sorted(lags)[len(lags) // 2] * 1000, 1) if lags else None,
        "seconds": round(time.monotonic() - started, 1),
    }


def served_lags(commits: dict[int, float], seen: list[tuple[float, int]]) -> list[float]:
    """For each committed generation: commit -> first response that showed it (or newer)."""
    lags = []
    for generation, at in sorted(commits.items())[1:]:  # the first was there before serving
        later = [t for t, g in seen if g >= generation and t >= at]
        if later:
            lags.append(min(later) - at)
    return lags


def kills_section(work: Path, plan: Plan, seed: int = 6) -> dict:
    """SIGKILL the builder at random moments while serving; count what survives."""
    rng = random.Random(seed)
    old = log_corpus(work / "old", "albatross", 6)
    new = big_corpus(work / "new", "zeppelin", plan.kill_files)
    index = work / "index"
    build(old, index).check_returncode()
    timed = time.monotonic()
    build(new, work / "timing-index", "--full").check_returncode()
    duration = time.monotonic() - timed
    phases, intact, orphans, next_ok = Counter(), 0, 0, 0
    with live_server(index, workers=2) as server, under_load(server, old, new) as load:
        for _trial in range(plan.kill_trials):
            before = generations.generation_of(generations.current_dir(index))
            builder = subprocess.Popen(
                build_command(new, index, "--full", "--quiet"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            time.sleep(rng.uniform(0, duration * 1.1))
            phases[phase(index, before, builder)] += 1
            builder.send_signal(signal.SIGKILL)
            builder.wait()
            deadline = time.monotonic() + 5
            while group_members(builder.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if group_members(builder.pid):
                orphans += 1
                for pid in group_members(builder.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                if health(server)["passages"] in (old.passages, new.passages):
                    intact += 1
            # The next build, with no cleanup, must succeed (and restores the old corpus).
            if build(old, index, "--full").returncode == 0 and not list(index.glob("*.tmp")):
                next_ok += 1
    return {
        "trials": plan.kill_trials,
        "intact": intact,
        "next_build_ok": next_ok,
        "orphans": orphans,
        "phases": dict(phases),
        "build_seconds": round(duration, 2),
        "requests": load.requests,
        "failed": len(load.failures),
        "failures": load.failures[:10],
    }


def phase(index: Path, before: int, builder: subprocess.Popen) -> str:
    """Where in its life the builder is about to be killed."""
    if builder.poll() is not None:
        return "finished"
    if generations.generation_of(generations.current_dir(index)) > before:
        return "published"
    if list(index.glob("gen-*.tmp")):
        return "writing"
    return "starting"


def limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def disk_section(work: Path, plan: Plan) -> dict:
    """Builds that cannot write their files (RLIMIT_FSIZE) while the old index is served."""
    old = log_corpus(work / "old", "albatross", 6)
    new = big_corpus(work / "new", "zeppelin", 30)
    runs = []
    for limit in plan.disk_limits:
        for mode in ("--full", ""):
            index = work / f"index-{limit}-{mode or 'update'}"
            build(old, index).check_returncode()
            done = build(new, index, *([mode] if mode else []), preexec=limit_file_size(limit))
            gen = generations.generation_of(generations.current_dir(index))
            runs.append(
                {
                    "limit": limit,
                    "mode": "full" if mode else "update",
                    "exit": done.returncode,
                    "clear": done.returncode == 1
                    and done.stderr.startswith("Error: ")
                    and "Traceback" not in done.stderr,
                    "message": done.stderr.strip().splitlines()[-1][:160] if done.stderr else "",
                    "old_intact": gen == 1,
                    "leftovers": len(list(index.glob("*.tmp"))),
                    "next_build_ok": build(new, index).returncode == 0,
                }
            )
    return {"runs": runs}


FUZZ_TOKENS = [
    "russia",
    "human",
    "rights",
    "memorial",
    "watch",
    "office",
    "the",
    "and",
    "of",
    "soviet",
    "groups",
    "xqzzv",
    "AND",
    "OR",
    "NOT",
    "+",
    "-",
    "&&",
    "||",
    "!",
    '"',
    "“",
    "”",
    "«",
    "'",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "?",
    "~",
    "~2",
    "~99999",
    "^",
    "^2",
    "^1e309",
    ":",
    "\\",
    "/",
    "<",
    ">",
    "%",
    "&",
    ";",
    ",",
    ".",
    "title:",
    "section:",
    "doc:",
    "body:",
    "unknown:",
    "id:",
    "<script>alert(1)</script>",
    "<img/src=x/onerror=alert(1)>",
    "{{7*7}}",
    "\x00",
    "\x1b[31m",
    "\u200b",
    "\u202e",
    "\ufeff",
    "�",
    "🙂",
    "ß",
    "İ",
    "ǅ",
    "́",
    "٣",
]


def fuzz_query(rng: random.Random) -> str:
    """Syntax soup mostly; sometimes random characters, long strings or deep nesting."""
    kind = rng.random()
    if kind < 0.7:
        glue = ["", " ", " ", "  ", "\t"]
        parts = (rng.choice(FUZZ_TOKENS) + rng.choice(glue) for _ in range(rng.randint(1, 20)))
        return "".join(parts)
    if kind < 0.85:
        return "".join(random_char(rng, 0x2FFF) for _ in range(rng.randint(1, 40)))
    if kind < 0.95:
        return "".join(random_char(rng, 0x10FFFF) for _ in range(rng.randint(480, 520)))
    return "(" * rng.randint(1, 200) + "russia" + ")" * rng.randint(0, 200)


def random_char(rng: random.Random, top: int) -> str:
    """Any character that UTF-8 can carry (no lone surrogates)."""
    code = rng.choice([rng.randint(32, 126), rng.randint(0x80, top)])
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def fuzz_section(work: Path, plan: Plan, seed: int = 6) -> dict:
    """Random queries and pages over HTTP against the seed index: 2xx/4xx only."""
    rng = random.Random(seed)
    index = work / "seed-index"
    build(Corpus(SEEDS, "", 10), index).check_returncode()
    statuses: Counter = Counter()
    errors: list[str] = []
    with live_server(index, workers=2) as server:
        for _ in range(plan.fuzz_queries):
            q = fuzz_query(rng).replace("\x00", "")  # NUL cannot be sent in a URL form
            args = {"q": q}
            if rng.random() < 0.3:
                args["page"] = rng.choice(["0", "-1", "2", "99999999999999999999", "x", "1e3"])
            for path in ("/api/search", "/"):
                url = f"{server.url}{path}?{urllib.parse.urlencode(args)}"
                try:
                    status, body = fetch(url)
                    valid = (
                        json.loads(body) is not None
                        if path.startswith("/api/")
                        else body.rstrip().endswith(b"</html>")
                    )
                    statuses[status // 100 * 100] += 1
                    if status >= 500 or not valid:
                        errors.append(f"{status} {path} {q[:60]!r}")
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    statuses["no answer"] += 1
                    errors.append(f"{exc.__class__.__name__} {path} {q[:60]!r}")
    return {
        "queries": plan.fuzz_queries,
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "server_errors": len(errors),
        "errors": errors[:10],
    }


COST_QUERIES = (
    ("plain common word", "the", 1),
    ("three stop words", "the and of", 1),
    ("phrase", '"the lord"', 1),
    ("prefix of one letter", "a*", 1),
    ("prefix of one letter, page 999", "a*", 999),
    ("suffix wildcard", "*e", 1),
    ("leading ? wildcard", "?e*", 1),
    ("fuzzy, distance 2", "lord~2", 1),
    ("fuzzy, distance 99999", "a~99999", 1),
    ("6 one-letter prefixes", "a* b* c* d* e* f*", 1),
    ("26 one-letter prefixes", " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"), 1),
)
COST_PROBE = """
import sys, time
from indexer.models import Query
from indexer.errors import BadQuery
from indexer.search.engine import Engine
engine = Engine(sys.argv[1]); engine.health()
started = time.perf_counter()
try:
    result = engine.search(Query(sys.argv[2], page=int(sys.argv[3])))
    outcome = f"{result.total} matches" + ("; " + " ".join(result.notes) if result.notes else "")
except BadQuery as exc:
    outcome = "refused: " + exc.message
print(f"{time.perf_counter() - started:.3f}\\t{outcome}")
"""


def cost_section(work: Path, plan: Plan, index: Path | None) -> dict:
    """Expensive queries, each in its own process with a time limit."""
    index = index or default_cost_index(work)
    rows = []
    for label, text, page in COST_QUERIES:
        try:
            done = subprocess.run(
                [sys.executable, "-c", COST_PROBE, str(index), text, str(page)],
                capture_output=True,
                text=True,
                timeout=plan.cost_timeout + 10,  # + opening the index
                cwd=ROOT,
            )
            seconds, outcome = done.stdout.strip().split("\t", 1)
            rows.append(
                {
                    "query": label,
                    "text": text,
                    "page": page,
                    "seconds": float(seconds),
                    "outcome": outcome[:200],
                }
            )
        except subprocess.TimeoutExpired:
            rows.append(
                {
                    "query": label,
                    "text": text,
                    "page": page,
                    "seconds": None,
                    "outcome": f"killed after {plan.cost_timeout + 10:.0f} s",
                }
            )
        except ValueError:
            rows.append(
                {
                    "query": label,
                    "text": text,
                    "page": page,
                    "seconds": None,
                    "outcome": "probe failed: " + done.stderr.strip()[-200:],
                }
            )
    return {"index": str(index), "passages": passages_of(index), "rows": rows}


def passages_of(index: Path) -> int:
    meta = read_meta(generations.current_dir(index))
    return sum(d.passages for d in meta.documents.values())


def default_cost_index(work: Path) -> Path:
    """The ×10 KJV index of bench/perf.py when there is one, else a ×1 index built here."""
    generation = generations.current_dir(X10_INDEX)
    if generation is not None and generation.exists():
        # A snapshot by hard links (Whoosh never rewrites a file), in case
        # bench/perf.py rebuilds its index meanwhile.
        snapshot = work / "x10"
        shutil.copytree(generation, snapshot / generation.name, copy_function=os.link)
        (snapshot / generations.CURRENT).symlink_to(generation.name)
        return snapshot
    from bench import kjv  # bench/kjv.py: the King James Bible from Debian's bible-kjv

    corpus = kjv.corpus(ROOT / "bench" / "work", 1)
    index = work / "kjv-x1"
    build(Corpus(corpus.path, "", 0), index, "--full").check_returncode()
    return index


def documents_section(work: Path, plan: Plan) -> dict:
    """Builds of documents that are large in awkward ways, each with a time limit."""
    rows = []
    if plan.big_file_mb:
        source = work / "big"
        source.mkdir()
        rng = random.Random(50)
        words = ["".join(rng.choices("abcdefghij", k=rng.randint(2, 9))) for _ in range(5000)]
        chunk = " ".join(rng.choices(words, k=100_000)) + " "
        size = plan.big_file_mb * 1_000_000
        (source / "huge.txt").write_text((chunk * (size // len(chunk) + 1))[:size], "ascii")
        rows.append(
            timed_build(
                f"{plan.big_file_mb} MB single-line .txt", source, work, plan.big_file_timeout
            )
        )
    for mb in plan.html_sizes_mb:
        source = work / f"html-{mb}"
        source.mkdir()
        para = "<p>A line of verse about the sea<br>and another about the shore<br></p>\n"
        body = para * int(mb * 1_000_000 / len(para))
        (source / "verse.html").write_text(f"<html><body>{body}</body></html>", "utf-8")
        rows.append(
            timed_build(f"{mb} MB HTML, a <br> every 35 bytes", source, work, plan.big_file_timeout)
        )
    return {"rows": rows}


def timed_build(label: str, source: Path, work: Path, timeout: float) -> dict:
    """A full build of `source` with a time limit: seconds taken and what it said."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            build_command(Corpus(source, "", 0), work / f"index-{source.name}", "--full"),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        lines = (done.stdout + done.stderr).strip().splitlines()
        outcome = " / ".join(line for line in lines if "warning" in line or "added" in line)
    except subprocess.TimeoutExpired:
        outcome = f"killed after {timeout:.0f} s"
    return {
        "document": label,
        "seconds": round(time.monotonic() - started, 1),
        "outcome": outcome[:300],
    }


# -- report ----------------------------------------------------------------------------------


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text()
    cpu = next((x.split(":", 1)[1].strip() for x in info.splitlines() if "model name" in x), "?")
    mem = Path("/proc/meminfo").read_text().split()
    ram = int(mem[mem.index("MemTotal:") + 1]) / 1024 / 1024
    try:
        system = platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        system = platform.platform()
    python = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, {system}, Python {python}"


def render(figures: dict) -> str:
    """bench/RELIABILITY.md from one run's figures."""
    out = [
        "# seedsearch reliability",
        "",
        f"Measured {figures['date']} on {figures['machine']}; the machine was shared with other "
        f"work. Command: `{figures['command']}` ({figures['minutes']:.1f} minutes). "
        "The CI-sized checks are in tests/test_rebuild_while_serving.py, tests/test_fuzz.py, "
        "tests/test_index_states.py, tests/test_bad_documents.py, tests/test_http_edges.py and "
        "tests/test_browser_security.py.",
        "",
        "## Summary",
        "",
    ]
    out += [f"- {line}" for line in summary_lines(figures)]
    if "rebuild" in figures:
        r = figures["rebuild"]
        out += [
            "",
            "## Rebuilds while serving",
            "",
            "`seedsearch serve --workers 2` on 127.0.0.1 with 4 client threads (urllib) "
            "requesting `/api/search?q=note`, `/?q=note` and `/healthz` without pause, while "
            "`seedsearch index` (real processes) rebuilt the index again and again, alternating "
            "two "
            f"corpora of {figures['plan']['rebuild_passages'][0]} and "
            f"{figures['plan']['rebuild_passages'][1]} passages with different marker words and "
            "full and incremental builds. Every response was checked: status 200, complete, and "
            "consistent with exactly one generation (the total, the marker word in every hit, the "
            "generation never going back for one client).",
            "",
            *header(
                "requests",
                "failed",
                "rebuilds (full + incremental)",
                "new generation served by the next request",
                "commit → first response showing it (median / max)",
            ),
            f"| {r['requests']:,} | {r['failed']} | {r['rebuilds']} ({r['full']} + "
            f"{r['incremental']}) | {r['served_at_once']}/{r['rebuilds']} | "
            f"{r['lag_ms_median']} ms / {r['lag_ms_max']} ms |",
        ]
        out += failures(r)
    if "kills" in figures:
        k = figures["kills"]
        out += [
            "",
            "## SIGKILL of the builder",
            "",
            f"`seedsearch index --full` (a {k['build_seconds']:.1f}-second build of "
            f"{figures['plan']['kill_files'] * 40:,} passages) killed with SIGKILL at a "
            "uniformly random moment of its life, while "
            "the "
            "server answered the client threads; after each kill, the next build ran with no "
            "cleanup. Moments: "
            + ", ".join(f"{n} {p}" for p, n in sorted(k["phases"].items()))
            + ".",
            "",
            *header(
                "trials",
                "served index intact",
                "next build succeeded",
                "orphaned workers",
                "requests",
                "failed",
            ),
            f"| {k['trials']} | {k['intact']}/{k['trials']} | {k['next_build_ok']}/{k['trials']} | "
            f"{k['orphans']} | {k['requests']:,} | {k['failed']} |",
        ]
        out += failures(k)
    if "disk" in figures:
        out += [
            "",
            "## A full disk",
            "",
            "Builds run with `RLIMIT_FSIZE` (SIGXFSZ ignored, so writes fail with EFBIG as on "
            "a full disk), from an index of 6 passages to one of 1,200.",
            "",
            *header(
                "file size limit",
                "build:",
                "exit",
                "clear message",
                "old index intact",
                "leftovers",
                "next build",
                "message:",
            ),
        ]
        for run in figures["disk"]["runs"]:
            if run["exit"] == 0:  # every file stayed under the limit: nothing to test
                out.append(
                    f"| {run['limit']:,} B | {run['mode']} | 0 | — | — | {run['leftovers']} | "
                    f"{yes(run['next_build_ok'])} | (no file reached the limit: it succeeded) |"
                )
                continue
            message = run["message"] if len(run["message"]) < 110 else run["message"][:107] + "…"
            out.append(
                f"| {run['limit']:,} B | {run['mode']} | {run['exit']} | {yes(run['clear'])} | "
                f"{yes(run['old_intact'])} | {run['leftovers']} | {yes(run['next_build_ok'])} | "
                f"`{message}` |"
            )
    if "fuzz" in figures:
        f = figures["fuzz"]
        out += [
            "",
            "## Fuzzed queries over HTTP",
            "",
            f"{f['queries']:,} random queries (syntax, field prefixes, markup, control and "
            "astral characters, 500-character strings, deep parentheses, odd page numbers), each "
            f"sent to `/api/search` and `/`: {f['requests']:,} requests; answers by class: "
            + ", ".join(f"{k}: {v:,}" for k, v in f["statuses"].items())
            + f". Server errors or invalid bodies: **{f['server_errors']}**.",
        ]
        out += failures({"failures": f["errors"]})
    if "cost" in figures:
        c = figures["cost"]
        size = f"{c['passages']:,} passages" if c.get("passages") else "?"
        out += [
            "",
            "## Cost of expensive queries",
            "",
            f"`Engine.search` on `{Path(c['index']).name}` ({size}), each query the first of "
            "a fresh process with the index already open: the cold cost a new expensive query "
            "pays (the engine's caches make a repeat much cheaper), highlighting included. "
            "Target (issue 6): none over a second at ×10 KJV.",
            "",
            *header("query:", "text:", "page", "seconds", "over 1 s", "outcome:"),
        ]
        for row in c["rows"]:
            seconds = "—" if row["seconds"] is None else f"{row['seconds']:.2f}"
            over = row["seconds"] is None or row["seconds"] > 1
            text = row["text"] if len(row["text"]) < 40 else row["text"][:36] + " …"
            out.append(
                f"| {row['query']} | `{text}` | {row['page']} | {seconds} | "
                f"{'**yes**' if over else 'no'} | {row['outcome'][:120]} |"
            )
    if "documents" in figures and figures["documents"]["rows"]:
        out += [
            "",
            "## Awkward documents",
            "",
            *header("document:", "build seconds", "outcome:"),
        ]
        for row in figures["documents"]["rows"]:
            out.append(f"| {row['document']} | {row['seconds']} | {row['outcome']} |")
        out += growth_note(figures["documents"]["rows"])
    findings = open_findings()
    out += [
        "",
        "## Open findings",
        "",
        f"{len(findings)} bugs found by these tests are open, each kept as a strict `xfail` test "
        "that names it (it starts failing, and must be unmarked, once the bug is fixed):",
        "",
    ]
    out += [f"- {line}" for line in findings] + [""]
    return "\n".join(out)


TEST_FILES = (
    "test_fuzz.py",
    "test_bad_documents.py",
    "test_index_states.py",
    "test_rebuild_while_serving.py",
    "test_http_edges.py",
    "test_browser_security.py",
)


def open_findings() -> list[str]:
    """The bugs the tests still mark as strict xfail, with their reasons."""
    found = []
    for name in TEST_FILES:
        tree = ast.parse((ROOT / "tests" / name).read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for call in (n for d in node.decorator_list for n in ast.walk(d)):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "xfail":
                    reason = next((k.value for k in call.keywords if k.arg == "reason"), None)
                    if isinstance(reason, ast.Constant):
                        found.append(f"`{name}::{node.name}`: {reason.value}")
    return found


def growth_note(rows: list[dict]) -> list[str]:
    """How build time grows as the HTML doubles: about 2x is linear, about 4x quadratic."""
    html = [r for r in rows if "HTML" in r["document"] and r["seconds"]]
    if len(html) < 2:
        return []
    ratios = [b["seconds"] / a["seconds"] for a, b in zip(html, html[1:], strict=False)]
    shape = "linear" if max(ratios) < 2.8 else "**worse than linear**"
    text = (
        "Each doubling of the HTML multiplied the build time by "
        + ", ".join(f"{r:.1f}" for r in ratios)
        + f": {shape}."
    )
    if max(ratios) >= 2.8:
        text += (
            " BeautifulSoup's html.parser builder keeps a list of every void tag written "
            "without `/>` (`<br>`, `<img>`) and scans it at each end tag; rewriting void "
            "tags as `<br/>` before parsing gives the same text (2 MB: 8.3 s → 1.9 s in one "
            "measurement). Within the 10 MB file limit such a file takes many minutes."
        )
    return ["", text]


def header(*columns: str) -> tuple[str, str]:
    """A Markdown table header; a column named "x:" is left-aligned, others right."""
    names = [c.rstrip(":") for c in columns]
    rules = ["---" if c.endswith(":") else "---:" for c in columns]
    return "| " + " | ".join(names) + " |", "|" + "|".join(rules) + "|"


def failures(section: dict) -> list[str]:
    if not section.get("failures"):
        return []
    return ["", "First failures:", ""] + [f"- `{f}`" for f in section["failures"]]


def yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def summary_lines(figures: dict) -> list[str]:
    lines = []
    if "rebuild" in figures:
        r = figures["rebuild"]
        lines.append(
            f"{r['requests']:,} requests during {r['rebuilds']} rebuilds ({r['full']} full, "
            f"{r['incremental']} incremental): {r['failed']} failed; the new generation was "
            f"served by the next request after {r['served_at_once']}/{r['rebuilds']} commits "
            f"(commit → served: median {r['lag_ms_median']} ms, max {r['lag_ms_max']} ms)."
        )
    if "kills" in figures:
        k = figures["kills"]
        lines.append(
            f"{k['intact']}/{k['trials']} SIGKILLs of the builder: served index intact; "
            f"{k['next_build_ok']}/{k['trials']} next builds succeeded without cleanup; "
            f"{k['orphans']} orphaned workers; {k['failed']} of {k['requests']:,} requests failed."
        )
    if "disk" in figures:
        runs = [r for r in figures["disk"]["runs"] if r["exit"] != 0]  # the limit bit
        lines.append(
            f"Full disk (RLIMIT_FSIZE): of {len(runs)} builds that hit the limit, "
            f"{sum(r['clear'] for r in runs)} failed with a clear one-line error and "
            f"{sum(r['old_intact'] for r in runs)} left the served index intact."
        )
    if "fuzz" in figures:
        f = figures["fuzz"]
        lines.append(
            f"{f['queries']:,} fuzzed queries ({f['requests']:,} requests): "
            f"{f['server_errors']} server errors."
        )
    if "cost" in figures:
        rows = figures["cost"]["rows"]
        over = [r for r in rows if r["seconds"] is None or r["seconds"] > 1]
        lines.append(f"Expensive queries: {len(over)} of {len(rows)} took over a second.")
    return lines


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="CI-sized numbers")
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--write", action="store_true", help=f"rewrite {REPORT.name}")
    parser.add_argument("--cost-index", type=Path, help="index for the cost section")
    parser.add_argument("--render", type=Path, help=f"only rewrite {REPORT.name} from a --json")
    args = parser.parse_args()
    if args.render:
        REPORT.write_text(render(json.loads(args.render.read_text("utf-8"))), "utf-8")
        return
    plan = SHORT if args.short else FULL
    sections = args.only.split(",") if args.only else (SHORT_SECTIONS if args.short else SECTIONS)
    started = time.monotonic()
    figures: dict = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "command": "python -m bench.soak " + " ".join(sys.argv[1:]),
        "plan": asdict(plan),
    }
    runners = {
        "rebuild": lambda w: rebuild_section(w, plan),
        "kills": lambda w: kills_section(w, plan),
        "disk": lambda w: disk_section(w, plan),
        "fuzz": lambda w: fuzz_section(w, plan),
        "cost": lambda w: cost_section(w, plan, args.cost_index),
        "documents": lambda w: documents_section(w, plan),
    }
    for name in sections:
        with tempfile.TemporaryDirectory(prefix=f"soak-{name}-") as work:
            print(f"[{time.monotonic() - started:6.0f}s] {name} ...", file=sys.stderr, flush=True)
            figures[name] = runners[name](Path(work))
            print(json.dumps(figures[name])[:400], file=sys.stderr, flush=True)
    figures["minutes"] = (time.monotonic() - started) / 60
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), "utf-8")
    if args.write:
        REPORT.write_text(render(figures), "utf-8")
    print("\n".join(summary_lines(figures)))
    bad = [
        figures.get("rebuild", {}).get("failed", 0),
        figures.get("kills", {}).get("failed", 0),
        figures.get("kills", {}).get("orphans", 0),
        figures.get("fuzz", {}).get("server_errors", 0),
    ]
    kills = figures.get("kills")
    if kills and (kills["intact"] != kills["trials"] or kills["next_build_ok"] != kills["trials"]):
        bad.append(1)
    sys.exit(1 if any(bad) else 0)


if __name__ == "__main__":
    main()
