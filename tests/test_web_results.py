"""The results page grouped by document, through the real Flask app on the demo
archive: one entry per document with its best passages, the links to the rest,
facet counts beside the results whose links toggle their filter, filters in
force that can be removed, the other order and layout."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from indexer.models import Query
from webapp import create_app


@pytest.fixture(scope="module")
def client(demo_index: Path):
    app = create_app({"INDEX": str(demo_index), "TESTING": True, "PER_PAGE": 4})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def get(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def args_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def status(page: BeautifulSoup) -> str:
    return page.select_one("[role=status]").get_text(" ", strip=True)


def facet(page: BeautifulSoup, name: str) -> dict[str, tuple[int, bool, str]]:
    """label -> (count, selected, href) of one facet's values, subfolders included."""
    section = page.select_one(f"section[aria-labelledby=facet-{name}]")
    out = {}
    for link in section.select("a") if section else []:
        label = link.select_one(".label").get_text(strip=True)
        count = int(link.select_one(".count").contents[0].replace(",", ""))
        out[label] = (count, link.get("aria-current") == "true", link["href"])
    return out


def test_one_entry_per_document_with_its_best_passages(client, demo_engine):
    page = get(client, "/?q=flood")
    expected = demo_engine.search(Query("flood", per_page=4, by_document=True))
    entries = page.select("ol.documents > li.document-hit")
    assert [e.h2.a.get_text() for e in entries] == [d.title for d in expected.documents]
    assert status(page).startswith(
        f"{expected.passages} matching passages in {expected.total} documents · "
    )
    for entry, document in zip(entries, expected.documents, strict=True):
        assert entry.h2.a["href"] == document.url
        where = entry.select_one(".where")
        assert where.select_one(".docid").get_text() == document.doc
        assert document.date in where.get_text()
        # Its folder is a link to the same search in that folder.
        assert args_of(where.select_one(".docid a")["href"]) == {
            "q": ["flood"],
            "in": [document.folder],
        }
        links = entry.select("ol.passages a.passage-link")
        assert [a["href"] for a in links] == [h.url for h in document.passages]
        snippets = [s.decode_contents() for s in entry.select(".snippet")]
        assert snippets == [h.snippet for h in document.passages]
        more = entry.select_one(".more a")
        hidden = document.matches - len(document.passages)
        if not hidden:
            assert more is None
            continue
        assert more.get_text() == f"{hidden} more in this document"
        # It lists every matching passage of that document, the title once.
        listing = get(client, more["href"])
        assert listing.select_one("article.one-document h2").get_text() == document.title
        assert status(listing).startswith(f"{document.matches} matching passages in one document")
    # Documents are paged: the next page starts with the next document.
    second = get(client, page.select_one("a[rel=next]")["href"])
    assert second.select_one("ol.documents")["start"] == "5"


def test_facets_count_documents_and_toggle_their_filter(client, demo_engine):
    page = get(client, "/?q=flood")
    counts = demo_engine.search(Query("flood", facets=True)).facets
    formats = facet(page, "format")
    assert {label: c for label, (c, _, _) in formats.items()} == {
        {"md": "Markdown", "html": "HTML", "txt": "Text"}[v.value]: v.count for v in counts.format
    }
    years = facet(page, "year")
    assert [label for label in years] == [v.value for v in counts.year]
    # Top folders only until one is chosen.
    assert set(facet(page, "folder")) == {"guides", "minutes", "reports"}

    count, selected, href = formats["HTML"]
    assert not selected and args_of(href) == {"q": ["flood"], "type": ["html"]}
    filtered = get(client, href)
    assert f" in {count} documents · " in status(filtered)
    docs = [e.select_one(".where").get_text() for e in filtered.select("li.document-hit")]
    assert len(docs) == min(count, 4) and all("HTML" in d for d in docs)
    count_after, selected_after, href_after = facet(filtered, "format")["HTML"]
    assert selected_after and count_after == count
    assert facet(filtered, "format")["Markdown"][0] > 0  # still offered, to add to the filter
    assert args_of(href_after) == {"q": ["flood"]}
    chips = filtered.select("ul.chips a")
    assert [c.get_text(" ", strip=True) for c in chips] == ["Remove filter: HTML ×"]


def test_a_folder_opens_its_subfolders_and_replaces_its_parent(client):
    page = get(client, "/?q=flood&in=reports")
    folders = facet(page, "folder")
    assert {"reports", "2014", "2016"} <= set(folders) and folders["reports"][1]
    narrower = get(client, folders["2014"][2])
    assert args_of(folders["2014"][2]) == {"q": ["flood"], "in": ["reports/2014"]}
    assert all(
        "reports/2014" in e.select_one(".where").get_text()
        for e in narrower.select("li.document-hit")
    )


def test_typed_filters_show_as_removable_and_as_selected(client):
    page = get(client, "/?q=flood+type:md+year:2014..2016")
    chips = {c.get_text(" ", strip=True): c["href"] for c in page.select("ul.chips a")}
    assert args_of(chips["Remove filter: type:md ×"]) == {"q": ["flood year:2014..2016"]}
    years = facet(page, "year")
    assert all(selected for label, (_, selected, _) in years.items() if "2014" <= label <= "2016")
    # Unselecting a typed value takes it out of the query text.
    assert args_of(facet(page, "format")["Markdown"][2]) == {"q": ["flood year:2014..2016"]}
    # The search box sends what the address holds besides q; typed ones stay in q.
    assert page.select_one("input#q")["value"] == "flood type:md year:2014..2016"
    assert page.select("form.search input[type=hidden]") == []
    filtered = get(client, "/?q=flood&type=md&sort=date")
    hidden = [(i["name"], i["value"]) for i in filtered.select("form.search input[type=hidden]")]
    assert hidden == [("type", "md"), ("sort", "date")]


def test_order_and_layout_links(client, demo_engine):
    page = get(client, "/?q=bridge&in=reports")
    views = {a.get_text(): a for a in page.select(".views a")}
    assert views["Most relevant"].get("aria-current") == "true"
    newest = get(client, views["Newest first"]["href"])
    expected = demo_engine.search(
        Query("bridge in:reports", per_page=4, by_document=True, by_date=True)
    )
    assert [e.h2.a.get_text() for e in newest.select("li.document-hit")] == [
        d.title for d in expected.documents
    ]
    flat = get(client, views["By passage"]["href"])
    assert args_of(views["By passage"]["href"]) == {
        "q": ["bridge"],
        "in": ["reports"],
        "group": ["passage"],
    }
    assert len(flat.select("ol.results > li.hit")) == 4
    # Paging keeps the filters, the order and the layout.
    assert args_of(flat.select_one("a[rel=next]")["href"])["in"] == ["reports"]


def test_filters_without_words_browse_a_folder(client, demo_engine):
    page = get(client, "/?in=minutes")
    titles = [e.h2.a.get_text() for e in page.select("li.document-hit")]
    expected = demo_engine.search(Query("in:minutes", by_document=True))
    assert titles == [d.title for d in expected.documents] and len(titles) == 2
    assert page.title.get_text().startswith("in minutes")


@pytest.mark.parametrize(
    ("args", "named"),
    [("year=20x4", "year:"), ("type=exe", "type:"), ("group=all", "group"), ("sort=az", "sort")],
)
def test_bad_values_are_a_friendly_400_page(client, args, named):
    response = client.get(f"/?q=flood&{args}")
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "That query cannot be run"
    assert named in page.select_one(".message").get_text()
