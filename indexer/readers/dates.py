"""The date a document gives itself, as ISO text (YYYY, YYYY-MM or YYYY-MM-DD)."""

from __future__ import annotations

import re
from datetime import date, datetime

FIRST_YEAR, LAST_YEAR = 1000, 2999  # outside this, a "date" is a typo or a placeholder
# 2014-03-12 or 2014/03/12 (time after it ignored), 2014-03, 2014; 20140312;
# PDF's D:20140312093000.
_LEADING_DATES = (
    re.compile(r"(\d{4})(?:[-/.](\d{2})(?:[-/.](\d{2}))?)?(?![\d/-])"),
    re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"D:(\d{4})(\d{2})?(\d{2})?"),
)
# Names of <meta name|property|itemprop> that hold a page's own date: plain,
# Dublin Core, Open Graph, Highwire (scholarly) and schema.org.
META_DATES = frozenset(
    {
        "date",
        "dc.date",
        "dc.date.created",
        "dc.date.issued",
        "dcterms.date",
        "dcterms.created",
        "dcterms.issued",
        "article:published_time",
        "citation_publication_date",
        "citation_date",
        "datepublished",
        "datecreated",
    }
)


def iso_date(value: object) -> str:
    """`value` (text, date or datetime) as an ISO date, or "" when it does not start
    with a plausible one: `2014-03-12`, `2014/03/12T10:00Z`, `D:20140312…` (PDF),
    `2014-03`, `2014`."""
    if isinstance(value, datetime | date):
        year, month, day = str(value.year), f"{value.month:02d}", f"{value.day:02d}"
    elif isinstance(value, str):
        text = value.strip().strip("\"'")
        match = next((m for m in (p.match(text) for p in _LEADING_DATES) if m), None)
        if not match:
            return ""
        year, month, day = match.groups()
    else:
        return ""
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return ""
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return ""
    return "-".join(part for part in (year, month, day) if part)
