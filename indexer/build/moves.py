"""Carry out moves and renames (found by stat or content hash): a moved document's passages
are copied under its new id as arrays (indexer/storage), never read or analysed
again, and its old passages deleted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from ..index.meta import DocMeta
from ..languages import DEFAULT
from ..storage.codec import pack_fields
from ..storage.writer import PackWriter
from .filing import folders_of


def copy_moves(
    writer: PackWriter, moves: list, known: dict[str, DocMeta]
) -> tuple[dict[str, DocMeta], list]:
    """Copy each move's passages in `writer`; the moved documents' metadata, and the
    moves that must be carried out by reading the file again (a new extension, a
    segment of another codec)."""
    with writer.reader() as reader:
        return _copy_all(writer, reader.leaf_readers(), moves, known)


def _copy_all(writer: PackWriter, leaves: list, moves: list, known: dict) -> tuple[dict, list]:
    copied: dict[str, DocMeta] = {}
    again = []
    for move in moves:
        meta = known.get(move.old)
        parts = [(leaf, _passages(leaf, move.old)) for leaf, _ in leaves]
        parts = [(leaf, docnums) for leaf, docnums in parts if docnums]
        if meta is None or not _copyable(move, parts):
            again.append(move)
            continue
        title = _title(move, meta)
        changes = {
            "id": lambda stored, new=move.new: f"{new}#p{stored['ordinal']}",
            "doc": lambda stored, new=move.new: new,
            "folder": lambda stored, new=move.new: "\n".join(folders_of(new)) or None,
        }
        if title != meta.title:
            changes["title"] = lambda stored, title=title: title
        for leaf, docnums in parts:
            writer.copy_documents(leaf, docnums, changes, meta.lang or DEFAULT)
        writer.delete_by_term("doc", move.old)
        copied[move.new] = replace(meta, title=title, **_stat(move))
    return copied, again


def _stat(move) -> dict[str, int]:
    """The file's stat at its new place, recorded so that the next build need not hash it."""
    if move.stat is None:
        return {}
    return {"size": move.stat.size, "mtime_ns": move.stat.mtime_ns, "inode": move.stat.inode}


def _passages(leaf, doc: str) -> list[int]:
    """The live passages of document `doc` in one segment."""
    key = doc.encode("utf-8")
    if ("doc", key) not in leaf:
        return []
    return [n for n in leaf.postings("doc", key).all_ids() if not leaf.is_deleted(n)]


def _copyable(move, parts: list) -> bool:
    same_kind = PurePosixPath(move.old).suffix.lower() == PurePosixPath(move.new).suffix.lower()
    return same_kind and bool(parts) and all(pack_fields(leaf) for leaf, _ in parts)


def _title(move, meta: DocMeta) -> str:
    """A title that was the file's name follows the file; one of its own stays."""
    old_name = " ".join(PurePosixPath(move.old).stem.split())
    if meta.title != old_name:
        return meta.title
    return " ".join(PurePosixPath(move.new).stem.split())
