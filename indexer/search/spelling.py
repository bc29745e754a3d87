"""'Did you mean': corrections for words the index does not know."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ..analysis import WORD_RE, analyze, fold, index_spans, is_cjk, normalize, stem, word_term
from ..languages import DEFAULT
from ..schema import SEARCH_FIELDS, term_text
from .alternatives import languages_in
from .evaluate import vectors_for
from .weights import K1, B

# Operators, field names and patterns are not words to correct.
_SKIP_AFTER = re.compile(r"[*?~:]")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
# Each correction scans the vocabulary (tens of milliseconds), so only short
# queries with a few unknown words get one: a long question or a pasted page
# with many words the index lacks holds names and jargon, not typos.
MAX_WORDS = 10
MAX_UNKNOWN = 3


def known(word: str, reader, langs: tuple[str, ...] = (DEFAULT,)) -> bool:
    """True if, in one of `langs`, a searchable field holds every term the word
    stands for."""
    return bool(known_in(word, reader, langs))


def known_in(word: str, reader, langs: tuple[str, ...]) -> tuple[str, ...]:
    """The languages of `langs` in which the index knows the word."""
    return tuple(
        lang
        for lang in langs
        if all(
            any(reader.doc_frequency(f, term) for f in SEARCH_FIELDS)
            for term in analyze(word, mode="query", lang=lang)
        )
    )


# British and American endings: the stemmer keeps them apart (organis/organiz),
# and internationalisation is four edits from internationalization's stem.
_SPELLINGS = (
    ("isation", "ization"),
    ("isations", "izations"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ising", "izing"),
    ("yse", "yze"),
    ("our", "or"),
    ("tre", "ter"),
)


def _other_spellings(word: str):
    for british, american in _SPELLINGS:
        for ending, other in ((british, american), (american, british)):
            if word.endswith(ending) and len(word) > len(ending) + 2:
                yield word[: -len(ending)] + other


def correct(word: str, searcher, langs: tuple[str, ...] = (DEFAULT,)) -> str | None:
    """The word in the other English spelling if the index has it, else the commonest
    word within one or two edits of `word` in the passages of the first of `langs`
    (the query's own language first) that has one, or None. A correction always
    comes from passages in the language it is searched in: never an English word
    for a Russian one."""
    folded = fold(word)
    if len(folded) < 3 or not folded.isalpha() or is_cjk(word):
        return None
    reader = searcher.reader()
    if DEFAULT in langs:
        for other in _other_spellings(folded):
            if known(other, reader):
                return surface_form(stem(other), searcher)
    for distance in (1, 2) if len(folded) > 4 else (1,):
        for lang in langs:
            target = word_term(normalize(word), lang)
            found = reader.terms_within("body", target, distance, prefix=1)
            found = [w for w in map(term_text, found) if w != target]
            if len(langs) > 1:
                found = [w for w in found if _first_in(searcher, w, lang) is not None]
            if found:
                best = max(found, key=lambda w: (reader.doc_frequency("body", w), w))
                return surface_form(best, searcher, lang)
    return None


def surface_form(term: str, searcher, lang: str = DEFAULT) -> str | None:
    """A word as written in a passage in `lang` holding the term `term`."""
    docnum = _first_in(searcher, term, lang)
    if docnum is None:
        return None
    # The first passage holding it will do: no need to score them all.
    text = searcher.stored_fields(docnum)["body"]
    for found, _pos, start, end in index_spans(text, lang):
        if found == term:
            return text[start:end].lower()
    return None


def _first_in(searcher, term: str, lang: str) -> int | None:
    """The first passage in `lang` holding `term` in its body, or None."""
    vectors = vectors_for(searcher, K1, B)
    ids, _ = vectors.postings("body", term)
    if not len(ids):
        return None
    if len(languages_in(searcher.reader())) > 1:
        # Both lists are sorted: a binary search of each holder among the language's
        # passages (intersect1d sorts both again: 15 ms over 300,000 English passages).
        in_lang = vectors.postings("lang", lang)[0]
        if not len(in_lang):
            return None
        at = np.minimum(np.searchsorted(in_lang, ids), len(in_lang) - 1)
        ids = ids[in_lang[at] == ids]
    return int(ids[0]) if len(ids) else None


def suggest(text: str, searcher) -> str | None:
    """The query with each unknown word replaced by its correction, or None
    (always for queries of over MAX_WORDS words or MAX_UNKNOWN unknown words).
    Corrections come from the query's own language: the one that knows most of
    its other words, else any of the index's (English first)."""
    words = list(WORD_RE.finditer(text))
    if len(words) > MAX_WORDS:
        return None
    reader = searcher.reader()
    langs = languages_in(reader)
    unknown = []
    votes: Counter[str] = Counter()
    for match in words:
        word = match.group()
        after = text[match.end() : match.end() + 1]
        if word in _OPERATORS or _SKIP_AFTER.match(after):
            continue
        knowing = known_in(word, reader, langs)
        if knowing:
            votes.update(knowing)
        else:
            unknown.append(match)
    if len(unknown) > MAX_UNKNOWN:
        return None
    ordered = tuple(sorted(langs, key=lambda lang: -votes[lang]))  # stable: index order
    out, cursor, changed = [], 0, False
    for match in unknown:
        word = match.group()
        fix = correct(word, searcher, ordered)
        if fix is None:
            continue
        out.append(text[cursor : match.start()])
        out.append(_same_case(word, fix))
        cursor, changed = match.end(), True
    if not changed:
        return None
    out.append(text[cursor:])
    return "".join(out)


def _same_case(original: str, fix: str) -> str:
    if original.isupper() and len(original) > 1:
        return fix.upper()
    if original[:1].isupper():
        return fix[:1].upper() + fix[1:]
    return fix
