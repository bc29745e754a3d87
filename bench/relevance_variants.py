"""Ranking variants measured against the defaults: each patches one ranking or
parsing choice in this process only, and runs on every collection."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from indexer.search import parse as query
from indexer.search import rank as ranking
from indexer.search.evaluate import vectors_for

Patch = Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Variant:
    group: str
    label: str
    patch: Patch = nullcontext


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
LIGHT = {"body": 1.0, "title": 0.3, "section": 0.3}
BODY = {"body": 1.0, "title": 0.0, "section": 0.0}
NO_FEEDBACK = set_knobs(FEEDBACK_PASSAGES=0)


# -- variants that need more than a knob --------------------------------------


@contextmanager
def _rank_hook(hook) -> Iterator[None]:
    """Rank with `hook(rank, searcher, parsed, need)` -> [(docnum, score)], where
    `rank` is ranking.rank as it was."""
    original = ranking.rank

    def rank(searcher, parsed, offset, count, per_doc):
        ranked = hook(original, searcher, parsed, offset + count)
        return ranking.Ranking(total=len(ranked), every_word=0, scored=tuple(ranked[offset:]))

    with attribute(ranking, "rank", rank):
        yield


def _ranked(rank, searcher, parsed, need) -> list[tuple[int, float]]:
    return list(rank(searcher, parsed, 0, need, None).scored)


def no_tiers() -> AbstractContextManager:
    """Plain OR ranking: no every-word tier (feedback as in the defaults)."""
    return _rank_hook(
        lambda rank, searcher, parsed, need: _ranked(
            rank, searcher, dataclasses.replace(parsed, every_word=None), need
        )
    )


def coordination(power: float) -> Patch:
    """No tier; each passage's score times (clauses matched / clauses) ** power."""

    def hook(rank, searcher, parsed, need):
        vectors = vectors_for(searcher, ranking.K1, ranking.B)
        clauses = _clauses(parsed)
        scored = vectors.evaluate(parsed.query)
        matched = np.sum([vectors.evaluate(c).mask for c in clauses], axis=0)
        score = scored.score * (matched / max(len(clauses), 1)) ** power
        candidates = np.flatnonzero(scored.mask)
        order = candidates[np.lexsort((candidates, -score[candidates]))]
        depth = max(need, ranking.FEEDBACK_DEPTH)
        ranked = [(int(d), float(score[d])) for d in order[:depth]]
        if parsed.clauses >= ranking.FEEDBACK_MIN_CLAUSES:
            ranked = ranking._rerank(vectors, ranked, 0, parsed.weight)
        return ranked[:need]

    return lambda: _rank_hook(hook)


def proximity(slop: int, boost: float) -> Patch:
    """Each pair of neighbouring typed words, found within `slop`, adds
    `boost` times the pair's BM25 to a passage (a sequential-dependence bonus)."""

    def hook(rank, searcher, parsed, need):
        words = [_body_word(c) for c in _clauses(parsed)]
        words = [w for w in words if w]
        pairs = [
            wq.Phrase("body", [a, b], slop=slop, boost=boost)
            for a, b in zip(words, words[1:], strict=False)
            if a != b
        ]
        if pairs:
            bonus = wq.Or(pairs)
            every = parsed.every_word
            parsed = dataclasses.replace(
                parsed,
                query=wq.AndMaybe(parsed.query, bonus),
                every_word=wq.AndMaybe(every, bonus) if every is not None else None,
            )
        return _ranked(rank, searcher, parsed, need)

    return lambda: _rank_hook(hook)


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


def each_word_once() -> AbstractContextManager:
    """A word typed several times counts once (Whoosh's normalize, as before)."""
    return attribute(query, "_qtf", lambda n: 1.0)


def question_mark_wildcard() -> AbstractContextManager:
    """A word-final ? read as a one-letter wildcard, as before: `titles?` finds
    nothing and the word is lost."""
    return attribute(query, "_QUESTION_MARK", re.compile(r"(?!)"))


# -- the table -----------------------------------------------------------------

RANKING = "Ranking knobs (indexer/search/weights.py)"
FEEDBACK = "Pseudo-relevance feedback (RM3)"
PARSING = "Reading the query (indexer/search/parse.py)"
DEFAULTS = "defaults"

VARIANTS: tuple[Variant, ...] = (
    Variant(RANKING, DEFAULTS),
    Variant(RANKING, "no every-word tier (plain OR)", no_tiers),
    Variant(RANKING, "coordination factor (m/n)^0.5 instead of the tier", coordination(0.5)),
    Variant(RANKING, "title and section ×1 (as much as the body)", set_knobs(FIELD_BOOSTS=SAME)),
    Variant(RANKING, "title and section ×0.3", set_knobs(FIELD_BOOSTS=LIGHT)),
    Variant(RANKING, "body only (title and section ×0)", set_knobs(FIELD_BOOSTS=BODY)),
    Variant(RANKING, "best field only (tie-breaker 0)", set_knobs(FIELD_TIE=0.0)),
    Variant(RANKING, "stop words ×0", set_knobs(STOP_BOOST=0.0)),
    Variant(RANKING, "stop words ×1", set_knobs(STOP_BOOST=1.0)),
    Variant(RANKING, "Whoosh's idf instead of Robertson/Spärck Jones", whoosh_idf),
    Variant(RANKING, "k1 0.9", set_knobs(K1=0.9)),
    Variant(RANKING, "k1 1.5", set_knobs(K1=1.5)),
    Variant(RANKING, "b 0.6", set_knobs(B=0.6)),
    Variant(RANKING, "b 0.9", set_knobs(B=0.9)),
    Variant(FEEDBACK, "no feedback", NO_FEEDBACK),
    Variant(FEEDBACK, "feedback reranks 100 passages (before)", set_knobs(FEEDBACK_DEPTH=100)),
    Variant(FEEDBACK, "feedback from 10 passages", set_knobs(FEEDBACK_PASSAGES=10)),
    Variant(FEEDBACK, "feedback: 20 words", set_knobs(FEEDBACK_TERMS=20)),
    Variant(FEEDBACK, "feedback: λ 0.3 (more expansion)", set_knobs(FEEDBACK_WEIGHT=0.3)),
    Variant(FEEDBACK, "feedback: λ 0.7 (less expansion)", set_knobs(FEEDBACK_WEIGHT=0.7)),
    Variant(FEEDBACK, "feedback for questions of 2+ words", set_knobs(FEEDBACK_MIN_CLAUSES=2)),
    Variant(PARSING, "a repeated word counts once (before)", each_word_once),
    Variant(PARSING, "word-final ? as a wildcard (before)", question_mark_wildcard),
    Variant(PARSING, "long queries keep 16 words", set_knobs(MAX_TERMS=16)),
    Variant(PARSING, "long queries keep 64 words", set_knobs(MAX_TERMS=64)),
    Variant(PARSING, "long queries keep every word", set_knobs(MAX_TERMS=10**6)),
    Variant(PARSING, "hyphenated query words as a phrase of their parts", multitoken("phrase")),
    Variant(
        PARSING,
        "before this issue: ? as wildcard, each word once, RM3 on 100",
        combined(question_mark_wildcard, each_word_once, set_knobs(FEEDBACK_DEPTH=100)),
    ),
)
