"""The date a document gives itself, as ISO `YYYY-MM-DD`, `YYYY-MM` or `YYYY`:
`date:` in Markdown front matter; in HTML a `<meta>` date (plain, Dublin Core,
Open Graph, Highwire) or else the first `<time datetime>`. Readers of other
formats turn their metadata into the same form with `iso_date`."""

from __future__ import annotations

import re
from datetime import date

FIRST_YEAR, LAST_YEAR = 1000, 2999  # outside this, a "date" is a typo or a placeholder
# 2014-03-12 or 2014/03/12 (time after it ignored), 2014-03, 2014; 20140312;
# PDF's D:20140312093000.
_LEADING_DATES = (
    re.compile(r"(\d{4})(?:[-/](\d{2})(?:[-/](\d{2}))?)?(?![\d/-])"),
    re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"D:(\d{4})(\d{2})?(\d{2})?"),
)
_FRONT_MATTER = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+|\.\.\.)", re.S)
_FRONT_MATTER_DATE = re.compile(r"^date[ \t]*[:=][ \t]*(.+?)[ \t]*$", re.M | re.I)
_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_TIME = re.compile(r"""<time\b[^>]*?\bdatetime\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
# Names of <meta name|property|itemprop> that hold the document's own date.
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


def iso_date(value: str) -> str:
    """`2014-03-12`, `2014/03/12T10:00Z`, `D:20140312…` (PDF), `2014-03` or `2014`
    as ISO; "" when it does not start with a plausible date."""
    value = value.strip().strip("\"'")
    match = next((m for m in (p.match(value) for p in _LEADING_DATES) if m), None)
    if not match:
        return ""
    year, month, day = match.groups()
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return ""
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return ""
    return "-".join(part for part in (year, month, day) if part)


def front_matter_date(text: str) -> str:
    """The `date:` (YAML) or `date =` (TOML) of a Markdown file's front matter."""
    front = _FRONT_MATTER.match(text)
    if not front:
        return ""
    found = _FRONT_MATTER_DATE.search(front.group(2))
    return iso_date(found.group(1)) if found else ""


def html_date(text: str) -> str:
    """The first date-naming `<meta>`'s content, else the first `<time datetime>`."""
    for tag in _META.finditer(text):
        attributes = {k.lower(): v.strip("\"'") for k, v in _ATTRIBUTE.findall(tag.group())}
        names = {attributes.get(k, "").lower() for k in ("name", "property", "itemprop")}
        if names & META_DATES and (found := iso_date(attributes.get("content", ""))):
            return found
    for time in _TIME.finditer(text):
        if found := iso_date(time.group(1).strip("\"'")):
            return found
    return ""


def own_date(suffix: str, text: str) -> str:
    """The date a text, Markdown or HTML file gives itself, or ""."""
    suffix = suffix.lower()
    if suffix in (".md", ".markdown"):
        return front_matter_date(text)
    if suffix in (".html", ".htm"):
        return html_date(text)
    return ""
