"""Which file-system events can change the index, and when a burst of them has
settled: the watcher's decisions, on watchdog's own event objects."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
)

from indexer.watching.debounce import Debouncer, Timing
from indexer.watching.events import Change, Kind, Relevance


@pytest.fixture
def relevance(tmp_path: Path) -> tuple[Relevance, Path]:
    source = tmp_path / "src"
    source.mkdir()
    return Relevance(source, source / "index"), source


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda s: FileCreatedEvent(f"{s}/a.txt"), Kind.CHANGED),
        (lambda s: FileCreatedEvent(f"{s}/scans/photo.JPG"), Kind.CHANGED),  # read by OCR
        (lambda s: FileModifiedEvent(f"{s}/notes/a.md"), Kind.WRITING),
        (lambda s: FileClosedEvent(f"{s}/a.html"), Kind.CLOSED),
        (lambda s: FileDeletedEvent(f"{s}/A.TXT"), Kind.CHANGED),
        (lambda s: FileAttribEvent(f"{s}/a.txt"), Kind.CHANGED),
        (lambda s: DirCreatedEvent(f"{s}/new"), Kind.CHANGED),
        (lambda s: DirMovedEvent(f"{s}/old", f"{s}/new"), Kind.CHANGED),
        # An editor's save: written as a hidden or foreign temp file, renamed over.
        (lambda s: FileMovedEvent(f"{s}/.a.txt.swp", f"{s}/a.txt"), Kind.CHANGED),
        (lambda s: FileMovedEvent(f"{s}/a.txt.part", f"{s}/a.txt"), Kind.CHANGED),
        (lambda s: FileMovedEvent(f"{s}/a.txt", f"{s}/../elsewhere.txt"), Kind.CHANGED),
    ],
)
def test_events_that_can_change_the_index(relevance, make, kind):
    rel, source = relevance
    change = rel.change(make(source))
    assert change is not None and change.kind is kind


@pytest.mark.parametrize(
    "make",
    [
        lambda s: FileCreatedEvent(f"{s}/.hidden.txt"),
        lambda s: FileModifiedEvent(f"{s}/.git/notes/a.txt"),
        lambda s: FileCreatedEvent(f"{s}/song.mp3"),  # not a format that is read
        lambda s: FileMovedEvent(f"{s}/a.tmp", f"{s}/b.tmp"),
        lambda s: DirCreatedEvent(f"{s}/.cache"),
        # The index kept inside the source changes with every build.
        lambda s: DirCreatedEvent(f"{s}/index/gen-000002.tmp"),
        lambda s: FileCreatedEvent(f"{s}/index/current.txt"),
    ],
)
def test_events_that_cannot(relevance, make):
    rel, source = relevance
    assert rel.change(make(source)) is None


TIMING = Timing(quiet=0.3, write_grace=5.0, max_wait=30.0)


def test_a_burst_settles_after_a_quiet_spell():
    debouncer = Debouncer(TIMING)
    assert debouncer.due() is None
    for n in range(1000):  # a copy: one change every millisecond
        debouncer.add(Change(Kind.CHANGED, f"/s/{n}.txt"), at=100 + n / 1000)
    assert debouncer.due() == pytest.approx(100.999 + 0.3)
    assert debouncer.pending_since() == 100
    debouncer.take()
    assert debouncer.due() is None and debouncer.pending_since() is None


def test_a_file_still_open_for_writing_holds_the_build_until_closed():
    debouncer = Debouncer(TIMING)
    debouncer.add(Change(Kind.CHANGED, "/s/slow.txt"), at=100)
    debouncer.add(Change(Kind.WRITING, "/s/slow.txt"), at=100)
    debouncer.add(Change(Kind.WRITING, "/s/slow.txt"), at=101.5)  # a pause, then more
    assert debouncer.due() == pytest.approx(101.5 + 5.0)
    debouncer.add(Change(Kind.CLOSED, "/s/slow.txt"), at=102)
    assert debouncer.due() == pytest.approx(102 + 0.3)


def test_changes_that_never_settle_are_built_anyway():
    debouncer = Debouncer(TIMING)
    for n in range(100):
        debouncer.add(Change(Kind.WRITING, "/s/log.txt"), at=100 + n)  # written every second
    assert debouncer.due() == 100 + 30.0


def test_a_moved_file_is_no_longer_being_written():
    debouncer = Debouncer(TIMING)
    debouncer.add(Change(Kind.WRITING, "/s/draft.txt"), at=100)
    debouncer.add(Change(Kind.CHANGED, "/s/final.txt", moved_from="/s/draft.txt"), at=100.1)
    assert debouncer.due() == pytest.approx(100.1 + 0.3)
