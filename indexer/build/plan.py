"""What a build has to do: the generation to update (if any) and, against it,
from `stat` alone, what changed: files whose size, modification time
and inode are those recorded are unchanged and never opened, as rsync, git and
Recoll decide; files that failed before are not read again until they change.
Only the rest is read (a known file's content compared by hash before it is
parsed), and a file that turns up under a new name with the inode and stat of
one gone is a move. Moves that stat cannot see are found by content hash later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from whoosh import index as whoosh_index

from ..errors import IndexBroken
from ..index import generations
from ..index.meta import DocMeta, IndexMeta, SkippedFile, read_meta
from ..models import FileStat
from ..readers import SourceFile, read_as, safe_name, size_caps, too_large

Previous = tuple[Path, IndexMeta]  # the generation an update starts from, and its metadata


@dataclass(frozen=True)
class Move:
    """A file renamed or moved: a document gone from `old` whose content is now at `new`."""

    old: str
    new: str
    path: str
    stat: FileStat | None = None  # the file's at its new place, when known


@dataclass(frozen=True)
class Plan:
    """What a build has to do; a full build has no previous documents."""

    read: tuple[SourceFile, ...]  # new, changed or retried files, in path order
    same_as: dict[str, str]  # doc -> its content hash, for the known documents in `read`
    unchanged: dict[str, DocMeta]  # stat says so: not opened
    moved: tuple[Move, ...]  # by stat: the inode, size and mtime of a document gone
    gone: dict[str, tuple[str, ...]]  # content hash -> documents gone, not (yet) moves
    skipped: dict[str, SkippedFile]  # not read: failed and unchanged since, or over its cap
    known: frozenset[str] = frozenset()  # the previous generation's documents
    kept_failures: int = 0  # of `skipped`, the files that failed before, not tried again

    @property
    def new(self) -> tuple[SourceFile, ...]:
        """The files of `read` that no document had: candidate moves when some are gone."""
        return tuple(f for f in self.read if f.doc not in self.known)

    def idle(self, previous: IndexMeta) -> bool:
        """Nothing to read, move or remove, and the same files skipped as before."""
        quiet = not (self.read or self.moved or self.gone)
        return quiet and self.skipped == previous.skipped


def previous_generation(root: Path, full: bool) -> Previous | None:
    """The generation to update, or None when a full build is wanted or needed."""
    if full:
        return None
    gen = generations.current_dir(root)
    if gen is None or not gen.exists():
        return None
    try:
        meta = read_meta(gen)
    except IndexBroken:
        return None  # a damaged index is rebuilt from scratch
    if not meta.compatible() or not _readable(gen, meta):
        return None
    return gen, meta


def _readable(gen: Path, meta: IndexMeta) -> bool:
    """Whether a generation opens and holds the passages its metadata lists:
    an update must not carry a damaged index forward."""
    try:
        ix = whoosh_index.open_dir(str(gen))
        with ix.reader() as reader:
            return reader.doc_count() == sum(d.passages for d in meta.documents.values())
    except Exception:  # Whoosh raises many kinds on damaged files
        return False


def plan(
    files: list[SourceFile],
    previous: IndexMeta | None,
    retry_failed: bool = False,
    read_again: Callable[[DocMeta], bool] | None = None,
) -> Plan:
    """Compare the files found with the previous generation's records. A document
    is read again, changed or not, when `read_again` says so (OCR has read pages of
    it that were waiting)."""
    known = previous.documents if previous else {}
    failed = previous.skipped if previous and not retry_failed else {}
    seen = {f.doc for f in files}
    gone = [doc for doc in sorted(known) if doc not in seen]
    by_stat: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    for doc in gone:
        if known[doc].stat is not None:
            by_stat[_identity(known[doc])].append(doc)
    read, same_as, unchanged, moved, skipped = [], {}, {}, [], {}
    kept, caps = 0, size_caps()
    for file in files:
        old, name = known.get(file.doc), safe_name(file.doc)
        over = too_large(file.doc, file.stat.size, caps) if file.stat else None
        if over is not None:
            skipped[name] = SkippedFile(str(over), over.reason, read_as(file.doc))
        elif old is not None and read_again is not None and read_again(old):
            read.append(file)  # parsed again, whatever its content: no same_as
        elif old is not None and file.stat is not None and file.stat.same_content(old.stat):
            unchanged[file.doc] = old
        elif old is None and name in failed and failed[name].still(file.stat):
            skipped[name] = failed[name]
            kept += 1
        elif old is None and file.stat and by_stat.get(_identity(file.stat)):
            origin = pick_origin(by_stat[_identity(file.stat)], file.doc)
            moved.append(Move(origin, file.doc, file.path, file.stat))
        else:
            read.append(file)
            if old is not None:
                same_as[file.doc] = old.sha
    moved_from = {m.old for m in moved}
    by_sha: dict[str, list[str]] = defaultdict(list)
    for doc in gone:
        if doc not in moved_from:
            by_sha[known[doc].sha].append(doc)
    return Plan(
        read=tuple(read),
        same_as=same_as,
        unchanged=unchanged,
        moved=tuple(moved),
        gone={sha: tuple(docs) for sha, docs in by_sha.items()},
        skipped=skipped,
        known=frozenset(known),
        kept_failures=kept,
    )


def _identity(stat) -> tuple[int, int, int]:
    return (stat.inode, stat.size, stat.mtime_ns)


def pick_origin(candidates: list[str], new: str) -> str:
    """Of the gone documents with the same content, the one `new` was moved from:
    one with the same file name if any (a folder renamed), else the first. It is
    taken from `candidates`."""
    name = PurePosixPath(new).name
    origin = next((d for d in candidates if PurePosixPath(d).name == name), candidates[0])
    candidates.remove(origin)
    return origin
