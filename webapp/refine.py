"""The results page's refinements: the filters, order and layout it was asked for,
and the links that change them (a facet value toggled, a filter removed, the
other order or layout). Filters may come from the address (`?type=pdf`) or be
typed in the query (`type:pdf`); a link that removes one removes it from either."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import url_for

from indexer.formats import label as format_name
from indexer.languages import name_of as language_name
from indexer.models import FacetCounts, FacetValue, Filters, Query
from indexer.search import filters


@dataclass(frozen=True)
class Refinement:
    """What the page was asked for besides the page number."""

    text: str
    folders: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    years: tuple[str, ...] = ()  # as written: "2014", "2014..2016"
    langs: tuple[str, ...] = ()  # "ru", "de"
    by_date: bool = False
    by_passage: bool = False  # the flat list instead of documents
    exact: bool = False

    @classmethod
    def of(cls, query: Query) -> Refinement:
        """The refinement a results page's Query was made from."""
        given = query.filters
        return cls(
            text=query.text,
            folders=given.folders,
            formats=given.formats,
            years=tuple(filters.year_text(y) for y in given.years),
            langs=given.langs,
            by_date=query.by_date,
            by_passage=not query.by_document,
            exact=query.exact,
        )

    def params(self) -> dict:
        """The query-string arguments, defaults left out."""
        out: dict = {"q": self.text}
        for name, values in (
            ("in", self.folders),
            ("type", self.formats),
            ("year", self.years),
            ("lang", self.langs),
        ):
            if values:
                out[name] = list(values)
        if self.by_date:
            out["sort"] = "date"
        if self.by_passage:
            out["group"] = "passage"
        if self.exact:
            out["exact"] = 1
        return out

    def url(self, **changes) -> str:
        """This page's address with `changes` (Refinement fields), on page 1."""
        return url_for("ui.search", **replace(self, **changes).params())

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the search box's form must send besides q to keep the refinements."""
        return [
            (name, str(v))
            for name, value in self.params().items()
            if name not in ("q", "exact")
            for v in (value if isinstance(value, list) else [value])
        ]

    # -- facet values and filters --------------------------------------------------

    def toggled(self, field: str, value: str, selected: bool) -> str:
        """The address with the facet value added, or removed when selected."""
        if selected:
            return self._without(field, lambda given: given.covers(field, value))
        if field == "folder":
            # A folder replaces its ancestors and subfolders: a narrower or wider
            # place, not one more of them.
            nested = self._without_refinement(
                "folder", lambda given: any(_nested(f, value) for f in given.folders)
            )
            return nested.url(folders=(*nested.folders, value))
        if field == "format":
            return self.url(formats=(*self.formats, value))
        if field == "lang":
            return self.url(langs=(*self.langs, value))
        return self.url(years=(*self.years, value))

    def _without(self, field: str, drop) -> str:
        return self._without_refinement(field, drop).url()

    def _without_refinement(self, field: str, drop) -> Refinement:
        """Without the URL values and the typed filters of `field` that `drop` picks."""
        text = self.text
        for token in filters.split(self.text).tokens:
            if drop(filters.split(token).filters):
                text = _remove(text, token)
        kept = {
            "folder": ("folders", [v for v in self.folders if not drop(Filters(folders=(v,)))]),
            "format": ("formats", [v for v in self.formats if not drop(Filters(formats=(v,)))]),
            "year": (
                "years",
                [v for v in self.years if not drop(Filters(years=(filters.year_range(v),)))],
            ),
            "lang": ("langs", [v for v in self.langs if not drop(Filters(langs=(v,)))]),
        }
        name, values = kept[field]
        return replace(self, text=text, **{name: tuple(values)})

    def within(self, folder: str) -> str | None:
        """The address filtered to `folder` (replacing wider or narrower folders), or
        None when the filters in force already say exactly that."""
        if not folder or folder in self.folders:
            return None
        return self.toggled("folder", folder, selected=False)

    def chosen(self) -> list[Chip]:
        """Every filter in force, URL or typed, with the link that removes it."""
        chips = []
        for folder in self.folders:
            chips.append(Chip(f"in {folder}", self.url(folders=_minus(self.folders, folder))))
        for name in self.formats:
            chips.append(Chip(format_name(name), self.url(formats=_minus(self.formats, name))))
        for span in self.years:
            chips.append(Chip(f"year {span}", self.url(years=_minus(self.years, span))))
        for code in self.langs:
            chips.append(Chip(language_name(code), self.url(langs=_minus(self.langs, code))))
        for token in filters.split(self.text).tokens:
            chips.append(Chip(token, self.url(text=_remove(self.text, token))))
        return chips


@dataclass(frozen=True)
class Chip:
    """A filter in force and the address without it."""

    label: str
    remove: str


@dataclass(frozen=True)
class FacetLink:
    """One value beside the results: its name, count and the link toggling it."""

    value: str
    label: str
    count: int
    selected: bool
    url: str
    children: tuple[FacetLink, ...] = ()


@dataclass(frozen=True)
class FacetsView:
    folders: tuple[FacetLink, ...]
    formats: tuple[FacetLink, ...]
    years: tuple[FacetLink, ...]
    languages: tuple[FacetLink, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.folders or self.formats or self.years or self.languages)


def facets_view(counts: FacetCounts | None, refinement: Refinement) -> FacetsView:
    """The facet counts as links; folders as a tree opened down to the chosen ones."""
    if counts is None:
        return FacetsView((), (), ())

    def link(field: str, v: FacetValue, label: str, children=()) -> FacetLink:
        url = refinement.toggled(field, v.value, v.selected)
        return FacetLink(v.value, label, v.count, v.selected, url, tuple(children))

    return FacetsView(
        folders=_folder_tree(counts.folder, link),
        formats=tuple(link("format", v, format_name(v.value)) for v in counts.format),
        years=tuple(link("year", v, v.value) for v in counts.year),
        languages=tuple(link("lang", v, language_name(v.value)) for v in counts.lang),
    )


def _folder_tree(values: tuple[FacetValue, ...], link) -> tuple[FacetLink, ...]:
    """Top folders, and the subfolders of every chosen folder and its ancestors."""
    opened = set()
    for v in values:
        if v.selected:
            parts = v.value.split("/")
            opened.update("/".join(parts[: n + 1]) for n in range(len(parts)))

    def level(parent: str) -> tuple[FacetLink, ...]:
        out = []
        for v in values:
            head, _, name = v.value.rpartition("/")
            if head == parent:
                below = level(v.value) if v.value in opened else ()
                out.append(link("folder", v, name, below))
        return tuple(out)

    return level("")


def _nested(a: str, b: str) -> bool:
    """True when one folder is the other or lies inside it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _minus(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value)


def _remove(text: str, token: str) -> str:
    """The query text without one typed filter."""
    words = text.replace(token, " ", 1)
    return " ".join(words.split()).replace("( ", "(").replace(" )", ")")
