"""The ranking's knobs and the word statistics every step of a search shares:
BM25's k1 and b, field and stop-word weights, feedback's settings, the stop
stems and the idf. Measured choices; bench/RESULTS.md has the table behind each."""

from __future__ import annotations

from math import log

from ..analysis import STOP_WORDS, stem

# The ranking knobs, measured on the test collections (bench/relevance.py).
K1 = 1.2
B = 0.75
# A passage's title is its document's: it says what the passage is about but
# is shared by all the document's passages, so it counts less than the body.
FIELD_BOOSTS = {"body": 1.0, "title": 0.5, "section": 0.5}
# 1.0: a word's fields add up (BM25F-style) instead of the best field counting alone.
FIELD_TIE = 1.0
STOP_BOOST = 0.2  # stop words are indexed for exact phrases but say little
# English's; a query uses its index's languages' (alternatives.stop_set).
STOP_STEMS = frozenset(stem(w) for w in STOP_WORDS)
# A word typed n times weighs (k3 + 1) n / (k3 + n): more than once, as a long
# question repeats what matters, but less than n times; 8 is Okapi's k3.
QUERY_K3: float | None = 8.0
# Pseudo-relevance feedback (RM3): the words of the top FEEDBACK_PASSAGES
# passages rerank the first FEEDBACK_DEPTH passages of questions of at least
# FEEDBACK_MIN_CLAUSES words (shorter queries say exactly what they want)
# that match at least FEEDBACK_MIN_MATCHES passages (with fewer, the top
# passages are most of the matches and teach nothing about the rest).
# 3 passages and 10 words are Terrier's defaults; λ 0.5 is Anserini's.
FEEDBACK_MIN_CLAUSES = 4
FEEDBACK_MIN_MATCHES = 50
FEEDBACK_PASSAGES = 3
FEEDBACK_TERMS = 10
FEEDBACK_WEIGHT = 0.5  # share of the typed words in the expanded query (λ)
FEEDBACK_DEPTH = 1000  # fixed, so every page of a query sees the same order
# Documents (the grouped view, doc_rank.py): a document scores its best passage
# mixed with its whole text's BM25, this share going to the whole text; the
# first tier holds the documents with every word ("passage": in one passage;
# None: no tier); feedback reads the top documents' best passages ("document":
# all their text). Chosen leaving one collection out (bench/relevance_loco.py).
DOCUMENT_SHARE = 0.75
EVERY_WORD_IN: str | None = "document"
FEEDBACK_TEXT = "passage"


def idf(matching: int, passages: int) -> float:
    """The Robertson/Spärck Jones idf (as in Lucene and bm25s): a word in most
    passages weighs next to nothing, where Whoosh's log(N/(n+1)) + 1 gives it 1."""
    return log(1 + (passages - matching + 0.5) / (matching + 0.5))
