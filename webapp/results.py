"""What the results page shows beside the hits: the layout, numbering, paging
and the "more in this document" links. Pure functions of a SearchResult."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from indexer.models import DocumentHit, SearchResult
from indexer.search import filters
from indexer.search.engine import MAX_DEPTH

# How the page lays results out.
DOCUMENTS = "documents"  # one entry per document, its best passages beneath it
DOCUMENT = "document"  # one matching document: its passages listed, paged
PASSAGES = "passages"  # passage by passage (?group=passage)


@dataclass(frozen=True)
class MoreLink:
    """Passages of one document the page left out, and the query that lists them all."""

    doc: str
    title: str
    hidden: int
    query: str


@dataclass(frozen=True)
class Paging:
    first: int  # the number of the first hit on the page
    previous: int | None
    next: int | None
    last: int | None  # unknown when passages of some documents were left out


@dataclass(frozen=True)
class ResultsView:
    """A SearchResult plus what its page needs to lay it out."""

    result: SearchResult
    paging: Paging
    more_after: dict[int, MoreLink]  # hit index -> the link to show after it
    more_elsewhere: tuple[MoreLink, ...]  # documents with no hit on this page
    layout: str = PASSAGES
    document: DocumentHit | None = None  # the one matching document (layout DOCUMENT)
    more_in: dict[str, str] = field(default_factory=dict)  # doc -> query of all its matches


def results_view(result: SearchResult, document: DocumentHit | None = None) -> ResultsView:
    """Lay out one page of `result`: documents when it is grouped, else passages;
    passages of `document` when it is the only document matching."""
    if result.documents is not None:
        text = result.searched or result.query
        more = {
            d.doc: query
            for d in result.documents
            if d.matches > len(d.passages) and (query := doc_query(text, d.doc))
        }
        return ResultsView(result, paging(result), {}, (), DOCUMENTS, more_in=more)
    layout = DOCUMENT if document is not None else PASSAGES
    return ResultsView(result, paging(result), *_more_links(result), layout, document)


def paging(result: SearchResult) -> Paging:
    """Previous/next pages; collapsing per document makes the last page unknowable."""
    size, page = result.per_page, result.page
    shown = len(result.hits) if result.documents is None else len(result.documents)
    full = shown == size
    has_next = full and page * size < result.total and (page + 1) * size <= MAX_DEPTH
    last = None
    if not result.more_in_doc:
        last = max(1, min(math.ceil(result.total / size), MAX_DEPTH // size))
    previous = None
    if page > 1:
        previous = page - 1 if last is None else min(page - 1, last)
    return Paging(
        first=(page - 1) * size + 1,
        previous=previous,
        next=page + 1 if has_next else None,
        last=last,
    )


def doc_query(text: str, doc: str) -> str | None:
    """`text` restricted to one document, or None if the id cannot be quoted. Typed
    filters are dropped: the document is inside them."""
    if '"' in doc:
        return None
    words = filters.split(text).text
    return f'({words}) AND doc:"{doc}"' if words else f'doc:"{doc}"'


def _more_links(result: SearchResult) -> tuple[dict[int, MoreLink], tuple[MoreLink, ...]]:
    last_hit: dict[str, int] = {}
    titles: dict[str, str] = {}
    for i, hit in enumerate(result.hits):
        last_hit[hit.doc] = i
        titles[hit.doc] = hit.title
    after, elsewhere = {}, []
    text = result.searched or result.query
    for doc, hidden in sorted(result.more_in_doc.items()):
        query = doc_query(text, doc)
        if not hidden or query is None:
            continue
        link = MoreLink(doc, titles.get(doc, ""), hidden, query)
        if doc in last_hit:
            after[last_hit[doc]] = link
        else:
            elsewhere.append(link)
    return after, tuple(elsewhere)
