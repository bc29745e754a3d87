"""Ranking variants measured against the defaults: each patches ranking knobs
(or, for analysis choices, rebuilds the index) in this process only."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from relevance_collection import Collection
from relevance_engine import SUFFIX, Run, index_collection
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring

from indexer import analysis, passages, query, ranking, store
from indexer.search import MAX_PER_PAGE
from indexer.vectors import vectors_for

Patch = Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Variant:
    group: str
    label: str
    patch: Patch = nullcontext
    index: str = "default"  # which build of the collection it runs on


@contextmanager
def knobs(**values) -> Iterator[None]:
    """Set ranking knobs, and query.py's copies of them, for the duration."""
    saved = []
    for name, value in values.items():
        for module in (ranking, query):
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


# The ranking before issue 4: Whoosh's idf, the best field only (Whoosh ignored
# the DisjunctionMax tie-breaker), title x2 and section x1.5, no feedback.
whoosh_idf = lambda: attribute(ranking._BM25F, "idf", scoring.WeightingModel.idf)  # noqa: E731
OLD_FIELDS = {"body": 1.0, "title": 2.0, "section": 1.5}
NO_FEEDBACK = set_knobs(FEEDBACK_PASSAGES=0)


# -- variants that need more than a knob --------------------------------------


@contextmanager
def _rank_hook(hook) -> Iterator[None]:
    """Rank with `hook(rank, searcher, parsed, need)` -> [(docnum, score)], where
    `rank` is ranking.rank as it was."""
    original = ranking.rank

    def rank(searcher, parsed, offset, count, per_doc):
        ranked = hook(original, searcher, parsed, offset + count)
        return ranking.Ranking(total=len(ranked), every_word=0, docnums=tuple(ranked[offset:]))

    with attribute(ranking, "rank", rank):
        yield


def _ranked(rank, searcher, parsed, need) -> list[tuple[int, float]]:
    return list(rank(searcher, parsed, 0, need, None).docnums)


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


QUESTION_WORDS = [
    "do",
    "does",
    "did",
    "how",
    "why",
    "can",
    "could",
    "should",
    "may",
    "might",
    "must",
    "been",
    "being",
    "had",
    "not",
    "no",
    "about",
]


def question_words() -> AbstractContextManager:
    """Question and auxiliary words weighed as stop words at query time."""
    stems = query.STOP_STEMS | {analysis.stem(w) for w in QUESTION_WORDS}
    return attribute(query, "STOP_STEMS", frozenset(stems))


# -- analysis variants (each needs its own index) ------------------------------


def _porter() -> AbstractContextManager:
    import Stemmer

    return _stemmer(Stemmer.Stemmer("porter").stemWord)


def _no_stemming() -> AbstractContextManager:
    return _stemmer(lambda word: word)


@contextmanager
def _stemmer(stem_word) -> Iterator[None]:
    class Stub:
        stemWord = staticmethod(stem_word)  # noqa: N815 (PyStemmer's name)

    cache = dict(analysis._stem_cache)
    analysis._stem_cache.clear()
    try:
        with attribute(analysis, "_stemmer", Stub()):
            yield
    finally:
        analysis._stem_cache.clear()
        analysis._stem_cache.update(cache)


INDEXES: dict[str, Patch] = {
    "default": nullcontext,
    "porter": _porter,
    "no stemming": _no_stemming,
    "whole documents": lambda: attribute(passages, "MAX_WORDS", 10**9),
}

# -- the table -----------------------------------------------------------------

STEPS = "From the old defaults to the new, one change at a time"
ONE = "One change from the new defaults"
PARSING = "Query parsing (query.py and schema.py: measured here, decided there)"
ANALYSIS = "Analysis choices (report only: each needs its own index)"

VARIANTS: tuple[Variant, ...] = (
    Variant(
        STEPS,
        "old: Whoosh idf, best field only, title ×2, section ×1.5",
        combined(whoosh_idf, set_knobs(FIELD_BOOSTS=OLD_FIELDS, FIELD_TIE=0.0), NO_FEEDBACK),
    ),
    Variant(
        STEPS,
        "+ Robertson/Spärck Jones idf",
        combined(set_knobs(FIELD_BOOSTS=OLD_FIELDS, FIELD_TIE=0.0), NO_FEEDBACK),
    ),
    Variant(STEPS, "+ fields summed, title and section ×0.5", NO_FEEDBACK),
    Variant(STEPS, "+ RM3 feedback (3 passages, 10 words, λ 0.5) = new defaults"),
    Variant(ONE, "no every-word tier (plain OR)", no_tiers),
    Variant(ONE, "coordination factor (m/n)^0.5 instead of the tier", coordination(0.5)),
    Variant(ONE, "coordination factor (m/n)^1 instead of the tier", coordination(1.0)),
    Variant(ONE, "best field only (tie-breaker 0)", set_knobs(FIELD_TIE=0.0)),
    Variant(ONE, "title ×0.3", set_knobs(FIELD_BOOSTS={"body": 1.0, "title": 0.3, "section": 0.3})),
    Variant(ONE, "title ×1", set_knobs(FIELD_BOOSTS={"body": 1.0, "title": 1.0, "section": 1.0})),
    Variant(ONE, "k1 0.9", set_knobs(K1=0.9)),
    Variant(ONE, "k1 1.5", set_knobs(K1=1.5)),
    Variant(ONE, "k1 2.0", set_knobs(K1=2.0)),
    Variant(ONE, "b 0.6", set_knobs(B=0.6)),
    Variant(ONE, "b 0.9", set_knobs(B=0.9)),
    Variant(ONE, "stop words ×0", set_knobs(STOP_BOOST=0.0)),
    Variant(ONE, "stop words ×1", set_knobs(STOP_BOOST=1.0)),
    Variant(ONE, "Whoosh's idf instead of Robertson/Spärck Jones", whoosh_idf),
    Variant(ONE, "feedback from 5 passages", set_knobs(FEEDBACK_PASSAGES=5)),
    Variant(ONE, "feedback from 10 passages", set_knobs(FEEDBACK_PASSAGES=10)),
    Variant(ONE, "feedback: 5 words", set_knobs(FEEDBACK_TERMS=5)),
    Variant(ONE, "feedback: 20 words", set_knobs(FEEDBACK_TERMS=20)),
    Variant(ONE, "no feedback", NO_FEEDBACK),
    Variant(ONE, "feedback: λ 0.3 (more expansion)", set_knobs(FEEDBACK_WEIGHT=0.3)),
    Variant(ONE, "feedback: λ 0.7 (less expansion)", set_knobs(FEEDBACK_WEIGHT=0.7)),
    Variant(ONE, "feedback reranks 50 passages", set_knobs(FEEDBACK_DEPTH=50)),
    Variant(ONE, "feedback reranks 1000 passages", set_knobs(FEEDBACK_DEPTH=1000)),
    Variant(ONE, "proximity: adjacent pairs as phrases ×0.1", proximity(1, 0.1)),
    Variant(ONE, "proximity: pairs within 8 words ×0.1", proximity(8, 0.1)),
    Variant(ONE, "proximity: pairs within 8 words ×0.3", proximity(8, 0.3)),
    Variant(PARSING, "hyphenated query words as a phrase of their parts", multitoken("phrase")),
    Variant(PARSING, "hyphenated query words as an AND of their parts", multitoken("and")),
    Variant(PARSING, "question and auxiliary words as stop words", question_words),
    Variant(ANALYSIS, "Porter stemmer instead of Snowball", index="porter"),
    Variant(ANALYSIS, "no stemming", index="no stemming"),
    Variant(ANALYSIS, "whole documents (no passage windows)", index="whole documents"),
)


def build_indexes(collection: Collection, workdir: Path) -> dict[str, Path]:
    """The default index plus one per analysis variant, under `workdir`."""
    roots = {}
    for name, patch in INDEXES.items():
        folder = Path(tempfile.mkdtemp(prefix="build-", dir=workdir))
        with patch():
            roots[name] = index_collection(collection, folder, procs=1)
    return roots


def rank_topics(index_root: Path, topics: dict[str, str]) -> Run:
    """Every topic through query.parse and ranking.rank, the functions
    Engine.search calls, without its highlighting; deduplicated by document."""
    gen_dir, _ = store.locate(index_root)
    searcher = whoosh_index.open_dir(str(gen_dir)).searcher(weighting=ranking.weighting())
    try:
        docs = {n: searcher.stored_fields(n)["doc"] for n in range(searcher.doc_count_all())}
        run: Run = {}
        for number, text in topics.items():
            parsed = query.parse(text, searcher.reader())
            ranked = ranking.rank(searcher, parsed, 0, MAX_PER_PAGE, None)
            seen: dict[str, float] = {}
            for docnum, _ in ranked.docnums:
                doc = docs[docnum].removesuffix(SUFFIX)
                if doc not in seen:
                    seen[doc] = float(MAX_PER_PAGE - len(seen))
            run[number] = seen
        return run
    finally:
        searcher.close()
