"""Building and updating the index: incremental, strict, atomic, locked."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build.run import build_index
from indexer.errors import BuildError, BuildLocked
from indexer.index import generations
from indexer.models import Query
from indexer.search.engine import Engine

SEEDSEARCH = str(Path(sys.executable).parent / "seedsearch")


def big_corpus(source: Path, files: int, marker: str = "") -> None:
    """Enough text for a build that takes a few seconds."""
    rng = random.Random(files)
    words = [f"w{n}" for n in range(3000)]
    for f in range(files):
        paras = [
            " ".join(rng.choice(words) for _ in range(30)).capitalize() + f" {marker}."
            for _ in range(40)
        ]
        path = source / f"part{f % 7}" / f"doc{f:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Doc {f}\n\n" + "\n\n".join(paras), encoding="utf-8")


def start_build(source: Path, index: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [SEEDSEARCH, "index", "--source", str(source), "--index", str(index), "--quiet", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_scratch(index: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until the builder is writing a new generation."""
    deadline = time.monotonic() + timeout
    while not list(index.glob("gen-*.tmp")):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "build never started writing"
        time.sleep(0.01)


def test_incremental_adds_updates_removes_and_skips(corpus, tmp_path, request):
    src = corpus({"a.txt": "Alpha\n\nApples grow.", "b.txt": "Beta\n\nBananas grow."})
    index = tmp_path / "index"
    first = build_index(src, index)
    assert (first.added, first.passages, first.generation) == (2, 2, 1)

    (src / "a.txt").write_text("Alpha\n\nApricots grow now.", encoding="utf-8")
    (src / "b.txt").unlink()
    (src / "c.txt").write_text("Gamma\n\nCherries grow.", encoding="utf-8")
    (src / "d.txt").write_text("Delta\n\nDates grow.", encoding="utf-8")
    second = build_index(src, index)
    assert (second.added, second.updated, second.removed, second.unchanged) == (2, 1, 1, 0)
    assert second.generation == 2

    engine = Engine(index)
    request.addfinalizer(engine.close)
    assert engine.search(Query("apples")).total == 0
    assert engine.search(Query("apricots")).total == 1
    assert engine.search(Query("bananas")).total == 0
    assert engine.search(Query("grow")).total == 3

    third = build_index(src, index)  # nothing changed: no new generation
    assert (third.unchanged, third.generation) == (3, 2)
    full = build_index(src, index, full=True)
    assert (full.added, full.generation) == (3, 3)
    assert engine.search(Query("grow")).total == 3


def test_warnings_skip_files_but_strict_fails_untouched(corpus, tmp_path):
    src = corpus({"good.txt": "Good\n\nFine words.", "empty.txt": ""})
    index = tmp_path / "index"
    report = build_index(src, index)
    assert report.added == 1 and len(report.warnings) == 1 and "empty.txt" in report.warnings[0]

    (src / "good.txt").write_text("Good\n\nChanged words.", encoding="utf-8")
    with pytest.raises(BuildError, match="empty.txt"):
        build_index(src, index, strict=True)
    assert generations.current_dir(index).name == "gen-000001"
    assert not list(index.glob("*.tmp"))
    with Engine(index) as engine:
        assert engine.search(Query("fine")).total == 1


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(BuildError, match="does not exist"):
        build_index(tmp_path / "nope", tmp_path / "index")


def test_lock_refuses_a_second_build(tmp_path):
    with generations.build_lock(tmp_path), pytest.raises(BuildLocked, match="Another build"):
        build_index(tmp_path, tmp_path)


def test_second_concurrent_build_process_is_refused(tmp_path):
    src, index = tmp_path / "src", tmp_path / "index"
    big_corpus(src, 3)
    # A first build, held at its lock for as long as the test needs (builds are
    # too quick now to be caught in the act reliably).
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        second = subprocess.run(
            [SEEDSEARCH, "index", "--source", str(src), "--index", str(index)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert f"Another build of {index} is running (pid {holder.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        assert time.monotonic() - started < 10  # refused at once, not queued
    finally:
        holder.kill()
        holder.communicate()
    assert seedsearch_index(src, index).returncode == 0  # the lock went with its holder


HOLD_LOCK = """
import sys, time
from pathlib import Path
from indexer.index import generations
with generations.build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def seedsearch_index(src: Path, index: Path) -> subprocess.CompletedProcess:
    argv = [SEEDSEARCH, "index", "-q", "--source", str(src), "--index", str(index)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_reader_sees_old_index_until_new_one_is_committed(tmp_path, request):
    src, index = tmp_path / "src", tmp_path / "index"
    big_corpus(src, 60)
    build_index(src, index)
    engine = Engine(index)
    request.addfinalizer(engine.close)
    old_total = engine.health().passages
    big_corpus(src / "new", 60, marker="zebraword")
    new_total = old_total + 60 * 40
    proc = start_build(src, index)
    seen = set()
    while proc.poll() is None:
        health = engine.health()
        found = engine.search(Query("zebraword", per_page=1)).total
        # The pair is one generation's only if no commit fell between the two calls.
        if engine.health().generation == health.generation:
            seen.add((health.passages, found))
        time.sleep(0.005)
    assert proc.communicate()[1] == "" and proc.returncode == 0
    deadline = time.monotonic() + 1
    while engine.health().passages != new_total and time.monotonic() < deadline:
        time.sleep(0.01)
    seen.add((engine.health().passages, engine.search(Query("zebraword")).total))
    assert seen <= {(old_total, 0), (new_total, 60 * 40)}
    assert (new_total, 60 * 40) in seen


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_mid_build_leaves_the_old_index_searchable(tmp_path, trial):
    src, index = tmp_path / "src", tmp_path / "index"
    big_corpus(src, 12)
    build_index(src, index)
    with Engine(index) as engine:
        before = engine.search(Query("w1 w2", per_page=5))
    big_corpus(src / "more", 600)  # a build of a few seconds, to be killed in
    proc = start_build(src, index, "--full")
    wait_for_scratch(index, proc)
    time.sleep(random.Random(trial).uniform(0, 0.8))
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert generations.current_dir(index).name == "gen-000001"
    with Engine(index) as engine:
        after = engine.search(Query("w1 w2", per_page=5))
    assert (after.total, [h.id for h in after.hits]) == (before.total, [h.id for h in before.hits])
    # The next build cleans up after the killed one, with no manual step.
    report = build_index(src, index)
    assert report.generation == 2 and not list(index.glob("*.tmp"))
    with Engine(index) as engine:
        assert engine.health().documents == 612


def test_parallel_build_with_a_worker_that_reads_nothing(corpus, tmp_path):
    # Two workers: one gets only the unreadable file and writes no passage.
    src = corpus({"ok.txt": "Fine\n\nWords here.", "blank.md": "   "})
    report = build_index(src, tmp_path / "index", procs=2)
    assert (report.added, report.passages, len(report.warnings)) == (1, 1, 1)
    with Engine(tmp_path / "index") as engine:
        assert engine.search(Query("words")).total == 1


def test_documents_are_filed_by_folder_format_and_date(corpus, tmp_path):
    src = corpus(
        {
            "top.txt": "Top\n\nA walrus at the top.",
            "reports/2014/a.md": "# A\n\nA walrus in a report.",
            "reports/b.html": "<h1>B</h1><p>A walrus on a page.</p>",
        }
    )
    os.utime(src / "reports/2014/a.md", (0, 1_400_000_000))  # 2014-05-13
    index = tmp_path / "index"
    build_index(src, index)
    gen, meta = generations.locate(index)
    with whoosh_index.open_dir(str(gen)).searcher() as searcher:

        def docs(field: str, value: str) -> set[str]:
            numbers = searcher.document_numbers(**{field: value})
            return {searcher.stored_fields(n)["doc"] for n in numbers}

        assert docs("folder", "reports") == {"reports/2014/a.md", "reports/b.html"}
        assert docs("folder", "reports/2014") == {"reports/2014/a.md"}
        assert docs("format", "md") == {"reports/2014/a.md"}
        assert docs("format", "html") == {"reports/b.html"}
        assert docs("year", "2014") == {"reports/2014/a.md"}
    assert meta.documents["reports/2014/a.md"].date == "2014-05-13"
    assert meta.documents["top.txt"].format == "txt"
