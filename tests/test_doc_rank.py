"""Documents ranked by all their evidence (indexer/search/doc_rank.py) on small real
indexes: a document's score mixes its best passage's with the BM25 of its whole
text, computed here from the documents' own words; documents holding every word,
in one passage or across several, come first."""

from __future__ import annotations

from math import log

import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import analyze
from indexer.build.run import build_index
from indexer.models import Query
from indexer.search import weights
from indexer.search.engine import Engine

# Three records, each paragraph a passage (every one is over eight words, so
# none joins its neighbour as a byline would). river.md has "weir" in its title,
# repeated on its three passages: the title counts once in its document's text.
RECORDS = {
    "river.md": (
        "The weir on the river",
        [
            "The weir holds the water back and keeps the mill race full all through the summer.",
            "Below the weir the river runs shallow over stones where the children wade.",
            "In the spring floods the weir disappears and the meadows turn into a lake.",
        ],
    ),
    "mill.md": (
        "The mill",
        ["At dawn the miller opened the weir, the upper weir and the lower weir, to grind."],
    ),
    "field.md": (
        "Fields",
        [
            "Hay is cut in June and stacked by the hedge until the carts can bring it home.",
            "The weir is beyond the fields, past the ford, where the road turns toward town.",
        ],
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    source = tmp_path_factory.mktemp("records")
    for name, (title, paragraphs) in RECORDS.items():
        (source / name).write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
    index = tmp_path_factory.mktemp("index")
    build_index(source, index, full=True)
    with Engine(index) as opened:
        yield opened


def _stored(words: int) -> float:
    """A length as the index keeps it: one byte per passage and field."""
    return byte_to_length(length_to_byte(words))


def whole_text_bm25(word: str) -> dict[str, float]:
    """Each record's BM25 for `word` over its whole text (title once, then its
    paragraphs), with document counts for the idf: the definition, computed here."""
    (term,) = analyze(word, mode="query")
    tf, length = {}, {}
    for name, (title, paragraphs) in RECORDS.items():
        words = [analyze(title)] + [analyze(p) for p in paragraphs]
        tf[name] = sum(w.count(term) for w in words)
        length[name] = _stored(len(words[0])) + sum(_stored(len(w)) for w in words[1:])
    average = sum(length.values()) / len(length)
    holding = sum(1 for n in tf.values() if n)
    idf = log(1 + (len(RECORDS) - holding + 0.5) / (holding + 0.5))
    k1, b = weights.K1, weights.B
    return {
        name: idf * n * (k1 + 1) / (n + k1 * (1 - b + b * length[name] / average))
        for name, n in tf.items()
    }


def test_a_documents_score_mixes_its_best_passage_and_its_whole_text(engine):
    grouped = engine.search(Query("weir", by_document=True))
    passages = engine.search(Query("weir", per_page=20)).hits
    whole = whole_text_bm25("weir")
    share = weights.DOCUMENT_SHARE
    assert {d.doc for d in grouped.documents} == set(RECORDS)
    for document in grouped.documents:
        best = max(h.score for h in passages if h.doc == document.doc)
        expected = (1 - share) * best + share * whole[document.doc]
        assert document.score == pytest.approx(expected, abs=2e-4), document.doc
    scores = [d.score for d in grouped.documents]
    assert scores == sorted(scores, reverse=True)


def test_a_document_holding_every_word_across_passages_comes_first(corpus, tmp_path):
    files = {
        "split.md": "# Notes\n\n"
        "The glacier left a long ridge of stones across the valley floor last winter.\n\n"
        "That ridge is a moraine, and the farmers clear it every year by hand and cart.\n",
        "strong.md": "# Ice\n\n"
        "The glacier, the glacier and again the glacier filled the valley from side to side.\n",
    }
    for n in range(3):  # moraines are common here, glaciers rare
        files[f"moraine-{n}.md"] = f"# Walk {n}\n\nWe climbed the moraine above the lake {n}.\n"
    build_index(corpus(files), tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        passages = engine.search(Query("glacier moraine", per_page=10)).hits
        assert passages[0].doc == "strong.md"  # no passage holds both words
        grouped = engine.search(Query("glacier moraine", by_document=True))
        assert [d.doc for d in grouped.documents][0] == "split.md"
        assert grouped.total == 5 and grouped.passages == 6
