"""An index folder that is missing, empty, damaged or read-only: a real
`seedsearch serve` still starts, says what is wrong on its pages and in
/healthz (503), and `seedsearch index --full` repairs it while it runs.

We run as root, for whom file modes mean nothing. "Read-only" is therefore
simulated for real: the server or builder runs as root without the
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH capabilities (dropped from its
bounding set before exec), so the kernel enforces the file modes on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer.errors import SeedsearchError
from indexer.index import generations
from indexer.models import Query
from indexer.search.engine import Engine
from indexer.storage.codec import PACK_EXT
from tests.conftest import SEED_DOC, SEEDS
from tests.live_server import HOST, LiveServer, free_port, live_server, seedsearch_command, stop
from tests.privileges import without_root_powers
from webapp import create_app


def seedsearch(*args: str, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """Run the real CLI; a generous timeout only guards against a hang."""
    return subprocess.run(
        seedsearch_command() + list(args),
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=without_root_powers if unprivileged else None,
    )


def repair(index: Path, source: Path = SEEDS) -> subprocess.CompletedProcess:
    done = seedsearch("index", "--full", "--quiet", "--source", str(source), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def get_json(server: LiveServer, path: str) -> tuple[int, dict]:
    status, body = server.get(path)
    return status, json.loads(body)


def assert_explained(server: LiveServer, code: str, fragment: str) -> None:
    """Every route says what is wrong: JSON 503 for machines, a page for people."""
    for _ in range(4):  # whichever worker answers
        status, payload = get_json(server, "/healthz")
        assert status == 503, payload
        assert payload["error"]["code"] == code
        assert fragment in payload["error"]["message"]
    status, payload = get_json(server, "/api/search?q=russia")
    assert status == 503 and payload["error"]["code"] == code
    for path in ("/", "/?q=russia", f"/doc/{SEED_DOC}"):
        status, page = server.get(path)
        text = page.decode()
        assert status == 503, path
        assert "The index is not available" in text and fragment in text, path
        assert 'class="site"' in text  # the site's own page, not a bare error
        assert "Traceback" not in text


def assert_serving(
    server: LiveServer, generation: int | None = None, passages: int = 10, word: str = "russia"
) -> dict:
    for _ in range(4):
        status, health = get_json(server, "/healthz")
        assert status == 200, health
        assert health["passages"] == passages
        if generation is not None:
            assert health["generation"] == generation
    status, result = get_json(server, f"/api/search?q={word}")
    assert status == 200 and result["total"] > 0
    return health


# Another small corpus, so that a repair visibly changes what is served.
OTHER = {
    "airfield.txt": "Airfield log\n\nThe zeppelin landed at noon.\n\nThe zeppelin left at dusk."
}


def copy_of_seed(seed_index: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    return index


def segments(index: Path) -> list[Path]:
    """The segment files of the live generation (postings, terms, columns)."""
    files = generations.current_dir(index).glob("MAIN_*")
    return sorted(p for p in files if p.name != "MAIN_WRITELOCK")


def truncate_segments(index: Path) -> None:
    for seg in segments(index):
        os.truncate(seg, seg.stat().st_size // 2)


def truncate_postings(index: Path) -> None:
    """Only the postings (the pack files): what a search reads, memory-mapped."""
    for seg in segments(index):
        if seg.suffix == PACK_EXT:
            os.truncate(seg, seg.stat().st_size // 2)


def garble_segments(index: Path) -> None:
    rng = random.Random(6)
    for seg in segments(index):
        seg.write_bytes(rng.randbytes(seg.stat().st_size))


def garble_toc(index: Path) -> None:
    for toc in generations.current_dir(index).glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 64)


# -- damaged when the server starts ----------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        truncate_segments,
        garble_segments,
        garble_toc,
        truncate_postings,
    ],
    ids=["truncated-segments", "garbled-segments", "garbage-toc", "truncated-postings"],
)
def test_server_starts_on_a_damaged_index_explains_and_is_repaired(
    seed_index, tmp_path, damage: Callable[[Path], None]
):
    # (A garbage seedsearch.json is tests/test_serve.py's case.)
    index = copy_of_seed(seed_index, tmp_path)
    damage(index)
    with live_server(index, source=SEEDS, workers=1) as server:
        assert_explained(server, "index_broken", "rebuild it with `seedsearch index --full`")
        repair(index)
        assert_serving(server, generation=2)
        assert server.process.poll() is None


def test_server_builds_into_an_empty_or_dangling_index_folder(seed_index, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    dangling = copy_of_seed(seed_index, tmp_path)
    (dangling / generations.CURRENT).unlink()
    (dangling / generations.CURRENT).symlink_to("gen-000099")
    for index, generation in ((empty, 1), (dangling, 2)):
        with live_server(index, source=SEEDS, workers=1) as server:
            assert "No index at" in server.log()
            assert_serving(server, generation=generation)
        assert generations.current_dir(index).name == f"gen-{generation:06d}"


# -- broken while serving ----------------------------------------------------------


def dangle(index: Path) -> None:
    pointer = index / generations.CURRENT
    pointer.unlink()
    pointer.symlink_to("gen-000099")


def delete_folder(index: Path) -> None:
    shutil.rmtree(index)


def empty_folder(index: Path) -> None:
    for child in index.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def pointer_is_a_folder(index: Path) -> None:
    (index / generations.CURRENT).unlink()
    (index / generations.CURRENT).mkdir()


def test_an_index_broken_while_serving_is_explained_then_repaired_live(
    seed_index, corpus, tmp_path
):
    index = copy_of_seed(seed_index, tmp_path)
    other = corpus(OTHER)
    with live_server(index, workers=2) as server:
        generation = assert_serving(server)["generation"]
        for n, breakage in enumerate((dangle, pointer_is_a_folder, dangle)):
            breakage(index)
            assert_explained(server, "index_missing", "build one with `seedsearch index`")
            if breakage is pointer_is_a_folder:
                (
                    index / generations.CURRENT
                ).rmdir()  # the builder never deletes a folder it did not make
            # Repair alternately from the other corpus and the seed: what is served changes.
            source, passages, word = (other, 2, "zeppelin") if n % 2 == 0 else (SEEDS, 10, "russia")
            repair(index, source)
            health = assert_serving(server, passages=passages, word=word)
            assert health["generation"] > generation
            generation = health["generation"]
        assert server.process.poll() is None


@pytest.mark.parametrize("breakage", [delete_folder, empty_folder], ids=["deleted", "emptied"])
def test_an_index_deleted_and_rebuilt_while_serving_serves_the_rebuilt_one(
    seed_index, corpus, tmp_path, breakage
):
    index = copy_of_seed(seed_index, tmp_path)
    with live_server(index, workers=1) as server:
        assert_serving(server, generation=1)
        breakage(index)
        assert_explained(server, "index_missing", "build one with `seedsearch index`")
        repair(index, corpus(OTHER))
        assert_serving(server, generation=1, passages=2, word="zeppelin")


@pytest.mark.parametrize(
    "damage",
    [
        truncate_segments,
        truncate_postings,
    ],
    ids=["all-segment-files", "postings-only"],
)
def test_plain_index_command_repairs_or_refuses_a_damaged_index(corpus, tmp_path, damage):
    source = corpus({"essay.txt": (SEEDS / SEED_DOC).read_text("utf-8")})
    index = tmp_path / "index"
    assert seedsearch("index", "-q", "--source", str(source), "--index", str(index)).returncode == 0
    damage(index)
    for change in (False, True):
        if change:
            with (source / "essay.txt").open("a", encoding="utf-8") as fh:
                fh.write("\n\nA new closing paragraph about the ferry to the island.\n")
        done = seedsearch("index", "--source", str(source), "--index", str(index))
        assert "Aborted!" not in done.stderr and "Traceback" not in done.stderr
        if done.returncode == 0:  # success must mean a usable index
            with Engine(index) as engine:
                assert engine.search(Query("russia")).total > 0
        else:
            assert "--full" in done.stderr


# -- read-only and unreadable ------------------------------------------------------


def make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IRWXU)


@contextlib.contextmanager
def unprivileged_server(index: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """`seedsearch serve` that obeys file modes (live_server cannot drop powers)."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            seedsearch_command()
            + ["serve", "--index", str(index), "--host", HOST, "--port", str(port)]
            + ["--workers", "1", "--source", str(tmp_path / "no-source")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=without_root_powers,
            start_new_session=True,
        )
    server = LiveServer(f"http://{HOST}:{port}", port, process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, server.log()
            with contextlib.suppress(OSError):
                server.get("/healthz", timeout=2)
                break
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        yield server
    finally:
        stop(process)


def test_drop_of_root_powers_is_real(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    done = subprocess.run(["cat", str(secret)], capture_output=True, preexec_fn=without_root_powers)
    assert done.returncode != 0 and b"Permission denied" in done.stderr


def test_read_only_index_is_served(seed_index, tmp_path):
    index = copy_of_seed(seed_index, tmp_path)
    make_read_only(index)
    try:
        with unprivileged_server(index, tmp_path) as server:
            assert_serving(server, generation=1)
            status, page = server.get("/?q=memorial")
            assert status == 200 and b"<mark>" in page
    finally:
        make_writable(index)


@pytest.mark.parametrize("full", [False, True], ids=["update", "full"])
def test_build_into_a_read_only_index_fails_clearly_and_changes_nothing(
    seed_index, corpus, tmp_path, full
):
    index = copy_of_seed(seed_index, tmp_path)
    source = corpus({"new.txt": "New notes\n\nA paragraph about the harbour ferry at dawn."})
    make_read_only(index)
    try:
        args = ["index", "--source", str(source), "--index", str(index)] + (
            ["--full"] if full else []
        )
        done = seedsearch(*args, unprivileged=True)
    finally:
        make_writable(index)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert str(index) in done.stderr and "Error:" in done.stderr
    assert sorted(p.name for p in index.iterdir()) == sorted(p.name for p in seed_index.iterdir())
    with Engine(index) as engine:
        assert engine.health().generation == 1 and engine.health().passages == 10


def test_unreadable_index_is_explained_then_repaired(seed_index, tmp_path):
    index = copy_of_seed(seed_index, tmp_path)
    generation = generations.current_dir(index)
    for path in generation.iterdir():
        path.chmod(0)
    with unprivileged_server(index, tmp_path) as server:
        assert_explained(server, "index_broken", "PermissionError")
        done = seedsearch(
            "index",
            "--full",
            "-q",
            "--source",
            str(SEEDS),
            "--index",
            str(index),
            unprivileged=True,
        )
        assert done.returncode == 0, done.stderr
        assert_serving(server, generation=2)


# -- silent damage: bytes flipped inside a segment -----------------------------------


def flip_bits(index: Path, rng: random.Random) -> None:
    seg = rng.choice(segments(index))
    data = bytearray(seg.read_bytes())
    for _ in range(rng.randint(1, 12)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    seg.write_bytes(bytes(data))


def engine_escapes(index: Path, label: str) -> list[str]:
    """What escapes the engine, other than SeedsearchError, on a few typical calls."""
    escaped = []
    with Engine(index) as engine:
        for text in ("russia", "human rights", '"human rights"', "memor*", "russa~"):
            try:
                engine.health()
                engine.search(Query(text))
                engine.document(SEED_DOC, text)
            except SeedsearchError:
                pass
            except Exception as exc:  # noqa: BLE001 - what escapes is the finding
                escaped.append(f"{label} {text!r}: {exc.__class__.__name__}: {exc}"[:200])
    return escaped


def http_statuses(index: Path) -> set[int]:
    # Not TESTING: an unhandled error must become the 500 a reader would get.
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    statuses = {client.get(url).status_code for url in ("/?q=russia", "/api/search?q=memorial")}
    app.extensions["seedsearch"].close()
    return statuses


# Whoosh leaves the files of a damaged segment to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_damaged_segment_files_are_reported_as_a_broken_index(seed_index, tmp_path):
    escaped, statuses = [], set()
    # Every segment file cut in half, then bytes flipped at random.
    for n, name in enumerate(p.name for p in segments(seed_index)):
        index = tmp_path / f"cut-{n}"
        shutil.copytree(seed_index, index, symlinks=True)
        victim = generations.current_dir(index) / name
        os.truncate(victim, victim.stat().st_size // 2)
        escaped += engine_escapes(index, f"{name} cut in half,")
        statuses |= http_statuses(index)
    rng = random.Random(2024)
    for trial in range(24):
        index = tmp_path / f"trial-{trial}"
        shutil.copytree(seed_index, index, symlinks=True)
        flip_bits(index, rng)
        escaped += engine_escapes(index, f"flip trial {trial},")
        statuses |= http_statuses(index)
    assert escaped == []
    assert statuses <= {200, 400, 503}, statuses


def test_killed_reader_leaves_no_trace(seed_index, tmp_path):
    """A server killed with SIGKILL leaves nothing that stops the next start."""
    index = copy_of_seed(seed_index, tmp_path)
    before = sorted(p.name for p in index.rglob("*"))
    with live_server(index, workers=1) as server:
        assert_serving(server)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
    assert sorted(p.name for p in index.rglob("*")) == before
    with live_server(index, workers=1) as server:
        assert_serving(server, generation=1)
