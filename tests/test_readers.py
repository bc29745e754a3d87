"""Reading .txt, .md and .html files into documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.readers import Unreadable, find_files, parse_document, read_document
from tests.conftest import SEED_DOC, SEEDS


def paragraphs(doc) -> list[str]:
    return [b.text for b in doc.blocks if b.level == 0]


def test_seed_title_is_its_short_first_line():
    doc = read_document(SEEDS / SEED_DOC, SEEDS)
    assert doc.doc == SEED_DOC
    assert doc.title == (
        "Long before “internationalization”: Human Rights Watch and local collaborations in Russia"
    )


def test_text_paragraphs_unwrap_soft_newlines_and_crlf(corpus):
    src = corpus({"a.txt": b"First line\r\nstill first.\r\n\r\nSecond one.\r\n"})
    doc = read_document(src / "a.txt", src)
    assert paragraphs(doc) == ["First line still first.", "Second one."]
    assert doc.title == "a"  # no short unpunctuated first line: the file name


def test_utf8_bom_is_dropped(corpus):
    src = corpus({"bom.txt": "\ufeffTitle here\n\nBody text.".encode()})
    doc = read_document(src / "bom.txt", src)
    assert doc.title == "Title here"
    assert paragraphs(doc) == ["Body text."]


def test_legacy_encoding_is_detected(corpus):
    text = "Les élèves étudient à l'école près de la forêt. " * 20
    src = corpus({"latin.txt": text.encode("cp1252")})
    doc = read_document(src / "latin.txt", src)
    assert "élèves" in doc.text and "forêt" in doc.text


def test_utf16_with_bom_is_read(corpus):
    src = corpus({"u16.txt": "Heading\n\nSome words in UTF-16.".encode("utf-16")})
    assert paragraphs(read_document(src / "u16.txt", src)) == ["Some words in UTF-16."]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"  \n\n ", "empty"), (b"\x00\x01\x02binary\x00" * 50, "binary")],
)
def test_empty_and_binary_files_are_unreadable(corpus, content, reason):
    src = corpus({"bad.txt": content})
    with pytest.raises(Unreadable, match=reason) as info:
        read_document(src / "bad.txt", src)
    assert "bad.txt" in str(info.value)


def test_markdown_headings_sections_and_no_code_or_front_matter(corpus):
    md = """---
title: ignored front matter
---
# The Title

Intro paragraph with *emphasis* and `code`.

## Part One

- first item
- second item

```python
print("not prose")
```

    indented code is not prose either

Closing words.
"""
    src = corpus({"doc.md": md})
    doc = read_document(src / "doc.md", src)
    assert doc.title == "The Title"
    assert paragraphs(doc) == [
        "Intro paragraph with emphasis and code.",
        "first item",
        "second item",
        "Closing words.",
    ]
    assert [b.text for b in doc.blocks if b.level] == ["The Title", "Part One"]
    assert "not prose" not in doc.text and "ignored front matter" not in doc.text


def test_html_main_text_only(corpus):
    page = """<!doctype html><html><head><title>Page Title | Site</title>
<style>body { color: red }</style><script>var secret = 1;</script></head>
<body><nav>Home About</nav><main><h1>Real Title</h1><p>First <b>bold</b> para.</p>
<h2>Section A</h2><div>Loose text in a div.</div><ul><li>item one</li></ul>
<figure><img src="x.png"><figcaption>Photo credit</figcaption></figure></main>
<footer>Copyright</footer></body></html>"""
    src = corpus({"page.html": page})
    doc = read_document(src / "page.html", src)
    assert doc.title == "Real Title"
    assert paragraphs(doc) == ["First bold para.", "Loose text in a div.", "item one"]
    for hidden in ("secret", "color", "Home About", "Copyright", "Photo credit"):
        assert hidden not in doc.text


def test_html_title_falls_back_to_title_tag(corpus):
    src = corpus({"p.htm": "<html><head><title>Only Title</title></head><p>Body.</p></html>"})
    assert read_document(src / "p.htm", src).title == "Only Title"


def test_html_text_around_dropped_elements_stays_in_place():
    page = """<article><header><span>By Ann</span><h1>The <em>Weir</em>s</h1>
<time datetime="2020-01-02">2 Jan</time></header>
<p>The valve<a class="headerlink" href="#v">¶</a> is checked<span class="sidebar">x</span> weekly
<!-- a comment --> at <ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby> dawn.</p>
<p>A line<br>break and a <script>var x;</script>script.</p></article>"""
    parsed = parse_document("weir.html", ".html", page.encode())
    assert parsed.title == "The Weirs"  # words split by markup stay whole
    assert [(b.text, b.level) for b in parsed.blocks] == [
        ("The Weirs", 1),
        ("The valve is checked weekly at 漢字 dawn.", 0),
        ("A line break and a script.", 0),
    ]


def test_html_declared_encodings_do_not_override_the_decoded_text():
    page = """<?xml version="1.0" encoding="ISO-8859-1"?>
<html><head><meta charset="windows-1251"><title>Café</title></head>
<body><p>Crème brûlée, 北京.</p></body></html>"""
    parsed = parse_document("cafe.html", ".html", page.encode())
    assert parsed.title == "Café"
    assert parsed.text == "Crème brûlée, 北京."


@pytest.mark.parametrize("depth", [300, 1500])
def test_html_nested_deeply_is_read_whole(depth):
    page = "<p>Before.</p>" + "<div>" * depth + "Deep." + "</div>" * depth + "<p>After.</p>"
    assert parse_document("deep.html", ".html", page.encode()).text == "Before.\n\nDeep.\n\nAfter."


def test_html_nested_beyond_the_parser_is_skipped_and_named():
    page = "<p>Before.</p>" + "<div>" * 5000 + "Deep." + "</div>" * 5000 + "<p>After.</p>"
    with pytest.raises(Unreadable, match=r"^deep\.html: nested too deeply to parse$"):
        parse_document("deep.html", ".html", page.encode())


def test_walk_is_recursive_sorted_and_skips_hidden_and_other_files(corpus):
    src = corpus(
        {
            "b.txt": "b",
            "a/deep/c.md": "c",
            "a/x.html": "<p>x</p>",
            ".hidden.txt": "h",
            ".git/d.txt": "d",
            "notes.rtf": "p",
            "data.json": "{}",
        }
    )
    found = [f.doc for f in find_files(src)]
    assert found == ["a/deep/c.md", "a/x.html", "b.txt"]


def test_symlink_loop_does_not_hang(corpus):
    src = corpus({"a/one.txt": "One."})
    (src / "a" / "loop").symlink_to(src, target_is_directory=True)
    assert [f.doc for f in find_files(src)] == ["a/one.txt"]


def test_document_id_is_relative_path(corpus):
    src = corpus({"reports/2020/q1.txt": "Q1 report\n\nText."})
    doc = read_document(src / "reports/2020/q1.txt", src)
    assert doc.doc == "reports/2020/q1.txt"
    assert isinstance(src / doc.doc, Path)
