"""`seedsearch serve` as people run it: a real gunicorn (or Flask dev) server in a
subprocess on 127.0.0.1, building the index when there is none, failing clearly,
and following new index generations without a restart."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import threading
import time

import pytest

from indexer.build.run import build_index
from tests.conftest import SEEDS
from tests.live_server import HOST, free_port, live_server
from webapp.cli import cli, default_workers


def search(server, q: str) -> dict:
    status, body = server.get(f"/api/search?q={q}")
    assert status == 200, body
    return json.loads(body)


def health(server) -> dict:
    status, body = server.get("/healthz")
    assert status == 200, body
    return json.loads(body)


def notes(topic: str, word: str, count: int = 4) -> str:
    return f"{topic.title()} notes\n\n" + "\n\n".join(
        f"Note {n} on the {topic}: the {word} was seen at dawn near marker {n}, "
        f"and {n + 2} people wrote it down in the {topic} log."
        for n in range(1, count + 1)
    )


def booted_workers(server, expected: int) -> int:
    """Workers the log shows booted, once `expected` have (or after 20 s)."""
    deadline = time.monotonic() + 20
    while server.log().count("Booting worker") < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.log().count("Booting worker")


def test_serve_builds_a_missing_index_then_serves_it(tmp_path):
    index = tmp_path / "fresh-index"
    with live_server(index, source=SEEDS, workers=1) as server:
        assert "No index at" in server.log() and "indexing" in server.log()
        assert health(server)["passages"] == 10
        assert search(server, "russia")["total"] > 0
        status, page = server.get("/?q=russia")
        assert status == 200 and b"<mark>Russia</mark>" in page
    assert (index / "current").is_symlink()


def test_serve_runs_gunicorn_with_the_workers_asked_for(seed_index):
    with live_server(seed_index, workers=2) as server:
        assert server.get("/")[0] == 200
        assert booted_workers(server, 2) == 2
        log = server.log()
    assert "Starting gunicorn" in log and "Using worker: webapp.server.Worker" in log
    assert f"Listening at: http://{HOST}:" in log


def test_default_workers_is_the_cpu_count(seed_index):
    assert default_workers() == len(os.sched_getaffinity(0))
    with live_server(seed_index, workers=None) as server:
        assert server.get("/healthz")[0] == 200
        assert booted_workers(server, default_workers()) == default_workers()


def test_serve_dev_runs_flasks_server(seed_index):
    with live_server(seed_index, dev=True) as server:
        assert search(server, "memorial")["total"] > 0
        assert server.get("/nowhere")[0] == 404
        assert "development server" in server.log()


def test_serve_reads_the_index_from_the_environment(seed_index, tmp_path):
    env = {"SEEDSEARCH_INDEX": str(seed_index), "SEEDSEARCH_PER_PAGE": "2"}
    with live_server(None, workers=1, env=env) as server:
        assert f"Serving {seed_index} at" in server.log()
        assert health(server)["passages"] == 10
        status, page = server.get("/?q=rights")
        assert status == 200 and page.count(b'<li class="passage-hit">') == 2


def test_serve_without_index_or_source_fails_clearly(runner, tmp_path):
    result = runner.invoke(
        cli, ["serve", "--index", str(tmp_path / "none"), "--source", str(tmp_path / "nope")]
    )
    assert result.exit_code == 1
    assert "No index at" in result.output and "no folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "none").exists()


def test_serve_reports_a_failed_build(runner, corpus, tmp_path):
    source = corpus({"ok.txt": notes("harbour", "albatross")})
    (tmp_path / "index").mkdir()
    # Another build holds the lock: the build fails, and so does serve, clearly.
    lock = os.open(tmp_path / "index" / ".build.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = runner.invoke(
            cli, ["serve", "--index", str(tmp_path / "index"), "--source", str(source)]
        )
    finally:
        os.close(lock)
    assert result.exit_code == 1
    assert "Another build" in result.output and "Traceback" not in result.output


def test_serve_on_a_busy_port_fails_clearly(runner, seed_index):
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            cli, ["serve", "--index", str(seed_index), "--port", str(port), "--workers", "1"]
        )
    assert result.exit_code == 1
    assert f"Cannot serve on {HOST}:{port}" in result.output and "in use" in result.output


@pytest.mark.parametrize(
    "args", [["--workers", "0"], ["--port", "0"], ["--port", "70000"], ["--workers", "two"]]
)
def test_serve_rejects_bad_options(runner, seed_index, args):
    result = runner.invoke(cli, ["serve", "--index", str(seed_index), *args])
    assert result.exit_code == 2
    assert "Invalid value" in result.output


def test_serve_with_a_broken_index_explains_then_recovers_live(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    meta = index / "current" / "seedsearch.json"
    good = meta.read_text("utf-8")
    meta.write_text("{broken", "utf-8")
    with live_server(index, workers=1) as server:
        assert "warning:" in server.log() and "damaged" in server.log()
        status, body = server.get("/healthz")
        assert status == 503 and json.loads(body)["error"]["code"] == "index_broken"
        status, page = server.get("/?q=russia")
        assert status == 503 and b"damaged" in page
        meta.write_text(good, "utf-8")
        build_index(SEEDS, index, full=True)  # a new generation: served without restart
        assert health(server)["passages"] == 10


def test_live_reload_serves_a_new_generation_without_restart(corpus, tmp_path):
    source = corpus({"a.txt": notes("harbour", "albatross")})
    index = tmp_path / "index"
    build_index(source, index, full=True)
    with live_server(index, workers=2) as server:
        before = health(server)
        assert search(server, "albatross")["total"] == 4
        assert search(server, "zeppelin")["total"] == 0
        (source / "a.txt").unlink()
        (source / "b.txt").write_text(notes("airfield", "zeppelin", 6), "utf-8")
        report = build_index(source, index)
        assert report.generation == before["generation"] + 1
        # The very next requests, whichever worker takes them, see the new index.
        for _ in range(8):
            assert health(server)["generation"] == report.generation
            assert search(server, "zeppelin")["total"] == 6
            assert search(server, "albatross")["total"] == 0
        status, page = server.get("/doc/b.txt?q=zeppelin")
        assert status == 200 and page.count(b"<mark>zeppelin</mark>") == 6
        assert server.get("/doc/a.txt")[0] == 404
        assert server.process.poll() is None


def test_requests_during_rebuilds_all_succeed(corpus, tmp_path):
    source = corpus({"a.txt": notes("harbour", "albatross")})
    index = tmp_path / "index"
    build_index(source, index, full=True)
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer(server) -> None:
        nonlocal answered
        while not stop.is_set() and answered < 2000:
            status, body = server.get("/api/search?q=notes")
            payload = json.loads(body)
            if status != 200 or payload["total"] not in (4, 5, 6, 7):
                failures.append(f"{status} {body[:200]!r}")
            answered += 1

    with live_server(index, workers=2) as server:
        threads = [threading.Thread(target=hammer, args=(server,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            for n in range(5, 8):
                (source / "a.txt").write_text(notes("harbour", "albatross", n), "utf-8")
                build_index(source, index)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        assert health(server)["generation"] == 4
    assert answered > 0 and failures == []


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as probe:
        probe.bind((HOST, port))
