"""Builds on a real Dask cluster: `dask scheduler` and two `dask worker` processes
on 127.0.0.1, and `seedsearch index --cluster` run as the command it is. A
cluster build answers every query as a local build of the same folder does; a
worker killed mid-build loses nothing; a scheduler that goes away, or a worker
that cannot see the documents, fails the build clearly and leaves the served
index alone."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build.cluster import LOCAL_BELOW, OCR_LOCAL_BELOW, OCR_PAGES, page_tasks
from indexer.build.ocr import Job
from indexer.build.run import build_index
from indexer.index import generations
from indexer.index.meta import read_meta
from indexer.index.progress import STATE_FILE, ProgressFile
from indexer.index.status import collect
from indexer.models import BuildReport, Query
from indexer.readers import find_files
from indexer.search.engine import Engine
from tests.conftest import DEMO
from tests.dask_cluster import DaskCluster, dask_cluster
from tests.live_server import seedsearch_command

QUERIES = (
    "flood bridge",
    '"stone bridge"',
    "council minutes",
    "inspection -flood",
    "w12 w40 w7",
    "w1*",
    "lantern",
    "flood in:reports",
    "type:md bridge",
    "year:2014..2016 river",
)
PAGE = 1000
SMALL_CAP = {"SEEDSEARCH_MAX_MB": "txt=0.03"}  # the command's own caps, not the workers'


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as cluster:
        yield cluster


@pytest.fixture
def cluster(shared_cluster: DaskCluster) -> DaskCluster:
    """The module's cluster with its two workers, whatever the last test killed."""
    shared_cluster.top_up(2)
    return shared_cluster


def archive(folder: Path, files: int, paragraphs: int = 12, seed: int = 0) -> Path:
    """The demo archive plus `files` generated Markdown files, a binary file, a
    text file over SMALL_CAP and an empty one: every way in and out of a build."""
    shutil.copytree(DEMO, folder)
    rng = random.Random(seed)
    words = [f"w{n}" for n in range(60)] + ["lantern", "bridge", "river", "flood"]
    for f in range(files):
        paras = [" ".join(rng.choices(words, k=25)).capitalize() + "." for _ in range(paragraphs)]
        path = folder / "generated" / f"part{f % 3}" / f"doc{f:03d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Generated {f}\n\n" + "\n\n".join(paras), "utf-8")
    (folder / "generated" / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "generated" / "large.txt").write_text("A long line of words. " * 6000, "utf-8")
    (folder / "generated" / "empty.md").write_text("", "utf-8")
    return folder


def index(source: Path, target: Path, *args: str, env: dict | None = None):
    """`seedsearch index` as a command; its CompletedProcess."""
    command = [*seedsearch_command(), "index", "--source", str(source), "--index", str(target)]
    return subprocess.run(
        command + list(args),
        capture_output=True,
        text=True,
        env={**os.environ, **SMALL_CAP, **(env or {})},
        timeout=300,
    )


def start_index(source: Path, target: Path, *args: str) -> subprocess.Popen:
    command = [*seedsearch_command(), "index", "--source", str(source), "--index", str(target)]
    return subprocess.Popen(
        command + list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **SMALL_CAP},
    )


def answers(root: Path) -> dict[str, tuple[int, list[tuple[float, str]]]]:
    """Every query's number of hits and its first hits as (score, passage id), best
    first. Passages of equal score may come in either order: ties are sorted by
    id, and the last score of a full page is left out (the page may cut it)."""
    engine = Engine(root)
    try:
        out = {}
        for text in QUERIES:
            result = engine.search(Query(text=text, per_page=PAGE))
            hits = sorted(
                ((round(h.score, 6), h.id) for h in result.hits), key=lambda h: (-h[0], h[1])
            )
            if len(hits) == PAGE:
                hits = [h for h in hits if h[0] > hits[-1][0]]
            out[text] = (result.total, hits)
        return out
    finally:
        engine.close()


def recorded(root: Path):
    """The served generation's documents and skipped files, and its build record.
    A file's mtime is recorded only once it is old enough to trust, which depends on
    when each build read it: it is left out of the comparison."""
    meta = read_meta(generations.current_dir(root))
    documents = {doc: replace(d, mtime_ns=0) for doc, d in meta.documents.items()}
    return documents, meta.skipped, meta.build


def assert_same_index(clustered: Path, local: Path) -> None:
    docs, skipped, build = recorded(clustered)
    local_docs, local_skipped, local_build = recorded(local)
    assert docs == local_docs
    assert skipped == local_skipped
    assert sorted(build.warnings) == sorted(local_build.warnings)
    assert answers(clustered) == answers(local)
    assert all(hits for _total, hits in answers(local).values())  # each finds something


def assert_no_strays(root: Path) -> None:
    """The served generation holds exactly the files of its segments."""
    gen = generations.current_dir(root)
    ix = whoosh_index.open_dir(str(gen))
    ids = {segment.segment_id() for segment in ix._segments()}
    for path in gen.iterdir():
        if path.name.startswith("MAIN_") and path.name != "MAIN_WRITELOCK":
            assert path.name.split(".")[0] in ids, path.name
    assert not list(root.glob("*.tmp")) and not list(gen.glob(".cluster*"))
    assert not (root / STATE_FILE).exists()


def build_here(source: Path, root: Path, monkeypatch) -> BuildReport:
    """A build on this machine, in this process, with the same size caps."""
    with monkeypatch.context() as env:
        env.setenv("SEEDSEARCH_MAX_MB", SMALL_CAP["SEEDSEARCH_MAX_MB"])
        return build_index(source, root, procs=1)


def test_a_cluster_build_answers_as_a_local_build(
    cluster: DaskCluster, tmp_path: Path, monkeypatch
):
    source = archive(tmp_path / "source", files=30)
    local, clustered = tmp_path / "local", tmp_path / "clustered"
    build_here(source, local, monkeypatch)
    done = index(source, clustered, "--cluster", cluster.address)
    assert done.returncode == 0, done.stderr
    assert f"files read on the Dask cluster at {cluster.address}" in done.stdout
    assert "generated/large.txt: 0.1 MB; txt files over 0.03 MB are skipped" in done.stderr
    assert recorded(clustered)[2].cluster == cluster.address
    assert recorded(local)[2].cluster == ""
    assert_same_index(clustered, local)
    assert_no_strays(clustered)

    # An update of more than a few files goes to the cluster too.
    for n in range(LOCAL_BELOW + 2):
        path = source / "generated" / f"part{n % 3}" / f"doc{n:03d}.md"
        path.write_text(f"# Changed {n}\n\nThe lantern keeper's note number {n}.", "utf-8")
    (source / "generated" / "part2" / "doc029.md").unlink()
    (source / "about.md").rename(source / "guides" / "about-the-archive.md")
    build_here(source, local, monkeypatch)
    with monkeypatch.context() as env:  # the command's caps go with its tasks
        env.setenv("SEEDSEARCH_MAX_MB", SMALL_CAP["SEEDSEARCH_MAX_MB"])
        report = build_index(source, clustered, cluster=cluster.address)
    assert (report.updated, report.moved, report.removed) == (LOCAL_BELOW + 2, 1, 1)
    assert report.cluster == recorded(clustered)[2].cluster == cluster.address
    assert_same_index(clustered, local)
    assert_no_strays(clustered)


def test_a_worker_killed_mid_build_loses_nothing(cluster: DaskCluster, tmp_path: Path, monkeypatch):
    source = archive(tmp_path / "source", files=120, paragraphs=30, seed=1)
    clustered, local = tmp_path / "clustered", tmp_path / "local"
    build = start_index(source, clustered, "--cluster", cluster.address)
    victim = cluster.worker_running("seedsearch-read-")
    progress = collect(clustered).progress  # what `seedsearch status` shows meanwhile
    assert progress is not None and progress.cluster == cluster.address
    assert victim in progress.workers and len(progress.workers) == 2
    # Every file found is to read, but generated/large.txt: over its cap, it is skipped
    # by its size alone.
    assert progress.total == len(find_files(source)) - 1 and progress.done < progress.total
    cluster.kill_worker(victim)
    out, err = build.communicate(timeout=300)
    assert build.returncode == 0, err
    assert victim not in cluster.client.nthreads()
    build_here(source, local, monkeypatch)
    assert_same_index(clustered, local)
    assert_no_strays(clustered)


def test_a_scheduler_gone_fails_the_build_and_keeps_the_index(tmp_path: Path):
    source = archive(tmp_path / "source", files=120, paragraphs=30, seed=2)
    root = tmp_path / "index"
    assert index(DEMO, root).returncode == 0
    served = generations.current_dir(root)
    with dask_cluster(tmp_path / "dask", workers=1) as own:
        build = start_index(source, root, "--full", "--cluster", own.address)
        own.worker_running("seedsearch-read-")
        own.client.close()
        own.scheduler.send_signal(signal.SIGTERM)  # `dask scheduler` stopped
        _out, err = build.communicate(timeout=120)
    assert build.returncode == 1
    assert err.startswith(f"Error: Lost the Dask scheduler at {own.address} during the build")
    assert "the index being served is unchanged" in err and "Traceback" not in err
    assert generations.current_dir(root) == served
    assert not list(root.glob("*.tmp")) and not (root / STATE_FILE).exists()
    status = collect(root)
    assert status.problem is None and not status.building and status.progress is None
    assert served_documents(root) == served_documents_of(DEMO)


def served_documents(root: Path) -> set[str]:
    """The documents a search of the index at `root` finds."""
    engine = Engine(root)
    try:
        return {
            hit.doc
            for hit in engine.search(Query(text="type:md type:html type:txt", per_page=PAGE)).hits
        }
    finally:
        engine.close()


def served_documents_of(source: Path) -> set[str]:
    return {f.doc for f in find_files(source)}


def can_hide_folders() -> bool:
    try:
        return subprocess.run([*HIDE, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# A command in its own mount namespace (and user namespace, so that no privilege
# is needed), with an empty tmpfs mounted over the folder given first.
HIDE = ["unshare", "--user", "--map-root-user", "--mount"]
HIDDEN = ["sh", "-c", 'mount -t tmpfs seedsearch-hidden "$0" && exec "$@"']


@pytest.mark.skipif(not can_hide_folders(), reason="no mount namespaces (unshare) here")
def test_a_worker_that_cannot_see_the_source_fails_the_build(cluster: DaskCluster, tmp_path: Path):
    folder = tmp_path / "shared"
    source = archive(folder / "source", files=3)
    root = folder / "index"
    assert index(DEMO, root).returncode == 0
    served = generations.current_dir(root)
    blind = cluster.start_worker(prefix=[*HIDE, *HIDDEN, str(folder)])
    try:
        cluster.wait_for_workers(3)
        done = index(source, root, "--full", "--cluster", cluster.address)
    finally:
        blind.kill()
        blind.wait()
    assert done.returncode == 1
    worker = done.stderr.split("The Dask worker ", 1)[1].split()[0]
    assert worker.startswith("tcp://127.0.0.1:")
    assert f"cannot see the source folder {source}." in done.stderr
    assert "the index being served is unchanged" in done.stderr
    assert generations.current_dir(root) == served
    assert not list(root.glob("*.tmp"))
    assert served_documents(root) == served_documents_of(DEMO)


def test_watching_sends_builds_to_the_cluster(cluster: DaskCluster, tmp_path: Path):
    source = archive(tmp_path / "source", files=LOCAL_BELOW)
    root = tmp_path / "index"
    command = [*seedsearch_command(), "index", "--watch", "--poll", "0.2", "--quiet"]
    watcher = subprocess.Popen(
        command + ["--source", str(source), "--index", str(root)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **SMALL_CAP, "SEEDSEARCH_CLUSTER": cluster.address},
    )
    try:
        assert wait_for_generation(root, 1).cluster == cluster.address  # the first build
        incoming = source / ".incoming"  # hidden: not indexed until it is renamed
        incoming.mkdir()
        for n in range(LOCAL_BELOW):
            (incoming / f"note{n}.txt").write_text(f"Copied note {n}.", "utf-8")
        incoming.rename(source / "copied")  # a folder of files moved in: to the cluster
        assert wait_for_generation(root, 2).cluster == cluster.address
        (source / "one.txt").write_text("One more note.", "utf-8")  # one file: here
        assert wait_for_generation(root, 3).cluster == ""
    finally:
        watcher.send_signal(signal.SIGTERM)
        _out, err = watcher.communicate(timeout=60)
    assert "Build failed" not in err
    assert read_meta(generations.current_dir(root)).documents.keys() >= {"one.txt"}


def wait_for_generation(root: Path, number: int, timeout: float = 120.0):
    """The build record of generation `number`, once it is served."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        gen = generations.current_dir(root)
        if gen is not None and gen.exists() and generations.generation_of(gen) >= number:
            meta = read_meta(gen)
            assert meta.generation == number
            return meta.build
        time.sleep(0.1)
    raise AssertionError(f"generation {number} was not built in {timeout:g} s")


def test_status_shows_a_cluster_build_in_progress(demo_index: Path, tmp_path: Path, runner):
    from webapp import create_app
    from webapp.cli import cli

    root = tmp_path / "index"
    shutil.copytree(demo_index, root, symlinks=True)
    progress = ProgressFile(root)  # as a build writes it: this process is the builder
    try:
        progress.files(40, 133)
        progress.cluster("tcp://10.0.0.5:8786", ("tcp://10.0.0.6:40001", "tcp://10.0.0.7:40001"))
        result = runner.invoke(cli, ["status", "--index", str(root)])
        assert result.exit_code == 0, result.output
        building = next(line for line in result.output.splitlines() if line.startswith("building"))
        assert building.startswith("building    yes: 40 of 133 files, since ")
        assert building.endswith(
            "on the Dask cluster at tcp://10.0.0.5:8786 "
            "(2 workers: tcp://10.0.0.6:40001, tcp://10.0.0.7:40001)"
        )
        client = create_app({"INDEX": str(root), "TESTING": True}).test_client()
        status = client.get("/api/status").get_json()
        assert status["building"] is True
        assert status["progress"]["done"] == 40 and status["progress"]["total"] == 133
        assert status["progress"]["cluster"] == "tcp://10.0.0.5:8786"
        assert status["progress"]["workers"] == ["tcp://10.0.0.6:40001", "tcp://10.0.0.7:40001"]
        page = client.get("/status").get_data(as_text=True)
        assert "40 of 133 files" in page
        assert "Dask scheduler <code>tcp://10.0.0.5:8786</code>, 2 workers" in page
    finally:
        progress.close()
    assert collect(root).progress is None and not collect(root).building


SCANNED_WORDS = ("anchor", "beacon", "cargo")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="./run.sh test installs Tesseract")
def test_scanned_pages_are_read_by_the_cluster(cluster: DaskCluster, tmp_path: Path):
    from tests.makers.scans import scan_pdf, text_pdf

    assert len(SCANNED_WORDS) >= OCR_LOCAL_BELOW  # enough pages to go to the cluster
    source = tmp_path / "source"
    source.mkdir()
    lines = [[f"The harbour keeper saw the {word} at dawn."] for word in SCANNED_WORDS]
    (source / "log.pdf").write_bytes(scan_pdf(text_pdf(lines)))
    root = tmp_path / "index"
    build = start_index(source, root, "--cluster", cluster.address, "--ocr-lang", "eng")
    cluster.worker_running("seedsearch-ocr-")  # the pages are read by the workers
    out, err = build.communicate(timeout=300)
    assert build.returncode == 0, err
    assert f"{len(SCANNED_WORDS)} pages read by OCR" in out, out
    engine = Engine(root)
    try:
        for page, word in enumerate(SCANNED_WORDS, 1):
            [hit] = engine.search(Query(text=word)).hits
            assert (hit.doc, hit.page) == ("log.pdf", page)
    finally:
        engine.close()


def test_scanned_pages_are_spread_over_every_thread_of_the_cluster():
    def scans(files: int, pages: int = 4) -> list[Job]:
        return [
            Job(Path(f"scan{f}.pdf"), f"scan{f}.pdf", f"sha{f}", page)
            for f in range(files)
            for page in range(1, pages + 1)
        ]

    # Three files of four pages on two threads: a page a task keeps both busy to the end.
    assert [len(task) for task in page_tasks(scans(3), threads=2)] == [1] * 12
    # Many pages: tasks of several consecutive pages of one file, each file read once.
    tasks = page_tasks(scans(100), threads=2)
    assert len(tasks) == 100 and all(len(task) == OCR_PAGES for task in tasks)
    assert all(len({job.path for job in task}) == 1 for task in tasks)
    assert [job.page for job in tasks[0]] == [1, 2, 3, 4]
    # In between, as many pages a task as leave each thread four tasks or more.
    assert {len(task) for task in page_tasks(scans(5), threads=2)} == {2}
    assert [job.doc for task in page_tasks(scans(5), threads=2) for job in task] == [
        job.doc for job in scans(5)
    ]
