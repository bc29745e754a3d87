"""The Whoosh bug fixes in indexer/patches.py, checked on a real index."""

from __future__ import annotations

from whoosh import query as wq

from indexer.build.run import build_index
from indexer.search.engine import Engine


def test_and_not_drops_a_passage_whose_excluded_word_appears_earlier(corpus, tmp_path):
    paragraphs = [
        "Peace is the only word of these two in this first paragraph.",
        "Both war and peace are in this second paragraph of the text.",
        "War alone is in this third and last paragraph of the text.",
    ]
    src = corpus({"a.txt": "Title\n\n" + "\n\n".join(paragraphs)})
    build_index(src, tmp_path / "ix", procs=1)
    with Engine(tmp_path / "ix") as engine:
        searcher = engine._current().searcher
        war_not_peace = wq.AndNot(wq.Term("body", "war"), wq.Term("body", "peac"))
        docs = set(searcher.docs_for_query(war_not_peace))
        texts = {searcher.stored_fields(d)["body"] for d in docs}
    assert texts == {paragraphs[2]}
