"""Filters typed in a query or given apart: taken out of the text, checked and
normalised, with a message naming the filter when a value makes no sense."""

from __future__ import annotations

import pytest

from indexer.errors import BadQuery
from indexer.models import Filters
from indexer.search import filters


@pytest.mark.parametrize(
    ("typed", "words", "expected"),
    [
        ("flood", "flood", Filters()),
        (
            "flood in:reports/2014 type:PDF year:2014..2016",
            "flood",
            Filters(("reports/2014",), ("pdf",), ((2014, 2016),)),
        ),
        ("in:reports flood in:minutes", "flood", Filters(folders=("reports", "minutes"))),
        ('in:"annual reports" bridge', "bridge", Filters(folders=("annual reports",))),
        ("(in:reports flood) AND weir", "(flood) AND weir", Filters(folders=("reports",))),
        ("year:..1999 type:htm", "", Filters(formats=("html",), years=((1, 1999),))),
        # Not filters: inside a phrase, in the middle of a word, or with nothing after.
        ('"type:pdf" flood', '"type:pdf" flood', Filters()),
        ("“in:reports now”", "“in:reports now”", Filters()),
        ("prototype:x", "prototype:x", Filters()),
        ("logged in: yes", "logged in: yes", Filters()),
        ("title:in", "title:in", Filters()),
    ],
)
def test_filters_are_taken_out_of_the_query(typed, words, expected):
    split = filters.split(typed)
    assert (split.text, split.filters) == (words, expected)
    assert all(token in typed for token in split.tokens)


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("2014", (2014, 2014)),
        (" 2014..2016 ", (2014, 2016)),
        ("2014..", (2014, filters.LAST_YEAR)),
        ("..2016", (filters.FIRST_YEAR, 2016)),
    ],
)
def test_years_and_ranges(value, span):
    assert filters.year_range(value) == span
    assert filters.year_range(filters.year_text(span)) == span


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"years": ["14"]}, "year:"),
        ({"years": ["2014-2016"]}, "year:"),
        ({"years": ["2016..2014"]}, "year:"),
        ({"years": [".."]}, "year:"),
        ({"formats": ["p d f"]}, "type:"),
        ({"formats": [""]}, "type:"),
        ({"folders": [".."]}, "in:"),
        ({"folders": ["a/./b"]}, "in:"),
        ({"folders": ["///"]}, "in:"),
        ({"formats": [f"f{n}" for n in range(filters.MAX_VALUES + 1)]}, "type:"),
    ],
)
def test_bad_values_name_their_filter(given, named):
    with pytest.raises(BadQuery) as error:
        filters.from_values(**given)
    assert error.value.message.startswith(named)


def test_values_are_normalised_and_merged_once():
    given = filters.from_values(["/reports//2014/", "reports\\2014"], ["MD", "markdown"], ["2014"])
    assert given == Filters(("reports/2014",), ("md",), ((2014, 2014),))
    typed = filters.split("x in:reports/2014 year:2015").filters
    assert filters.merge(typed, given) == Filters(
        ("reports/2014",), ("md",), ((2015, 2015), (2014, 2014))
    )
