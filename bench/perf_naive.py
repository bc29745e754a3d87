"""The naive Whoosh approach the benchmark compares against: what a first attempt
looks like. Default StemmingAnalyzer, one process, one writer, a simple schema; at
query time the index is opened per query, parsed by the default parser and the
10 hits highlighted by Whoosh."""

from __future__ import annotations

import sys
from pathlib import Path

from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.qparser import QueryParser

from bench.kjv import paragraphs


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        doc=STORED,
        section=STORED,
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )


def build(source: Path, target: Path) -> int:
    """Index every verse paragraph of source into a new Whoosh index; the count."""
    target.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(target), schema())
    writer = ix.writer()
    n = 0
    for doc, book, chapter, text in paragraphs(source):
        n += 1
        writer.add_document(id=f"{doc}#{n}", doc=doc, section=f"{book} {chapter}", body=text)
    writer.commit()
    return n


def search(index_dir: Path, q: str, limit: int = 10) -> dict:
    """Open, parse, search, highlight, close: one query the naive way."""
    ix = index.open_dir(str(index_dir))
    try:
        with ix.searcher() as searcher:
            query = QueryParser("body", ix.schema).parse(q)
            results = searcher.search(query, limit=limit)
            hits = [
                {
                    "id": hit["id"],
                    "doc": hit["doc"],
                    "section": hit["section"],
                    "score": hit.score,
                    "snippet": hit.highlights("body"),
                }
                for hit in results
            ]
            return {"query": q, "total": len(results), "results": hits}
    finally:
        ix.close()


if __name__ == "__main__":  # the build runs as its own process, so its RSS is its own
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
