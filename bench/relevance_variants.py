"""Ranking variants measured against the defaults: each patches one ranking or
parsing choice in this process only, and runs on every collection. Each names
the knob it turns, so that bench/relevance_loco.py can choose every knob's
setting leaving one collection out."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass

from whoosh import query as wq
from whoosh import scoring

from indexer.search import parse as query
from indexer.search import rank as ranking

Patch = Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Variant:
    group: str
    label: str
    patch: Patch = nullcontext
    knob: str = ""  # what it turns; "" for the defaults and for records of the past


@contextmanager
def knobs(**values) -> Iterator[None]:
    """Set ranking knobs (indexer/search/weights.py), and every search module's
    imported copy of them, for the duration."""
    saved = []
    modules = [m for n, m in sorted(sys.modules.items()) if n.startswith("indexer.search.")]
    for name, value in values.items():
        for module in modules:
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


@contextmanager
def attribute(owner, name: str, value) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def combined(*patches: Patch) -> Patch:
    @contextmanager
    def both() -> Iterator[None]:
        with ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch())
            yield

    return both


def set_knobs(**values) -> Patch:
    return lambda: knobs(**values)


whoosh_idf = lambda: attribute(ranking._BM25F, "idf", scoring.WeightingModel.idf)  # noqa: E731
SAME = {"body": 1.0, "title": 1.0, "section": 1.0}
HALF = {"body": 1.0, "title": 0.5, "section": 0.5}
LIGHT = {"body": 1.0, "title": 0.3, "section": 0.3}
BODY = {"body": 1.0, "title": 0.0, "section": 0.0}
NO_FEEDBACK = set_knobs(FEEDBACK_PASSAGES=0)


# -- variants that need more than a knob --------------------------------------


def sequential_dependence(slop: int, boost: float) -> Patch:
    """Each pair of neighbouring typed words found within `slop` words adds
    `boost` times the pair's BM25 (a sequential-dependence bonus, Metzler & Croft 2005)."""

    @contextmanager
    def patch() -> Iterator[None]:
        original = query.parse

        def parse(text: str, reader):
            parsed = original(text, reader)
            words = [w for w in map(_body_word, _clauses(parsed)) if w]
            pairs = [
                wq.Phrase("body", [a, b], slop=slop, boost=boost)
                for a, b in zip(words, words[1:], strict=False)
                if a != b
            ]
            if not pairs:
                return parsed
            return dataclasses.replace(parsed, query=wq.AndMaybe(parsed.query, wq.Or(pairs)))

        with attribute(query, "parse", parse):
            yield

    return patch


def _clauses(parsed) -> list[wq.Query]:
    """The typed non-stop-word clauses: what every_word requires."""
    every = parsed.every_word
    if every is None:
        return [parsed.query]
    if isinstance(every, wq.AndNot):
        every = every.a
    return list(every.subqueries) if isinstance(every, wq.And) else [every]


def _body_word(clause: wq.Query) -> str | None:
    for leaf in clause.leaves() if not clause.is_leaf() else [clause]:
        if isinstance(leaf, wq.Term) and leaf.fieldname == "body":
            return leaf.text
    return None


# -- parsing variants ------------------------------------------------------------


def multitoken(kind: str) -> Patch:
    """A typed word that analyses to several terms (counter-insurgency) searched
    as an OR or AND of them instead of a phrase."""

    @contextmanager
    def patch() -> Iterator[None]:
        with ExitStack() as stack:
            for field in query.SEARCH_FIELDS:
                stack.enter_context(attribute(query._SCHEMA[field], "multitoken_query", kind))
            yield

    return patch


def question_mark_wildcard() -> AbstractContextManager:
    """A word-final ? read as a one-letter wildcard, as before: `titles?` finds
    nothing and the word is lost."""
    return attribute(query, "_QUESTION_MARK", re.compile(r"(?!)"))


# -- the table -----------------------------------------------------------------

DOCUMENTS = "Documents (indexer/search/doc_rank.py)"
RANKING = "Ranking knobs (indexer/search/weights.py)"
FEEDBACK = "Pseudo-relevance feedback (RM3)"
PARSING = "Reading the query (indexer/search/parse.py)"
DEFAULTS = "defaults"


def _v(group: str, knob: str, label: str, patch: Patch) -> Variant:
    return Variant(group, label, patch, knob)


VARIANTS: tuple[Variant, ...] = (
    Variant(DOCUMENTS, DEFAULTS),
    _v(DOCUMENTS, "document share", "best passage only (share 0)", set_knobs(DOCUMENT_SHARE=0.0)),
    _v(DOCUMENTS, "document share", "whole document ×0.25", set_knobs(DOCUMENT_SHARE=0.25)),
    _v(DOCUMENTS, "document share", "whole document ×0.5", set_knobs(DOCUMENT_SHARE=0.5)),
    _v(DOCUMENTS, "document share", "whole document ×0.75", set_knobs(DOCUMENT_SHARE=0.75)),
    _v(DOCUMENTS, "document share", "whole document ×0.9", set_knobs(DOCUMENT_SHARE=0.9)),
    _v(DOCUMENTS, "document share", "whole document only (share 1)", set_knobs(DOCUMENT_SHARE=1.0)),
    _v(
        DOCUMENTS,
        "first tier",
        "every word in the document first",
        set_knobs(EVERY_WORD_IN="document"),
    ),
    _v(
        DOCUMENTS,
        "first tier",
        "every word in one passage first",
        set_knobs(EVERY_WORD_IN="passage"),
    ),
    _v(DOCUMENTS, "first tier", "no every-word tier (plain OR)", set_knobs(EVERY_WORD_IN=None)),
    _v(
        RANKING,
        "title weight",
        "title and section ×1 (as much as the body)",
        set_knobs(FIELD_BOOSTS=SAME),
    ),
    _v(RANKING, "title weight", "title and section ×0.5", set_knobs(FIELD_BOOSTS=HALF)),
    _v(RANKING, "title weight", "title and section ×0.3", set_knobs(FIELD_BOOSTS=LIGHT)),
    _v(RANKING, "title weight", "body only (title and section ×0)", set_knobs(FIELD_BOOSTS=BODY)),
    _v(RANKING, "field scores", "best field only (tie-breaker 0)", set_knobs(FIELD_TIE=0.0)),
    _v(RANKING, "stop words", "stop words ×0", set_knobs(STOP_BOOST=0.0)),
    _v(RANKING, "stop words", "stop words ×0.2", set_knobs(STOP_BOOST=0.2)),
    _v(RANKING, "stop words", "stop words ×1", set_knobs(STOP_BOOST=1.0)),
    _v(RANKING, "idf", "Whoosh's idf for passages instead of Robertson/Spärck Jones", whoosh_idf),
    _v(RANKING, "k1", "k1 0.9", set_knobs(K1=0.9)),
    _v(RANKING, "k1", "k1 1.2", set_knobs(K1=1.2)),
    _v(RANKING, "k1", "k1 1.5", set_knobs(K1=1.5)),
    _v(RANKING, "b", "b 0.6", set_knobs(B=0.6)),
    _v(RANKING, "b", "b 0.75", set_knobs(B=0.75)),
    _v(RANKING, "b", "b 0.9", set_knobs(B=0.9)),
    _v(RANKING, "b", "b 1", set_knobs(B=1.0)),
    _v(
        RANKING,
        "proximity",
        "neighbouring words within 8 add 0.3× (sequential dependence)",
        sequential_dependence(8, 0.3),
    ),
    _v(FEEDBACK, "feedback", "no feedback", NO_FEEDBACK),
    _v(FEEDBACK, "feedback", "feedback from 3 documents", set_knobs(FEEDBACK_PASSAGES=3)),
    _v(FEEDBACK, "feedback", "feedback from 5 documents", set_knobs(FEEDBACK_PASSAGES=5)),
    _v(FEEDBACK, "feedback", "feedback from 10 documents", set_knobs(FEEDBACK_PASSAGES=10)),
    _v(
        FEEDBACK,
        "feedback reads",
        "feedback reads the best passages",
        set_knobs(FEEDBACK_TEXT="passage"),
    ),
    _v(
        FEEDBACK,
        "feedback reads",
        "feedback reads the whole documents",
        set_knobs(FEEDBACK_TEXT="document"),
    ),
    _v(FEEDBACK, "feedback words", "feedback: 10 words", set_knobs(FEEDBACK_TERMS=10)),
    _v(FEEDBACK, "feedback words", "feedback: 20 words", set_knobs(FEEDBACK_TERMS=20)),
    _v(FEEDBACK, "feedback λ", "feedback: λ 0.3 (more expansion)", set_knobs(FEEDBACK_WEIGHT=0.3)),
    _v(FEEDBACK, "feedback λ", "feedback: λ 0.5", set_knobs(FEEDBACK_WEIGHT=0.5)),
    _v(FEEDBACK, "feedback λ", "feedback: λ 0.7 (less expansion)", set_knobs(FEEDBACK_WEIGHT=0.7)),
    _v(FEEDBACK, "feedback depth", "feedback reranks 100 (before)", set_knobs(FEEDBACK_DEPTH=100)),
    _v(
        FEEDBACK,
        "feedback guard: words",
        "feedback for questions of 2+ words",
        set_knobs(FEEDBACK_MIN_CLAUSES=2),
    ),
    _v(
        FEEDBACK,
        "feedback guard: words",
        "feedback for questions of 4+ words",
        set_knobs(FEEDBACK_MIN_CLAUSES=4),
    ),
    _v(
        FEEDBACK,
        "feedback guard: words",
        "feedback for questions of 6+ words",
        set_knobs(FEEDBACK_MIN_CLAUSES=6),
    ),
    _v(
        FEEDBACK,
        "feedback guard: matches",
        "feedback whatever the matches",
        set_knobs(FEEDBACK_MIN_MATCHES=0),
    ),
    _v(
        FEEDBACK,
        "feedback guard: matches",
        "feedback when 50+ passages match",
        set_knobs(FEEDBACK_MIN_MATCHES=50),
    ),
    _v(
        FEEDBACK,
        "feedback guard: matches",
        "feedback when 200+ passages match",
        set_knobs(FEEDBACK_MIN_MATCHES=200),
    ),
    _v(
        PARSING,
        "query word counts",
        "a repeated word counts once (k3 0; before issue 11)",
        set_knobs(QUERY_K3=0.0),
    ),
    _v(PARSING, "query word counts", "a repeated word: k3 3", set_knobs(QUERY_K3=3.0)),
    _v(PARSING, "query word counts", "a repeated word: k3 8", set_knobs(QUERY_K3=8.0)),
    _v(
        PARSING,
        "query word counts",
        "a word typed n times weighs n (k3 ∞; before this issue)",
        set_knobs(QUERY_K3=None),
    ),
    _v(PARSING, "question marks", "word-final ? as a wildcard (before)", question_mark_wildcard),
    _v(PARSING, "long queries", "long queries keep 16 words", set_knobs(MAX_TERMS=16)),
    _v(PARSING, "long queries", "long queries keep 64 words", set_knobs(MAX_TERMS=64)),
    _v(PARSING, "long queries", "long queries keep every word", set_knobs(MAX_TERMS=10**6)),
    _v(
        PARSING,
        "hyphens",
        "hyphenated query words as a phrase of their parts",
        multitoken("phrase"),
    ),
    Variant(
        PARSING,
        "before issue 11: ? as wildcard, each word once, RM3 on 100",
        combined(question_mark_wildcard, set_knobs(QUERY_K3=0.0, FEEDBACK_DEPTH=100)),
    ),
    Variant(
        DOCUMENTS,
        "before this issue: documents by their best passage, each repeat of a word counted",
        set_knobs(DOCUMENT_SHARE=0.0, EVERY_WORD_IN="passage", QUERY_K3=None),
    ),
)
