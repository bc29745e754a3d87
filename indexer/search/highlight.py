"""Mark every matched form of the query's words in passage text, as escaped HTML."""

from __future__ import annotations

import re
from html import escape

from ..analysis import index_spans
from ..languages import DEFAULT
from ..sentences import sentence_spans
from .parse import Marks

SNIPPET_WORDS = 60  # about two sentences
_NONSPACE = re.compile(r"\S+")

# (start, end, key): key is the stem or the phrase that matched
Match = tuple[int, int, str]


def find_matches(text: str, marks: Marks, lang: str = DEFAULT) -> list[Match]:
    """Character spans of matched words and phrases in a passage in `lang`, in order,
    not overlapping."""
    if not marks.stems and not marks.phrases:
        return []
    found: list[Match] = []
    by_pos: dict[int, list[tuple[str, int, int]]] = {}
    stems, phrases = marks.stems, marks.phrases
    for term, pos, start, end in index_spans(text, lang):
        if term in stems:
            found.append((start, end, term))
        if phrases:
            by_pos.setdefault(pos, []).append((term, start, end))
    for phrase in marks.phrases:
        key = " ".join(phrase)
        for pos, tokens in by_pos.items():
            for word, start, _ in tokens:
                if word != phrase[0]:
                    continue
                end = _phrase_end(by_pos, pos, phrase)
                if end is not None:
                    found.append((start, end, key))
    return _merge(found)


def _phrase_end(by_pos: dict, pos: int, phrase: tuple[str, ...]) -> int | None:
    end = None
    for k, word in enumerate(phrase[1:], 1):
        ends = [e for w, _, e in by_pos.get(pos + k, ()) if w == word]
        if not ends:
            return None
        end = max(ends)
    return end if end is not None else max(e for w, _, e in by_pos[pos] if w == phrase[0])


def _merge(found: list[Match]) -> list[Match]:
    """Overlapping matches (a phrase over its words, a compound over its parts) join."""
    merged: list[Match] = []
    for start, end, key in sorted(found, key=lambda m: (m[0], -m[1])):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            if end > last[1]:
                merged[-1] = (last[0], end, last[2])
            continue
        merged.append((start, end, key))
    return merged


def mark(text: str, matches: list[Match], start: int = 0, end: int | None = None) -> str:
    """text[start:end] escaped, with each match wrapped in <mark>."""
    end = len(text) if end is None else end
    out, cursor = [], start
    for m_start, m_end, _ in matches:
        if m_end <= start or m_start >= end:
            continue
        m_start, m_end = max(m_start, start), min(m_end, end)
        out.append(escape(text[cursor:m_start], quote=False))
        out.append("<mark>" + escape(text[m_start:m_end], quote=False) + "</mark>")
        cursor = m_end
    out.append(escape(text[cursor:end], quote=False))
    return "".join(out)


def snippet(text: str, matches: list[Match], words: int = SNIPPET_WORDS) -> str:
    """About two sentences around the densest matches, marked and escaped."""
    start, end = _best_window(text, matches, words)
    html = mark(text, matches, start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text.rstrip()) else ""
    return prefix + html + suffix


def _best_window(text: str, matches: list[Match], words: int) -> tuple[int, int]:
    sentences = sentence_spans(text)
    if not sentences:
        return 0, len(text)

    def score(span: tuple[int, int]) -> tuple[int, int]:
        inside = [m for m in matches if span[0] <= m[0] < span[1]]
        return len({m[2] for m in inside}), len(inside)

    candidates = list(sentences)
    candidates += [(a[0], b[1]) for a, b in zip(sentences, sentences[1:], strict=False)]
    fitting = [c for c in candidates if _count_words(text, c) <= words] or sentences
    best = max(fitting, key=lambda c: (score(c), _count_words(text, c) * (c[0] == 0), -c[0]))
    if _count_words(text, best) <= words:
        return best
    return _trim(text, best, matches, words)


def _count_words(text: str, span: tuple[int, int]) -> int:
    return len(text[span[0] : span[1]].split())


def _trim(text: str, span: tuple[int, int], matches: list[Match], words: int) -> tuple[int, int]:
    """A window of `words` words inside an over-long sentence, around its first match."""
    tokens = [m.span() for m in _NONSPACE.finditer(text, span[0], span[1])]
    first = next((m[0] for m in matches if span[0] <= m[0] < span[1]), span[0])
    at = next((i for i, (s, e) in enumerate(tokens) if e > first), 0)
    lo = max(0, min(at - words // 3, len(tokens) - words))
    chosen = tokens[lo : lo + words]
    return chosen[0][0], chosen[-1][1]
