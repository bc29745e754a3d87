"""Site chrome by repetition: a block of text found on most pages of a folder
of HTML pages (a menu, a sidebar, a footer the structural rules missed) is the
site's, not the page's.

A block's fingerprint is its text as the reader normalised it, wherever the page
puts it: a path of tags would miss a block some pages wrap differently (Sphinx
nests a note's "Note" label deeper in some sections than others)."""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

from .base import Unreadable
from .decoding import decode
from .maintext import parse_html

MIN_PAGES = 4  # fewer pages in a folder say nothing about what repeats
SAMPLE = 12  # pages read to learn a folder's chrome: the smallest, quickest to parse
SHARE = 0.5  # a block on this share of the sampled pages is chrome
MAX_PAGE_BYTES = 10 * 10**6
_HTML = (".html", ".htm")


def site_chrome(folder: Path) -> frozenset[str]:
    """The blocks of text repeated across the HTML pages of `folder`."""
    try:
        stamp = folder.stat().st_mtime_ns  # pages added or removed: learn again
    except OSError:
        return frozenset()
    return _learn(folder, stamp)


@lru_cache(maxsize=32)
def _learn(folder: Path, stamp: int) -> frozenset[str]:
    try:
        pages = [
            (p.stat().st_size, p)
            for p in folder.iterdir()
            if p.suffix.lower() in _HTML and not p.name.startswith(".") and p.is_file()
        ]
    except OSError:
        return frozenset()
    if len(pages) < MIN_PAGES:
        return frozenset()
    # A site's chrome is on every page, short ones included.
    sample = [p for size, p in sorted(pages)[:SAMPLE] if size <= MAX_PAGE_BYTES]
    counts: Counter[str] = Counter()
    read = 0
    for page in sample:
        try:
            parsed = parse_html(decode(page.read_bytes(), page.name))
        except (OSError, Unreadable, RecursionError):
            continue
        read += 1
        counts.update({part.text for part in parsed.parts})
    need = max(3, math.ceil(SHARE * read))
    return frozenset(text for text, n in counts.items() if n >= need and read >= MIN_PAGES)
