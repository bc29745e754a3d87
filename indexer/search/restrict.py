"""Filters as Whoosh queries over the index's `folder`, `format`, `year` and `lang`
terms, which the engine evaluates into masks like any other clause."""

from __future__ import annotations

from dataclasses import dataclass, replace

from whoosh import query as wq

from ..errors import BadQuery
from ..formats import BY_NAME
from ..languages import LANGUAGES
from ..models import Filters
from ..schema import term_text
from .parse import Marks, ParsedQuery


@dataclass(frozen=True)
class Restriction:
    """One Whoosh query per filter given (None when not filtered on it)."""

    folder: wq.Query | None = None
    format: wq.Query | None = None
    year: wq.Query | None = None
    lang: wq.Query | None = None

    def combined(self, leave_out: str = "") -> wq.Query | None:
        """Every filter but `leave_out` (a facet is counted without its own filter)."""
        parts = [q for name, q in self.parts() if q is not None and name != leave_out]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def parts(self) -> tuple[tuple[str, wq.Query | None], ...]:
        return (
            ("folder", self.folder),
            ("format", self.format),
            ("year", self.year),
            ("lang", self.lang),
        )


def restriction(filters: Filters, reader) -> Restriction:
    """The filters as queries over the index's folder, format and year terms."""
    if not filters:
        return Restriction()
    return Restriction(
        folder=_any("folder", filters.folders or None),
        format=_any("format", _known_formats(filters.formats, reader)),
        year=_any("year", _years_in(filters.years, reader)) if filters.years else None,
        lang=_any("lang", _known_languages(filters.langs, reader)),
    )


def _any(field: str, values) -> wq.Query | None:
    """Any of the values (None: no filter on this field; no values: nothing)."""
    if values is None:
        return None
    terms = [wq.Term(field, v) for v in values]
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _known_formats(formats: tuple[str, ...], reader) -> tuple[str, ...] | None:
    if not formats:
        return None
    indexed = {term_text(t) for t in reader.lexicon("format")}
    known = sorted(indexed | set(BY_NAME))
    for name in formats:
        if name not in known:
            raise BadQuery(f"type: no format {name!r}; formats are {', '.join(known)}.")
    return formats


def _known_languages(langs: tuple[str, ...], reader) -> tuple[str, ...] | None:
    """The languages asked for; BadQuery for one that is no language at all (a
    language the index does not hold simply matches nothing)."""
    if not langs:
        return None
    indexed = {term_text(t) for t in reader.lexicon("lang")}
    for code in langs:
        if code not in indexed and code not in LANGUAGES:
            known = ", ".join(sorted(indexed)) or "none yet"
            raise BadQuery(f"lang: no language {code!r}; this index holds {known}.")
    return langs


def _years_in(spans: tuple[tuple[int, int], ...], reader) -> list[str]:
    """The indexed years that fall in any of the ranges."""
    years = [term_text(t) for t in reader.lexicon("year")]
    return [y for y in years if y.isdigit() and any(a <= int(y) <= b for a, b in spans)]


def everything() -> ParsedQuery:
    """Every passage, for filters given without words: a folder browsed."""
    return ParsedQuery(wq.Every(), None, Marks(frozenset(), ()), (), 0)


def restrict(parsed: ParsedQuery, where: Restriction) -> ParsedQuery:
    """`parsed` limited to the passages the filters allow; scores unchanged."""
    allowed = where.combined()
    if allowed is None:
        return parsed
    every = parsed.every_word
    return replace(
        parsed,
        query=wq.Require(parsed.query, allowed),
        every_word=wq.Require(every, allowed) if every is not None else None,
    )
