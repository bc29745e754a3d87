"""Filters by folder, format, year and language as values: read from the query text
(`in:reports/2014 type:pdf year:2014..2016 lang:ru`) or given apart (URL parameters,
CLI options), checked and merged. restrict.py turns them into Whoosh queries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BadQuery
from ..formats import ALIASES
from ..languages import LANGUAGES
from ..models import Filters

MAX_VALUES = 50  # values of one filter in one query, so no query is unbounded
FIRST_YEAR, LAST_YEAR = 1, 9999
_FORMAT = re.compile(r"[a-z0-9]{1,16}")
_YEAR = re.compile(r"(\d{4})?(\.\.)?(\d{4})?")
_LANG = re.compile(r"[a-z]{2,3}")
_LANG_NAMES = {lang.name.lower(): code for code, lang in LANGUAGES.items()}
# A quoted phrase (left alone), or in:/type:/year: at the start of a word.
_QUOTED = r"[\"“„«＂][^\"”»＂]*[\"”»＂]?"
_TOKEN = re.compile(
    rf"{_QUOTED}|(?:(?<=^)|(?<=[\s(]))(?P<name>in|type|year|lang):(?P<value>\"[^\"]*\"|[^\s()\"]+)"
)


@dataclass(frozen=True)
class Typed:
    """A query as typed, taken apart: its words, and the filters typed among them."""

    text: str  # the words, filters removed
    filters: Filters
    tokens: tuple[str, ...]  # the filters as typed ("in:reports", ...)


def split(text: str) -> Typed:
    """Take the in:/type:/year:/lang: filters out of a query's text."""
    found: dict[str, list[str]] = {"in": [], "type": [], "year": [], "lang": []}
    tokens: list[str] = []

    def take(match: re.Match) -> str:
        if not match.group("name"):
            return match.group()  # a quoted phrase
        found[match.group("name")].append(match.group("value").strip('"'))
        tokens.append(match.group())
        return " "

    words = _TOKEN.sub(take, text)
    if not tokens:
        return Typed(text, Filters(), ())
    words = " ".join(words.split()).replace("( ", "(").replace(" )", ")")
    values = from_values(found["in"], found["type"], found["year"], found["lang"])
    return Typed(words, values, tuple(tokens))


def from_values(folders=(), formats=(), years=(), langs=()) -> Filters:
    """Filters from values as given (`reports/2014`, `PDF`, `2014..2016`, `ru` or
    `Russian`); BadQuery naming the filter when a value makes no sense."""
    return Filters(
        folders=_unique("in", [folder(v) for v in folders]),
        formats=_unique("type", [format_name(v) for v in formats]),
        years=_unique("year", [year_range(v) for v in years]),
        langs=_unique("lang", [lang_code(v) for v in langs]),
    )


def merge(first: Filters, second: Filters) -> Filters:
    """Both sets of filters: a value given twice counts once."""
    return Filters(
        folders=_unique("in", [*first.folders, *second.folders]),
        formats=_unique("type", [*first.formats, *second.formats]),
        years=_unique("year", [*first.years, *second.years]),
        langs=_unique("lang", [*first.langs, *second.langs]),
    )


def _unique(name: str, values: list) -> tuple:
    out = tuple(dict.fromkeys(values))
    if len(out) > MAX_VALUES:
        raise BadQuery(f"{name}: at most {MAX_VALUES} values, not {len(out)}.")
    return out


def lang_code(value: str) -> str:
    """A language as the index names it: its ISO 639-1 code (`ru`), from the code or
    the English name (`Russian`)."""
    name = value.strip().lower()
    code = _LANG_NAMES.get(name, name)
    if not _LANG.fullmatch(code):
        raise BadQuery(f"lang: {value.strip()[:20]!r} is not a language; try `lang:ru`.")
    return code


def folder(value: str) -> str:
    """A folder as the index names it: `reports/2014`, no leading or trailing slash."""
    parts = [p for p in value.strip().replace("\\", "/").split("/") if p]
    if not parts:
        raise BadQuery(f"in: {value.strip()!r} names no folder; write it as `in:reports/2014`.")
    if any(p in (".", "..") for p in parts):
        raise BadQuery(f"in: {value.strip()!r}: `.` and `..` are not folder names.")
    return "/".join(parts)


def format_name(value: str) -> str:
    """A format name, lower case, aliases resolved (`htm` is `html`)."""
    name = value.strip().lower().lstrip(".")
    name = ALIASES.get(name, name)
    if not _FORMAT.fullmatch(name):
        raise BadQuery(f"type: {value.strip()[:20]!r} is not a format; try `type:pdf`.")
    return name


def year_range(value: str) -> tuple[int, int]:
    """`2014` -> (2014, 2014); `2014..2016`, `2014..` and `..2016` are ranges."""
    text = value.strip()
    match = _YEAR.fullmatch(text)
    low, dots, high = match.groups() if match else (None, None, None)
    if dots and (low or high):
        first, last = int(low or FIRST_YEAR), int(high or LAST_YEAR)
    elif low and not high:
        first = last = int(low)
    else:
        raise BadQuery(f"year: {text[:20]!r} is not a year; use 2014 or 2014..2016.")
    if first > last:
        raise BadQuery(f"year: {text!r} ends before it starts.")
    return first, last


def year_text(span: tuple[int, int]) -> str:
    """A year range as written: `2014`, `2014..2016`, `2014..`, `..2016`."""
    first, last = span
    if first == last:
        return f"{first:04d}"
    low = f"{first:04d}" if first != FIRST_YEAR else ""
    high = f"{last:04d}" if last != LAST_YEAR else ""
    return f"{low}..{high}"
