"""'Did you mean': corrections for words the index does not know."""

from __future__ import annotations

import re

from ..analysis import ANALYZER, WORD_RE, analyze, fold, stem
from ..schema import SEARCH_FIELDS, term_text

# Operators, field names and patterns are not words to correct.
_SKIP_AFTER = re.compile(r"[*?~:]")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
# Each correction scans the vocabulary (tens of milliseconds), so only short
# queries with a few unknown words get one: a long question or a pasted page
# with many words the index lacks holds names and jargon, not typos.
MAX_WORDS = 10
MAX_UNKNOWN = 3


def known(word: str, reader) -> bool:
    """True if a searchable field holds every term the word stands for."""
    return all(
        any(reader.doc_frequency(f, term) for f in SEARCH_FIELDS)
        for term in analyze(word, mode="query")
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


def correct(word: str, searcher) -> str | None:
    """The word in the other English spelling if the index has it, else the
    commonest indexed word within one or two edits of `word`, or None."""
    folded = fold(word)
    if len(folded) < 3 or not folded.isalpha():
        return None
    reader = searcher.reader()
    for other in _other_spellings(folded):
        if known(other, reader):
            return surface_form(stem(other), searcher)
    target = stem(folded)
    for distance in (1, 2) if len(folded) > 4 else (1,):
        found = [term_text(w) for w in reader.terms_within("body", target, distance, prefix=1)]
        found = [w for w in found if w != target]
        if found:
            best = max(found, key=lambda w: (reader.doc_frequency("body", w), w))
            return surface_form(best, searcher)
    return None


def surface_form(term: str, searcher) -> str | None:
    """A word as written in a passage holding the stem `term`."""
    reader = searcher.reader()
    if ("body", term) not in reader:
        return None
    # The first passage holding it will do: no need to score them all.
    text = searcher.stored_fields(reader.first_id("body", term))["body"]
    for t in ANALYZER(text, chars=True):
        if t.text == term:
            return text[t.startchar : t.endchar].lower()
    return None


def suggest(text: str, searcher) -> str | None:
    """The query with each unknown word replaced by its correction, or None
    (always for queries of over MAX_WORDS words or MAX_UNKNOWN unknown words)."""
    words = list(WORD_RE.finditer(text))
    if len(words) > MAX_WORDS:
        return None
    unknown = []
    for match in words:
        word = match.group()
        after = text[match.end() : match.end() + 1]
        if word in _OPERATORS or _SKIP_AFTER.match(after) or known(word, searcher.reader()):
            continue
        unknown.append(match)
    if len(unknown) > MAX_UNKNOWN:
        return None
    out, cursor, changed = [], 0, False
    for match in unknown:
        word = match.group()
        fix = correct(word, searcher)
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
