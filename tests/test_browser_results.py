"""Grouped results, facets, filters, date order and search as you type, in a real
browser (Debian's Chromium through Playwright) against `seedsearch serve` on the
demo archive. What the page should show is asked of the server's own JSON API."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Error, Page, Route, expect

from tests.conftest import DEMO_PER_PAGE
from tests.live_server import LiveServer


def new_page(browser: Browser, *, js: bool = True) -> Page:
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def static_page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser, js=False)
    yield page
    page.context.close()


def api(server: LiveServer, **args) -> dict:
    status, body = server.get("/api/search?" + urlencode(args, doseq=True))
    assert status == 200, body
    return json.loads(body)


def titles(page: Page) -> list[str]:
    """The documents on the page: several, or the one whose passages are listed."""
    return page.locator("li.document-hit h2 a, article.one-document h2 a").all_inner_texts()


def facet_link(page: Page, facet: str, label: str):
    section = page.locator(f"section[aria-labelledby=facet-{facet}]")
    return section.locator("a", has=page.locator(".label", has_text=re.compile(rf"^{label}$")))


def count_of(link) -> int:
    return int(link.locator(".count").inner_text().split()[0].replace(",", ""))


def test_one_entry_per_document_in_order_with_more_links(demo_server, page):
    expected = api(demo_server, q="flood", group="doc", per_page=DEMO_PER_PAGE)
    page.goto(demo_server.url + "/?q=flood")
    expect(page.locator("li.document-hit")).to_have_count(DEMO_PER_PAGE)
    assert titles(page) == [d["title"] for d in expected["documents"]]
    assert len(set(titles(page))) == DEMO_PER_PAGE  # each document once
    for n, document in enumerate(expected["documents"]):
        entry = page.locator("li.document-hit").nth(n)
        expect(entry.locator("a.passage-link")).to_have_count(len(document["passages"]))
    more = page.locator("li.document-hit .more a").first
    hidden = int(more.inner_text().split()[0])
    owner = more.locator("xpath=ancestor::li[1]").locator("h2 a").inner_text()
    more.click()
    page.wait_for_url(re.compile(r"AND\+doc:"))
    expect(page.locator("article.one-document h2")).to_have_text(owner)
    listed = page.locator("article.one-document a.passage-link")
    shown = next(d for d in expected["documents"] if d["title"] == owner)
    expect(listed).to_have_count(min(shown["matches"], 10))
    assert shown["matches"] == hidden + len(shown["passages"])


def test_each_filter_and_its_counts(demo_server, page):
    expected = api(demo_server, q="flood", facets=1)["facets"]
    page.goto(demo_server.url + "/?q=flood")
    for facet, values in expected.items():
        if facet == "folder":
            values = [v for v in values if "/" not in v["value"]]  # top folders first
        for value in values:
            names = {"md": "Markdown", "html": "HTML", "txt": "Text", "en": "English"}
            label = names.get(value["value"])
            link = facet_link(page, facet, label or value["value"])
            assert count_of(link) == value["count"], (facet, value)
    # Choose a folder, then one of its subfolders, then a format, then a year.
    facet_link(page, "folder", "reports").click()
    page.wait_for_url(re.compile(r"in=reports$"))
    narrowed = api(demo_server, q="flood", group="doc", per_page=DEMO_PER_PAGE, **{"in": "reports"})
    assert titles(page) == [d["title"] for d in narrowed["documents"]]
    subfolder = facet_link(page, "folder", "2016")
    subfolder.click()
    page.wait_for_url(re.compile(r"in=reports/2016$"))
    expect(page.locator("ul.chips a")).to_have_text(["Remove filter: in reports/2016 ×"])
    facet_link(page, "format", "HTML").click()
    page.wait_for_url(re.compile(r"type=html"))
    both = api(
        demo_server, q="flood", facets=1, group="doc", **{"in": "reports/2016", "type": "html"}
    )
    assert titles(page) == [d["title"] for d in both["documents"]] and both["total"] >= 1
    for value in both["facets"]["year"]:
        assert count_of(facet_link(page, "year", value["value"])) == value["count"]
    # A chosen value's link removes it.
    facet_link(page, "format", "HTML").click()
    page.wait_for_url(re.compile(r"/\?q=flood&in=reports/2016$"))


def test_filters_combine_with_exclusions_and_phrases(demo_server, page):
    query = '"stone bridge" -flood'
    page.goto(demo_server.url + "/?" + urlencode({"q": query}))
    facet_link(page, "format", "Markdown").click()
    page.wait_for_url(re.compile(r"type=md"))
    expected = api(demo_server, q=query, type="md", group="doc", per_page=DEMO_PER_PAGE)
    assert expected["total"] >= 1 and titles(page) == [d["title"] for d in expected["documents"]]
    for snippet in page.locator("li.document-hit .snippet").all_inner_texts():
        assert "flood" not in snippet.lower()
    for mark in page.locator("li.document-hit .snippet mark").all_inner_texts():
        assert mark.lower() == "stone bridge"
    assert all(
        "Markdown" in w
        for w in page.locator("li.document-hit > article > .where").all_inner_texts()
    )


def test_newest_first(demo_server, page):
    page.goto(demo_server.url + "/?q=bridge")
    page.get_by_role("link", name="Newest first").click()
    page.wait_for_url(re.compile(r"sort=date"))
    expect(page.get_by_role("link", name="Newest first")).to_have_attribute("aria-current", "true")
    dates = page.locator("li.document-hit > article > .where time").evaluate_all(
        "times => times.map(t => t.dateTime)"
    )
    assert len(dates) == DEMO_PER_PAGE and dates == sorted(dates, reverse=True)
    expected = api(demo_server, q="bridge", sort="date", group="doc", per_page=DEMO_PER_PAGE)
    assert titles(page) == [d["title"] for d in expected["documents"]]


# -- search as you type -------------------------------------------------------------


def results_heading(page: Page):
    return page.locator("main h1")


def test_typing_updates_results_and_the_address(demo_server, page):
    page.goto(demo_server.url + "/")
    box = page.get_by_label("Search passages")
    expect(box).to_be_focused()
    page.keyboard.type("weir")
    page.wait_for_url(re.compile(r"/\?q=weir$"))
    expect(results_heading(page)).to_have_text("Results for “weir”")
    expected = api(demo_server, q="weir", group="doc", per_page=DEMO_PER_PAGE)
    assert titles(page) == [d["title"] for d in expected["documents"]]
    announced = f"{expected['passages']} matching passages, in"
    expect(page.locator("#announce")).to_contain_text(announced.split(",")[0])
    expect(box).to_be_focused()
    page.keyboard.type(" meadow")
    page.wait_for_url(re.compile(r"/\?q=weir\+meadow$"))
    expect(results_heading(page)).to_have_text("Results for “weir meadow”")
    # Back returns to the page typing started from, as after pressing Enter.
    page.go_back()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("main h1")).to_contain_text("Search 9 documents")
    expect(box).to_have_value("")


def test_enter_and_back_behave_as_without_script(demo_server, page):
    page.goto(demo_server.url + "/help")
    page.get_by_label("Search passages").fill("")
    page.get_by_label("Search passages").focus()
    page.keyboard.type("pumps")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=pumps$"))
    expect(results_heading(page)).to_have_text("Results for “pumps”")
    page.go_back()
    page.wait_for_url(re.compile(r"/help$"))
    expect(page.locator("main h1")).to_have_text("Query syntax")


def test_a_slow_answer_never_replaces_a_newer_one(demo_server, page):
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if not held and "q=stone&" not in route.request.url + "&":
            route.continue_()
        elif not held:
            held.append(route)  # answered later, after the newer query's answer
        else:
            route.continue_()

    page.route(re.compile(r"/\?q="), hold_the_first)
    page.goto(demo_server.url + "/")
    page.get_by_label("Search passages").focus()  # not left to autofocus's timing
    page.keyboard.type("stone")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the first request was not made"
    page.keyboard.type(" bridge")
    page.wait_for_url(re.compile(r"/\?q=stone\+bridge$"))
    expect(results_heading(page)).to_have_text("Results for “stone bridge”")
    # The stale answer arrives now, unless the page aborted it (as it should).
    with contextlib.suppress(Error):
        held[0].continue_()
    page.wait_for_timeout(600)
    expect(results_heading(page)).to_have_text("Results for “stone bridge”")
    assert page.url.endswith("/?q=stone+bridge")


def test_without_script_typing_changes_nothing_until_enter(demo_server, static_page):
    page = static_page
    page.goto(demo_server.url + "/")
    page.get_by_label("Search passages").focus()
    page.keyboard.type("weir")
    page.wait_for_timeout(600)
    assert page.url == demo_server.url + "/"
    expect(page.locator("main h1")).to_contain_text("Search 9 documents")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=weir$"))
    expected = api(demo_server, q="weir", group="doc", per_page=DEMO_PER_PAGE)
    assert titles(page) == [d["title"] for d in expected["documents"]]
    facet_link(page, "folder", "reports").click()
    page.wait_for_url(re.compile(r"in=reports"))
    expect(page.locator("ul.chips a")).to_have_count(1)


def test_results_are_reachable_and_openable_with_the_keyboard(demo_server, page):
    page.goto(demo_server.url + "/?q=flood")
    first = page.locator("li.document-hit h2 a").first
    href = first.get_attribute("href")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            break
    else:
        pytest.fail("Tab never reached the first result")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/doc/"))
    assert page.url.endswith(href)
    # The passages beneath it, and the facets, are reachable too.
    page.go_back()
    page.wait_for_url(re.compile(r"/\?q=flood$"))
    passage = page.locator("li.document-hit a.passage-link").first
    passage.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/doc/.+#p\d+$"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_grouped_results_and_facets_fit_a_phone(demo_server, browser: Browser, scheme: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(demo_server.url + "/?q=flood+bridge&in=reports&type=md&sort=date")
        expect(page.locator("li.document-hit").first).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # On a phone the facets follow the results.
        results = page.locator("ol.documents").bounding_box()
        facets = page.locator("aside.facets").bounding_box()
        assert facets["y"] >= results["y"] + results["height"]
    finally:
        context.close()
