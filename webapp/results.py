"""What the results page shows beside the hits: numbering, paging and the
"more in this document" links. Pure functions of a SearchResult."""

from __future__ import annotations

import math
from dataclasses import dataclass

from indexer.models import SearchResult
from indexer.search import MAX_DEPTH


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


def results_view(result: SearchResult) -> ResultsView:
    """Lay out one page of `result`."""
    return ResultsView(result, paging(result), *_more_links(result))


def paging(result: SearchResult) -> Paging:
    """Previous/next pages; collapsing per document makes the last page unknowable."""
    size, page = result.per_page, result.page
    full = len(result.hits) == size
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
    """`text` restricted to one document, or None if the id cannot be quoted."""
    if '"' in doc:
        return None
    return f'({text}) AND doc:"{doc}"'


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
