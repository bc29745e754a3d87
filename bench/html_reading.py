"""Read every page of a folder with the readers of one source tree (this checkout's, or
an older commit's unpacked elsewhere) in one process: the time the reading took, and
each document's title and passage texts, as JSON.

    python bench/html_reading.py TREE SOURCE OUT.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    tree, source, out = (Path(a).resolve() for a in sys.argv[1:4])
    sys.path.insert(0, str(tree))  # before the installed package: TREE's own code
    from indexer.readers import Unreadable, find_files, read_document

    try:  # the module's place before and after the indexer's layout moved
        from indexer.build.passages import passages_of
    except ImportError:
        from indexer.passages import passages_of

    files = find_files(source)
    started = time.process_time()
    documents, skipped = [], {}
    for path in files:
        try:
            documents.append(read_document(path, source))
        except Unreadable as exc:
            skipped[path.relative_to(source).as_posix()] = str(exc)
    seconds = time.process_time() - started
    docs = {}
    for document in documents:
        try:
            passages = [p.text for p in passages_of(document).passages]
        except Unreadable as exc:
            skipped[document.doc] = str(exc)
            continue
        docs[document.doc] = {"title": document.title, "passages": passages}
    report = {"tree": str(tree), "read_cpu_s": seconds, "docs": docs, "skipped": skipped}
    out.write_text(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
