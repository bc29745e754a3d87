"""What the operator sees: `seedsearch status`, /status and /api/status on real
indexes, with and without a watcher state, a build lock held, no index at all."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.build.run import build_index
from indexer.cli import cli
from indexer.index import generations
from indexer.index.status import Count, Skipped, collect
from indexer.index.watch import STATE_FILE, WatchState, write_state
from tests.test_web_api import check, response_schema
from webapp import create_app
from webapp.openapi import document

SECRET = "The heron kept its secret at the weir"  # document text: never on the status


def paragraph(n: int) -> str:
    return f"{SECRET} {n}, and waited there for the tide to turn once more."


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    """Folders, formats, two skipped files; built twice so the last build is an update."""
    root = tmp_path_factory.mktemp("status")
    source = root / "src"
    files = {
        "top.txt": f"Top\n\n{paragraph(1)}\n\n{paragraph(2)}",
        "reports/a.md": f"# A\n\n{paragraph(3)}",
        "reports/2014/b.html": f"<h1>B</h1><p>{paragraph(4)}</p><p>{paragraph(5)}</p>",
        "reports/2014/c.txt": f"C\n\n{paragraph(6)}",
        "empty.txt": "",
    }
    for name, content in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(content, "utf-8")
    (source / "reports" / "blob.md").write_bytes(bytes(range(256)) * 4)
    build_index(source, root / "index")
    os.rename(source / "reports/2014/c.txt", source / "reports/2014/d.txt")
    build_index(source, root / "index")
    return root / "index"


def test_counts_by_folder_and_format_the_last_build_and_skipped_files(index):
    status = collect(index)
    assert (status.generation, status.documents, status.passages) == (2, 4, 6)
    assert status.problem is None and not status.building and not status.pending
    assert status.watch is None  # no watcher runs
    assert status.folders == (
        Count("", 1, 2),
        Count("reports", 1, 1),
        Count("reports/2014", 2, 3),
    )
    assert status.formats == (Count("html", 1, 2), Count("md", 1, 1), Count("txt", 2, 3))
    assert status.skipped == (
        Skipped("empty.txt", "empty file"),
        Skipped("reports/blob.md", "binary file"),
    )
    build = status.last_build
    assert (build.full, build.added, build.updated, build.moved, build.removed) == (
        False,
        0,
        0,
        1,
        0,
    )
    assert (build.unchanged, build.skipped) == (3, 2)
    assert build.finished_at == status.built_at and build.seconds > 0


def test_a_build_lock_held_shows_as_building(index):
    with generations.build_lock(index):
        assert collect(index).building is True
    assert collect(index).building is False


def test_the_watchers_state_is_shown_while_it_lives(index, tmp_path):
    state = WatchState(
        pid=os.getpid(),
        mode="polling",
        interval=2.0,
        reason="the inotify watch limit is reached",
        activity="retrying",
        since="2030-01-01T00:00:00+00:00",
        pending_since="2030-01-01T00:00:01+00:00",
        error="the build process was killed (SIGKILL)",
        failures=2,
        retry_at="2030-01-01T00:00:05+00:00",
    )
    try:
        write_state(index, state)
        status = collect(index)
        assert status.pending is True and status.building is False
        watch = status.watch
        assert (watch.mode, watch.poll_seconds, watch.activity) == ("polling", 2.0, "retrying")
        assert (watch.error, watch.failures) == ("the build process was killed (SIGKILL)", 2)
        assert watch.note == "the inotify watch limit is reached"

        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        ).stdout
        write_state(index, dataclasses.replace(state, pid=int(gone)))
        assert collect(index).watch is None  # a state left by a dead watcher
    finally:
        (index / STATE_FILE).unlink()


def test_no_index_is_a_problem_not_an_error(tmp_path, runner):
    status = collect(tmp_path / "none")
    assert status.generation is None and "No index" in status.problem
    assert status.folders == () and status.last_build is None
    result = runner.invoke(cli, ["status", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and "No index at" in result.output


def test_the_status_command_prints_the_same(index, runner):
    result = runner.invoke(cli, ["status", "--index", str(index)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"index       {index} (generation 2)" in out
    assert "documents   4 (6 passages)" in out
    assert "0 added, 0 updated, 1 moved, 0 removed, 3 unchanged, 2 skipped" in out
    assert "watching    no" in out and "building    no" in out
    assert "reports/2014          2          3" in out
    assert "  reports/blob.md: binary file" in out
    as_json = runner.invoke(cli, ["status", "--index", str(index), "--json"])
    assert json.loads(as_json.output) == collect(index).to_json()
    assert SECRET not in out + as_json.output


@pytest.fixture(scope="module")
def client(index):
    app = create_app({"INDEX": str(index), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def test_api_status_is_the_status_and_matches_its_openapi_description(index, client):
    response = client.get("/api/status")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body == collect(index).to_json()
    spec = document("http://localhost")
    check(spec, response_schema(spec, "/api/status", 200), body)
    assert list(spec["components"]["schemas"]["Status"]["properties"]) == list(body)
    assert SECRET not in response.get_data(as_text=True)


def test_status_page_shows_names_and_counts_only(client):
    response = client.get("/status")
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "Index status"
    rows = [
        [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        for tr in page.select("table.counts tbody tr")
    ]
    assert ["reports/2014", "2", "3"] in rows and ["(top level)", "1", "2"] in rows
    assert ["html", "1", "2"] in rows
    assert ["empty.txt", "empty file"] in rows and ["reports/blob.md", "binary file"] in rows
    last = page.select_one("#last-build").get_text(" ", strip=True)
    assert last.startswith("Update finished") and last.endswith(
        "0 added, 0 updated, 1 moved, 0 removed, 3 unchanged, 2 skipped."
    )
    assert page.select_one("#watching").get_text(" ", strip=True).startswith("no")
    assert SECRET.lower() not in page.get_text().lower()


def test_every_page_links_to_the_status_in_its_footer(client):
    for url in ("/", "/help", "/status", "/nowhere"):
        page = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
        assert page.select_one("footer a[href='/status']").get_text() == "Index status"


def test_status_without_an_index_says_why_with_200(tmp_path):
    app = create_app({"INDEX": str(tmp_path / "none"), "TESTING": True})
    client = app.test_client()
    page = client.get("/status")
    assert page.status_code == 200 and "No index at" in page.get_data(as_text=True)
    body = client.get("/api/status").get_json()
    assert body["generation"] is None and "No index at" in body["problem"]
    spec = document("http://localhost")
    check(spec, response_schema(spec, "/api/status", 200), body)


def test_hostile_file_and_folder_names_are_text(tmp_path):
    folder, empty = "<img src=x onerror=alert(1)>", "<b onmouseover=alert(2)>x.txt"
    source = tmp_path / "src"
    (source / folder).mkdir(parents=True)
    (source / folder / "a.txt").write_text(f"A\n\n{paragraph(1)}", "utf-8")
    (source / empty).write_text("", "utf-8")
    build_index(source, tmp_path / "index")
    app = create_app({"INDEX": str(tmp_path / "index"), "TESTING": True})
    page = BeautifulSoup(app.test_client().get("/status").get_data(as_text=True), "html.parser")
    main = page.select_one("main")
    assert main.find("img") is None and main.find("b") is None
    cells = [c.get_text() for c in main.select("table.counts th[scope=row]")]
    assert folder in cells and empty in cells
