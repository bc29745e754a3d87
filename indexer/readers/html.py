"""HTML: the main text of a page (see `maintext`), less the blocks its site
repeats on every page (see `chrome`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .base import Parsed
from .chrome import site_chrome
from .decoding import decode
from .maintext import parse_html

__all__ = ["parse_html", "read_html"]


def read_html(data: bytes, doc: str, folder: Path | None = None) -> Parsed:
    """The main text of a page: headings become sections. Blocks repeated on most
    pages of its `folder` are the site's chrome and are left out."""
    parsed = parse_html(decode(data, doc))
    chrome = site_chrome(folder) if folder is not None else frozenset()
    if not chrome:
        return parsed
    parts = tuple(p for p in parsed.parts if p.text not in chrome)
    title = parsed.title
    if title in chrome:  # the site's name in every page's <h1>
        title = next((p.text for p in parts if p.level), "") or parsed.title
    return replace(parsed, title=title, parts=parts)
