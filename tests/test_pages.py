"""The page of the words: a passage that runs across a page break reports, for a
hit, the page its first marked word is on (DOCX rendered page breaks, ODT soft
page breaks, EPUB spine documents), in the JSON and in the link to the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build.run import build_index
from indexer.models import Query
from indexer.readers.ocr import OcrSettings
from indexer.search.engine import Engine
from tests.makers.office import PAGE, make_docx, make_epub, make_odt
from webapp import create_app

# Short paragraphs merge into one passage, across the pages Word recorded.
LIST_DOCX = make_docx(
    [
        ("h1", "Inventory"),
        ("p", "Two lanterns."),
        ("p", "Three ropes."),
        PAGE,
        ("p", "One anchor."),
        ("p", "Four oars."),
        PAGE,
        ("p", "A brass compass."),
        ("p", "Six blankets."),
    ]
)
# One long paragraph laid out across a page end.
LONG = "The harbour master wrote that the tide came early and the boats stayed in. "
ESSAY_ODT = make_odt(
    [("p", [LONG * 3, PAGE, "At dusk the lighthouse keeper lit the lamp. " + LONG])]
)
BOOK_EPUB = make_epub(
    [
        ("ch1.xhtml", "<h1>Departure</h1><p>The ferry left the quay at dawn.</p>"),
        ("ch2.xhtml", "<h1>Arrival</h1><p>The ferry reached the island at noon.</p>"),
    ],
    repeat_first=False,
)


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("paged")
    (source / "list.docx").write_bytes(LIST_DOCX)
    (source / "essay.odt").write_bytes(ESSAY_ODT)
    (source / "book.epub").write_bytes(BOOK_EPUB)
    index = tmp_path_factory.mktemp("paged-index")
    build_index(source, index, full=True, procs=1, ocr=OcrSettings(enabled=False))
    return index


@pytest.mark.parametrize(
    ("query", "doc", "page"),
    [
        ("lanterns", "list.docx", 1),
        ("anchor", "list.docx", 2),
        ("compass", "list.docx", 3),  # the passage starts on page 1
        ("harbour master", "essay.odt", 1),
        ("lighthouse keeper", "essay.odt", 2),  # in the paragraph begun on page 1
        ("quay", "book.epub", 1),
        ("island", "book.epub", 2),
    ],
)
def test_a_hit_reports_the_page_of_its_first_marked_word(pages_index, query, doc, page):
    with Engine(pages_index) as engine:
        [hit, *_] = engine.search(Query(query)).hits
    assert (hit.doc, hit.page, hit.page_label, hit.ocr) == (doc, page, str(page), False)


def test_one_passage_spans_the_pages_of_its_words(pages_index):
    """The three list pages are one passage: the same passage, three pages."""
    with Engine(pages_index) as engine:
        hits = [engine.search(Query(q)).hits[0] for q in ("lanterns", "anchor", "compass")]
    assert len({h.id for h in hits}) == 1
    assert [h.page for h in hits] == [1, 2, 3]


def test_the_json_and_the_page_link_use_the_page_of_the_words(pages_index):
    client = create_app({"INDEX": str(pages_index), "TESTING": True}).test_client()
    [hit] = client.get("/api/search?q=compass").get_json()["results"]
    assert (hit["page"], hit["page_label"], hit["ocr"]) == (3, "3", False)
    page = client.get("/?q=compass&group=passage").get_data(as_text=True)
    assert ">p. 3</a>" in page


def test_the_document_marks_where_each_page_begins_inside_a_passage(pages_index):
    client = create_app({"INDEX": str(pages_index), "TESTING": True}).test_client()
    page = client.get("/doc/list.docx?q=anchor").get_data(as_text=True)
    assert page.count('class="page-marker"') == 1  # p. 1, before the passage
    assert page.index('id="page1"') < page.index("Two lanterns.") < page.index('id="page2"')
    assert page.index('id="page2"') < page.index("<mark>anchor</mark>") < page.index('id="page3"')
    assert page.index('id="page3"') < page.index("A brass compass.")
