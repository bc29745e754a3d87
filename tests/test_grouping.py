"""Grouped results, filters, facet counts and date order, on real indexes: the
demo archive (docs/demo: folders, three formats, dated documents) and small
corpora built for one case. Expectations come from the flat passage ranking and
the index's own document records, never from copied output."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime

import pytest

from indexer.build.run import build_index
from indexer.errors import BadQuery
from indexer.models import Filters, Query
from indexer.search.engine import Engine
from indexer.search.group import SHOWN


def everything(engine: Engine, text: str, **options) -> list:
    """Every matching passage, in ranking order."""
    result = engine.search(Query(text, per_page=1000, **options))
    assert result.total == len(result.hits) < 1000
    return list(result.hits)


def records(engine: Engine) -> dict:
    """doc -> its DocMeta, as the index records it."""
    return engine._current().meta.documents


def folder_of(doc: str) -> str:
    return doc.rpartition("/")[0]


def years_of(doc: str, meta) -> str:
    return meta[doc].date[:4]


# -- grouping ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["flood", "stone bridge", '"flood meadow"', "weir -meadow"])
def test_one_entry_per_matching_document_with_its_best_passages(demo_engine, text):
    flat = everything(demo_engine, text)
    grouped = demo_engine.search(Query(text, per_page=100, by_document=True))
    assert {d.doc for d in grouped.documents} == {h.doc for h in flat}
    assert grouped.total == len(grouped.documents) and grouped.passages == len(flat)
    scores = [d.score for d in grouped.documents]
    for document in grouped.documents:
        mine = [h for h in flat if h.doc == document.doc]
        # A document's passages come in the passage view's order, with its scores.
        assert [(h.id, h.score) for h in document.passages] == [
            (h.id, h.score) for h in mine[:SHOWN]
        ]
        assert document.matches == len(mine)
        assert document.url == mine[0].url
        meta = records(demo_engine)[document.doc]
        assert (document.title, document.format, document.date) == (
            meta.title,
            meta.format,
            meta.date,
        )
        assert document.folder == folder_of(document.doc)
    if len(text.split()) == 1:  # no every-word tier: documents by score alone
        assert scores == sorted(scores, reverse=True)


def test_documents_are_paged_not_passages(demo_engine):
    everything_grouped = demo_engine.search(Query("flood", per_page=100, by_document=True))
    seen = []
    for page in range(1, 4):
        result = demo_engine.search(Query("flood", page=page, per_page=3, by_document=True))
        assert result.total == everything_grouped.total
        assert len(result.documents) <= 3
        seen += [d.doc for d in result.documents]
    assert seen == [d.doc for d in everything_grouped.documents][:9]
    past = demo_engine.search(Query("flood", page=50, per_page=3, by_document=True))
    assert past.documents == () and past.total == everything_grouped.total


def test_a_documents_later_passages_are_found_below_the_ranked_depth(corpus, tmp_path):
    # "ash" once in a strong title-and-body passage of one.txt and once, weakly, in
    # a long one; two.txt has 150 passages that all outrank that weak one, so it
    # lies far below the depth ranked to fill a page of two documents newest first.
    weak = "The ash " + "tree stood by the old stone wall of the yard " * 12 + "."
    files = {
        "one.txt": "Notes\n\nAsh, ash and more ash: the ash trees of the yard.\n\n" + weak,
        "two.txt": "Trees\n\n"
        + "\n\n".join(f"Tree {n} of the wood was an ash, number {n} of many." for n in range(150)),
    }
    index = tmp_path / "index"
    build_index(corpus(files), index, full=True)
    with Engine(index) as engine:
        flat = everything(engine, "ash")
        assert [h.doc for h in flat][-1] == "one.txt"  # the weak passage comes last
        mine = [h.id for h in flat if h.doc == "one.txt"]
        for by_date in (True, False):
            grouped = engine.search(Query("ash", per_page=2, by_document=True, by_date=by_date))
            one = next(d for d in grouped.documents if d.doc == "one.txt")
            assert one.matches == 2 and [h.id for h in one.passages] == mine
        # Newest first (no dates here: then by relevance), a document comes at its first
        # passage; by relevance, two.txt's 150 mentions outweigh one.txt's five.
        assert grouped.documents[0].doc == "two.txt"
        by_date = engine.search(Query("ash", per_page=2, by_document=True, by_date=True))
        assert by_date.documents[0].doc == "one.txt"


def test_grouping_follows_the_spelling_correction(demo_engine):
    result = demo_engine.search(Query("flod", by_document=True))
    assert result.corrected and result.searched == "flood"
    assert [d.doc for d in result.documents] == [
        d.doc for d in demo_engine.search(Query("flood", by_document=True)).documents
    ]


# -- filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "given", "keep"),
    [
        ("in:reports", Filters(folders=("reports",)), lambda d, m: d.startswith("reports/")),
        ("in:reports/2016/", Filters(folders=("reports/2016",)), lambda d, m: "2016/" in d),
        ("type:html", Filters(formats=("html",)), lambda d, m: m[d].format == "html"),
        ("type:HTM", Filters(formats=("html",)), lambda d, m: m[d].format == "html"),
        ("year:2014", Filters(years=((2014, 2014),)), lambda d, m: m[d].date[:4] == "2014"),
        (
            "year:2014..2016",
            Filters(years=((2014, 2016),)),
            lambda d, m: "2014" <= m[d].date[:4] <= "2016",
        ),
        (
            "type:md type:txt",
            Filters(formats=("md", "txt")),
            lambda d, m: m[d].format in ("md", "txt"),
        ),
        (
            "in:guides year:..2013",
            Filters(folders=("guides",), years=((1, 2013),)),
            lambda d, m: d.startswith("guides/") and m[d].date[:4] <= "2013",
        ),
    ],
)
def test_each_filter_keeps_exactly_its_documents(demo_engine, typed, given, keep):
    meta = records(demo_engine)
    unfiltered = everything(demo_engine, "flood")
    expected = [h.id for h in unfiltered if keep(h.doc, meta)]
    assert expected and len(expected) < len(unfiltered)
    assert [h.id for h in everything(demo_engine, f"flood {typed}")] == expected
    assert [h.id for h in everything(demo_engine, "flood", filters=given)] == expected
    assert [h.id for h in everything(demo_engine, f"{typed} flood")] == expected


@pytest.mark.parametrize(
    ("words", "typed", "keep", "check"),
    [
        (
            '"stone bridge"',
            "in:reports",
            lambda d, m: d.startswith("reports/"),
            lambda h: "stone bridge" in f"{h.title} {h.text}".lower(),
        ),
        (
            "bridge -flood",
            "type:md",
            lambda d, m: m[d].format == "md",
            lambda h: "flood" not in h.text.lower(),
        ),
        (
            '(weir OR meadow) -"flood meadow"',
            "year:..2015",
            lambda d, m: m[d].date[:4] <= "2015",
            lambda h: "flood meadow" not in h.text.lower(),
        ),
    ],
)
def test_filters_combine_with_phrases_and_exclusions(demo_engine, words, typed, keep, check):
    meta = records(demo_engine)
    unfiltered = everything(demo_engine, words)
    filtered = everything(demo_engine, f"{words} {typed}")
    assert filtered and all(check(h) for h in filtered)
    assert [h.id for h in filtered] == [h.id for h in unfiltered if keep(h.doc, meta)]
    assert len(filtered) < len(unfiltered)


def test_filters_alone_list_every_passage_they_allow(demo_engine):
    meta = records(demo_engine)
    hits = everything(demo_engine, "in:minutes")
    minutes = [d for d in meta if d.startswith("minutes/")]
    assert sorted({h.doc for h in hits}) == sorted(minutes)
    assert len(hits) == sum(meta[d].passages for d in minutes)
    grouped = demo_engine.search(Query("", filters=Filters(folders=("minutes",)), by_document=True))
    assert grouped.total == len(minutes)


def test_a_folder_is_not_a_prefix_of_a_name(corpus, tmp_path):
    files = {"report/a.txt": "Alpha\n\nA ferry.", "reports/b.txt": "Beta\n\nB ferry."}
    build_index(corpus(files), tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        assert [h.doc for h in everything(engine, "ferry in:report")] == ["report/a.txt"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("flood type:zzz", "type:"),
        ("flood type:p-d-f", "type:"),
        ("flood year:14", "year:"),
        ("flood year:2016..2014", "year:"),
        ("flood in:..", "in:"),
        ("flood in:/", "in:"),
    ],
)
def test_bad_filter_values_name_the_filter(demo_engine, text, named):
    with pytest.raises(BadQuery) as error:
        demo_engine.search(Query(text))
    assert error.value.message.startswith(named.rstrip(":") + ":")


def test_a_filtered_query_keeps_its_filters_when_corrected(demo_engine):
    result = demo_engine.search(Query("flod in:minutes"))
    assert result.corrected and result.suggestion == "in:minutes flood"
    assert result.hits and all(h.doc.startswith("minutes/") for h in result.hits)
    assert all("in%3A" not in h.url and "in:" not in h.url for h in result.hits)


# -- facet counts -----------------------------------------------------------------


def counts_from_flat(engine: Engine, text: str) -> dict[str, Counter]:
    """Documents per folder, format and year among all the flat hits."""
    meta = records(engine)
    docs = {h.doc for h in everything(engine, text)}
    out = {"folder": Counter(), "format": Counter(), "year": Counter()}
    for doc in docs:
        parts = doc.split("/")[:-1]
        out["folder"].update("/".join(parts[: n + 1]) for n in range(len(parts)))
        out["format"][meta[doc].format] += 1
        out["year"][meta[doc].date[:4]] += 1
    return out


def as_counter(values) -> Counter:
    return Counter({v.value: v.count for v in values})


@pytest.mark.parametrize("text", ["flood", "weir", '"stone bridge"', "pumps -market"])
def test_facet_counts_are_documents_over_the_whole_result(demo_engine, text):
    result = demo_engine.search(Query(text, per_page=1, by_document=True, facets=True))
    expected = counts_from_flat(demo_engine, text)
    for field in ("folder", "format", "year"):
        assert as_counter(getattr(result.facets, field)) == expected[field], field
    assert not any(
        v.selected for f in ("folder", "format", "year") for v in getattr(result.facets, f)
    )
    assert [v.value for v in result.facets.year] == sorted(expected["year"], reverse=True)


def test_each_facet_is_counted_without_its_own_filter(demo_engine):
    result = demo_engine.search(Query("flood type:md in:reports", facets=True))
    # Formats: counted in reports, whatever the format.
    assert (
        as_counter(result.facets.format)
        == counts_from_flat(demo_engine, "flood in:reports")["format"]
    )
    # Folders: counted among md documents, whatever the folder.
    assert (
        as_counter(result.facets.folder) == counts_from_flat(demo_engine, "flood type:md")["folder"]
    )
    assert (
        as_counter(result.facets.year)
        == counts_from_flat(demo_engine, "flood type:md in:reports")["year"]
    )
    selected = {(v.value, v.selected) for v in result.facets.format}
    assert ("md", True) in selected and ("html", False) in selected
    assert [v.value for v in result.facets.folder if v.selected] == ["reports"]


def test_facets_are_counted_once_per_query_and_cached(demo_engine):
    query = Query("bridge", facets=True, by_document=True)
    first = demo_engine.search(query)
    assert demo_engine.search(query).facets is first.facets


# -- newest first -----------------------------------------------------------------


def test_newest_first_orders_passages_by_date_then_relevance(demo_engine):
    meta = records(demo_engine)
    relevance = everything(demo_engine, "bridge")
    by_date = everything(demo_engine, "bridge", by_date=True)
    assert sorted(h.id for h in by_date) == sorted(h.id for h in relevance)
    dates = [meta[h.doc].date for h in by_date]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) > 3
    rank = {h.id: n for n, h in enumerate(relevance)}
    for a, b in zip(by_date, by_date[1:], strict=False):
        if meta[a.doc].date == meta[b.doc].date:
            assert rank[a.id] < rank[b.id]


def test_newest_first_by_document(demo_engine):
    meta = records(demo_engine)
    grouped = demo_engine.search(Query("flood", by_document=True, by_date=True, per_page=100))
    dates = [meta[d.doc].date for d in grouped.documents]
    assert dates == sorted(dates, reverse=True)
    paged = demo_engine.search(Query("flood", by_date=True, page=2, per_page=3))
    assert [h.id for h in paged.hits] == [
        h.id for h in everything(demo_engine, "flood", by_date=True)[3:6]
    ]


def test_date_comes_from_the_document_else_the_file(corpus, tmp_path):
    source = corpus(
        {
            "dated.md": "---\ndate: 2013-02-03\n---\n# Dated\n\nA ferry.",
            "meta.html": '<meta name="date" content="2011-05-06"><h1>Meta</h1><p>A ferry.</p>',
            "timed.htm": '<h1>Timed</h1><p>A ferry <time datetime="2009-07-08">then</time>.</p>',
            "plain.txt": "Plain\n\nA ferry.",
        }
    )
    stamp = datetime(2005, 3, 4, 12).timestamp()
    os.utime(source / "plain.txt", (stamp, stamp))
    build_index(source, tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        meta = records(engine)
        assert {d: (m.format, m.date) for d, m in meta.items()} == {
            "dated.md": ("md", "2013-02-03"),
            "meta.html": ("html", "2011-05-06"),
            "timed.htm": ("html", "2009-07-08"),
            "plain.txt": ("txt", "2005-03-04"),
        }
        assert [h.doc for h in everything(engine, "ferry", by_date=True)] == [
            "dated.md",
            "meta.html",
            "timed.htm",
            "plain.txt",
        ]
        ranked = [h.doc for h in everything(engine, "ferry")]
        assert [h.doc for h in everything(engine, "ferry year:2009..2011")] == [
            d for d in ranked if d in ("meta.html", "timed.htm")
        ]
