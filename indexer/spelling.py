"""'Did you mean': corrections for words the index does not know."""

from __future__ import annotations

import re

from .analysis import WORD_RE, analyze, fold, stem
from .query import SPELL_FIELD
from .schema import SEARCH_FIELDS

# Operators, field names and patterns are not words to correct.
_SKIP_AFTER = re.compile(r"[*?~:]")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


def known(word: str, reader) -> bool:
    """True if a searchable field holds every term the word stands for."""
    return all(
        any(reader.doc_frequency(f, term) for f in SEARCH_FIELDS)
        for term in analyze(word, mode="query")
    )


def correct(word: str, reader) -> str | None:
    """The most frequent indexed word within one or two edits, or None."""
    folded = fold(word)
    if len(folded) < 3 or not folded.isalpha():
        return None
    for distance in (1, 2) if len(folded) > 4 else (1,):
        found = [
            w.decode() if isinstance(w, bytes) else w
            for w in reader.terms_within(SPELL_FIELD, folded, distance, prefix=1)
        ]
        found = [w for w in found if w != folded]
        if found:
            return max(found, key=lambda w: (reader.doc_frequency("body", stem(w)), w))
    return None


def suggest(text: str, reader) -> str | None:
    """The query with each unknown word replaced by its correction, or None."""
    out, cursor, changed = [], 0, False
    for match in WORD_RE.finditer(text):
        word = match.group()
        after = text[match.end() : match.end() + 1]
        if word in _OPERATORS or _SKIP_AFTER.match(after) or known(word, reader):
            continue
        fix = correct(word, reader)
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
