"""PDF, DOCX, EPUB, ODT and HTML sites, read into documents with their pages,
then indexed and searched: the page a passage starts on reaches the result."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from indexer.build.passages import passages_of
from indexer.build.run import build_index
from indexer.models import Query
from indexer.readers import Unreadable, max_bytes, parse_document, read_document
from indexer.readers.ocr import OcrSettings
from indexer.search.engine import Engine
from tests.makers.office import PAGE, make_docx, make_epub, make_odt
from tests.makers.pdf import Line, column, make_pdf

FIXTURES = Path(__file__).parent / "fixtures"


def running(page: int) -> list[Line]:
    """A running header and a page-number footer, as on every page of a manual."""
    return [Line(72, 770, "ACME Pump Manual — Revision 4"), Line(300, 30, f"Page {page}")]


def manual_pdf() -> bytes:
    """Four pages: a preface numbered i, then pages 1-3; a ligature, line-end
    hyphens, running heads, and a two-column page."""
    preface = column(
        [
            "Preface",
            "This manual covers the ofﬁce pumps. Each pump is tested before ship-",
            "ment and again at installation, so that the well-",
            "known faults of the older models do not return. Shipment is insured.",
            "A well-known fault is described later. The ro-",
            "tor is cast iron.",
        ]
    )
    intro = column(["Installation", "Bolt the pump to a level floor before you connect the hoses."])
    columns = [
        Line(72, 740, "The left column explains the"),
        Line(72, 726, "priming of the pump chamber."),
        Line(320, 740, "The right column explains the"),
        Line(320, 726, "draining of the sump basin."),
    ]
    faults = column(["Faults", "A cavitating impeller sounds like gravel in the casing."])
    pages = [preface, intro, columns, faults]
    return make_pdf(
        [running(n) + page for n, page in enumerate(pages, 1)],
        labels={0: "r", 1: "D"},
        info={"Title": "ACME Pump Manual", "CreationDate": "D:20190304120000Z"},
    )


def paragraphs(document) -> list[str]:
    return [b.text for b in document.blocks if not b.level]


# -- PDF -------------------------------------------------------------------------------


def test_pdf_text_pages_labels_and_metadata():
    document = parse_document("manual.pdf", ".pdf", manual_pdf())
    assert document.format == "pdf"
    assert document.title == "ACME Pump Manual"
    assert document.date == "2019-03-04"
    assert document.page_labels == ("i", "1", "2", "3")
    pages = {b.text: b.page for b in document.blocks}
    assert pages["Installation"] == 2 and pages["Faults"] == 4
    text = " ".join(paragraphs(document))
    assert "office pumps" in text  # the ﬁ ligature decomposed
    assert "before shipment and" in text  # joined: "Shipment" occurs elsewhere
    assert "the well-known faults" in text  # kept: "well-known" occurs elsewhere
    assert "The ro-tor is" in text  # neither form elsewhere: kept, indexed both ways
    assert "Revision 4" not in text and "Page " not in text  # running heads are not prose
    # Columns in reading order: the left one first, each whole.
    assert (
        "The left column explains the priming of the pump chamber. "
        "The right column explains the draining of the sump basin."
    ) in text


def test_pdf_passages_know_their_page_and_label():
    split = passages_of(parse_document("manual.pdf", ".pdf", manual_pdf()))

    def where(words: str) -> tuple[int, str]:
        [passage] = [p for p in split.passages if words in p.text]
        return passage.page, passage.page_label

    assert where("office pumps") == (1, "i")
    assert where("Bolt the pump") == (2, "1")
    assert where("priming") == (3, "2")
    assert where("cavitating") == (4, "3")


def test_pdf_bookmarks_are_headings_and_sections():
    pages = [
        column(["Installation", "Bolt the pump to a level floor."]),
        column(["Grease the bearings every month."]),
    ]
    marks = [(0, "Installation"), (1, "Maintenance")]
    data = make_pdf(pages, info={"Title": "Pump Guide"}, outline=marks)
    document = parse_document("pump.pdf", ".pdf", data)
    assert [(b.text, b.level, b.page) for b in document.blocks] == [
        ("Installation", 1, 1),
        ("Bolt the pump to a level floor.", 0, 1),
        ("Maintenance", 1, 2),  # the bookmark's page has no such line: a heading at its top
        ("Grease the bearings every month.", 0, 2),
    ]
    sections = [(p.section, p.page) for p in passages_of(document).passages]
    assert sections == [("Installation", 1), ("Maintenance", 2)]


def test_pdf_scans_encrypted_and_damaged_files_are_named():
    scanned = make_pdf([[], []], images=[0, 1])
    document = parse_document("scan.pdf", ".pdf", scanned)  # OCR has read nothing yet
    assert (document.blocks, document.waiting, document.blank_pages) == ((), (1, 2), 2)
    with pytest.raises(Unreadable, match=r"^blank\.pdf: no text to index$"):
        parse_document("blank.pdf", ".pdf", make_pdf([[], []]))
    text = column(["Survey", "The field was surveyed in May."])
    half = make_pdf([text, [], []], images=[2])  # a blank page, then a scanned one
    document = parse_document("half.pdf", ".pdf", half)
    assert document.blank_pages == 1 and document.page_labels == ("1", "2", "3")
    assert (document.waiting, document.ocr_pages, document.notes) == ((3,), (), ())
    with pytest.raises(Unreadable, match=r"^sealed\.pdf: encrypted PDF \(needs a password\)$"):
        parse_document("sealed.pdf", ".pdf", (FIXTURES / "encrypted.pdf").read_bytes())
    data = manual_pdf()
    with pytest.raises(Unreadable, match=r"^cut\.pdf: damaged PDF \(") as info:
        parse_document("cut.pdf", ".pdf", data[: len(data) // 2])
    assert info.value.reason == "damaged"


# -- DOCX, EPUB, ODT -------------------------------------------------------------------


def report_docx() -> bytes:
    return make_docx(
        [
            ("h1", "Harbour Survey"),
            ("p", "The survey measured the depth of the harbour."),
            ("table", [["Berth", "Depth"], ["north quay", "eleven metres"]]),
            PAGE,
            ("h2", "Dredging"),
            ("p", "Dredging the north quay takes a fortnight."),
        ],
        title="Harbour Survey",
        created=datetime(2018, 5, 6),
        header="Confidential draft",
        footer="Harbour board",
    )


def test_docx_paragraphs_tables_headings_and_rendered_pages():
    document = parse_document("survey.docx", ".docx", report_docx())
    assert (document.title, document.date, document.format) == (
        "Harbour Survey",
        "2018-05-06",
        "docx",
    )
    assert document.page_labels == ("1", "2")
    assert [(b.text, b.level, b.page) for b in document.blocks] == [
        ("Harbour Survey", 1, 1),
        ("The survey measured the depth of the harbour.", 0, 1),
        ("Berth", 0, 1),
        ("Depth", 0, 1),
        ("north quay", 0, 1),
        ("eleven metres", 0, 1),
        ("Dredging", 2, 2),
        ("Dredging the north quay takes a fortnight.", 0, 2),
    ]
    assert "Confidential" not in document.text and "board" not in document.text


def test_docx_without_rendered_breaks_is_unpaged():
    document = parse_document("memo.docx", ".docx", make_docx([("p", "A memo of one line.")]))
    assert document.page_labels == () and {b.page for b in document.blocks} == {0}


def test_epub_spine_order_without_fragments_or_repeats():
    data = make_epub(
        [
            ("ch1.xhtml", "<h1>The Crossing</h1><p>The ferry left at dawn.</p>"),
            ("ch2.xhtml", "<h1>The Island</h1><p>Puffins nested on the cliffs.</p>"),
        ],
        title="Northern Voyages",
        date="2001-02-03",
    )
    document = parse_document("voyages.epub", ".epub", data)
    assert (document.title, document.date, document.format) == (
        "Northern Voyages",
        "2001-02-03",
        "epub",
    )
    assert [(b.text, b.level) for b in document.blocks] == [
        ("The Crossing", 1),
        ("The ferry left at dawn.", 0),
        ("The Island", 1),
        ("Puffins nested on the cliffs.", 0),
    ]
    sections = [p.section for p in passages_of(document).passages]
    assert sections == ["The Crossing", "The Island"]


def test_odt_headings_tables_and_soft_page_breaks():
    data = make_odt(
        [
            ("h1", "Field Notes"),
            ("p", "The heron  waited by the pier."),
            PAGE,
            ("h2", "Evening"),
            ("p", "The tide turned at seven."),
            ("table", [["high water", "19:04"]]),
        ],
        title="Field Notes",
        date="2020-07-08T10:00:00",
    )
    document = parse_document("notes.odt", ".odt", data)
    assert (document.title, document.date, document.page_labels) == (
        "Field Notes",
        "2020-07-08",
        ("1", "2"),
    )
    assert [(b.text, b.level, b.page) for b in document.blocks] == [
        ("Field Notes", 1, 1),
        ("The heron waited by the pier.", 0, 1),
        ("Evening", 2, 2),
        ("The tide turned at seven.", 0, 2),
        ("high water", 0, 2),
        ("19:04", 0, 2),
    ]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bad.docx", b"PK\x03\x04 not really a zip", "damaged DOCX"),
        ("bad.epub", b"not a zip at all", "damaged EPUB"),
        ("bad.odt", make_epub([("a.xhtml", "<p>x</p>")]), r"content\.xml is missing"),
    ],
)
def test_damaged_office_files_are_named(name, data, reason):
    with pytest.raises(Unreadable, match=f"^{name}: .*{reason}"):
        parse_document(name, Path(name).suffix, data)


# -- HTML sites ------------------------------------------------------------------------

SPHINX_PAGE = """<!DOCTYPE html><html><head><title>fileinput — Iterate over lines — Docs</title>
<meta name="date" content="2023-02-01"></head><body>
<div class="related" role="navigation"><h3>Navigation</h3><ul><li><a href="#">index</a></li>
<li><a href="#">next</a></li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper">
<div class="body" role="main"><section id="fileinput">
<h1>fileinput — Iterate over lines<a class="headerlink" href="#fileinput">¶</a></h1>
<p>This module implements a helper class to iterate over the lines of several files.</p>
<section id="usage"><h2>Usage<a class="headerlink" href="#usage">¶</a></h2>
<p>Call the input function with a list of file names.</p></section></section></div>
</div></div>
<div class="sphinxsidebar" role="navigation" aria-label="main navigation">
<div class="sphinxsidebarwrapper"><h4>Previous topic</h4><p><a href="#">os.path</a></p>
<h3>This Page</h3><ul><li><a href="#">Report a Bug</a></li><li><a href="#">Show Source</a></li>
</ul><div id="searchbox" role="search"><h3>Quick search</h3></div></div></div></div>
<div class="footer">© Copyright 2001-2023. Last updated on Feb 01, 2023.</div></body></html>"""

WORDPRESS_PAGE = """<!doctype html><html><head><title>Gardening in March | My Blog</title>
</head><body class="post-template-default single has-sidebar right-sidebar">
<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">Skip</a>
<div class="site-header"><p class="site-title">My Blog</p>
<div class="main-navigation"><ul class="menu"><li>Home</li><li>About</li></ul></div></div>
<div id="content" class="site-content"><div id="primary" class="content-area">
<div class="breadcrumbs">Home » Garden » Gardening in March</div>
<article class="post"><header class="entry-header"><h1 class="entry-title">Gardening in March</h1>
<time class="entry-date" datetime="2021-03-14T09:00:00+00:00">March 14, 2021</time></header>
<div class="entry-content"><p>Sow the broad beans as soon as the soil is workable.</p>
<p>Prune the roses before the buds swell.</p></div>
<div class="sharedaddy"><h3>Share this:</h3><a>Twitter</a></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3><p>Planting in April</p></div>
</article><div id="comments" class="comments-area"><h2>Leave a Reply</h2></div></div>
<div id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts</h2>
<ul><li>Planting in April</li></ul></section></div></div>
<div id="cookie-notice" class="cookie-banner">We use cookies. Accept?</div>
<div class="site-footer">Proudly powered by WordPress</div></div></body></html>"""


def test_sphinx_page_without_sidebar_related_bar_footer_or_permalinks():
    document = parse_document("fileinput.html", ".html", SPHINX_PAGE.encode())
    assert document.title == "fileinput — Iterate over lines"
    assert document.date == "2023-02-01"
    assert [(b.text, b.level) for b in document.blocks] == [
        ("fileinput — Iterate over lines", 1),
        ("This module implements a helper class to iterate over the lines of several files.", 0),
        ("Usage", 2),
        ("Call the input function with a list of file names.", 0),
    ]


def test_wordpress_post_without_menus_widgets_sharing_comments_or_cookie_banner():
    document = parse_document("march.html", ".html", WORDPRESS_PAGE.encode())
    assert document.title == "Gardening in March"
    assert document.date == "2021-03-14"
    assert paragraphs(document) == [
        "Sow the broad beans as soon as the soil is workable.",
        "Prune the roses before the buds swell.",
    ]


def themed_page(title: str, body: str) -> str:
    """A page of a site whose theme no rule knows: a banner and a rail on every page."""
    return f"""<html><head><title>{title} - Acme Docs</title></head><body>
<div class="zz-top"><h1>Acme Docs</h1><p>Products Pricing Support Contact</p></div>
<div class="zz-rail"><p>Subscribe to our newsletter for weekly tips.</p></div>
<div class="zz-body"><h2>{title}</h2><p>{body}</p></div></body></html>"""


def test_blocks_repeated_across_a_folder_are_site_chrome(corpus):
    pages = {
        f"docs/{n}.html": themed_page(f"Topic {word}", f"The {word} valve is checked weekly.")
        for n, word in enumerate(["brass", "steel", "copper", "bronze", "iron"])
    }
    source = corpus(
        {**pages, "few/a.html": themed_page("Alone", "The lone page."), "few/b.html": ""}
    )
    document = read_document(source / "docs/2.html", source)
    assert document.title == "Topic copper"  # not the site's name in every <h1>
    assert [b.text for b in document.blocks] == [
        "Topic copper",
        "The copper valve is checked weekly.",
    ]
    # Two pages say nothing about what repeats: the banner stays.
    alone = read_document(source / "few/a.html", source)
    assert "Subscribe to our newsletter for weekly tips." in alone.text


@pytest.mark.parametrize(
    ("name", "content", "title"),
    [
        ("record.md", "# Hydraulic Jumps\n", "Hydraulic Jumps"),
        ("stub.html", "<html><body><h1>On Weirs</h1></body></html>", "On Weirs"),
        ("meta.html", "<html><head><title>Tides</title></head><body></body></html>", "Tides"),
    ],
)
def test_a_title_only_record_is_one_passage_of_its_title(corpus, name, content, title):
    source = corpus({name: content})
    split = passages_of(read_document(source / name, source))
    assert [(p.text, p.section) for p in split.passages] == [(title, "")]


def test_size_caps_are_per_format_and_configurable(corpus, monkeypatch):
    source = corpus({"big.pdf": manual_pdf(), "big.txt": "Tide tables. " * 100})
    assert max_bytes("pdf") == 200 * 10**6 and max_bytes("txt") == 10 * 10**6
    monkeypatch.setenv("SEEDSEARCH_MAX_MB", "pdf=0.001")
    assert max_bytes("pdf") == 1000 and max_bytes("txt") == 10 * 10**6
    with pytest.raises(Unreadable, match=r"^big\.pdf: 0\.0 MB; pdf files over 0\.001 MB") as info:
        read_document(source / "big.pdf", source)
    assert "SEEDSEARCH_MAX_MB" in str(info.value) and info.value.reason == "too large"
    assert read_document(source / "big.txt", source).format == "txt"
    monkeypatch.setenv("SEEDSEARCH_MAX_MB", "0.0001")  # every format
    with pytest.raises(Unreadable, match="too large|txt files over"):
        read_document(source / "big.txt", source)


# -- a folder of every format, indexed and searched --------------------------------------


@pytest.fixture(scope="module")
def formats_index(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("formats-source")
    files = {
        "manual.pdf": manual_pdf(),
        "survey.docx": report_docx(),
        "voyages.epub": make_epub(
            [("ch1.xhtml", "<h1>The Crossing</h1><p>The ferry left at dawn.</p>")], title="Voyages"
        ),
        "notes.odt": make_odt(
            [("p", "The heron waited."), PAGE, ("p", "The albatross circled the mast.")]
        ),
        "site/fileinput.html": SPHINX_PAGE.encode(),
        "sealed.pdf": (FIXTURES / "encrypted.pdf").read_bytes(),
        "scan.pdf": make_pdf([[]], images=[0]),
    }
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    index = tmp_path_factory.mktemp("formats-index")
    report = build_index(source, index, full=True, procs=1, ocr=OcrSettings(enabled=False))
    assert sorted(report.warnings) == [
        "scan.pdf: no text layer, only scanned pages; not read: OCR is off",
        "sealed.pdf: encrypted PDF (needs a password)",
    ]
    assert report.format_lines() == [
        "docx: 1 read (2 pages)",
        "epub: 1 read",
        "html: 1 read",
        "odt: 1 read (2 pages)",
        "pdf: 1 read (4 pages), 2 skipped (1 encrypted, 1 no text layer)",
    ]
    return index


@pytest.mark.parametrize(
    ("query", "doc", "page", "label"),
    [
        ("cavitating impeller", "manual.pdf", 4, "3"),
        ("priming chamber", "manual.pdf", 3, "2"),
        ("shipment", "manual.pdf", 1, "i"),
        ("dredging fortnight", "survey.docx", 2, "2"),
        ("albatross", "notes.odt", 2, "2"),
        ("ferry dawn", "voyages.epub", None, None),
        ("helper class", "site/fileinput.html", None, None),
    ],
)
def test_searches_find_the_right_page(formats_index, query, doc, page, label):
    with Engine(formats_index) as engine:
        [hit, *_] = engine.search(Query(query)).hits
    assert (hit.doc, hit.page, hit.page_label) == (doc, page, label)


def test_chrome_is_not_searchable(formats_index):
    with Engine(formats_index) as engine:
        for phrase in ('"Show Source"', '"Previous topic"', "copyright", "navigation"):
            assert engine.search(Query(phrase, exact=True)).total == 0, phrase


def test_stats_list_formats_pages_and_skipped_files(formats_index):
    with Engine(formats_index) as engine:
        stats = engine.stats()
    assert [c.line() for c in stats.formats] == [
        "docx: 1 read (2 pages)",
        "epub: 1 read",
        "html: 1 read",
        "odt: 1 read (2 pages)",
        "pdf: 1 read (4 pages), 2 skipped (1 encrypted PDF (needs a password), "
        "1 no text layer, only scanned pages; not read: OCR is off)",
    ]
    assert stats.skipped == {
        "scan.pdf": "scan.pdf: no text layer, only scanned pages; not read: OCR is off",
        "sealed.pdf": "sealed.pdf: encrypted PDF (needs a password)",
    }


def test_images_are_pages_waiting_for_ocr_and_damaged_ones_are_named():
    frames = [Image.new("L", (40, 40), shade) for shade in (0, 128, 255)]
    for fmt, pages in (("TIFF", (1, 2, 3)), ("GIF", (1,)), ("PNG", (1,))):
        out = io.BytesIO()
        frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:])
        document = parse_document(f"scan.{fmt.lower()}", f".{fmt.lower()}", out.getvalue())
        # A TIFF's frames are pages; a GIF's are an animation.
        assert (document.format, document.waiting, document.blocks) == ("image", pages, ())
    with pytest.raises(Unreadable, match=r"^photo\.jpg: damaged image, or of a kind not read$"):
        parse_document("photo.jpg", ".jpg", b"\xff\xd8 not really a JPEG")
