"""Moves and renames, recognised by content hash when an index is updated, and
the record of what each build did, kept in its generation's metadata."""

from __future__ import annotations

import json
import os

from whoosh import index as whoosh_index

from indexer.build.run import build_index
from indexer.index import generations
from indexer.index.meta import META_FILE, BuildRecord
from indexer.models import Query
from indexer.search.engine import Engine


def text(title: str, word: str) -> str:
    return f"{title}\n\nA note about the {word} seen near the harbour at dawn today."


def docs_with(index, word: str) -> set[str]:
    with Engine(index) as engine:
        return {hit.doc for hit in engine.search(Query(word, per_page=50)).hits}


def test_a_renamed_file_is_moved_not_added_and_removed(corpus, tmp_path):
    src = corpus({"a.txt": text("Alpha", "albatross"), "b.txt": text("Beta", "bittern")})
    index = tmp_path / "index"
    build_index(src, index)
    os.rename(src / "a.txt", src / "renamed.txt")
    report = build_index(src, index)
    assert (report.added, report.updated, report.moved, report.removed) == (0, 0, 1, 0)
    assert report.unchanged == 1 and report.passages == 2
    assert docs_with(index, "albatross") == {"renamed.txt"}
    assert "1 moved" in report.summary()


def test_a_renamed_folder_moves_everything_under_it(corpus, tmp_path):
    src = corpus(
        {
            "old/one.txt": text("One", "osprey"),
            "old/deep/two.md": "# Two\n\nA note about the osprey and the plover.",
            "top.txt": text("Top", "tern"),
        }
    )
    index = tmp_path / "index"
    build_index(src, index)
    os.rename(src / "old", src / "new")
    report = build_index(src, index)
    assert (report.added, report.moved, report.removed, report.unchanged) == (0, 2, 0, 1)
    assert docs_with(index, "osprey") == {"new/one.txt", "new/deep/two.md"}
    _gen, meta = generations.locate(index)
    assert sorted(meta.documents) == ["new/deep/two.md", "new/one.txt", "top.txt"]


def test_copies_edits_and_deletes_are_not_moves(corpus, tmp_path):
    src = corpus(
        {
            "keep.txt": text("Keep", "kestrel"),
            "edit.txt": text("Edit", "egret"),
            "gone.txt": text("Gone", "gannet"),
        }
    )
    index = tmp_path / "index"
    build_index(src, index)
    (src / "copy.txt").write_bytes((src / "keep.txt").read_bytes())  # the original stays
    os.rename(src / "edit.txt", src / "edited.txt")
    (src / "edited.txt").write_text(text("Edit", "eider"), "utf-8")  # moved and changed
    (src / "gone.txt").unlink()
    report = build_index(src, index)
    assert (report.added, report.moved, report.removed, report.unchanged) == (2, 0, 2, 1)
    assert docs_with(index, "kestrel") == {"keep.txt", "copy.txt"}
    assert docs_with(index, "egret") == set() and docs_with(index, "gannet") == set()


def test_identical_files_moved_together_pair_up_by_name(corpus, tmp_path):
    same = text("Same", "shearwater")
    src = corpus({"a/x.txt": same, "a/y.txt": same})
    index = tmp_path / "index"
    build_index(src, index)
    os.rename(src / "a", src / "b")
    report = build_index(src, index)
    assert (report.added, report.moved, report.removed) == (0, 2, 0)
    assert docs_with(index, "shearwater") == {"b/x.txt", "b/y.txt"}


def test_each_generation_records_what_its_build_did(corpus, tmp_path):
    src = corpus({"a.txt": text("Alpha", "auk"), "empty.txt": ""})
    index = tmp_path / "index"
    first = build_index(src, index)
    record = generations.locate(index)[1].build
    assert record == BuildRecord(
        seconds=record.seconds,
        full=True,
        added=1,
        updated=0,
        moved=0,
        removed=0,
        unchanged=0,
        warnings=first.warnings,
    )
    assert 0 < record.seconds < 60 and record.warnings == ("empty.txt: empty file",)

    os.rename(src / "a.txt", src / "b.txt")
    build_index(src, index)
    record = generations.locate(index)[1].build
    assert (record.full, record.added, record.moved, record.removed) == (False, 0, 1, 0)


def test_metadata_written_before_build_records_still_reads(corpus, tmp_path):
    src = corpus({"a.txt": text("Alpha", "auk")})
    index = tmp_path / "index"
    build_index(src, index)
    gen = generations.current_dir(index)
    raw = json.loads((gen / META_FILE).read_text("utf-8"))
    del raw["build"]
    (gen / META_FILE).write_text(json.dumps(raw), "utf-8")
    assert generations.locate(index)[1].build is None
    os.rename(src / "a.txt", src / "b.txt")
    assert build_index(src, index).moved == 1  # and an update still works from it


def test_search_after_updates_that_leave_deleted_passages_in_a_segment(corpus, tmp_path):
    # Moved twice: the middle segment keeps one live passage among deleted ones,
    # and Whoosh then hands out filtered postings the vector scorer must unwrap.
    src = corpus({"start.txt": text("Start", "starling")})
    index = tmp_path / "index"
    build_index(src, index)
    for name in ("a.txt", "north/b.txt", "north/far/c.txt"):
        (src / "survey" / name).parent.mkdir(parents=True, exist_ok=True)
        (src / "survey" / name).write_text(text(name, f"puffin {name}"), "utf-8")
    build_index(src, index)
    os.rename(src / "survey", src / "census")
    build_index(src, index)
    (src / "archive").mkdir()
    os.rename(src / "census" / "north", src / "archive" / "north")
    assert build_index(src, index).moved == 2
    expected = {"census/a.txt", "archive/north/b.txt", "archive/north/far/c.txt"}
    assert docs_with(index, "puffin") == expected


def test_a_skipped_file_removed_leaves_the_record_of_the_next_build(corpus, tmp_path):
    src = corpus({"a.txt": text("Alpha", "auk"), "empty.txt": ""})
    index = tmp_path / "index"
    build_index(src, index)
    (src / "empty.txt").unlink()
    report = build_index(src, index)  # no document changed, but the record did
    assert report.generation == 2 and generations.locate(index)[1].build.warnings == ()
    assert build_index(src, index).generation == 2  # and then nothing to do


def test_a_moved_file_keeps_its_passages_as_they_were_indexed(corpus, tmp_path):
    # Content moved to a new path with a new modification time: copied passages keep
    # the date the document was filed under, which reading it again would not.
    src = corpus({"2014/note.txt": text("Note", "cormorant"), "other.txt": text("O", "owl")})
    os.utime(src / "2014/note.txt", (0, 1_400_000_000))  # 2014-05-13
    index = tmp_path / "index"
    build_index(src, index)
    (src / "2020").mkdir()
    (src / "2020/note.txt").write_bytes((src / "2014/note.txt").read_bytes())  # mtime: now
    (src / "2014/note.txt").unlink()
    report = build_index(src, index)
    assert (report.moved, report.added, report.removed) == (1, 0, 0)
    gen, meta = generations.locate(index)
    assert meta.documents["2020/note.txt"].date == "2014-05-13"
    with whoosh_index.open_dir(str(gen)).searcher() as searcher:
        in_2014 = {searcher.stored_fields(n)["id"] for n in searcher.document_numbers(year="2014")}
        in_folder = {
            searcher.stored_fields(n)["id"] for n in searcher.document_numbers(folder="2020")
        }
        assert in_2014 == in_folder == {"2020/note.txt#p1"}
        assert not list(searcher.document_numbers(folder="2014"))
    with Engine(index) as engine:
        [hit] = engine.search(Query("cormorant")).hits
        assert (hit.id, hit.doc, hit.title) == ("2020/note.txt#p1", "2020/note.txt", "Note")


def test_a_title_taken_from_the_file_name_follows_the_file(corpus, tmp_path):
    untitled = "A note about the grebe seen near the harbour at dawn today."
    src = corpus({"grebe-notes.txt": untitled, "other.txt": text("Other", "owl")})
    index = tmp_path / "index"
    build_index(src, index)
    os.rename(src / "grebe-notes.txt", src / "waterbirds.txt")
    assert build_index(src, index).moved == 1
    with Engine(index) as engine:
        [hit] = engine.search(Query("grebe")).hits
        assert (hit.doc, hit.title) == ("waterbirds.txt", "waterbirds")
        assert engine.search(Query("title:waterbirds")).total == 1
        assert engine.search(Query("title:grebe")).total == 0


def test_a_move_to_another_format_is_read_again(corpus, tmp_path):
    src = corpus({"note.txt": "# Heading\n\nA note about the shag.", "o.txt": text("O", "owl")})
    index = tmp_path / "index"
    build_index(src, index)
    os.rename(src / "note.txt", src / "note.md")  # now Markdown: a heading, not text
    assert build_index(src, index).moved == 1
    with Engine(index) as engine:
        [hit] = engine.search(Query("shag")).hits
        assert (hit.doc, hit.title) == ("note.md", "Heading")
