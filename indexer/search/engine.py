"""The one search function: parse, run, rank, highlight. The CLI and the web
app both search through Engine, which opens the index once per process and
follows new generations cheaply."""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

from ..errors import BadQuery, DocumentNotFound, IndexBroken, SeedsearchError
from ..formats import format_of
from ..index import generations
from ..index.meta import IndexMeta
from ..languages import DEFAULT
from ..models import (
    DocumentHit,
    DocumentStats,
    FormatCount,
    Hit,
    IndexStats,
    Query,
    SearchResult,
    count_formats,
    page_at,
    pages_from_text,
    passage_url,
)
from . import filters
from .facets import count_facets
from .group import Group, Grouping, group
from .highlight import find_matches, mark, snippet
from .parse import Marks, ParsedQuery, parse
from .rank import Ranking, rank, weighting
from .restrict import Restriction, everything, restrict, restriction
from .spelling import suggest

MAX_PER_PAGE = 1000  # evaluation runs ask for 1000
MAX_DEPTH = 10_000  # deepest result reachable by paging
OPEN_ATTEMPTS = 5  # tries to open `current` while builds keep replacing it
RESULT_CACHE = 512  # recent results kept per engine, for repeated and paged queries


@dataclass(frozen=True)
class PageSpan:
    """The part of a passage on one page, marked."""

    page: int
    label: str
    html: str


@dataclass(frozen=True)
class PassageView:
    """A passage shown in its document, with matches marked."""

    id: str
    ordinal: int
    section: str
    html: str
    page: int = 0  # the physical page the passage starts on (paged formats)
    page_label: str = ""
    ocr: bool = False  # read by OCR from a scan
    spans: tuple[PageSpan, ...] = ()  # its text page by page, when it runs across pages
    lang: str = ""  # the passage's language


@dataclass(frozen=True)
class DocumentView:
    doc: str
    title: str
    passages: tuple[PassageView, ...]
    matches: int


@dataclass(frozen=True)
class _Run:
    """A query run: what was parsed and found, and whether it was the suggestion."""

    parsed: ParsedQuery
    outcome: Ranking | Grouping
    suggestion: str | None
    corrected: bool
    words: str  # the words searched, without filters: what the document view marks


@dataclass(frozen=True)
class Health:
    passages: int
    documents: int
    generation: int
    built_at: str


class _State:
    """An open generation: its searcher and metadata."""

    def __init__(self, gen_dir: Path, meta: IndexMeta) -> None:
        self.gen_dir = gen_dir
        self.meta = meta
        try:
            self.index = whoosh_index.open_dir(str(gen_dir))
            self.searcher = self.index.searcher(weighting=weighting())
        except Exception as exc:  # Whoosh raises many kinds on damaged files
            raise IndexBroken(
                f"The index at {gen_dir.parent} cannot be opened ({exc.__class__.__name__}); "
                "rebuild it with `seedsearch index --full`."
            ) from None

    def close(self) -> None:
        self.searcher.close()


class Engine:
    """Searches one index folder, following its `current` generation.

    The searcher stays open between calls; each call checks (one readlink) whether
    a build published a new generation and switches to it if so.
    """

    def __init__(self, index_root: Path | str) -> None:
        self.root = Path(index_root)
        self._state: _State | None = None
        self._link: str | None = None
        self._lock = threading.RLock()
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()

    def _current(self) -> _State:
        try:
            # The folder's inode too: an index folder deleted and rebuilt while
            # serving starts again at gen-000001.
            current = self.root / generations.CURRENT
            link = (os.readlink(current), os.stat(current).st_ino)
        except OSError:
            link = None
        if self._state is None or link != self._link:
            state = self._open_current()
            old, self._state, self._link = self._state, state, link
            if old is not None:
                old.close()
        return self._state

    def _open_current(self) -> _State:
        """Open the generation `current` names. Builds in quick succession may prune
        it between our readlink and the open: then follow `current` again."""
        for attempt in range(OPEN_ATTEMPTS):
            named = generations.current_dir(self.root)
            try:
                return _State(*generations.locate(self.root))
            except IndexBroken:
                if attempt == OPEN_ATTEMPTS - 1 or named is None or named.exists():
                    raise
        raise AssertionError("unreachable")

    def __del__(self) -> None:
        # Whoosh's files are closed, not left to the garbage collector.
        with contextlib.suppress(Exception):  # e.g. at interpreter shutdown
            self.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the open searcher; the next call opens the index again."""
        with self._lock:
            if self._state is not None:
                self._state.close()
                self._state = None

    def prepare(self) -> None:
        """Open the served generation now (a worker about to serve), so the first
        search does not pay for it; a missing or broken index is left for the
        searches to report."""
        with self._lock, contextlib.suppress(SeedsearchError):
            self._current()

    def clear_cache(self) -> None:
        """Forget recent results (benchmarks time the engine, not the cache)."""
        with self._lock:
            self._results.clear()

    def search(self, query: Query) -> SearchResult:
        """Run one query and return one page of highlighted hits."""
        started = time.perf_counter()
        _check_paging(query)
        with self._lock:
            state = self._current()
            key = (state.meta.generation, query)
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached.timed(_since(started))
            with _reading(self.root):
                result = self._search(state, query, started)
            self._results[key] = result
            if len(self._results) > RESULT_CACHE:
                self._results.popitem(last=False)
            return result

    def _search(self, state: _State, query: Query, started: float) -> SearchResult:
        reader = state.searcher.reader()
        typed = filters.split(query.text)
        chosen = filters.merge(typed.filters, query.filters)
        where = restriction(chosen, reader)
        run = self._run(state, query, typed, where)
        facets = None
        if query.facets:
            facets = count_facets(state.searcher, run.parsed.query, where, chosen)
        suggestion = run.suggestion
        if suggestion and typed.tokens:  # the corrected query keeps its filters
            suggestion = " ".join((*typed.tokens, suggestion))
        outcome, marks = run.outcome, run.parsed.marks
        if isinstance(outcome, Grouping):
            documents = [self._document_hit(state, g, marks, run.words) for g in outcome.groups]
            hits, grouped, passages, more_in_doc = (), tuple(documents), outcome.passages, {}
        else:
            hits = [self._hit(state, n, score, marks, run.words) for n, score in outcome.scored]
            grouped, passages, more_in_doc = None, outcome.total, outcome.more_in_doc
        # Made once, complete: each dataclasses.replace of this many fields costs 11 µs.
        return SearchResult(
            query=query.text,
            total=outcome.total,
            page=query.page,
            per_page=query.per_page,
            took_ms=_since(started),
            suggestion=suggestion,
            corrected=run.corrected,
            hits=tuple(hits),
            searched=suggestion if run.corrected else query.text,
            partial=outcome.total > 0 and run.parsed.clauses > 1 and outcome.every_word == 0,
            notes=run.parsed.notes,
            dropped=run.parsed.dropped,
            more_in_doc=more_in_doc,
            documents=grouped,
            passages=passages,
            facets=facets,
        )

    def _run(self, state: _State, query: Query, typed: filters.Typed, where: Restriction) -> _Run:
        """Parse and order; when nothing matches, the spelling suggestion instead."""
        reader = state.searcher.reader()
        if typed.text or not (typed.filters or query.filters):
            parsed = parse(typed.text, reader)
        else:
            parsed = everything()  # filters alone: everything they allow
        offset = (query.page - 1) * query.per_page
        outcome = self._order(state, query, restrict(parsed, where), offset)
        suggestion = suggest(typed.text, state.searcher) if typed.text else None
        if outcome.total == 0 and suggestion and not query.exact:
            try:
                fixed = parse(suggestion, reader)
            except BadQuery:
                fixed = None
            if fixed is not None:
                again = self._order(state, query, restrict(fixed, where), offset)
                if again.total:
                    return _Run(fixed, again, suggestion, True, suggestion)
        return _Run(parsed, outcome, suggestion, False, typed.text)

    def _order(
        self, state: _State, query: Query, parsed: ParsedQuery, offset: int
    ) -> Ranking | Grouping:
        """A page of passages, or of documents when grouping by document."""
        if query.by_document:
            return group(state.searcher, parsed, offset, query.per_page, query.by_date)
        return rank(state.searcher, parsed, offset, query.per_page, query.per_doc, query.by_date)

    def _document_hit(self, state: _State, found: Group, marks: Marks, q: str) -> DocumentHit:
        passages = tuple(self._hit(state, n, score, marks, q) for n, score in found.passages)
        meta = state.meta.documents.get(found.doc)
        best = passages[0]
        return DocumentHit(
            doc=found.doc,
            title=meta.title if meta else best.title,
            url=best.url,
            score=round(found.score, 4),
            matches=found.matches,
            folder=found.doc.rpartition("/")[0],
            format=meta.format if meta else "",
            date=meta.date if meta else "",
            pages=meta.pages if meta else 0,
            passages=passages,
            lang=meta.lang if meta else best.lang,
        )

    def _hit(self, state: _State, docnum: int, score: float, marks: Marks, q: str) -> Hit:
        fields = state.searcher.stored_fields(docnum)
        text = fields["body"]
        lang = fields.get("lang") or DEFAULT
        matches = find_matches(text, marks, lang)
        # The page of the first marked word: a passage may run across a page break.
        page, label = page_at(
            fields.get("page") or 0,
            fields.get("page_label") or "",
            pages_from_text(fields.get("pages")),
            matches[0][0] if matches else 0,
        )
        return Hit(
            id=fields["id"],
            doc=fields["doc"],
            title=fields["title"],
            section=fields["section"],
            ordinal=fields["ordinal"],
            score=round(score, 4),
            snippet=snippet(text, matches),
            text=text,
            url=passage_url(fields["doc"], fields["ordinal"], q),
            page=page or None,
            page_label=label or None,
            ocr=bool(fields.get("ocr")),
            lang=lang,
        )

    def document(self, doc: str, text: str = "") -> DocumentView:
        """A whole document as its passages, with the query's matches marked."""
        with self._lock:
            state = self._current()
            meta = state.meta.documents.get(doc)
            if meta is None:
                raise DocumentNotFound(f"No document {doc!r} in the index.")
            with _reading(self.root):
                marks = Marks(frozenset(), ())
                words = filters.split(text).text  # in:/type:/year: mark nothing
                if words.strip():
                    marks = parse(words, state.searcher.reader()).marks
                numbers = state.searcher.document_numbers(doc=doc)
                stored = [state.searcher.stored_fields(n) for n in numbers]
        stored.sort(key=lambda f: f["ordinal"])
        views, total = [], 0
        for fields in stored:
            text = fields["body"]
            matches = find_matches(text, marks, fields.get("lang") or DEFAULT)
            total += len(matches)
            page, label = fields.get("page") or 0, fields.get("page_label") or ""
            views.append(
                PassageView(
                    fields["id"],
                    fields["ordinal"],
                    fields["section"],
                    mark(text, matches),
                    page=page,
                    page_label=label,
                    ocr=bool(fields.get("ocr")),
                    spans=_page_spans(text, matches, page, label, fields.get("pages")),
                    lang=fields.get("lang") or "",
                )
            )
        return DocumentView(doc=doc, title=meta.title, passages=tuple(views), matches=total)

    def source_file(self, doc: str) -> Path:
        """The file an indexed document was read from, inside the indexed folder;
        DocumentNotFound for anything else."""
        with self._lock:
            state = self._current()
            if doc not in state.meta.documents:
                raise DocumentNotFound(f"No document {doc!r} in the index.")
            root = Path(state.meta.source).resolve()
        try:
            path = (root / doc).resolve(strict=True)
        except (OSError, RuntimeError):
            raise DocumentNotFound(f"The file of {doc!r} is no longer in {root}.") from None
        if not path.is_relative_to(root) or not path.is_file():
            raise DocumentNotFound(f"The file of {doc!r} is not in the indexed folder.")
        return path

    def health(self) -> Health:
        """Passages, documents, generation and build time of the served index."""
        with self._lock:
            state = self._current()
            return Health(
                passages=state.searcher.doc_count(),
                documents=len(state.meta.documents),
                generation=state.meta.generation,
                built_at=state.meta.built_at,
            )

    def stats(self) -> IndexStats:
        """Everything `seedsearch stats` reports."""
        with self._lock:
            state = self._current()
            reader = state.searcher.reader()
            terms = sum(1 for _ in reader.lexicon("body"))
            per_doc = tuple(
                DocumentStats(doc=d, title=m.title, passages=m.passages)
                for d, m in sorted(state.meta.documents.items())
            )
            return IndexStats(
                path=str(self.root),
                generation=state.meta.generation,
                built_at=state.meta.built_at,
                documents=len(per_doc),
                passages=state.searcher.doc_count(),
                terms=terms,
                size_bytes=generations.index_size(state.gen_dir),
                per_document=per_doc,
                formats=_formats(state.meta),
                skipped={f: s.warning for f, s in sorted(state.meta.skipped.items())},
            )


def _page_spans(
    text: str, matches: list, page: int, label: str, stored: str | None
) -> tuple[PageSpan, ...]:
    """A passage's text cut where its later pages begin, each part marked; () when
    it stays on one page."""
    later = pages_from_text(stored)
    if not later:
        return ()
    starts = [(0, page, label), *later]
    ends = [at for at, _, _ in later] + [len(text)]
    return tuple(
        PageSpan(n, name, mark(text, matches, at, end))
        for (at, n, name), end in zip(starts, ends, strict=True)
    )


def _formats(meta: IndexMeta) -> tuple[FormatCount, ...]:
    """Documents (with their pages) and skipped files of each format."""
    counts = [
        FormatCount(d.format or format_of(doc), 1, 0, d.pages, d.blank_pages)
        for doc, d in meta.documents.items()
    ]
    for doc, skipped in meta.skipped.items():
        fmt = skipped.format or format_of(doc)
        reason = skipped.warning.split(": ", 1)[-1]
        counts.append(FormatCount(fmt, skipped=1, reasons=((reason, 1),)))
    return count_formats(counts)


# What reading damaged index files raises from inside Whoosh.
DAMAGE = (
    zlib.error,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
)


@contextlib.contextmanager
def _reading(root: Path):
    """Turn what Whoosh raises on damaged files into IndexBroken."""
    try:
        yield
    except DAMAGE as exc:
        raise _damaged(root, exc) from None
    except Exception as exc:
        if type(exc) is not Exception:  # Whoosh's "Block tag error" is a bare Exception
            raise
        raise _damaged(root, exc) from None


def _damaged(root: Path, exc: Exception) -> IndexBroken:
    return IndexBroken(
        f"The index at {root} is damaged ({exc.__class__.__name__}); "
        "rebuild it with `seedsearch index --full`."
    )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _check_paging(query: Query) -> None:
    if query.page < 1:
        raise BadQuery("The page number must be 1 or more.")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise BadQuery(f"Results per page must be between 1 and {MAX_PER_PAGE}.")
    if query.page * query.per_page > MAX_DEPTH:
        raise BadQuery(f"Results go {MAX_DEPTH} deep; refine the query instead of paging further.")
