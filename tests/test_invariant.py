"""Nothing disappears silently: whatever mix of headings, captions, quotes, long
lines and empty paragraphs a document of any format holds, reading and
splitting it gives at least one passage or a warning naming the file; and the
passages the stats count for a document are the ones a search finds."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.build.passages import MAX_CHARS, passages_of
from indexer.build.run import build_index
from indexer.models import Query
from indexer.readers import Unreadable, parse_document
from indexer.search.engine import Engine
from tests.makers.office import PAGE, make_docx, make_epub, make_odt
from tests.makers.pdf import column, make_pdf

WORDS = [
    "the",
    "harbour",
    "ferry",
    "left",
    "at",
    "dawn",
    "heron",
    "pier",
    "tide",
    "quay",
    "gannet",
    "dived",
    "crew",
    "salt",
]
FORMATS = ["txt", "md", "html", "pdf", "docx", "epub", "odt"]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join)
sentence = words.map(lambda w: w.capitalize() + ".")
element = st.one_of(
    st.tuples(st.just("h"), words.map(str.title)),
    st.tuples(st.just("p"), st.lists(sentence, min_size=1, max_size=12).map(" ".join)),
    st.tuples(st.just("caption"), st.sampled_from(["Photo: Reuters", "Image courtesy AFP"])),
    st.tuples(st.just("quote"), st.just("")),  # repeats a sentence of another paragraph
    st.tuples(st.just("data"), st.integers(300, 5000)),  # a long line without spaces
    st.tuples(st.just("empty"), st.just("")),
    st.tuples(st.just("page"), st.just("")),
)
documents = st.lists(element, max_size=12)


def concrete(elements: list) -> list[tuple[str, str]]:
    """(kind, text) with quotes and data filled in; kinds h, p and page."""
    out: list[tuple[str, str]] = []
    said = [text for kind, text in elements if kind == "p"]
    for kind, value in elements:
        if kind == "caption":
            out.append(("p", value))
        elif kind == "quote":
            out.append(("p", said[0].split(". ")[0] if said else "A pull quote."))
        elif kind == "data":
            out.append(("p", ("QUJD" * value)[:value]))
        elif kind == "empty":
            out.append(("p", ""))
        else:
            out.append((kind, value))
    return out


def render(fmt: str, items: list[tuple[str, str]]) -> bytes:
    """The document in `fmt`, written as its own tools would."""
    if fmt in ("txt", "md"):
        mark = "# " if fmt == "md" else ""
        parts = [f"{mark}{t}" if k == "h" else t for k, t in items if k != "page"]
        return "\n\n".join(parts).encode()
    if fmt in ("html", "epub"):
        body = "".join(
            f"<h2>{html.escape(t)}</h2>" if k == "h" else f"<p>{html.escape(t)}</p>"
            for k, t in items
            if k != "page"
        )
        if fmt == "html":
            return f"<html><body><main>{body}</main></body></html>".encode()
        return make_epub([("one.xhtml", body)], title="")
    if fmt == "pdf":
        pages: list[list[str]] = [[]]
        for kind, text in items:
            if kind == "page":
                pages.append([])
                continue
            words_ = text.split(" ")
            lines = [" ".join(words_[i : i + 12]) for i in range(0, len(words_), 12)]
            pages[-1].extend(lines + [""])
        return make_pdf([column(lines) for lines in pages])
    body = [PAGE if k == "page" else ("h2" if k == "h" else "p", t) for k, t in items]
    return make_docx(body) if fmt == "docx" else make_odt(body)


PROPERTY = settings(
    deadline=None,
    database=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(elements=documents)
def test_every_document_yields_passages_or_a_named_warning(fmt, elements):
    name = f"folder/doc.{fmt}"
    data = render(fmt, concrete(elements))
    try:
        split = passages_of(parse_document(name, f".{fmt}", data))
    except Unreadable as exc:
        assert str(exc).startswith(f"{name}: ") and exc.reason
        return
    assert split.passages
    assert all(p.text.strip() and len(p.text) <= MAX_CHARS for p in split.passages)
    assert [p.ordinal for p in split.passages] == list(range(1, len(split.passages) + 1))


@settings(PROPERTY, max_examples=6)
@given(folder=st.lists(documents, min_size=len(FORMATS), max_size=len(FORMATS)))
def test_stats_count_the_passages_a_search_finds(tmp_path_factory, folder):
    source = tmp_path_factory.mktemp("invariant-source")
    for fmt, elements in zip(FORMATS, folder, strict=True):
        (source / f"doc.{fmt}").write_bytes(render(fmt, concrete(elements)))
    index = tmp_path_factory.mktemp("invariant-index")
    report = build_index(source, index, full=True, procs=1)
    with Engine(index) as engine:
        stats = engine.stats()
        indexed = {d.doc: d.passages for d in stats.per_document}
        for doc, passages in indexed.items():
            found = engine.search(Query(f'doc:"{doc}"', per_page=1000, exact=True)).total
            assert found == passages >= 1, doc
    warned = {w.split(": ", 1)[0] for w in report.warnings}
    assert set(indexed) | warned == {f"doc.{fmt}" for fmt in FORMATS}
    assert set(stats.skipped) == {f"doc.{fmt}" for fmt in FORMATS} - set(indexed)
    assert report.skipped == len(stats.skipped)


def test_a_doc_query_finds_no_passage_of_other_documents(tmp_path):
    # The stats check above relies on doc:"…" counting one document's passages.
    source = tmp_path / "s"
    source.mkdir()
    (source / "a.txt").write_text("The heron.\n\nThe gannet.", "utf-8")
    (source / "b.txt").write_text("The tide.", "utf-8")
    build_index(source, tmp_path / "ix", full=True, procs=1)
    with Engine(tmp_path / "ix") as engine:
        assert engine.search(Query('doc:"a.txt"', exact=True)).total == 2
        assert engine.search(Query('doc:"b.txt"', exact=True)).total == 1
