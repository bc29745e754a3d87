"""The main text of one HTML page (or EPUB chapter), without the site around it.

Navigation, sidebars, headers, footers, breadcrumbs, "related" boxes, cookie
banners and permalink anchors are dropped by structure: their elements
(`nav`, `aside` ...), ARIA roles, and the class names of the common site
generators (Sphinx, MkDocs, Docusaurus, Read the Docs, WordPress). `<main>`,
`[role=main]` or a lone `<article>` is preferred when the page has one.

The page is parsed once by lxml (libxml2's HTML parser) and pruned in place:
elements by name are found by lxml in C, the rest in one pass over the elements,
and the text is read in one more.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from .base import Parsed, Part
from .dates import META_DATES, iso_date
from .decoding import squash

_NOT_PROSE = (
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
)
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
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LEVEL = {name: int(name[1]) for name in _HEADINGS}
_BLOCKS = frozenset(
    ["p", "div", "section", "article", "main", "li", "blockquote", "pre", "td", "th", "dd"]
    + ["dt", "table", "tr", "ul", "ol", "dl", "hr", "figure", "address", "center", "body"]
    + ["details", "summary", *_HEADINGS]
)
# Ruby annotations (the reading printed over a word) would repeat the word's sound
# inside it: 漢字(かんじ). The word alone is the text.
_ANNOTATIONS = frozenset(["rt", "rp"])
# Never chrome, whatever their classes say: the page itself and its main content.
_NEVER_CHROME = frozenset(["html", "body", "main", "article"])
# How libxml2 (every version) says it stopped reading a page nested too deeply; the
# error's type changed across versions, its words did not.
_TOO_DEEP = "Excessive depth"


def parse_html(text: str) -> Parsed:
    """Title, blocks and date of an HTML page's main content."""
    root = _tree(text)
    if root is None:  # nothing but comments or white space
        return Parsed("", ())
    date = _date(root)
    page_title = next(root.iter("title"), None)
    page_title = _text(page_title, spaced=True) if page_title is not None else ""
    main = _drop_chrome(root)
    h1 = next(main.iter("h1"), None)
    if h1 is None:
        h1 = next(root.iter("h1"), None)
    title = (_text(h1, spaced=True) if h1 is not None else "") or page_title
    return Parsed(title, tuple(_parts(main)), date=date)


def _tree(text: str) -> etree._Element | None:
    """The page's element tree, or None when it holds no element."""
    # A parser per page: lxml's parsers are not to be shared between threads. Given
    # bytes and their encoding, libxml2 never second-guesses them from a <meta>
    # charset or an XML declaration (EPUB chapters are XHTML, read as HTML on
    # purpose). Comments and processing instructions are not prose. huge_tree lifts
    # libxml2's nesting limit from 256 elements (real pages reach that) to 2048.
    parser = etree.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        huge_tree=True,
    )
    root = etree.fromstring(text.encode("utf-8"), parser)
    if any(_TOO_DEEP in error.message for error in parser.error_log):
        # libxml2 stopped there: the rest of the page would vanish without a word.
        # The readers' callers report a RecursionError as "nested too deeply".
        raise RecursionError("HTML nested deeper than libxml2 reads")
    return root


def _date(root: etree._Element) -> str:
    """The first date-naming <meta>'s content, else the first <time datetime>."""
    for meta in root.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        names = {meta.get(a, "").lower() for a in ("name", "property", "itemprop")}
        if names & META_DATES and (found := iso_date(content)):
            return found
    for time in root.iter("time"):
        if (value := time.get("datetime")) is not None and (found := iso_date(value)):
            return found
    return ""


def _drop_chrome(root: etree._Element) -> etree._Element:
    """Prune the page to its prose; the element holding its main content."""
    # Dropping an element inside one already dropped changes nothing that is
    # read, so no step checks whether an element is still in the page.
    for element in list(root.iter(*_NOT_PROSE)):
        _drop(element)
    for header in list(root.iter("header")):
        if next(header.iterancestors("article", "main"), None) is None:
            _drop(header)  # the site's banner
        else:
            # An article's own header: its title stays, its byline and date are not prose.
            _keep_headings(header)
    chrome, role_main = _chrome_by_attributes(root)
    keep = _main(root, role_main)
    keep_line = {keep, *keep.iterancestors()}  # what must stay for keep to stay
    for element in chrome:
        if element.tag not in _NEVER_CHROME and element not in keep_line:
            _drop(element)
    # Again: of several articles, all but one may have been chrome (related posts).
    # role_main, if it was the main content, stayed, and is still the first.
    return _main(root, role_main)


def _chrome_by_attributes(
    root: etree._Element,
) -> tuple[list[etree._Element], etree._Element | None]:
    """The elements whose attributes say chrome, in document order, and the first
    with role=main: one pass. Which is chrome does not depend on what is dropped
    first: only a permalink's text could, and its text comes after it."""
    chrome: list[etree._Element] = []
    role_main = None
    for element in root.iter():
        role = element.get("role")
        if role == "main" and role_main is None:
            role_main = element
        if _is_chrome(element, role):
            chrome.append(element)
    return chrome, role_main


def _keep_headings(header: etree._Element) -> None:
    """Empty `header` but for the headings found in it, in their order."""
    headings = list(header.iter(*_HEADINGS))
    header.text = None
    for child in list(header):
        header.remove(child)
    for heading in headings:
        _drop(heading)  # a heading inside another: the text around it stays there
        heading.tail = None
        header.append(heading)


def _is_chrome(element: etree._Element, role: str | None) -> bool:
    get = element.get
    if (role is not None and role.lower() in _CHROME_ROLES) or get("aria-hidden") == "true":
        return True
    if element.tag == "a" and (get("href") or "").startswith("#"):  # a permalink anchor
        return _text(element) in _PERMALINK_TEXT
    if (classes := get("class")) is not None and _chrome_classes(classes):
        return True
    return bool(ident := get("id")) and _CHROME_CLASS.fullmatch(ident.lower()) is not None


@lru_cache(maxsize=8192)
def _chrome_classes(value: str) -> bool:
    """Whether a class attribute names site chrome (a site repeats the same few)."""
    return any(_CHROME_CLASS.fullmatch(token.lower()) for token in value.split())


def _drop(element: etree._Element) -> None:
    """Remove `element` and what is in it; the text after it stays where it was."""
    parent = element.getparent()
    if parent is None:
        return
    if tail := element.tail:
        before = element.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _main(root: etree._Element, role_main: etree._Element | None) -> etree._Element:
    """The first <main>, else `role_main` (the first [role=main]), else the lone
    <article>, else <body>."""
    found = next(root.iter("main"), None)
    if found is None:
        found = role_main
    if found is None:
        articles = root.iter("article")
        found = next(articles, None)
        if next(articles, None) is not None:
            found = None  # several articles: none of them is the page
    if found is None:
        found = next(root.iter("body"), None)
    return root if found is None else found


def _text(element: etree._Element, spaced: bool = False) -> str:
    """An element's text on one line, ruby annotations left out. `spaced`: line breaks
    and blocks part words (a title); else the strings are joined as they are."""
    out: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        if event == "start":
            if tag in _ANNOTATIONS and node is not element:
                walker.skip_subtree()
                continue
            if spaced and (tag == "br" or tag in _BLOCKS):
                out.append(" ")
            if node.text:
                out.append(node.text)
        elif node is element:
            break
        else:
            if spaced and tag in _BLOCKS:
                out.append(" ")
            if node.tail:
                out.append(node.tail)
    return squash("".join(out))


def _parts(root: etree._Element) -> list[Part]:
    """The blocks under `root`, in order: headings with their level, list items marked."""
    parts: list[Part] = []
    buffer: list[str] = []
    append = buffer.append

    def flush(level: int = 0, item: bool = False) -> None:
        if buffer:
            text = squash("".join(buffer))
            buffer.clear()
            if text:
                parts.append(Part(text, level, item))

    # Iterative, not recursive: any nesting libxml2 accepts is read.
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        if event == "start":
            if tag in _BLOCKS and node is not root:
                flush()
                if tag == "pre" and next(node.iter("code"), None) is not None:
                    walker.skip_subtree()  # a code block: not prose
                    continue
            elif tag == "br":
                append(" ")
            elif tag in _ANNOTATIONS:
                walker.skip_subtree()
                continue
            if node.text:
                append(node.text)
        elif node is root:
            break
        else:
            if tag in _BLOCKS:
                flush(_LEVEL.get(tag, 0), tag == "li")  # nothing, after a code block
            if node.tail:
                append(node.tail)
    flush()
    return parts
