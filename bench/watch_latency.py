"""How long a change to a watched folder takes to become searchable: a real
`seedsearch serve --watch`, inotify and polling side by side in one run.

For each mode: N files created one at a time, then renamed, then deleted, each
timed from the moment the change is on disk to the first search that sees it;
then a copy of 1,000 small files (time until all are searchable, and how many
builds it took). Prints medians, 90th percentiles and the polling/inotify ratio.

    .venv/bin/python -m bench.watch_latency [--changes 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tests.live_server import LiveServer, live_server

ROOT = Path(__file__).resolve().parent.parent

MODES = {"inotify": [], "polling 0.5 s": ["--poll", "0.5"], "polling 2 s": ["--poll", "2"]}
TIMEOUT = 120.0


def get(server: LiveServer, path: str) -> dict:
    status, body = server.get(path)
    assert status == 200, body[:200]
    return json.loads(body)


def docs(server: LiveServer, word: str) -> set[str]:
    q = urllib.parse.quote(word)
    return {h["doc"] for h in get(server, f"/api/search?q={q}&exact=1&per_page=100")["results"]}


def wait(condition: Callable[[], bool]) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > TIMEOUT:
            raise TimeoutError("the change never became searchable")
        time.sleep(0.01)
    return time.monotonic() - started


def idle(server: LiveServer) -> bool:
    watch = get(server, "/api/status")["watch"]
    return bool(watch) and watch["activity"] == "idle" and not watch["pending_since"]


def measure(mode: str, args: list[str], changes: int, root: Path) -> dict:
    source = root / "src"
    source.mkdir()
    (source / "start.txt").write_text("Start\n\nA note to begin the watched folder with.", "utf-8")
    out: dict = {"create": [], "rename": [], "delete": []}
    with live_server(root / "index", source=source, workers=2, extra_args=["--watch", *args]) as s:
        wait(lambda: idle(s))
        for n in range(changes):
            word = f"marker{n}x"
            path = source / f"new{n}.txt"
            path.write_text(f"New {n}\n\nA note that holds the word {word} once.", "utf-8")
            out["create"].append(wait(lambda p=path.name, w=word: docs(s, w) == {p}))
            os.rename(path, source / f"moved{n}.txt")
            out["rename"].append(wait(lambda n=n, w=word: docs(s, w) == {f"moved{n}.txt"}))
            (source / f"moved{n}.txt").unlink()
            out["delete"].append(wait(lambda w=word: not docs(s, w)))
        staging = root / "batch"
        for n in range(1000):
            path = staging / f"box{n // 100}" / f"n{n:04d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Note {n}\n\nGodwit tally {n} by the salt marsh.", "utf-8")
        wait(lambda: idle(s))
        before = get(s, "/healthz")["generation"]
        shutil.copytree(staging, source / "batch")
        q = "/api/search?q=godwit&exact=1"
        out["copy_1000_s"] = wait(lambda: get(s, q)["total"] == 1000)
        wait(lambda: idle(s))
        out["copy_1000_builds"] = get(s, "/healthz")["generation"] - before
    return out


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(values):.2f} s (p90 {p90:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20, help="files created per mode")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    results = {}
    for mode, args in MODES.items():
        with tempfile.TemporaryDirectory(prefix="seedsearch-watch-bench-") as tmp:
            results[mode] = measure(mode, args, options.changes, Path(tmp))
    print(f"{options.changes} changes of each kind per mode; change on disk -> searchable")
    print(f"{'mode':<14} {'create':>22} {'rename':>22} {'delete':>22} {'1,000-file copy':>24}")
    base = statistics.median(results["inotify"]["create"])
    for mode, r in results.items():
        copy = f"{r['copy_1000_s']:.1f} s, {r['copy_1000_builds']} builds"
        print(
            f"{mode:<14} {summary(r['create']):>22} {summary(r['rename']):>22} "
            f"{summary(r['delete']):>22} {copy:>24}"
        )
    for mode, r in results.items():
        print(f"create median, {mode} / inotify: {statistics.median(r['create']) / base:.2f}x")
    if options.json:
        options.json.write_text(json.dumps(results, indent=1), "utf-8")


if __name__ == "__main__":
    main()
