"""Sentences in a text: where passages may end and snippets begin, so the build
(passage windows) and the search (snippets) cut text at the same places."""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (plus closing quotes/brackets) before whitespace
# and something that can start a sentence.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ý])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], whitespace excluded."""
    end = len(text) if end is None else end
    spans, begin = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((begin, match.end()))
        begin = match.end()
        while begin < end and text[begin].isspace():
            begin += 1
    if begin < end:
        spans.append((begin, end))
    return spans
