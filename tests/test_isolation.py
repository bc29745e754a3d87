"""No file can fail, hang or exhaust a build: a reader that crashes by a signal,
one that never finishes, one that grows without bound, and a file that cannot
be opened are each skipped with the reason (in the build's output, `seedsearch
status` and /status) while every good file is indexed; the worker that died is
replaced; and a file that failed is not read again until it changes.

The pathological readers are registered by the tests alone, as a plugin
(tests/reader_plugin.py); builds run through the real CLI with that plugin on
PYTHONPATH, as root without the powers that ignore file modes."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from indexer.index import generations
from indexer.models import Query
from indexer.search.engine import Engine
from tests.live_server import seedsearch_command
from tests.opens import counting_opens
from tests.reader_plugin import Plugin, install
from tests.test_bad_documents import HANG_GUARD, warnings_of, without_root_powers
from webapp import create_app

GOOD = 200
LIMITS = ("--file-timeout", "2", "--file-memory", "300MB")
BAD = {
    "crash.crash": "crashed (signal SIGSEGV)",
    "hang.hang": "took longer than 2 s",
    "grow.grow": "needed more than 300 MB",
    "secret.txt": "cannot read (Permission denied)",
}
ARCHIVED = time.time() - 30 * 86400  # the files' modification time: an archive, settled


def settle(path: Path) -> None:
    """Give a file the modification time of an archive's file, long before any build."""
    os.utime(path, (ARCHIVED, ARCHIVED))


def write_good(source: Path) -> dict[str, str]:
    """GOOD text files in four folders, each with a word of its own: {doc: word}."""
    words = {}
    for n in range(GOOD):
        doc = f"part{n % 4}/note{n:03d}.txt"
        words[doc] = f"tally{n:03d}"
        path = source / doc
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Note {n}\n\nA field note, its tally word {words[doc]}.\n", "utf-8")
        settle(path)
    return words


def write_bad(source: Path) -> None:
    for name in BAD:
        (source / name).write_text(f"{name}\n\nWords the reader never gets to.\n", "utf-8")
        settle(source / name)
    (source / "secret.txt").chmod(0)


def seedsearch(plugin: Plugin, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        seedsearch_command() + list(args),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=plugin.env(),
        preexec_fn=without_root_powers,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def index(plugin: Plugin, source: Path, index_dir: Path, *extra: str):
    args = ["index", "--source", str(source), "--index", str(index_dir), *LIMITS, *extra]
    done = seedsearch(plugin, *args)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    return folder


@pytest.fixture
def plugin(tmp_path: Path, source: Path) -> Plugin:
    return install(tmp_path / "plugin", source)


@pytest.mark.parametrize(
    "how",
    [["--full", "--jobs", "2"], ["--full", "--jobs", "1"], ["--jobs", "2"]],
    ids=["parallel-full-build", "serial-full-build", "update"],
)
def test_bad_files_are_skipped_with_their_reason_and_not_read_again(plugin, source, tmp_path, how):
    words = write_good(source)
    index_dir = tmp_path / "index"
    if "--full" not in how:  # the bad files arrive in an update of a built index
        index(plugin, source, index_dir)
    write_bad(source)

    done = index(plugin, source, index_dir, *how)

    assert warnings_of(done) == BAD
    assert sorted(plugin.reads()) == ["crash.crash", "grow.grow", "hang.hang"]
    with Engine(index_dir) as engine:
        assert engine.stats().documents == GOOD
        for doc, word in words.items():
            assert [h.doc for h in engine.search(Query(word, exact=True)).hits] == [doc]
    status = json.loads(seedsearch(plugin, "status", "--index", str(index_dir), "--json").stdout)
    assert {s["file"]: s["reason"] for s in status["skipped"]} == BAD
    app = create_app({"INDEX": str(index_dir), "TESTING": True})
    page = app.test_client().get("/status").get_data(as_text=True)
    app.extensions["seedsearch"].close()
    for name, reason in BAD.items():
        assert name in page and reason in page

    # The next update reads none of them again, nor anything else: nothing changed.
    generation = generations.current_dir(index_dir)
    with counting_opens(source) as opens:
        again = index(plugin, source, index_dir)
        assert opens.files() == []
    assert len(plugin.reads()) == 3
    assert again.stdout.startswith(f"0 added, 0 updated, 0 removed, {GOOD} unchanged, 4 skipped")
    assert "4 files that failed before, unchanged since, were not read again" in again.stdout
    assert warnings_of(again) == BAD
    assert generations.current_dir(index_dir) == generation  # nothing to publish


def test_a_failed_file_is_read_again_when_it_changes_or_when_asked(plugin, source, tmp_path):
    write_good(source)
    write_bad(source)
    index_dir = tmp_path / "index"
    index(plugin, source, index_dir)
    assert len(plugin.reads()) == 3

    os.utime(source / "crash.crash", (ARCHIVED + 60, ARCHIVED + 60))  # touched
    with counting_opens(source) as opens:
        index(plugin, source, index_dir)
        assert opens.files() == ["crash.crash"]
    assert plugin.reads()[3:] == ["crash.crash"]

    (source / "secret.txt").chmod(0o644)  # made readable: its status change time moved
    done = index(plugin, source, index_dir)
    assert "secret.txt" not in warnings_of(done)
    assert done.stdout.startswith("1 added")

    generation = generations.current_dir(index_dir)
    done = index(plugin, source, index_dir, "--retry-failed")
    assert sorted(plugin.reads()[4:]) == ["crash.crash", "grow.grow", "hang.hang"]
    assert warnings_of(done) == {k: v for k, v in BAD.items() if k != "secret.txt"}
    # Failing again as before, unchanged: no news, no new generation.
    assert generations.current_dir(index_dir) == generation


def test_a_file_that_changes_or_vanishes_while_read_is_tried_once_more(plugin, source, tmp_path):
    for name in ("saved.edit", "busy.churn", "gone.vanish", "fine.note"):
        (source / name).write_text(f"{name}\n\nThe heron by the {name} weir.\n", "utf-8")
        settle(source / name)
    index_dir = tmp_path / "index"

    done = index(plugin, source, index_dir, "--jobs", "1")

    reads = plugin.reads()
    assert reads.count("saved.edit") == 2  # changed under the first read; the second held
    assert reads.count("busy.churn") == 2  # changed under both: reported
    assert reads.count("gone.vanish") == 1  # gone at the second try: reported
    assert warnings_of(done) == {
        "busy.churn": "changed while it was read",
        "gone.vanish": "cannot read (No such file or directory)",
    }
    with Engine(index_dir) as engine:
        assert {d.doc for d in engine.stats().per_document} == {"saved.edit", "fine.note"}
        hit = engine.search(Query("added", exact=True)).hits
        assert [h.doc for h in hit] == ["saved.edit"]  # the content of the second read

    # A file that was changing is not remembered as failed: the next build reads it.
    index(plugin, source, index_dir, "--jobs", "1")
    assert plugin.reads()[len(reads) :].count("busy.churn") == 2


def test_a_reader_stopped_by_sigterm_stops_the_build_not_the_file(plugin, source, tmp_path):
    # SIGTERM is a request to stop, not a crash: recording the file as failed would
    # keep it out of the index after a service restart.
    write_good(source)
    index_dir = tmp_path / "index"
    index(plugin, source, index_dir)
    (source / "halt.stop").write_text("Halt\n\nA file read while the service stops.\n", "utf-8")
    args = ["index", "--source", str(source), "--index", str(index_dir), *LIMITS]
    done = seedsearch(plugin, *args)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: A reader was stopped (SIGTERM)."
    assert generations.current_dir(index_dir).name == "gen-000001"  # untouched


def test_the_watcher_reads_a_crashing_file_once_and_goes_on(plugin, source, tmp_path):
    write_good(source)
    (source / "crash.crash").write_text("Crash\n\nNever read.\n", "utf-8")
    index_dir = tmp_path / "index"
    command = seedsearch_command() + ["index", "--watch", "--source", str(source)]
    command += ["--index", str(index_dir), *LIMITS]
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watcher = subprocess.Popen(command, stdout=out, stderr=out, env=plugin.env())
    try:
        wait_for(lambda: "crash.crash: crashed" in log.read_text(), "the first build")
        (source / "part0" / "later.txt").write_text("Later\n\nThe ibis came later.\n", "utf-8")
        wait_for(lambda: "1 added" in log.read_text(), "the build of a new file")
        time.sleep(1.5)  # time for a build loop, were there one
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
    text = log.read_text()
    assert plugin.reads() == ["crash.crash"], text
    assert "Build failed" not in text, text
    with Engine(index_dir) as engine:
        assert [h.doc for h in engine.search(Query("ibis")).hits] == ["part0/later.txt"]


def wait_for(condition, what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
