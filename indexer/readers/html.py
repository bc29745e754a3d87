"""HTML: the main text of a page, without the site around it.

Navigation, sidebars, headers, footers, breadcrumbs, "related" boxes, cookie
banners and permalink anchors are dropped by structure: their elements
(`nav`, `aside` ...), ARIA roles, and the class names of the common site
generators (Sphinx, MkDocs, Docusaurus, Read the Docs, WordPress). `<main>`,
`[role=main]` or a lone `<article>` is preferred when the page has one.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)

from .base import Parsed, Part
from .chrome import site_chrome
from .dates import META_DATES, iso_date
from .decoding import decode, squash

_NOT_PROSE = [
    "script",
    "style",
    "nav",
    "noscript",
    "template",
    "iframe",
    "svg",
    "form",
    "footer",
    "aside",
    "figcaption",
    "button",
    "select",
    "dialog",
    "head",
]
_CHROME_ROLES = frozenset(
    ["navigation", "search", "complementary", "banner", "contentinfo", "menu", "menubar"]
)
# Class or id tokens of site chrome in the common generators and themes.
_CHROME_CLASS = re.compile(
    r"(?:sphinxsidebar\w*|related|relbar\w*|footer|headerlink|header-?link|hash-link"
    r"|sidebar|sidebar-.+|.+-sidebar|.+-sidebar-.+|breadcrumbs?|.+-breadcrumbs?"
    r"|cookie.*|.+-cookie.*|gdpr.*|consent.*"
    r"|md-(?:header|footer|nav|sidebar|search|tabs|top|source).*"
    r"|wy-nav-.+|wy-breadcrumbs.*|rst-footer-buttons|rst-versions"
    r"|navbar.*|nav-links|nav-previous|nav-next|post-navigation|posts-navigation"
    r"|pagination-nav.*|theme-doc-(?:sidebar|toc|breadcrumbs|footer|version).*"
    r"|table-of-contents|toc-drawer|related-pages|mobile-header|bd-header.*|bd-footer.*"
    r"|widget-area|widget|widgets|site-header|site-footer|site-navigation|site-info"
    r"|comments?-area|comment-respond|jp-relatedposts|related-posts?|sharedaddy|share-?buttons"
    r"|social-?(?:links|share|icons)|skip-link|screen-reader-text|cookie-?banner|menu-toggle)"
)
_PERMALINK_TEXT = frozenset(["¶", "#", "§", "🔗", "", "link"])
_HEADING = re.compile(r"h[1-6]")
_BLOCKS = frozenset(
    ["p", "div", "section", "article", "main", "li", "blockquote", "pre", "td", "th", "dd"]
    + ["dt", "table", "tr", "ul", "ol", "dl", "hr", "figure", "address", "center", "body"]
    + ["details", "summary", "h1", "h2", "h3", "h4", "h5", "h6"]
)


def read_html(data: bytes, doc: str, folder: Path | None = None) -> Parsed:
    """The main text of a page: headings become sections. Blocks repeated on most
    pages of its `folder` are the site's chrome and are left out."""
    parsed = parse_html(decode(data, doc))
    chrome = site_chrome(folder, parse_html) if folder is not None else frozenset()
    if not chrome:
        return parsed
    parts = tuple(p for p in parsed.parts if p.text not in chrome)
    title = parsed.title
    if title in chrome:  # the site's name in every page's <h1>
        title = next((p.text for p in parts if p.level), "") or parsed.title
    return replace(parsed, title=title, parts=parts)


def parse_html(text: str) -> Parsed:
    """Title, blocks and date of an HTML page's main content."""
    with warnings.catch_warnings():
        # XHTML (EPUB chapters) is read as HTML on purpose; a page may be one word.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "lxml")
    date = _date(soup)
    page_title = soup.find("title")
    page_title = squash(page_title.get_text(" ")) if page_title else ""
    _drop_chrome(soup)
    root = _main(soup)
    h1 = root.find("h1") or soup.find("h1")
    title = (squash(h1.get_text(" ")) if h1 else "") or page_title
    return Parsed(title, tuple(_parts(root)), date=date)


def _date(soup: BeautifulSoup) -> str:
    """The first date-naming <meta>'s content, else the first <time datetime>."""
    for tag in soup.find_all("meta", attrs={"content": True}):
        names = {str(tag.get(a, "")).lower() for a in ("name", "property", "itemprop")}
        if names & META_DATES and (found := iso_date(tag["content"])):
            return found
    for time in soup.find_all("time", attrs={"datetime": True}):
        if found := iso_date(time["datetime"]):
            return found
    return ""


def _drop_chrome(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_NOT_PROSE):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.decomposed:
            continue
        if not tag.find_parent(["article", "main"]):
            tag.decompose()  # the site's banner
            continue
        # An article's own header: its title stays, its byline and date are not prose.
        headings = tag.find_all(_HEADING)
        tag.clear()
        for heading in headings:
            tag.append(heading)
    keep = _main(soup)
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in ("html", "body", "main", "article"):
            continue
        if _is_chrome(tag) and tag is not keep and not (keep and _contains(tag, keep)):
            tag.decompose()


def _is_chrome(tag: Tag) -> bool:
    if tag.get("role", "").lower() in _CHROME_ROLES or tag.get("aria-hidden") == "true":
        return True
    if tag.name == "a" and tag.get("href", "").startswith("#"):  # a permalink anchor
        return squash(tag.get_text()) in _PERMALINK_TEXT
    tokens = list(tag.get("class") or ())
    if tag.get("id"):
        tokens.append(tag["id"])
    return any(_CHROME_CLASS.fullmatch(t.lower()) for t in tokens)


def _contains(tag: Tag, inner: Tag) -> bool:
    return any(parent is tag for parent in inner.parents)


def _main(soup: BeautifulSoup) -> Tag:
    found = soup.find("main") or soup.find(attrs={"role": "main"})
    if found is None:
        articles = soup.find_all("article")
        found = articles[0] if len(articles) == 1 else None
    return found or soup.body or soup


def _parts(root: Tag) -> list[Part]:
    parts: list[Part] = []
    buffer: list[str] = []

    def flush(level: int = 0, item: bool = False) -> None:
        text = squash("".join(buffer))
        buffer.clear()
        if text:
            parts.append(Part(text, level, item))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not comments or doctypes
                    buffer.append(str(child))
            elif isinstance(child, Tag):
                name = child.name
                if name == "br":
                    buffer.append(" ")
                elif name == "pre" and child.find("code"):
                    flush()
                elif name in _BLOCKS:
                    flush()
                    walk(child)
                    level = int(name[1]) if _HEADING.fullmatch(name) else 0
                    flush(level, name == "li")
                else:
                    walk(child)

    walk(root)
    flush()
    return parts
