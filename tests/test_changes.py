"""An update decides what changed from `stat`: a file whose size, modification
time and inode are those recorded is not opened; a file whose stat moved is
hashed, and parsed only if its content changed; a rename is a move found
without reading. The files opened are counted by the kernel (tests/opens.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from indexer.build.run import build_index
from indexer.models import Query
from indexer.search.engine import Engine
from tests.opens import counting_opens

ARCHIVED = time.time() - 30 * 86400  # long before any build: a settled stat


def archive(source: Path) -> None:
    """A small archive of every text format, a site of HTML pages among them."""
    files = {f"notes/n{n}.txt": f"Note {n}\n\nThe tally word is tok{n}." for n in range(12)}
    files |= {f"site/p{n}.html": f"<h1>Page {n}</h1><p>Page word pg{n}.</p>" for n in range(5)}
    files |= {"guide.md": "# Guide\n\nThe heron waits by the weir."}
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        os.utime(path, (ARCHIVED, ARCHIVED))


def docs_with(index_dir: Path, word: str) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.doc for h in engine.search(Query(word, exact=True)).hits]


def test_an_update_with_nothing_changed_opens_no_document(tmp_path):
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    build_index(source, index_dir, procs=2)
    with counting_opens(source) as opens:
        report = build_index(source, index_dir, procs=2)
        assert opens.files() == []
    assert (report.unchanged, report.generation) == (18, 1)


def test_a_touched_file_is_hashed_not_parsed_and_its_stat_kept(tmp_path):
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    build_index(source, index_dir)
    os.utime(source / "guide.md", (ARCHIVED + 60, ARCHIVED + 60))
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert opens.files() == ["guide.md"]  # hashed: the same content
    assert (report.unchanged, report.updated) == (18, 0)
    assert report.generation == 2  # its new stat is recorded ...
    with counting_opens(source) as opens:
        assert build_index(source, index_dir).generation == 2
        assert opens.files() == []  # ... so it is not hashed again


def test_an_edit_that_keeps_size_and_mtime_but_replaces_the_file_is_seen(tmp_path):
    # Saved by writing a new file and renaming it over the old one, then given the
    # old modification time back: only the inode tells.
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    build_index(source, index_dir)
    guide = source / "guide.md"
    fresh = source / ".guide.md.new"
    fresh.write_text(guide.read_text("utf-8").replace("heron", "egret"), "utf-8")
    os.utime(fresh, (ARCHIVED, ARCHIVED))
    os.replace(fresh, guide)
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert opens.files() == ["guide.md"]
    assert report.updated == 1
    assert docs_with(index_dir, "egret") == ["guide.md"]


def test_renames_are_moves_found_without_reading(tmp_path):
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    build_index(source, index_dir)
    os.rename(source / "notes", source / "kept-notes")
    os.rename(source / "guide.md", source / "manual.md")
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert opens.files() == []
    assert (report.moved, report.added, report.removed) == (13, 0, 0)
    assert docs_with(index_dir, "tok3") == ["kept-notes/n3.txt"]
    assert docs_with(index_dir, "heron") == ["manual.md"]


def test_a_move_stat_cannot_see_is_found_by_content(tmp_path):
    # Copied to a new place keeping its mtime (`cp -p`), then the original deleted:
    # a new inode.
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    build_index(source, index_dir)
    (source / "moved.md").write_bytes((source / "guide.md").read_bytes())
    os.utime(source / "moved.md", (ARCHIVED, ARCHIVED))
    (source / "guide.md").unlink()
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert opens.files() == ["moved.md"]  # hashed, found to be the guide, not parsed
    assert (report.moved, report.added, report.removed) == (1, 0, 0)
    assert docs_with(index_dir, "heron") == ["moved.md"]
    with counting_opens(source) as opens:  # its new stat was recorded with the move
        assert build_index(source, index_dir).generation == report.generation
        assert opens.files() == []


def test_a_file_written_just_before_it_was_read_is_compared_again(tmp_path):
    # Its modification time is too recent to tell a later write of the same size
    # within the same timestamp tick: the next build compares its content, once
    # per build until a new generation records a settled stat.
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    guide = source / "guide.md"
    recent = time.time() + 3600  # after the build begins, whatever the machine's pace
    os.utime(guide, (recent, recent))
    build_index(source, index_dir)
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert opens.files() == ["guide.md"]
    assert (report.unchanged, report.generation) == (18, 1)  # nothing new to record
    guide.write_text("# Guide\n\nThe heron waits by the lock.", "utf-8")  # same size
    os.utime(guide, (recent, recent))
    assert build_index(source, index_dir).updated == 1
    assert docs_with(index_dir, "lock") == ["guide.md"]


def test_a_file_over_its_size_cap_is_read_once_the_cap_is_raised(tmp_path, monkeypatch):
    # Too large is decided by stat at every build: never remembered as a failure.
    source, index_dir = tmp_path / "source", tmp_path / "index"
    archive(source)
    monkeypatch.setenv("SEEDSEARCH_MAX_MB", "md=0.00002")  # 20 bytes: the guide is over
    with counting_opens(source) as opens:
        report = build_index(source, index_dir)
        assert "guide.md" not in opens.files()
    assert report.warnings == (
        "guide.md: 0.0 MB; md files over 2e-05 MB are skipped (split it, or raise "
        "SEEDSEARCH_MAX_MB)",
    )
    monkeypatch.delenv("SEEDSEARCH_MAX_MB")
    report = build_index(source, index_dir)
    assert (report.added, report.skipped) == (1, 0)
    assert docs_with(index_dir, "heron") == ["guide.md"]
