"""The Whoosh schema: one document per passage."""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .analysis import build_analyzer

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
        # Query-time boosts (ranking.FIELD_BOOSTS) weigh title and section above body.
        title=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        section=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        # No spelling=True: Whoosh's extra unstemmed field doubled indexing time;
        # spelling and wildcards work on the body's stems instead.
        # A typed word that analyses to several terms (counter-insurgency)
        # searches them as a phrase.
        body=TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
    )
