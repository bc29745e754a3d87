"""HTTP throughput and latency: a server (2 gunicorn workers, threaded as `seedsearch
serve` runs them) on 127.0.0.1 under wrk, cycling through the query mix so requests are
mostly distinct."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SEEDSEARCH = ROOT / ".venv" / "bin" / "seedsearch"
WORKERS = 2
THREADS = 16  # per worker, as `seedsearch serve` (webapp.server.DEFAULT_THREADS)

# Each wrk thread starts at its own place in the list; done() prints one JSON line.
# Each wrk thread starts at its own place in the list and tallies status codes;
# done() prints one JSON line.
LUA = """
local paths = {%(paths)s}
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", counter * math.floor(#paths / %(threads)d))
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  i = offset
  statuses = {}
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do all[code] = (all[code] or 0) + n end
  end
  local codes = {}
  for code, n in pairs(all) do table.insert(codes, string.format('"%%d": %%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p90": %%d, "p95": %%d, ' ..
    '"p99": %%d, "max": %%d, "mean": %%f, "status_errors": %%d, "socket_errors": %%d, ' ..
    '"statuses": {%%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect + e.read + e.write + e.timeout, table.concat(codes, ", ")))
end
"""


@dataclass(frozen=True)
class HttpRun:
    system: str
    copies: int
    route: str  # "api" or "html"
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    status_errors: int  # non-2xx/3xx answers
    socket_errors: int
    statuses: dict[str, int]  # HTTP status -> responses


@dataclass(frozen=True)
class Server:
    system: str
    url: str
    pid: int

    def worker_rss_mb(self) -> list[float]:
        """RSS of each gunicorn worker (the master's children)."""
        return self._workers(lambda p: p.memory_info().rss)

    def worker_pss_mb(self) -> list[float]:
        """PSS of each gunicorn worker: pages shared with the others (the index's
        memory-mapped files) count once across them."""
        return self._workers(lambda p: p.memory_full_info().pss)

    def _workers(self, measure) -> list[float]:
        try:
            kids = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        out = []
        for p in kids:
            with suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                out.append(measure(p) / 1e6)
        return sorted(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_argv(system: str, index: Path, port: int) -> tuple[list[str], dict]:
    """The command line (and extra environment) of one system's server. A "-sync" suffix
    runs the same app under gunicorn's sync workers (seedsearch's serving model before
    threads), to compare the two."""
    name, sync = system.removesuffix("-sync"), system.endswith("-sync")
    if name == "seedsearch" and not sync:
        argv = [str(SEEDSEARCH), "serve", "--index", str(index), "--host", "127.0.0.1"]
        return [*argv, "--port", str(port), "--workers", str(WORKERS)], {}
    # The same gunicorn setup `seedsearch serve` uses: threaded workers, no preload, no
    # access log.
    app = {
        "seedsearch": "webapp:create_app()",
        "naive": "bench.naive_app:app",
        "hello": "bench.hello_app:app",
    }
    worker = ["-k", "sync"] if sync else ["-k", "gthread", "--threads", str(THREADS)]
    argv = [str(PYTHON), "-m", "gunicorn", "--chdir", str(ROOT), "-w", str(WORKERS), *worker]
    argv += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "10", "--log-level", "warning"]
    return [*argv, app[name]], {"NAIVE_INDEX": str(index), "SEEDSEARCH_INDEX": str(index)}


@contextmanager
def serving(
    system: str, index: Path, log: Path, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A running server (with `env` added to its environment); stopped (SIGTERM to its
    master, then SIGKILL) afterwards."""
    port = free_port()
    argv, own_env = server_argv(system, index, port)
    env = {**own_env, **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc, log)
        yield Server(system, url, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url + "/api/search?q=light", timeout=30) as r:
                r.read()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout}s; see {log}")


def lua_script(paths: list[str], path: Path, threads: int) -> Path:
    quoted = ", ".join(json.dumps(p) for p in paths)
    path.write_text(LUA % {"paths": quoted, "threads": threads})
    return path


def paths(queries: list[str], route: str) -> list[str]:
    prefix = "/api/search?q=" if route == "api" else "/?q="
    return [prefix + quote_plus(q) for q in queries]


def wrk(
    server: Server,
    route: str,
    queries: list[str],
    script: Path,
    seconds: int,
    copies: int,
    threads: int = 2,
    connections: int = 8,
) -> HttpRun:
    """One wrk run over the queries' URLs; its requests/s and latency percentiles."""
    lua_script(paths(queries, route), script, threads)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    argv += ["--timeout", "10s", "-s", str(script), server.url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    r = json.loads(line[len("WRKJSON ") :])
    seconds_run = r["duration_us"] / 1e6
    return HttpRun(
        system=server.system,
        copies=copies,
        route=route,
        rps=r["requests"] / seconds_run,
        p50_ms=r["p50"] / 1000,
        p90_ms=r["p90"] / 1000,
        p95_ms=r["p95"] / 1000,
        p99_ms=r["p99"] / 1000,
        max_ms=r["max"] / 1000,
        requests=r["requests"],
        status_errors=r["status_errors"],
        socket_errors=r["socket_errors"],
        statuses=r["statuses"],
    )
