"""The Whoosh schema: one document per passage."""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .analysis import build_analyzer

# Matches in a title or section say more about a passage than one in its body.
TITLE_BOOST = 2.0
SECTION_BOOST = 1.5
SEARCH_FIELDS = ("body", "title", "section")


def build_schema() -> Schema:
    """Searchable passage text, title and section; stored fields for display."""
    analyzer = build_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        ordinal=NUMERIC(stored=True),
        start=STORED,
        end=STORED,
        title=TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST),
        section=TEXT(analyzer=analyzer, stored=True, field_boost=SECTION_BOOST),
        body=TEXT(analyzer=analyzer, stored=True, spelling=True),
    )
