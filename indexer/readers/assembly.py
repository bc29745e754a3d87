"""A reader's parts joined into a Document: one text, blocks as spans of it."""

from __future__ import annotations

from ..models import Block, Document
from .base import Parsed, Part
from .decoding import squash


def assemble(doc: str, parsed: Parsed, sha: str, fmt: str, fallback_title: str) -> Document:
    """Join the parts with blank lines into the document text, keeping spans."""
    parts = [p for p in parsed.parts if p.text]
    title = squash(parsed.title) or fallback_title
    if not parts and parsed.title:
        # A title-only record (a catalogue entry, a stub page) is a document.
        parts = [Part(title, 1)]
    blocks, offset = [], 0
    for part in parts:
        end = offset + len(part.text)
        blocks.append(
            Block(part.text, offset, end, part.level, part.item, part.page, part.breaks, part.ocr)
        )
        offset = end + 2
    return Document(
        doc=doc,
        title=title,
        text="\n\n".join(b.text for b in blocks),
        sha=sha,
        blocks=tuple(blocks),
        format=fmt,
        date=parsed.date,
        page_labels=parsed.page_labels,
        notes=parsed.notes,
        blank_pages=parsed.blank_pages,
        ocr_pages=parsed.ocr_pages,
        waiting=parsed.waiting,
    )
