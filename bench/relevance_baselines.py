"""Baseline systems run on the same documents and questions: bm25s and SQLite FTS5."""

from __future__ import annotations

import re
import sqlite3

from bench.relevance_collection import Collection

# A run: query -> doc -> score (higher first), as ir-measures takes it.
Run = dict[str, dict[str, float]]
DEPTH = 1000


def bm25s_run(collection: Collection) -> Run:
    """bm25s BM25 (k1=1.2, b=0.75, Lucene idf), English stop words, Snowball stems."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    texts = [d.plain for d in collection.docs]
    ids = [d.id for d in collection.docs]
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    run: Run = {}
    for q, text in collection.topics.items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        k = min(DEPTH, len(ids))
        docs, scores = model.retrieve(tokens, k=k, show_progress=False)
        run[q] = {ids[i]: float(s) for i, s in zip(docs[0], scores[0], strict=True) if s > 0}
    return run


_WORD = re.compile(r"\w+")


def fts5_run(collection: Collection) -> Run:
    """SQLite FTS5 bm25() with the porter tokenizer; question words quoted and OR-ed."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter')")
    db.executemany(
        "INSERT INTO docs VALUES (?, ?, ?)", [(d.id, d.title, d.text) for d in collection.docs]
    )
    run: Run = {}
    for q, text in collection.topics.items():
        # Quoting each word keeps punctuation and words like NOT out of FTS syntax.
        match = " OR ".join(f'"{w}"' for w in _WORD.findall(text))
        rows = db.execute(
            "SELECT id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, DEPTH),
        ).fetchall()
        # bm25() is lower-is-better; ir-measures wants higher-is-better.
        run[q] = {doc: -score for doc, score in rows}
    db.close()
    return run
