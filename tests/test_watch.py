"""A real `seedsearch serve --watch` (inotify, and polling) over a real source
folder: files and folders created, modified, deleted, renamed and moved are
searchable, or gone, within 3 s; bursts become few builds; a file written in
pieces is indexed once complete; bad files are reported and stop nothing; a
build killed mid-way leaves the old index served; changes made while nothing
ran are caught up on start; inotify limits fall back to polling."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.build.run import build_index
from indexer.index import generations
from indexer.index.watch import read_state, watch_lock
from indexer.models import Query
from indexer.search.engine import Engine
from tests.live_server import LiveServer, live_server, seedsearch_command
from tests.makers.scans import scan_image, text_pdf
from webapp.cli import cli

LIVE = 3.0  # seconds: the issue's bound from a change on disk to the search seeing it
SLOW = 60.0  # seconds for whole builds of many files on a loaded 2-core machine
MODES = {"inotify": [], "polling": ["--poll", "0.5"]}


@dataclass(frozen=True)
class Watched:
    server: LiveServer
    source: Path
    index: Path
    mode: str


def note(title: str, word: str) -> str:
    return f"{title}\n\nA field note about the {word} seen near the harbour wall at dawn."


# -- talking to the server --------------------------------------------------------------


def get_json(w: Watched, path: str) -> dict:
    status, body = w.server.get(path)
    assert status == 200, body[:300]
    return json.loads(body)


def found(w: Watched, word: str) -> set[str]:
    """Documents with a passage holding `word` (as typed: no spelling fallback)."""
    q = urllib.parse.quote(word)
    result = get_json(w, f"/api/search?q={q}&exact=1&per_page=1000")
    return {hit["doc"] for hit in result["results"]}


def total(w: Watched, word: str) -> int:
    return get_json(w, f"/api/search?q={urllib.parse.quote(word)}&exact=1")["total"]


def status(w: Watched) -> dict:
    return get_json(w, "/api/status")


def generation(w: Watched) -> int:
    return get_json(w, "/healthz")["generation"]


def until(w: Watched, condition: Callable[[], bool], within: float, what: str) -> float:
    """Poll `condition` until it holds; the seconds it took. Fails after `within`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            pytest.fail(
                f"{what}: not within {within} s ({w.mode})\nstatus: {status(w)}\n"
                f"log:\n{w.server.log()[-3000:]}"
            )
        time.sleep(0.05)
    return time.monotonic() - started


def idle(w: Watched) -> bool:
    watch = status(w)["watch"]
    return watch is not None and watch["activity"] == "idle" and not watch["pending_since"]


@contextlib.contextmanager
def watched_server(root: Path, mode: str, files: dict[str, str]) -> Iterator[Watched]:
    """`seedsearch serve --watch` over a fresh source folder, once it is idle."""
    source, index = root / "src", root / "index"
    source.mkdir()
    for name, content in files.items():
        (source / name).write_text(content, "utf-8")
    args = ["--watch", *MODES[mode]]
    with live_server(index, source=source, workers=1, extra_args=args) as server:
        w = Watched(server, source, index, mode)
        until(w, lambda: idle(w), SLOW, "the watcher's first build")
        yield w


@pytest.fixture(scope="module", params=list(MODES))
def watched(request, tmp_path_factory) -> Iterator[Watched]:
    """One watched server per mode, shared by the tests below: each uses its own words."""
    root = tmp_path_factory.mktemp(f"watch-{request.param}")
    with watched_server(root, request.param, {"start.txt": note("Start", "starling")}) as w:
        yield w


# -- every change, within 3 s -----------------------------------------------------------


def test_created_modified_and_deleted_files_follow_within_3s(watched):
    w = watched
    path = w.source / "fieldnotes.txt"
    path.write_text(note("Field notes", "avocet"), "utf-8")
    until(w, lambda: found(w, "avocet") == {"fieldnotes.txt"}, LIVE, "created")
    path.write_text(note("Field notes", "bittern"), "utf-8")
    until(
        w,
        lambda: found(w, "bittern") == {"fieldnotes.txt"} and not found(w, "avocet"),
        LIVE,
        "modified",
    )
    path.unlink()
    until(w, lambda: not found(w, "bittern"), LIVE, "deleted")
    assert found(w, "starling") == {"start.txt"}


def test_a_renamed_file_moves_to_its_new_id(watched):
    w = watched
    (w.source / "draft.txt").write_text(note("Heron", "heron"), "utf-8")
    until(w, lambda: found(w, "heron") == {"draft.txt"}, LIVE, "created")
    os.rename(w.source / "draft.txt", w.source / "heron.txt")
    until(w, lambda: found(w, "heron") == {"heron.txt"}, LIVE, "renamed")
    build = status(w)["last_build"]
    assert (build["moved"], build["added"], build["removed"]) == (1, 0, 0)


def test_folders_created_renamed_moved_and_deleted(watched):
    w = watched
    files = {"a.txt": note("A", "puffin"), "north/b.txt": note("B", "puffin")}
    files["north/far/c.md"] = "# C\n\nA field note about the puffin on the far cliffs."
    for name, content in files.items():
        path = w.source / "survey" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, "utf-8")
    until(w, lambda: found(w, "puffin") == {f"survey/{n}" for n in files}, LIVE, "created")

    os.rename(w.source / "survey", w.source / "census")
    until(w, lambda: found(w, "puffin") == {f"census/{n}" for n in files}, LIVE, "renamed")
    build = status(w)["last_build"]
    assert (build["moved"], build["added"], build["removed"]) == (3, 0, 0)

    (w.source / "archive").mkdir()
    os.rename(w.source / "census" / "north", w.source / "archive" / "north")
    moved = {"census/a.txt", "archive/north/b.txt", "archive/north/far/c.md"}
    until(w, lambda: found(w, "puffin") == moved, LIVE, "moved into another folder")

    shutil.rmtree(w.source / "census")
    shutil.rmtree(w.source / "archive")
    until(w, lambda: not found(w, "puffin"), LIVE, "deleted")


def test_an_editors_save_to_a_temp_file_and_rename(watched):
    w = watched
    target = w.source / "journal.txt"
    target.write_text(note("Journal", "curlew"), "utf-8")
    until(w, lambda: found(w, "curlew") == {"journal.txt"}, LIVE, "created")
    until(w, lambda: idle(w), LIVE, "idle")
    before = generation(w)
    temp = w.source / ".journal.txt.swp"
    temp.write_text(note("Journal", "dunlin"), "utf-8")
    os.replace(temp, target)
    until(
        w,
        lambda: found(w, "dunlin") == {"journal.txt"} and not found(w, "curlew"),
        LIVE,
        "saved",
    )
    until(w, lambda: idle(w), LIVE, "idle")
    assert generation(w) == before + 1  # one build for the save
    build = status(w)["last_build"]
    assert (build["updated"], build["added"], build["removed"]) == (1, 0, 0)


# -- bursts and slow writes -------------------------------------------------------------


def test_a_copy_of_1000_files_is_a_few_builds_and_loses_nothing(watched, tmp_path):
    w = watched
    staging = tmp_path / "batch"
    for n in range(1000):
        path = staging / f"box{n // 100}" / f"n{n:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Note {n}\n\nGodwit tally {n} by the salt marsh.", "utf-8")
    until(w, lambda: idle(w), LIVE, "idle")
    before = generation(w)
    shutil.copytree(staging, w.source / "batch")
    until(w, lambda: total(w, "godwit") == 1000, SLOW, "all 1000 files searchable")
    until(w, lambda: idle(w), SLOW, "idle")
    builds = generation(w) - before
    print(f"\n1000-file copy ({w.mode}): {builds} builds")
    assert 1 <= builds <= 3
    shutil.rmtree(w.source / "batch")
    until(w, lambda: total(w, "godwit") == 0, SLOW, "all 1000 removed")


PIECES = [
    "The redshank called twice from the saltings before the rain.",
    "Later a greenshank fed along the creek with two redshank nearby.",
    "By noon the redshank flock had grown to forty birds on the mud.",
    "At dusk every redshank lifted at once and flew towards the estuary.",
]


def write_slowly(path: Path, pause: float, halfway: Callable[[], None] = lambda: None) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("Redshank log\n\n")
        for n, piece in enumerate(PIECES):
            out.write(piece + "\n\n")
            out.flush()
            if n == len(PIECES) // 2:
                halfway()
            time.sleep(pause)


def test_a_file_written_slowly_in_pieces_is_indexed_once_complete(watched):
    w = watched
    until(w, lambda: idle(w), LIVE, "idle")
    before = generation(w)
    write_slowly(w.source / "slow.txt", pause=0.15)
    until(w, lambda: found(w, "redshank") == {"slow.txt"}, LIVE, "the written file")
    assert total(w, "redshank") == len(PIECES)
    until(w, lambda: idle(w), LIVE, "idle")
    assert generation(w) == before + 1  # never indexed half-written


def test_a_file_held_open_between_pieces_waits_for_its_close(watched):
    w = watched
    if w.mode != "inotify":
        pytest.skip("polling cannot see that a file is still open: it waits for quiet only")
    until(w, lambda: idle(w), LIVE, "idle")
    before = generation(w)
    seen = {}

    def halfway() -> None:
        time.sleep(1.0)  # longer than the quiet spell that ends a burst
        seen.update(status(w))

    write_slowly(w.source / "held.txt", pause=0.6, halfway=halfway)
    assert seen["pending"] is True and seen["generation"] == before  # waiting, not indexing
    until(w, lambda: "held.txt" in found(w, "greenshank"), LIVE, "indexed once closed")
    until(w, lambda: idle(w), LIVE, "idle")
    assert generation(w) == before + 1


# -- bad files, the build lock ----------------------------------------------------------


def test_a_bad_file_is_reported_with_its_reason_and_stops_nothing(watched):
    w = watched
    (w.source / "broken.txt").write_bytes(b"")
    (w.source / "notes").mkdir()
    (w.source / "notes" / "binary.md").write_bytes(bytes(range(256)) * 8)
    (w.source / "fine.txt").write_text(note("Fine", "knot"), "utf-8")
    until(w, lambda: found(w, "knot") == {"fine.txt"}, LIVE, "the good file")
    skipped = {s["file"]: s["reason"] for s in status(w)["skipped"]}
    assert skipped["broken.txt"] == "empty file"
    assert skipped["notes/binary.md"]
    page = w.server.get("/status")[1].decode()
    assert "broken.txt" in page and "empty file" in page and "notes/binary.md" in page

    (w.source / "broken.txt").unlink()
    shutil.rmtree(w.source / "notes")
    until(w, lambda: status(w)["skipped"] == [], LIVE, "skipped files gone")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="./run.sh test installs it")
def test_a_scan_is_read_after_the_text_that_came_with_it(watched):
    """OCR is never in the way: the text of the same burst is searchable as soon as
    ever, and the photographed page follows once Tesseract has read it."""
    w = watched
    photo = scan_image(text_pdf([["A photographed note about the lamprey by the lock gates."]]))
    (w.source / "scans").mkdir()
    (w.source / "scans" / "lock.png").write_bytes(photo)
    (w.source / "typed.txt").write_text(note("Typed", "grebe"), "utf-8")
    until(w, lambda: found(w, "grebe") == {"typed.txt"}, LIVE, "the text")
    until(w, lambda: found(w, "lamprey") == {"scans/lock.png"}, SLOW, "the scan")
    [hit] = get_json(w, "/api/search?q=lamprey")["results"]
    assert (hit["page"], hit["ocr"]) == (1, True)
    ocr = status(w)["ocr"]
    assert ocr["pages_read"] >= 1 and ocr["pages_waiting"] == 0


def test_the_watcher_waits_for_a_build_lock_held_elsewhere(watched):
    w = watched
    until(w, lambda: idle(w), LIVE, "idle")
    with generations.build_lock(w.index):  # as a `seedsearch index` run by hand would
        (w.source / "locked.txt").write_text(note("Locked", "dotterel"), "utf-8")
        until(w, lambda: status(w)["watch"]["activity"] == "waiting", SLOW, "waiting")
        now = status(w)
        assert now["building"] is True and now["watch"]["error"] is None
        assert not found(w, "dotterel")
    until(w, lambda: found(w, "dotterel") == {"locked.txt"}, SLOW, "built after the lock")
    assert status(w)["watch"]["error"] is None


# -- killing a build, catching up on start ----------------------------------------------


def big_folder(folder: Path, files: int, word: str) -> int:
    """Enough text that an update takes seconds: room to kill it mid-way."""
    rng = random.Random(files)
    words = [f"w{n}" for n in range(3000)]
    for f in range(files):
        paras = [
            " ".join(rng.choices(words, k=30)).capitalize() + f". A {word} note {f}-{p}."
            for p in range(40)
        ]
        path = folder / f"part{f % 5}" / f"doc{f:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Doc {f}\n\n" + "\n\n".join(paras), "utf-8")
    return files * 40


@pytest.mark.parametrize("mode", list(MODES))
def test_a_build_killed_midway_keeps_the_old_index_and_the_next_change_recovers(tmp_path, mode):
    with watched_server(tmp_path, mode, {"start.txt": note("Start", "starling")}) as w:
        before = get_json(w, "/healthz")
        passages = big_folder(tmp_path / "staging", 40, "wigeon")
        os.rename(tmp_path / "staging", w.source / "big")  # one change, one long build

        def writing() -> bool:
            state = read_state(w.index)
            return bool(state and state.build_pid and list(w.index.glob("gen-*.tmp")))

        until(w, writing, SLOW, "the build writing its generation")
        os.kill(read_state(w.index).build_pid, signal.SIGKILL)
        assert get_json(w, "/healthz") == before  # the old index, whole
        until(w, lambda: "killed" in (status(w)["watch"]["error"] or ""), SLOW, "error shown")
        page = w.server.get("/status")[1].decode()
        assert "killed" in page and "the last good index is still served" in page
        assert get_json(w, "/healthz") == before

        (w.source / "after.txt").write_text(note("After", "sanderling"), "utf-8")
        until(w, lambda: found(w, "sanderling") == {"after.txt"}, SLOW, "recovered")
        until(w, lambda: total(w, "wigeon") == passages, SLOW, "the big folder too")
        assert status(w)["watch"]["error"] is None
        assert not list(w.index.glob("*.tmp"))


def test_changes_made_while_nothing_ran_are_caught_up_on_start(tmp_path):
    source, index = tmp_path / "src", tmp_path / "index"
    source.mkdir()
    for name, word in (("a.txt", "plover"), ("b.txt", "gull"), ("c.txt", "tern")):
        (source / name).write_text(note(name, word), "utf-8")
    build_index(source, index)
    (source / "a.txt").write_text(note("a", "ruff"), "utf-8")
    (source / "b.txt").unlink()
    os.rename(source / "c.txt", source / "d.txt")
    (source / "e.txt").write_text(note("e", "skua"), "utf-8")
    args = ["--watch"]
    with live_server(index, source=source, workers=1, extra_args=args) as server:
        w = Watched(server, source, index, "inotify")
        until(w, lambda: idle(w), SLOW, "the first build")
        assert found(w, "ruff") == {"a.txt"} and not found(w, "plover")
        assert not found(w, "gull")
        assert found(w, "tern") == {"d.txt"} and found(w, "skua") == {"e.txt"}
        build = status(w)["last_build"]
        assert [build[k] for k in ("added", "updated", "moved", "removed")] == [1, 1, 1, 1]


# -- inotify's limits -------------------------------------------------------------------


def unshare_available() -> bool:
    """Whether this machine lets us set inotify limits in a user namespace of our own."""
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-Ur", "sh", "-c", "echo 1 > /proc/sys/user/max_inotify_watches"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not unshare_available(), reason="needs user namespaces (unshare -Ur)")
@pytest.mark.parametrize(
    "limit, value, said",
    [
        ("max_inotify_watches", 3, "the inotify watch limit is reached (3 of 7 folders watched"),
        ("max_inotify_instances", 0, "inotify cannot watch it"),
    ],
)
def test_inotify_limits_fall_back_to_polling_and_say_so_once(tmp_path, limit, value, said):
    source, index = tmp_path / "src", tmp_path / "index"
    deep = source / "a" / "b" / "c" / "d" / "e" / "f"
    deep.mkdir(parents=True)
    (source / "top.txt").write_text(note("Top", "starling"), "utf-8")
    script = f'echo {value} > /proc/sys/user/{limit} && exec "$@"'
    command = ["unshare", "-Ur", "sh", "-c", script, "sh", *seedsearch_command()]
    command += ["index", "--watch", "--source", str(source), "--index", str(index)]
    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        watcher = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SLOW
        while "Indexed" not in log.read_text() and time.monotonic() < deadline:
            assert watcher.poll() is None, log.read_text()
            time.sleep(0.05)
        (deep / "deep.txt").write_text(note("Deep", "wryneck"), "utf-8")
        deadline = time.monotonic() + 10  # one scan every 2 s, then the build
        with Engine(index) as engine:
            while not engine.search(Query("wryneck", exact=True)).total:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(30)
    text = log.read_text()
    assert said in text and text.count("polling every 2 s") == 1, text
    assert watcher.returncode == 0, text


def test_a_source_folder_gone_keeps_the_index_and_is_watched_again_when_back(tmp_path):
    with watched_server(tmp_path, "inotify", {"start.txt": note("Start", "starling")}) as w:
        os.rename(w.source, tmp_path / "unmounted")  # a share unmounted, a disk pulled
        until(w, lambda: status(w)["watch"]["error"] is not None, SLOW, "the error shown")
        assert "does not exist" in status(w)["watch"]["error"]
        assert found(w, "starling") == {"start.txt"}  # not an empty index
        os.rename(tmp_path / "unmounted", w.source)
        (w.source / "back.txt").write_text(note("Back", "whimbrel"), "utf-8")
        until(w, lambda: found(w, "whimbrel") == {"back.txt"}, SLOW, "watched again")
        assert status(w)["watch"]["mode"] == "inotify"


# -- the command line -------------------------------------------------------------------


def test_poll_needs_watch(runner):
    # `./run.sh serve --no-watch` runs `seedsearch serve --watch --no-watch`: the last wins.
    no_watch = ["serve", "--watch", "--no-watch", "--poll", "1"]
    for command in (["index", "--poll", "1"], ["serve", "--poll", "1"], no_watch):
        result = runner.invoke(cli, command)
        assert result.exit_code == 2 and "--poll needs --watch" in result.output


def test_one_watcher_per_index(runner, tmp_path):
    (tmp_path / "src").mkdir()
    args = ["index", "--watch", "--source", str(tmp_path / "src"), "--index", str(tmp_path / "ix")]
    with watch_lock(tmp_path / "ix"):
        result = runner.invoke(cli, args)
    assert result.exit_code == 1 and "Another watcher" in result.output
