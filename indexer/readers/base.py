"""What every reader returns, and the one error a reader raises."""

from __future__ import annotations

from dataclasses import dataclass


class Unreadable(Exception):
    """A file skipped with a warning; the message names the file, `reason` says
    why in a few words (grouped per format in the build summary)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message.rsplit(": ", 1)[-1]


@dataclass(frozen=True)
class Part:
    """A heading (level 1-6) or paragraph (level 0) as a reader found it."""

    text: str
    level: int = 0
    item: bool = False  # a list item or table cell: short by nature
    page: int = 0  # 1-based physical page; 0 when the format has none


@dataclass(frozen=True)
class Parsed:
    """A reader's view of one file, before it becomes a Document."""

    title: str
    parts: tuple[Part, ...]
    date: str = ""  # ISO date the document gives itself
    page_labels: tuple[str, ...] = ()  # printed label per physical page
    notes: tuple[str, ...] = ()  # things worth a warning that did not stop reading
    blank_pages: int = 0  # pages without a text layer (scans)
