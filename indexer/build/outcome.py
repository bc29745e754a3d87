"""What a build did: the tally of its files' results, and what follows from it
with its plan: the report, the generation's metadata, and whether anything is
new enough to publish."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..errors import BuildError
from ..index.meta import BuildRecord, DocMeta, IndexMeta, OcrRecord, SkippedFile
from ..models import BuildReport, FormatCount, count_formats
from .documents import FileResult, Indexed, Same, Skipped
from .plan import Move, Plan


@dataclass
class Tally:
    """What reading the files of a build gave, result by result."""

    strict: bool
    documents: dict[str, DocMeta] = field(default_factory=dict)  # read, or moved
    same: dict[str, Same] = field(default_factory=dict)  # content as known: not parsed
    skipped: dict[str, SkippedFile] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    formats: list[FormatCount] = field(default_factory=list)
    duplicates: int = 0

    def count(self, result: FileResult) -> None:
        """Take one file's result; under --strict, a warning fails the build."""
        warnings = result.notes if isinstance(result, Indexed) else ()
        if isinstance(result, Skipped):
            warnings = (result.warning,)
        if self.strict and warnings:
            raise BuildError(f"--strict: {warnings[0]}")
        if isinstance(result, Indexed):
            self.documents[result.doc] = result.meta
            self.notes.extend(result.notes)
            self.formats.append(result.count)
            self.duplicates += result.duplicates
        elif isinstance(result, Same):
            self.same[result.doc] = result
        else:
            self.skipped[result.doc] = result.record


@dataclass(frozen=True)
class Outcome:
    """A build's plan and results, against the generation it updates (if any)."""

    todo: Plan
    tally: Tally
    walk_warnings: list[str]
    previous: IndexMeta | None

    @property
    def known(self) -> dict[str, DocMeta]:
        return self.previous.documents if self.previous else {}

    def documents(self) -> dict[str, DocMeta]:
        """Every document of the new generation, with the stat seen this time."""
        known = self.known
        same = {
            doc: replace(known[doc], size=s.stat.size, mtime_ns=s.stat.mtime_ns, inode=s.stat.inode)
            for doc, s in self.tally.same.items()
            if doc in known
        }
        return {**self.todo.unchanged, **same, **self.tally.documents}

    def skipped(self) -> dict[str, SkippedFile]:
        return {**self.todo.skipped, **self.tally.skipped}

    def news(self) -> bool:
        """Whether the metadata alone changed: files skipped differently, or a stat
        worth recording (see _stat_news)."""
        if self.previous is None:
            return True
        return (
            self.skipped() != self.previous.skipped
            or tuple(self.walk_warnings) != self.previous.walk_warnings
            or _stat_news(self.tally, self.known)
        )

    def report(self, generation: int, ocr: OcrRecord | None) -> BuildReport:
        known, tally = self.known, self.tally
        documents, skips = self.documents(), self.skipped()
        moved_to = {m.new for m in tally.moves}
        moved = sum(1 for doc in tally.documents if doc in moved_to)
        skipped_counts = [
            FormatCount(s.format, skipped=1, reasons=((s.reason, 1),)) for s in skips.values()
        ]
        return BuildReport(
            added=sum(1 for doc in tally.documents if doc not in known) - moved,
            updated=sum(1 for doc in tally.documents if doc in known),
            moved=moved,
            removed=sum(1 for doc in known if doc not in documents) - moved,
            unchanged=len(self.todo.unchanged) + sum(1 for doc in tally.same if doc in known),
            skipped=len(skips),
            passages=sum(d.passages for d in documents.values()),
            duplicates=tally.duplicates,
            warnings=(
                *self.walk_warnings,
                *sorted(s.warning for s in skips.values()),
                *tally.notes,
            ),
            generation=generation,
            formats=count_formats(tally.formats + skipped_counts),
            full=self.previous is None,
            ocr_waiting=waiting(documents),
            ocr_problem=ocr.problem if ocr else "",
            kept_failures=self.todo.kept_failures,
        )

    def meta(
        self, number: int, source: Path, report: BuildReport, ocr: OcrRecord | None
    ) -> IndexMeta:
        return IndexMeta(
            generation=number,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=str(source.resolve()),
            documents=self.documents(),
            skipped=self.skipped(),
            walk_warnings=tuple(self.walk_warnings),
            build=record(report),
            ocr=ocr,
        )


def waiting(documents: dict[str, DocMeta]) -> int:
    """The scanned pages OCR has still to read, over all documents."""
    return sum(len(d.waiting) for d in documents.values())


def _stat_news(tally: Tally, known: dict[str, DocMeta]) -> bool:
    """Whether a file read to the same content had a trusted stat that moved (it
    was touched) or none recorded: its new stat is worth a generation, so that the
    next build does not read it again. A stat not trusted because it was too
    recent is not (the file is compared again next time, which costs a read)."""
    for doc in tally.same:
        old = known.get(doc)
        if old is not None and (old.size < 0 or old.mtime_ns):
            return True
    return False


def record(report: BuildReport) -> BuildRecord:
    """What this build did, kept in its generation's metadata for `seedsearch status`."""
    return BuildRecord(
        seconds=round(report.seconds, 3),
        full=report.full,
        added=report.added,
        updated=report.updated,
        moved=report.moved,
        removed=report.removed,
        unchanged=report.unchanged,
        warnings=report.warnings,
        cluster=report.cluster,
    )


def carried(first: BuildReport, again: BuildReport) -> BuildReport:
    """A build that published twice, as one: what it did first (what changed), with
    the pages OCR read since, and the state of the generation it published last."""
    new = tuple(w for w in again.warnings if w not in first.warnings)
    return replace(
        first,
        passages=again.passages,
        warnings=first.warnings + new,
        seconds=again.seconds,
        generation=again.generation,
        ocr_pages=again.ocr_pages,
        ocr_waiting=again.ocr_waiting,
        ocr_problem=again.ocr_problem,
    )
