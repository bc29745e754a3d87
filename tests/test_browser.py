"""A real browser (Debian's Chromium, driven by Playwright) against a real
`seedsearch serve --workers 2` on 127.0.0.1: search, read in context, page
through, with and without JavaScript, on a phone and in dark mode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROOT
from tests.live_server import LiveServer, live_server

ARTIFACTS = ROOT / "test-artifacts"
PER_PAGE = 4  # small pages, so the seed's ten passages span three


@pytest.fixture(scope="session")
def server(seed_index: Path) -> Iterator[LiveServer]:
    with live_server(seed_index, workers=2, env={"SEEDSEARCH_PER_PAGE": str(PER_PAGE)}) as s:
        yield s


def new_page(browser: Browser, *, js: bool = True, **options) -> Page:
    options.setdefault("viewport", {"width": 1024, "height": 720})
    context = browser.new_context(java_script_enabled=js, **options)
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser: Browser) -> Iterator[Page]:
    page = new_page(browser, js=request.param)
    page.js = request.param
    yield page
    page.context.close()


def style(locator, prop: str) -> str:
    return locator.evaluate("(el, prop) => getComputedStyle(el)[prop]", prop)


def luminance(css_color: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_search_and_read_the_passage_in_context(server: LiveServer, page: Page):
    page.goto(server.url + "/")
    box = page.get_by_label("Search passages")
    expect(box).to_be_focused()  # autofocus, no script needed
    page.keyboard.type("human rights")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=human\+rights$"))
    expect(page.get_by_role("status")).to_contain_text("matching passages")
    hits = page.locator("ol.passages > li")
    expect(hits).to_have_count(PER_PAGE)
    marks = page.locator(".snippet mark")
    assert marks.count() >= PER_PAGE
    for text in marks.all_inner_texts():
        assert text.lower() in {"human", "rights", "right"}, text
    mark = marks.first
    expect(mark).to_be_visible()
    assert style(mark, "backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    if page.js is False:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)

    # Follow the third result (further down the document) to its passage.
    link = page.locator("ol.passages a.passage-link").nth(2)
    fragment = link.get_attribute("href").split("#")[1]
    link.click()
    page.wait_for_url(re.compile(rf"/doc/.+\?q=human\+rights#{fragment}$"))
    target = page.locator(f"#{fragment}")
    expect(target).to_be_in_viewport()
    assert page.evaluate("document.querySelector(':target').id") == fragment
    other = page.locator(".passage:not(:target)").first
    # Emphasised: a coloured bar and a tinted background that other passages lack.
    assert style(target, "borderLeftColor") != style(other, "borderLeftColor")
    assert style(target, "backgroundColor") != style(other, "backgroundColor")
    assert target.locator("mark").count() > 0
    expect(page.get_by_role("status")).to_contain_text("matches for human rights")
    if page.js:
        # The optional script moves keyboard focus to the passage.
        assert page.evaluate("document.activeElement.id") == fragment


def test_page_through_results(server: LiveServer, page: Page):
    page.goto(server.url + "/?q=rights")
    seen: list[str] = []
    for number in (1, 2, 3):
        expect(page.locator("nav.pager [aria-current=page]")).to_have_text(f"Page {number} of 3")
        expect(page.locator("ol.passages")).to_have_attribute("start", str(len(seen) + 1))
        expect(page.get_by_label("Search passages")).to_have_value("rights")
        seen += page.locator("ol.passages a.passage-link").evaluate_all(
            "links => links.map(a => a.href)"
        )
        if number < 3:
            page.get_by_role("link", name="Next →").click()
            page.wait_for_url(re.compile(rf"[?&]page={number + 1}\b"))
    expect(page.get_by_role("link", name="Next →")).to_have_count(0)
    assert len(seen) == len(set(seen)) == 10
    page.get_by_role("link", name="← Previous").click()
    page.wait_for_url(re.compile(r"[?&]page=2\b"))
    expect(page.locator("ol.passages")).to_have_attribute("start", str(PER_PAGE + 1))


def test_did_you_mean_link(server: LiveServer, page: Page):
    page.goto(server.url + "/?q=rusian")
    correction = page.locator(".message.correction")
    expect(correction).to_contain_text("Showing results for russian")
    correction.get_by_role("link", name="rusian").click()
    page.wait_for_url(re.compile(r"exact=1"))
    expect(page.get_by_role("status")).to_contain_text("0 matching passages")
    page.locator(".message.suggestion a").click()
    expect(page.get_by_label("Search passages")).to_have_value("russian")
    expect(page.locator("ol.passages > li").first).to_be_visible()


def test_slash_focuses_the_search_box(server: LiveServer, browser: Browser):
    page = new_page(browser)
    try:
        page.goto(server.url + "/help")
        box = page.get_by_label("Search passages")
        expect(box).not_to_be_focused()
        page.keyboard.press("/")
        expect(box).to_be_focused()
        page.keyboard.type("a/b")  # a slash typed in the box stays in the box
        expect(box).to_have_value("a/b")
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_and_colour_schemes(server: LiveServer, browser: Browser, scheme: str):
    page = new_page(browser, viewport={"width": 360, "height": 740}, color_scheme=scheme)
    try:
        for path in ("/", "/?q=human+rights", "/doc/hrw-local-collaborations-in-russia.txt#p5"):
            page.goto(server.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (path, overflow)
        background = luminance(style(page.locator("html"), "backgroundColor"))
        text = luminance(style(page.locator("body"), "color"))
        if scheme == "dark":
            assert background < 0.15 and text > 0.7
        else:
            assert background > 0.9 and text < 0.2
        mark = page.goto(server.url + "/?q=memorial") and page.locator(".snippet mark").first
        mark_bg = luminance(style(mark, "backgroundColor"))
        mark_fg = luminance(style(mark, "color"))
        assert abs(mark_bg - mark_fg) > 0.4  # marked words stay readable
    finally:
        page.context.close()


def test_keyboard_focus_is_visible(server: LiveServer, browser: Browser):
    page = new_page(browser)
    try:
        page.goto(server.url + "/?q=memorial")
        page.keyboard.press("Tab")  # from the autofocused box to the button
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        assert style(focused, "outlineStyle") == "solid"
        assert float(style(focused, "outlineWidth").removesuffix("px")) >= 2
    finally:
        page.context.close()
