"""The compiled reference: SQLite FTS5 with the porter tokenizer, the same paragraphs,
ranked by bm25 and highlighted by snippet()."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from bench.kjv import paragraphs

SNIPPET = "snippet(p, 2, '<mark>', '</mark>', '…', 40)"


def build(source: Path, target: Path) -> int:
    """A fresh database of every verse paragraph of source; the count."""
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    try:
        db.execute(
            "CREATE VIRTUAL TABLE p USING fts5("
            "doc UNINDEXED, section UNINDEXED, body, tokenize='porter unicode61')"
        )
        with db:
            db.executemany(
                "INSERT INTO p (doc, section, body) VALUES (?, ?, ?)",
                (
                    (doc, f"{book} {chapter}", text)
                    for doc, book, chapter, text in paragraphs(source)
                ),
            )
        db.execute("INSERT INTO p(p) VALUES ('optimize')")
        db.commit()
        return db.execute("SELECT count(*) FROM p").fetchone()[0]
    finally:
        db.close()


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def search(db: sqlite3.Connection, match: str, limit: int = 10) -> dict:
    """Top `limit` by bm25 with snippets, and the total count, as the other systems report."""
    total = db.execute("SELECT count(*) FROM p WHERE p MATCH ?", (match,)).fetchone()[0]
    rows = db.execute(
        f"SELECT rowid, doc, section, bm25(p), {SNIPPET} FROM p WHERE p MATCH ? "
        "ORDER BY rank LIMIT ?",
        (match, limit),
    ).fetchall()
    return {"total": total, "results": rows}


if __name__ == "__main__":  # the build runs as its own process, so its RSS is its own
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
