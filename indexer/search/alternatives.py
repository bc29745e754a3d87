"""A word of a query in every language the index holds: each language's analysis of
it (indexer/analysis.py) is one alternative, and the alternatives are OR-ed, so a
Russian word finds its case forms in Russian passages while an English query still
stems as English (as Elasticsearch's multi_match over per-language fields does)."""

from __future__ import annotations

from ..analysis import normalize, query_terms, stop_terms
from ..languages import DEFAULT
from ..schema import term_text


def languages_in(reader) -> tuple[str, ...]:
    """The languages of the index's passages, English first when present (it was the
    only one before languages were told apart), then by code; kept with the reader."""
    found = getattr(reader, "_seedsearch_languages", None)
    if found is None:
        codes = {term_text(t) for t in reader.lexicon("lang")} if "lang" in reader.schema else set()
        found = tuple(sorted(codes, key=lambda c: (c != DEFAULT, c))) or (DEFAULT,)
        reader._seedsearch_languages = found
    return found


def alternatives(word: str, langs: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The distinct term sequences `word` (as the query parser read it) stands for in
    the languages `langs`: one term each, or a CJK run's bigrams."""
    return tuple(dict.fromkeys(query_terms(word, lang) for lang in langs))


_stops: dict[tuple[str, ...], frozenset[str]] = {}


def stop_set(langs: tuple[str, ...]) -> frozenset[str]:
    """The terms of the stop words of any of `langs`: weighed low, never highlighted
    alone (a stop word of one language the index holds is one in the others too:
    `the war` must not match every passage with "the" in a French and English index)."""
    found = _stops.get(langs)
    if found is None:
        found = _stops[langs] = frozenset().union(*(stop_terms(lang) for lang in langs))
    return found


def is_stop_word(word: str, langs: tuple[str, ...]) -> bool:
    """Whether a word as typed is a stop word of any of `langs`."""
    normal = normalize(word)
    return any(query_terms(normal, lang)[0] in stop_terms(lang) for lang in langs)


def frequency(reader, word: str, langs: tuple[str, ...]) -> int:
    """Passages holding the word in its commonest analysis (a CJK run: its rarest
    bigram, a bound on the phrase's)."""
    return max(
        min(reader.doc_frequency("body", term) for term in terms)
        for terms in alternatives(word, langs)
    )
