"""What a build has to do: the generation to update (if any) and, against it,
which files changed, which are gone, which were moved and which are unchanged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from whoosh import index as whoosh_index

from ..errors import IndexBroken
from ..index import generations
from ..index.meta import DocMeta, IndexMeta, read_meta
from ..readers import content_hash

Previous = tuple[Path, IndexMeta]  # the generation an update starts from, and its metadata


@dataclass(frozen=True)
class Move:
    """A file renamed or moved: a document gone from `old` whose content is now at `new`."""

    old: str
    new: str
    path: Path


@dataclass(frozen=True)
class Plan:
    """What a build has to do; a full build has no previous documents."""

    changed: list[tuple[Path, str]]  # (path, doc id) to read and (re)index
    removed: list[str]
    unchanged: dict[str, DocMeta]
    moved: list[Move] = field(default_factory=list)


def nothing_to_do(plan: Plan, meta: IndexMeta, walk_warnings: list[str]) -> bool:
    """No document changed, and the generation's record of skipped files still holds
    (files that were skipped and are now gone must leave the status too)."""
    recorded = meta.build.warnings if meta.build else ()
    unchanged = not plan.changed and not plan.removed and not plan.moved
    return unchanged and tuple(walk_warnings) == recorded


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


def plan_changes(
    files: list[tuple[Path, str]],
    previous: Previous | None,
    read_again: Callable[[DocMeta], bool] | None = None,
) -> Plan:
    """Compare content hashes with the previous generation's. A new document with
    the content of one that is gone is a move (a rename, or its folder's). An
    unchanged document is read again when `read_again` says so (OCR has read
    pages of it that were waiting)."""
    if previous is None:
        return Plan(changed=files, removed=[], unchanged={})
    known = previous[1].documents
    seen = {doc for _, doc in files}
    gone: dict[str, list[str]] = defaultdict(list)  # content hash -> documents gone
    for doc in sorted(set(known) - seen):
        gone[known[doc].sha].append(doc)
    changed, unchanged, moved = [], {}, []
    for path, doc in files:
        old = known.get(doc)
        sha = _hash(path) if old is not None or gone else None
        if old is not None and sha == old.sha:
            if read_again is not None and read_again(old):
                changed.append((path, doc))
            else:
                unchanged[doc] = old
        elif old is None and gone.get(sha):
            moved.append(Move(_pick_origin(gone[sha], doc), doc, path))
        else:
            changed.append((path, doc))
    removed = sorted(doc for docs in gone.values() for doc in docs)
    return Plan(changed=changed, removed=removed, unchanged=unchanged, moved=moved)


def _hash(path: Path) -> str | None:
    try:
        return content_hash(path.read_bytes())
    except OSError:
        return None  # reported when the build reads it


def _pick_origin(candidates: list[str], new: str) -> str:
    """Of the gone documents with the same content, the one `new` was moved from:
    one with the same file name if any (a folder renamed), else the first."""
    name = PurePosixPath(new).name
    origin = next((d for d in candidates if PurePosixPath(d).name == name), candidates[0])
    candidates.remove(origin)
    return origin
