"""Markdown: headings become sections; code, raw HTML and front matter are not prose."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from .base import Parsed, Part
from .dates import iso_date
from .decoding import decode, squash

_FRONT_MATTER = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
_DATE_LINE = re.compile(r"^date\s*[:=]\s*[\"']?([^\"'\n]+)", re.M | re.I)
_MARKDOWN = MarkdownIt("commonmark")


def read_markdown(data: bytes, doc: str) -> Parsed:
    """Headings and paragraphs; the date comes from front matter `date:`."""
    text = decode(data, doc).lstrip("\ufeff")
    date = ""
    front = _FRONT_MATTER.match(text)
    if front:
        found = _DATE_LINE.search(front.group(1))
        date = iso_date(found.group(1)) if found else ""
        text = text[front.end() :]
    parts: list[Part] = []
    level = items = 0
    for token in _MARKDOWN.parse(text):
        if token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "list_item_open":
            items += 1
        elif token.type == "list_item_close":
            items -= 1
        elif token.type == "inline":
            parts.append(Part(squash(_inline_text(token.children or [])), level, items > 0))
            level = 0
    title = next((p.text for p in parts if p.level and p.text), "")
    return Parsed(title, tuple(parts), date=date)


def _inline_text(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)
