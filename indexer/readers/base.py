"""What every reader returns, and the one error a reader raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ocr import PageText

# What OCR made of a page (1-based) of the file being read, or None if the page
# has not been read yet: the build's cache of OCR text, looked up by the file's hash.
ScanTexts = Callable[[int], PageText | None]


def no_scans(_page: int) -> PageText | None:
    """Scanned pages unread: OCR is off, or has not reached them."""
    return None


class Unreadable(Exception):
    """A file skipped with a warning; the message names the file, `reason` says
    why in a few words (grouped per format in the build summary)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message.rsplit(": ", 1)[-1]


class TooLarge(Unreadable):
    """A file over its format's size cap: decided by its size alone, so checked
    again at every build rather than remembered (the cap may have been raised)."""


class Changed(Unreadable):
    """A file that vanished or changed while it was read: worth one more try, and
    not worth remembering as failed (it is read again at the next build)."""


@dataclass(frozen=True)
class Part:
    """A heading (level 1-6) or paragraph (level 0) as a reader found it."""

    text: str
    level: int = 0
    item: bool = False  # a list item or table cell: short by nature
    page: int = 0  # 1-based physical page; 0 when the format has none
    # Where a later page begins inside the text: (offset, page), offsets ascending.
    breaks: tuple[tuple[int, int], ...] = ()
    ocr: bool = False  # read by OCR from a page image


@dataclass(frozen=True)
class Parsed:
    """A reader's view of one file, before it becomes a Document."""

    title: str
    parts: tuple[Part, ...]
    date: str = ""  # ISO date the document gives itself
    page_labels: tuple[str, ...] = ()  # printed label per physical page
    notes: tuple[str, ...] = ()  # things worth a warning that did not stop reading
    blank_pages: int = 0  # pages without a text layer (scans)
    ocr_pages: tuple[int, ...] = ()  # pages whose text OCR read
    waiting: tuple[int, ...] = ()  # scanned pages OCR has not read yet
