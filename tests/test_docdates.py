"""The date a document gives itself: ISO dates from front matter, HTML metadata
and the forms other formats' metadata use."""

from __future__ import annotations

import pytest

from indexer.readers.dates import iso_date
from indexer.readers.html import parse_html
from indexer.readers.markdown import read_markdown


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2014-03-12", "2014-03-12"),
        ("2014/03/12T10:00:00Z", "2014-03-12"),
        ("2014-03-12 10:00", "2014-03-12"),
        ("'2014-03'", "2014-03"),
        ("2014", "2014"),
        ("20140312", "2014-03-12"),
        ("D:20140312093000+01'00'", "2014-03-12"),  # a PDF date
        ("2014-13-01", ""),
        ("2014-02-30", ""),
        ("March 2014", ""),
        ("0001-01-01", ""),
        ("", ""),
    ],
)
def test_dates_as_iso(value, iso):
    assert iso_date(value) == iso


def front_matter_date(text: str) -> str:
    return read_markdown(text.encode(), "a.md").date


def html_date(text: str) -> str:
    return parse_html(text).date


def test_dates_documents_give_themselves():
    assert front_matter_date("---\ntitle: x\ndate: 2016-03-01\n---\n# T") == "2016-03-01"
    assert front_matter_date('+++\nDate = "2015-02-03T10:00:00Z"\n+++\n') == "2015-02-03"
    assert front_matter_date("# T\n\ndate: 2016-03-01") == ""  # not front matter
    html = '<meta content="2013-05-06" name="DC.date"><time datetime="2011-01-01">'
    assert html_date(html) == "2013-05-06"
    assert html_date("<p>x <time class=a datetime=2011-01-02>then</time>") == "2011-01-02"
    assert html_date('<meta property="article:published_time" content="2012-07-08T00:00">') == (
        "2012-07-08"
    )
    assert html_date('<meta name="description" content="2012-07-08">') == ""
