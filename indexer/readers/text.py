"""Plain text: paragraphs at blank lines, a short first line as the title."""

from __future__ import annotations

import re

from .base import Parsed, Part
from .decoding import decode, squash

_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n\s*")


def read_text(data: bytes, doc: str) -> Parsed:
    """Paragraphs split at blank lines; a short unpunctuated first line is the title."""
    text = decode(data, doc)
    paragraphs = [squash(p) for p in _BLANK_LINES.split(text.strip())]
    paragraphs = [p for p in paragraphs if p]
    first = text.strip().split("\n", 1)[0].strip()
    if len(paragraphs) > 1 and paragraphs[0] == squash(first) and looks_like_title(first):
        return Parsed(paragraphs[0], (Part(paragraphs[0], 1),) + _paras(paragraphs[1:]))
    return Parsed("", _paras(paragraphs))


def _paras(texts: list[str]) -> tuple[Part, ...]:
    return tuple(Part(t) for t in texts)


def looks_like_title(line: str) -> bool:
    """Short and without a sentence's final punctuation."""
    return len(line) <= 160 and len(line.split()) <= 20 and line[-1] not in ".!?,;:"
