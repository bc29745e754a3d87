"""A real `seedsearch serve --workers 2` under continuous load from client
threads while real `seedsearch index` processes rebuild, get killed with
SIGKILL, or run out of file size: no request fails, every response comes
whole from one generation, and a committed generation is served at once.
The long version of all this is bench/soak.py."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from indexer.index import generations
from tests.conftest import ROOT
from tests.live_server import LiveServer, live_server, seedsearch_command

CLIENTS = 4
MAX_REQUESTS = 20_000  # per client thread: the load loop is bounded whatever happens
ORPHAN_GRACE = 5.0  # seconds for the kernel to reap a killed builder's workers


# -- corpora that tell generations apart ------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A source folder whose every passage holds `note` and `marker`."""

    path: Path
    marker: str
    passages: int


def log_corpus(folder: Path, marker: str, passages: int) -> Corpus:
    """Two files of distinct, full-sized paragraphs (none merged or collapsed)."""
    folder.mkdir(parents=True, exist_ok=True)
    half = passages // 2
    for name, numbers in (
        ("shared.txt", range(half)),
        (f"only-{marker}.txt", range(half, passages)),
    ):
        paragraphs = [
            f"Note {n} in the {marker} log: the {marker} was seen near the quay at dawn, "
            f"and {n + 2} keepers wrote it down before the tide turned again."
            for n in numbers
        ]
        (folder / name).write_text(f"Log of the {marker}\n\n" + "\n\n".join(paragraphs), "utf-8")
    return Corpus(folder, marker, passages)


def big_corpus(folder: Path, marker: str, files: int = 160, paragraphs: int = 40) -> Corpus:
    """Enough text that a full build takes seconds: room to kill it midway."""
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


# -- the load ---------------------------------------------------------------------------


@dataclass
class Load:
    """What the client threads saw."""

    corpora: tuple[Corpus, ...]
    served: int = 0
    failures: list[str] = field(default_factory=list)
    generations: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def await_requests(self, more: int, timeout: float = 60.0) -> None:
        """Wait until the clients have answered `more` requests beyond those so far, so a
        phase of a test is really under load however fast or slow the machine is."""
        with self.lock:
            target = self.served + more
        deadline = time.monotonic() + timeout
        while self.served < target:
            assert time.monotonic() < deadline, f"the clients answered under {more} in {timeout} s"
            time.sleep(0.01)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check(path: str, status: int, body: bytes, load: Load, last_generation: int) -> int:
    """Raise AssertionError unless the response is whole and from one generation."""
    assert status == 200, f"{status} {body[:300]!r}"
    counts = {c.passages: c for c in load.corpora}
    if path.startswith("/healthz"):
        health = json.loads(body)
        assert health["passages"] in counts, health
        # One client's requests are sequential: it never sees an older index.
        assert health["generation"] >= last_generation, (health, last_generation)
        with load.lock:
            load.generations.add(health["generation"])
        return health["generation"]
    if path.startswith("/api/search"):
        result = json.loads(body)
        corpus = counts[result["total"]]  # KeyError: a total no generation has
        texts = [r["text"] for r in result["results"]]
        assert texts and all(corpus.marker in t for t in texts), path
        others = {c.marker for c in load.corpora} - {corpus.marker}
        assert not any(m in t for t in texts for m in others), path
        return last_generation
    page = body.decode("utf-8")
    assert page.rstrip().endswith("</html>"), "truncated page"
    total = int(re.search(r"([\d,]+) matching passage", page).group(1).replace(",", ""))
    assert total in counts, total
    assert "<mark>" in page
    return last_generation


PATHS = ("/api/search?q=note&per_page=20", "/healthz", "/?q=note+{marker}", "/healthz")


def client(server: LiveServer, load: Load, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    generation = 0
    for _ in range(MAX_REQUESTS):
        if stop.is_set():
            return
        marker = rng.choice(load.corpora).marker
        path = rng.choice(PATHS).format(marker=marker)
        try:
            status, body = fetch(server.url + path)
            generation = check(path, status, body, load, generation)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and reported
            load.fail(f"{path}: {exc.__class__.__name__}: {exc}")
        with load.lock:
            load.served += 1


@contextlib.contextmanager
def under_load(server: LiveServer, *corpora: Corpus) -> Iterator[Load]:
    """Client threads request `server` until the block ends."""
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
    assert not any(t.is_alive() for t in threads), "a client hung"


# -- builders ---------------------------------------------------------------------------


def build_args(corpus: Corpus, index: Path, *extra: str) -> list[str]:
    return seedsearch_command() + [
        "index",
        "--quiet",
        "--source",
        str(corpus.path),
        "--index",
        str(index),
        *extra,
    ]


def build(corpus: Corpus, index: Path, *extra: str, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        build_args(corpus, index, *extra),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=preexec,
    )


def served_health(server: LiveServer) -> dict:
    status, body = fetch(server.url + "/healthz")
    assert status == 200, body
    return json.loads(body)


def group_members(pgid: int) -> list[int]:
    """Live processes in a process group (a builder and its workers)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry))
    return members


# -- the tests --------------------------------------------------------------------------


def test_rebuilds_under_load_fail_no_request_and_are_served_at_once(tmp_path):
    a = log_corpus(tmp_path / "a", "albatross", 6)
    b = log_corpus(tmp_path / "b", "zeppelin", 9)
    index = tmp_path / "index"
    assert build(a, index).returncode == 0
    rounds = [(b, "--full"), (a, ""), (b, ""), (a, "--full"), (b, "--full"), (a, "")]
    with live_server(index, workers=2) as server, under_load(server, a, b) as load:
        for corpus, mode in rounds:
            before = served_health(server)["generation"]
            done = build(corpus, index, *([mode] if mode else []))
            assert done.returncode == 0, done.stderr
            committed = generations.generation_of(generations.current_dir(index))
            assert committed == before + 1
            # The committing process has exited: the very next requests, on
            # whichever worker, see the new generation. No waiting, no restart.
            for _ in range(6):
                health = served_health(server)
                assert (health["generation"], health["passages"]) == (committed, corpus.passages)
        time.sleep(0.3)  # a little load on the last generation too
    print(f"\n{load.served} requests during {len(rounds)} rebuilds: {len(load.failures)} failed")
    assert load.failures == []
    assert load.served > 0 and load.generations >= set(range(2, 2 + len(rounds)))
    assert sorted(p.name for p in index.glob("gen-*")) == [f"gen-00000{n}" for n in (5, 6, 7)]


def test_the_watcher_rebuilds_under_load_and_fails_no_request(tmp_path):
    # The same load, while the watcher rather than a person rebuilds: each time the
    # watched file is replaced (atomically, as an editor saves), the new content is
    # served whole, and soon.
    a = log_corpus(tmp_path / "a", "albatross", 6)
    b = log_corpus(tmp_path / "b", "zeppelin", 9)
    source = tmp_path / "watched"
    source.mkdir()

    def save(corpus: Corpus) -> None:
        text = "\n\n".join(
            (corpus.path / name).read_text("utf-8").split("\n\n", 1)[1]
            for name in ("shared.txt", f"only-{corpus.marker}.txt")
        )
        (tmp_path / "draft.txt").write_text(f"Log of the {corpus.marker}\n\n{text}", "utf-8")
        os.replace(tmp_path / "draft.txt", source / "log.txt")

    save(a)
    index = tmp_path / "index"
    rounds = [b, a, b, a, b, a]
    with (
        live_server(index, source=source, workers=2, extra_args=["--watch"]) as server,
        under_load(server, a, b) as load,
    ):
        for corpus in rounds:
            save(corpus)
            deadline = time.monotonic() + 30
            while served_health(server)["passages"] != corpus.passages:
                assert time.monotonic() < deadline, server.log()[-2000:]
                time.sleep(0.05)
        time.sleep(0.3)  # a little load on the last generation too
    print(f"\n{load.served} requests during {len(rounds)} watcher rebuilds")
    assert load.failures == []
    assert load.served > 0 and len(load.generations) >= len(rounds)


def test_kill_9_of_the_builder_under_load_leaves_old_or_new_and_no_orphans(tmp_path):
    rng = random.Random(9)
    old = log_corpus(tmp_path / "old", "albatross", 6)
    new = big_corpus(tmp_path / "new", "zeppelin", files=100)
    index = tmp_path / "index"
    assert build(old, index).returncode == 0
    with live_server(index, workers=2) as server, under_load(server, old, new) as load:
        for _trial in range(3):
            builder = subprocess.Popen(
                build_args(new, index, "--full"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own group: its workers are findable by pgid
            )
            time.sleep(rng.uniform(0.0, 3.0))  # a random moment of its life
            builder.send_signal(signal.SIGKILL)
            builder.wait()
            deadline = time.monotonic() + ORPHAN_GRACE
            while group_members(builder.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert group_members(builder.pid) == [], "build workers outlived their builder"
            # Old or new, never anything else (the clients check every response).
            assert served_health(server)["passages"] in (old.passages, new.passages)
        # The next build needs no cleanup.
        done = build(new, index, "--full")
        assert done.returncode == 0, done.stderr
        assert served_health(server)["passages"] == new.passages
    assert load.failures == [] and load.served > 0
    assert not list(index.glob("*.tmp")) and not (index / "current.tmp").exists()


def limit_file_size(limit: int):
    """preexec_fn: no file may grow past `limit` bytes, as on a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then write() fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("mode", ["--full", ""], ids=["full", "update"])
def test_a_full_disk_fails_the_build_clearly_and_keeps_serving_the_old_index(tmp_path, mode):
    old = log_corpus(tmp_path / "old", "albatross", 6)
    new = big_corpus(tmp_path / "new", "zeppelin", files=20)
    index = tmp_path / "index"
    assert build(old, index).returncode == 0
    with live_server(index, workers=2) as server, under_load(server, old, new) as load:
        done = build(new, index, *([mode] if mode else []), preexec=limit_file_size(256_000))
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("Error: ") and "File too large" in done.stderr
        health = served_health(server)
        assert (health["generation"], health["passages"]) == (1, old.passages)
        assert not list(index.glob("*.tmp"))
        assert build(new, index).returncode == 0  # room again: the next build just works
        assert served_health(server)["passages"] == new.passages
    assert load.failures == []


def test_soak_script_short_mode_runs_clean(tmp_path):
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--short", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text("utf-8"))
    assert figures["rebuild"]["failed"] == 0 and figures["rebuild"]["requests"] > 0
    assert figures["kills"]["intact"] == figures["kills"]["trials"] > 0
    assert figures["kills"]["orphans"] == 0
    assert figures["fuzz"]["server_errors"] == 0 and figures["fuzz"]["queries"] > 0
