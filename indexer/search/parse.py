"""Parse what a reader typed into a bounded Whoosh query.

Whoosh syntax (AND, OR, NOT, "phrases", prefix*, fields) plus +word/-word as in
every search box. Words are OR-ed so natural-language questions are not
crippled; ranking puts passages holding every word first. Wildcards and fuzzy
terms expand over the unstemmed vocabulary and are capped, and a long question
or pasted page keeps its MAX_TERMS most informative words, so no query is
unboundedly expensive. A word typed twice counts more than once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from whoosh import qparser
from whoosh import query as wq
from whoosh.qparser import plugins, syntax

from ..analysis import (
    WORD_RE,
    analyze,
    build_surface_analyzer,
    fold,
    normalize,
    surface_spans,
    word_term,
)
from ..errors import BadQuery
from ..schema import SEARCH_FIELDS, build_schema, term_text
from .alternatives import alternatives, frequency, is_stop_word, languages_in, stop_set
from .weights import FIELD_BOOSTS, FIELD_TIE, QUERY_K3, STOP_BOOST, idf

MAX_QUERY_CHARS = 10_000  # a pasted page; its cost is bounded by MAX_TERMS, not by this
MAX_TERMS = 32  # distinct words and phrases searched: a long question keeps its rarest
MAX_EXPANSION = 32  # words a wildcard or fuzzy term may stand for
MAX_EXPANSION_TOTAL = 64  # ... and all of a query's together: under a second at 310k passages
MAX_EDITS = 2  # word~N compares within at most two edits


@dataclass(frozen=True)
class Marks:
    """What to highlight: stems of words and runs of stems of phrases."""

    stems: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run: the OR-ed query, its every-word variant and marks."""

    query: wq.Query
    every_word: wq.Query | None  # None when the query has a single clause
    marks: Marks
    notes: tuple[str, ...]
    clauses: int  # positive, non-stop-word clauses
    weight: float = 1.0  # the typed clauses' total weight (a repeated word counts again)
    dropped: tuple[str, ...] = ()  # words of a long query left out, least informative last


# The parser reads words as written (see SurfaceTokenizer); _rewrite then analyses
# each in every language the index holds.
_SCHEMA = build_schema(build_surface_analyzer())


class _PlusMinus(plugins.PlusMinusPlugin):
    """+word/-word inside parentheses too; Whoosh only sorts the top group."""

    def do_plusminus(self, parser, group):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_plusminus(parser, node)
        return super().do_plusminus(parser, group)


_SIGN = r"(?:(?<=^)|(?<=[\s(])){}(?=[^\s+-])"


def _parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("body", _SCHEMA, group=qparser.OrGroup)
    for plugin in (plugins.SingleQuotePlugin, plugins.RangePlugin, plugins.EveryPlugin):
        parser.remove_plugin_class(plugin)
    # Only these fields may be named; "foo:bar" or "id:x" stays plain text.
    parser.replace_plugin(plugins.FieldsPlugin(expr=r"(?P<text>title|section|body|doc):"))
    # + and - only at the start of a word, so counter-insurgency stays one word,
    # and only right before it, so a pasted "retrieval - the process" keeps "the".
    parser.add_plugin(_PlusMinus(_SIGN.format(r"\+"), _SIGN.format("-")))
    parser.add_plugin(plugins.FuzzyTermPlugin())
    return parser


_PARSER = _parser()
# Typographic double quotes delimit phrases too, as typed on phones and Macs.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
# A question mark ending a word, or standing alone, ends a question ("what is
# it?", "the holy city:?"): only inside a word (wom?n) does it stand for one letter.
_QUESTION_MARK = re.compile(r"(?<![*?])\?+(?=$|[\s)\]}\"'”’»,.;:!])")
_LONE_WILDCARD = re.compile(r"(?:^|(?<=[\s(:+-]))[*?]+(?=$|[\s)])")
_FIELD_WILDCARD = re.compile(r":[*?]+(?=$|[\s)])")


def parse(text: str, reader) -> ParsedQuery:
    """Parse and bound `text` against an open Whoosh reader; BadQuery if hopeless."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadQuery("The query is not valid UTF-8 text.") from None
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"The query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
            "(about three pages). Paste the part that matters most."
        )
    if not text.strip():
        raise BadQuery("The query is empty.")
    text = _QUESTION_MARK.sub("", text.translate(_QUOTES))
    if _LONE_WILDCARD.search(text):
        # A lone * beside other words is a bullet or a footnote mark in pasted text.
        rest = _LONE_WILDCARD.sub(" ", text)
        if _FIELD_WILDCARD.search(text) or not WORD_RE.search(rest):
            raise BadQuery("A wildcard needs letters before it, as in `donor*`.")
        text = rest
    try:
        parsed = _counted(_PARSER.parse(text, normalize=False))
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        raise BadQuery(f"Could not understand the query: {exc}") from None
    notes: list[str] = []
    langs = languages_in(reader)
    stops = stop_set(langs)
    parsed, dropped = _shortened(parsed, reader, langs)
    dropped_words = _surface(dropped, text) if dropped else []
    if dropped_words:
        notes.append(_shortened_note(dropped_words, langs))
    parsed = _merged(_rewrite(parsed, _Context(reader, notes, langs, stops)))
    if parsed is wq.NullQuery or not _positive_leaves(parsed):
        raise BadQuery("The query has no words to search for.")
    every = _every_word(parsed, stops)
    return ParsedQuery(
        query=_stop_words_only_score(parsed, stops),
        every_word=every,
        marks=_marks(parsed, text, langs, stops),
        notes=tuple(notes),
        clauses=_clause_count(parsed, stops),
        weight=_clause_weight(parsed, stops),
        dropped=tuple(dropped_words),
    )


def _counted(q: wq.Query) -> wq.Query:
    """Whoosh's normalize, except that a word typed n times counts more than once
    (BM25's query term frequency, _qtf): a long question repeats what matters."""
    if q.is_leaf():
        return q.normalize()
    q = q.apply(_counted)
    if type(q) is wq.Or:
        subs: list[wq.Query] = []
        for sub in q.subqueries:
            if type(sub) is wq.Or:
                subs.extend(s.with_boost(s.boost * sub.boost) for s in sub.subqueries)
            else:
                subs.append(sub)
        counts = Counter(s for s in subs if s is not wq.NullQuery)
        q = wq.Or([s.with_boost(s.boost * _qtf(n)) for s, n in counts.items()], boost=q.boost)
    return q.normalize()


def _merged(q: wq.Query) -> wq.Query:
    """Clauses that became the same once analysed (`donor donors`) count as one typed
    twice, as _counted counts a word typed twice. A word's DisjunctionMax is left whole
    (Whoosh's apply would drop its tiebreak)."""
    if q.is_leaf() or isinstance(q, wq.DisjunctionMax):
        return q
    q = q.apply(_merged)
    if type(q) is not wq.Or:
        return q
    counts = Counter(q.subqueries)
    if len(counts) == len(q.subqueries):
        return q
    return wq.Or([s.with_boost(s.boost * n) for s, n in counts.items()], boost=q.boost)


def _qtf(n: int) -> float:
    """A clause typed n times weighs (k3 + 1) n / (k3 + n): BM25's query term
    frequency, saturating as Robertson's Okapi has it (k3 None: n, as in Lucene
    and bm25s)."""
    if QUERY_K3 is None:
        return float(n)
    return (QUERY_K3 + 1) * n / (QUERY_K3 + n)


def _shortened(q: wq.Query, reader, langs) -> tuple[wq.Query, list[tuple[str, ...]]]:
    """A query of more than MAX_TERMS words and phrases keeps the MAX_TERMS most
    informative (highest idf; words the index lacks match nothing and go first):
    the cost of a query grows with its distinct terms, not its characters.
    Returns the query and the words left out, least informative last."""
    if isinstance(q, wq.AndNot):
        inner, dropped = _shortened(q.a, reader, langs)
        return (wq.AndNot(inner, q.b) if dropped else q), dropped
    if isinstance(q, wq.AndMaybe):  # +word: the required words are always kept
        required = len(q.a.subqueries) if isinstance(q.a, wq.And) else 1
        inner, dropped = _shortened_or(q.b, reader, required, langs)
        return (wq.AndMaybe(q.a, inner) if dropped else q), dropped
    return _shortened_or(q, reader, 0, langs)


def _shortened_or(
    q: wq.Query, reader, reserved: int, langs: tuple[str, ...]
) -> tuple[wq.Query, list[tuple[str, ...]]]:
    if type(q) is not wq.Or or len(q.subqueries) + reserved <= MAX_TERMS:
        return q, []
    droppable = [s for s in q.subqueries if _words_of(s)]
    room = max(0, MAX_TERMS - reserved - (len(q.subqueries) - len(droppable)))
    if len(droppable) <= room:
        return q, []
    docs = max(reader.doc_count_all(), 1)

    def informative(clause: wq.Query) -> float:
        # A phrase is rarer than any of its words; an unknown word matches nothing.
        freqs = [frequency(reader, w, langs) for w in _words_of(clause)]
        if not all(freqs):
            return -1.0
        return sum(idf(n, docs) for n in freqs)

    ranked = sorted(droppable, key=informative, reverse=True)
    left_out = {id(s) for s in ranked[room:]}
    kept = [s for s in q.subqueries if id(s) not in left_out]
    short = wq.Or(kept, boost=q.boost) if kept else wq.NullQuery
    return short, [_words_of(s) for s in ranked[room:]]


def _words_of(q: wq.Query) -> tuple[str, ...]:
    """The words of a plain word or phrase clause searched in the body, else ()."""
    if isinstance(q, wq.Term) and q.fieldname == "body":
        return (q.text,)
    if isinstance(q, wq.Phrase) and q.fieldname == "body":
        return tuple(q.words)
    return ()


def _surface(dropped: list[tuple[str, ...]], text: str) -> list[str]:
    """Left-out clauses as the reader typed them (a word's first spelling)."""
    typed: dict[str, str] = {}
    for word, start, end in surface_spans(text):
        typed.setdefault(word, text[start:end])
    return [" ".join(typed.get(w, w) for w in words) for words in dropped]


SHOWN_DROPPED = 30  # left-out words named in the note; the API lists them all


def _shortened_note(words: list[str], langs: tuple[str, ...]) -> str:
    content = [w for w in words if not is_stop_word(w, langs)]
    common = len(words) - len(content)
    named = ", ".join(content[:SHOWN_DROPPED])
    rest = len(content) - SHOWN_DROPPED
    parts = [named + (f" and {rest} more" if rest > 0 else "")] if content else []
    if common:
        parts.append(f"{common} common word{'s' if common != 1 else ''}")
    return (
        f"This long query was shortened to its {MAX_TERMS} most informative words; "
        f"left out: {'; '.join(parts)}."
    )


@dataclass
class _Context:
    """What rewriting one query needs: the reader, notes for the reader of the
    results, and the words wildcards may still expand to."""

    reader: object
    notes: list[str]
    langs: tuple[str, ...]  # the languages of the index's passages
    stops: frozenset[str]  # their stop words' terms
    budget: int = MAX_EXPANSION_TOTAL


def _rewrite(q: wq.Query, ctx: _Context) -> wq.Query:
    """Analyse each word in every language of the index (the alternatives OR-ed),
    spread body words over the searchable fields, weigh stop words low, and expand
    wildcards/fuzzy terms over the vocabulary within MAX_EXPANSION."""
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)):
        return _expand(q, ctx)
    if isinstance(q, wq.Term) and q.fieldname in SEARCH_FIELDS:
        options = alternatives(q.text, ctx.langs)
        stop = all(len(t) == 1 and t[0] in ctx.stops for t in options)
        boost = q.boost * (STOP_BOOST if stop else 1.0)
        fields = SEARCH_FIELDS if q.fieldname == "body" else (q.fieldname,)
        return _either([_spread(lambda f, t=t: _terms(f, t), fields) for t in options], boost)
    if isinstance(q, wq.Phrase) and q.fieldname in SEARCH_FIELDS:
        fields = SEARCH_FIELDS if q.fieldname == "body" else (q.fieldname,)
        options = _phrase_alternatives(q.words, ctx.langs)
        made = [_spread(lambda f, w=w: _terms(f, w, q.slop), fields) for w in options]
        return _either(made, q.boost)
    if isinstance(q, wq.Every):
        raise BadQuery("A wildcard needs letters before it, as in `donor*`.")
    if q.is_leaf():
        return q
    q = q.apply(lambda sub: _rewrite(sub, ctx))
    if type(q) is wq.Or:
        return _not_excludes(q)
    return q


def _terms(field: str, terms: tuple[str, ...], slop: int = 1) -> wq.Query:
    """One term, or a phrase of several (a CJK word's bigrams, a quoted phrase)."""
    if len(terms) == 1:
        return wq.Term(field, terms[0])
    return wq.Phrase(field, list(terms), slop=slop)


def _phrase_alternatives(words, langs: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A quoted phrase in each language: its words' terms, CJK words' bigrams spliced in."""
    found = []
    for lang in langs:
        terms: list[str] = []
        for word in words:
            terms += alternatives(word, (lang,))[0]
        found.append(tuple(terms))
    return list(dict.fromkeys(found))


def _either(options: list[wq.Query], boost: float) -> wq.Query:
    """The word's alternatives, scored by the best (a passage is in one language)."""
    if len(options) == 1:
        options[0].boost = boost
        return options[0]
    return wq.DisjunctionMax(options, boost=boost, tiebreak=0.0)


def _stop_words_only_score(q: wq.Query, stops: frozenset[str]) -> wq.Query:
    """A passage that holds only the query's stop words is no match: `the war`
    must not count every passage with "the"; the stop words still score."""
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_stop_words_only_score(q.a, stops), q.b)
    if type(q) is not wq.Or:
        return q
    stop = [c for c in q.subqueries if _is_stop_clause(c, stops)]
    content = [c for c in q.subqueries if not _is_stop_clause(c, stops)]
    if not stop or not content:
        return q
    return wq.AndMaybe(_one(content, q.boost), _one(stop, q.boost))


def _one(queries: list[wq.Query], boost: float) -> wq.Query:
    return queries[0] if len(queries) == 1 and boost == 1.0 else wq.Or(queries, boost=boost)


def _not_excludes(q: wq.Or) -> wq.Query:
    """`war NOT peace` means war without peace, not "war, or anything but peace"
    as Whoosh's OR grouping would have it."""
    negative = [s.query for s in q.subqueries if isinstance(s, wq.Not)]
    positive = [s for s in q.subqueries if not isinstance(s, wq.Not)]
    if not negative or not positive:
        return q
    keep = positive[0] if len(positive) == 1 else wq.Or(positive, boost=q.boost)
    drop = negative[0] if len(negative) == 1 else wq.Or(negative)
    return wq.AndNot(keep, drop)


def _spread(make, fields: tuple[str, ...] = SEARCH_FIELDS) -> wq.Query:
    """One word searched in body, title and section; the best field counts most.
    A word in one named field (`title:russia`) is searched there alone."""
    subs = [make(f) for f in fields]
    if len(subs) == 1:
        return subs[0]
    for sub, field in zip(subs, fields, strict=True):
        sub.boost = FIELD_BOOSTS[field]
    return wq.DisjunctionMax(subs, tiebreak=FIELD_TIE)


def _expand(q: wq.Query, ctx: _Context) -> wq.Query:
    """Replace a wildcard or fuzzy term by the indexed stems it matches, within
    MAX_EXPANSION words each and MAX_EXPANSION_TOTAL for the whole query."""
    reader, pattern = ctx.reader, fold(q.text)
    if isinstance(q, wq.FuzzyTerm):
        label = f"{q.text}~{q.maxdist}"
        if q.maxdist > MAX_EDITS:
            ctx.notes.append(f"“{label}”: searched words within {MAX_EDITS} edits.")
        edits = min(q.maxdist, MAX_EDITS)
        stems = set()
        for target in _pattern_terms(q.text, ctx.langs):
            stems |= set(reader.terms_within("body", target, edits, q.prefixlength))
    elif isinstance(q, wq.Prefix):
        # Words starting with "international" have stems starting with its stem;
        # words starting with "darkn" (darkness) may have a stem ("dark") that
        # the prefix itself starts with.
        stems = set(reader.expand_prefix("body", pattern)) if pattern else set()
        for stemmed in _pattern_terms(q.text, ctx.langs) if pattern else ():
            stems |= set(reader.expand_prefix("body", stemmed))
        # ... and words starting with "cryin" (crying) a stem ("cri") that is the
        # stem of a shorter part of the prefix ("cry"): stemming rewrites endings.
        for cut in range(len(pattern) - 1, max(2, len(pattern) - 5), -1):
            for term in {pattern[:cut], *_pattern_terms(pattern[:cut], ctx.langs)}:
                if ("body", term) in reader:
                    stems.add(term)
        label = f"{q.text}*"
    else:
        regex = re.compile(_wildcard_regex(pattern))
        prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
        candidates = reader.expand_prefix("body", prefix) if prefix else reader.lexicon("body")
        stems = {w for w in candidates if regex.fullmatch(term_text(w))}
        label = q.text
    stems = sorted(term_text(s) for s in stems)
    fields = SEARCH_FIELDS if q.fieldname == "body" else (q.fieldname,)
    allowed = max(0, min(MAX_EXPANSION, ctx.budget))
    if len(stems) > allowed:
        stems.sort(key=lambda s: -reader.doc_frequency("body", s))
        ctx.notes.append(
            f"“{label}” matches {len(stems)} words; searched the {allowed} most common."
            if allowed
            else f"“{label}” was not searched: the query's wildcards already cover "
            f"{MAX_EXPANSION_TOTAL} words."
        )
        stems = stems[:allowed]
    ctx.budget -= len(stems)
    if not stems and allowed:
        # No word of the index matches: the query still asks for one, and finds
        # nothing for it, as for a word the index lacks (not a query without words).
        ctx.notes.append(f"“{label}” matches no word in the index.")
        return wq.Term(q.fieldname, pattern or q.text, boost=q.boost)
    if not stems:
        return wq.NullQuery
    terms = [wq.Or([wq.Term(f, s, boost=FIELD_BOOSTS[f]) for f in fields]) for s in stems]
    # One clause, scored by its best word: a pattern stands for one word.
    return wq.DisjunctionMax(terms, boost=q.boost, tiebreak=0.1)


def _pattern_terms(text: str, langs: tuple[str, ...]) -> set[str]:
    """A wildcard's or fuzzy term's letters as each language stems them."""
    return {word_term(normalize(text), lang) for lang in langs}


def _wildcard_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _positive_leaves(q: wq.Query) -> list[wq.Query]:
    """Leaves that can make a passage match (not under NOT or -)."""
    if isinstance(q, wq.Not):
        return []
    if isinstance(q, wq.AndNot):
        return _positive_leaves(q.a)
    if q.is_leaf():
        return [] if q is wq.NullQuery else [q]
    out = []
    for sub in q.children():
        out.extend(_positive_leaves(sub))
    return out


def _is_stop_clause(q: wq.Query, stops: frozenset[str]) -> bool:
    leaves = _positive_leaves(q)
    return bool(leaves) and all(isinstance(leaf, wq.Term) and leaf.text in stops for leaf in leaves)


def _clauses(q: wq.Query) -> list[wq.Query]:
    """The top-level OR-ed clauses of a query (one per word or phrase)."""
    if isinstance(q, wq.AndNot):
        return _clauses(q.a)
    if isinstance(q, wq.AndMaybe):
        return [q.a] + _clauses(q.b)
    if isinstance(q, wq.Or) and not isinstance(q, wq.DisjunctionMax):
        return list(q.subqueries)
    return [q]


def _clause_count(q: wq.Query, stops: frozenset[str]) -> int:
    return sum(1 for c in _clauses(q) if not _is_stop_clause(c, stops))


def _clause_weight(q: wq.Query, stops: frozenset[str]) -> float:
    return sum(c.boost for c in _clauses(q) if not _is_stop_clause(c, stops))


def _every_word(q: wq.Query, stops: frozenset[str]) -> wq.Query | None:
    """The same query with every non-stop-word clause required, or None if
    that would not change which passages match."""
    if isinstance(q, wq.AndNot):
        inner = _every_word(q.a, stops)
        return wq.AndNot(inner, q.b) if inner is not None else None
    clauses = [c for c in _clauses(q) if not _is_stop_clause(c, stops)]
    return wq.And(clauses) if len(clauses) >= 2 else None


def _marks(q: wq.Query, text: str, langs: tuple[str, ...], stops: frozenset[str]) -> Marks:
    """Stems and phrases to highlight, in every language's analysis. Stop words only
    mark inside phrases (or when the query has nothing else); a typed compound
    marks as one phrase."""
    stems, phrases = set(), []
    for leaf in _positive_leaves(q):
        if isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
            stems.add(leaf.text)
        elif isinstance(leaf, wq.Phrase) and leaf.fieldname in SEARCH_FIELDS:
            phrases.append(tuple(leaf.words))
    for match in WORD_RE.finditer(text):
        excluded = text[match.start() - 1 : match.start()] == "-"
        for lang in langs:
            parts = analyze(match.group(), mode="query", lang=lang)
            if len(parts) > 1 and not excluded:
                phrases.append(tuple(parts))
    if stems - stops or phrases:
        stems -= stops
    return Marks(frozenset(stems), tuple(dict.fromkeys(phrases)))
