"""The date a document gives itself, as ISO text (YYYY, YYYY-MM or YYYY-MM-DD)."""

from __future__ import annotations

import re
from datetime import date, datetime

# 2019, 2019-03, 2019-03-04, 2019/03/04, 20190304 and PDF's D:20190304120000Z,
# each possibly followed by a time.
_ISO = re.compile(
    r"(?:D:)?((?:1[5-9]|20)\d\d)(?:[-/.]?(0[1-9]|1[0-2])(?:[-/.]?(0[1-9]|[12]\d|3[01]))?)?"
)


def iso_date(value: object) -> str:
    """`value` (text, date or datetime) as an ISO date, or "" if it holds none."""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if 1500 <= value.year <= 2099 else ""
    if not isinstance(value, str):
        return ""
    match = _ISO.match(value.strip())
    if not match:
        return ""
    return "-".join(part for part in match.groups() if part)
