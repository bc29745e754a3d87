"""The Whoosh schema: one document per passage."""

from __future__ import annotations

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, IDLIST, STORED, TEXT, Schema

from .analysis import build_analyzer

SEARCH_FIELDS = ("body", "title", "section")


def build_schema(analyzer=None) -> Schema:
    """Searchable passage text, title and section; stored fields for display. The
    query parser's copy reads words with another analyzer (see search/parse.py)."""
    analyzer = analyzer or build_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        ordinal=STORED,  # N of the passage's id DOC#pN, in document order
        start=STORED,
        end=STORED,
        page=STORED,  # physical page the passage starts on (paged formats only)
        page_label=STORED,  # that page's printed label
        # Later pages the passage runs onto, "412:4 980:5" (offset in body: page), so a
        # hit reports the page of its words; absent when it stays on one page.
        pages=STORED,
        ocr=STORED,  # 1 when some of the text was read by OCR from a scan
        # Filters and facets: every folder above the document (one per line),
        # its format, its year, and its date as YYYYMMDD for sorting.
        folder=IDLIST(expression=r"[^\n]+"),
        format=ID,
        year=ID,
        date=COLUMN(NumericColumn("I", default=0)),
        # The passage's language (ISO 639-1): its text is analysed in it, and the
        # Language facet and lang: read it.
        lang=ID(stored=True),
        # Query-time boosts (ranking.FIELD_BOOSTS) weigh title and section above body.
        title=TEXT(analyzer=analyzer, stored=True),
        section=TEXT(analyzer=analyzer, stored=True),
        # No spelling=True: Whoosh's extra unstemmed field doubled indexing time;
        # spelling and wildcards work on the body's stems instead.
        # A typed compound (counter-insurgency) searches its parts as words,
        # every-word matches first; inside quotes they are part of the phrase.
        # As separate words rather than a phrase: +2.8% MAP on Cranfield.
        body=TEXT(analyzer=analyzer, stored=True),
    )


def term_text(term: bytes | str) -> str:
    """A term as text: Whoosh gives terms as bytes from some methods, str from others."""
    return term.decode("utf-8") if isinstance(term, bytes) else term
