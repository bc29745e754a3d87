"""What a document is filed under, for filters and facets: its folders, its format
and its date (the one it gives itself, else the file's modification time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from ..models import Document


@dataclass(frozen=True)
class Filing:
    """The facet values of one document, as the index holds them."""

    folders: tuple[str, ...]  # every folder above it: ("reports", "reports/2014")
    format: str  # "pdf", "md" ...
    date: str  # YYYY-MM-DD, YYYY-MM or YYYY

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def date_number(self) -> int:
        """The date as YYYYMMDD (missing month or day as 00), for sorting."""
        digits = self.date.replace("-", "")
        return int(digits.ljust(8, "0")) if digits.isdigit() else 0


def folders_of(doc: str) -> tuple[str, ...]:
    """The folders a document id sits in, outermost first."""
    parents = PurePosixPath(doc).parent.parts
    return tuple("/".join(parents[: n + 1]) for n in range(len(parents)))


def filing(document: Document, mtime: float) -> Filing:
    """The document's folders, format and date (else the file's modification date)."""
    suffix = PurePosixPath(document.doc).suffix.lower().lstrip(".")
    date = document.date or datetime.fromtimestamp(mtime, UTC).date().isoformat()
    return Filing(folders_of(document.doc), document.format or suffix, date)
