"""Scanned pages as a reader sees them: the OCR text of each (from the build's
cache), the pages not read yet, and the pages OCR could not read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .base import ScanTexts

# A word broken at a line end, as Tesseract prints it: "exam-" then "ple ...".
_BROKEN = re.compile(r"(\w)-[ \t]*\n[ \t]*([^\W\d_]+)[ \t]?")
# Controls but tab and newline (Tesseract ends a page with a form feed).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BREAK = "\ufffe"  # how PDFium marks a line-end hyphen; the PDF reader resolves both alike


@dataclass(frozen=True)
class Scans:
    """What OCR has made of a file's scanned pages so far."""

    texts: dict[int, str]  # page -> its text, for the pages OCR read
    waiting: tuple[int, ...]  # pages not read yet
    failures: tuple[tuple[int, str], ...]  # (page, why) for pages OCR could not read

    def notes(self, doc: str) -> list[str]:
        """One warning per page OCR could not read."""
        return [f"{doc}: page {page} skipped: {why}" for page, why in self.failures]


def look_up(pages: Iterable[int], scans: ScanTexts) -> Scans:
    """The OCR text of each of `pages` (1-based), or that it waits or failed."""
    texts, waiting, failures = {}, [], []
    for page in pages:
        found = scans(page)
        if found is None:
            waiting.append(page)
        elif found.text is None:
            failures.append((page, found.failure or "OCR failed"))
        else:
            texts[page] = clean(found.text)
    return Scans(texts, tuple(waiting), tuple(failures))


def clean(text: str) -> str:
    """OCR output as page text: NFKC, no control characters, a word broken at a
    line end joined with the hyphen mark the PDF reader resolves."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\f", "\n")
    text = _BROKEN.sub(_mark_break, text)
    return _CONTROLS.sub("", text)


def _mark_break(match: re.Match) -> str:
    first, rest = match.groups()
    if not rest[0].islower():  # "Soviet-\nAfghan": a hyphenated name, not a broken word
        return f"{first}-\n{rest} "
    return f"{first}{BREAK}{rest}\n"
