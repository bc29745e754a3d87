"""The small immutable values passed between seedsearch's modules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote, urlencode

DOCUMENT_PATH = "/doc/"  # where the web app shows a document; hits link into it


@dataclass(frozen=True)
class FileStat:
    """What `stat` says of a file: enough to tell that it has not changed without
    opening it (size, modification time, inode), and its status change time, which
    a change of permissions moves too."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int = 0

    @classmethod
    def of(cls, st) -> FileStat:
        """From an os.stat_result."""
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)

    def same_content(self, other: FileStat | None) -> bool:
        """Whether the file can be taken to hold what it held: size, mtime and inode agree."""
        return other is not None and (self.size, self.mtime_ns, self.inode) == (
            other.size,
            other.mtime_ns,
            other.inode,
        )


@dataclass(frozen=True)
class Block:
    """A heading (level 1-6) or a paragraph (level 0) of a document's text."""

    text: str
    start: int
    end: int
    level: int = 0
    item: bool = False  # a list item: short by nature, never a caption
    page: int = 0  # 1-based physical page of a paged format (PDF, DOCX ...); 0 when unpaged
    # Where a later page begins inside the text: (offset in `text`, page), ascending.
    breaks: tuple[tuple[int, int], ...] = ()
    ocr: bool = False  # read by OCR from a page image


@dataclass(frozen=True)
class Document:
    """A source file read into plain text, split into blocks."""

    doc: str
    title: str
    text: str
    sha: str
    blocks: tuple[Block, ...]
    format: str = ""  # "txt", "md", "html", "pdf" ...: what the reader made of the file
    date: str = ""  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD) the document gives itself, if any
    page_labels: tuple[str, ...] = ()  # printed label of each physical page; () when unpaged
    notes: tuple[str, ...] = ()  # warnings that did not stop the reading ("3 pages are scans")
    blank_pages: int = 0  # pages without a text layer
    ocr_pages: tuple[int, ...] = ()  # pages whose text OCR read
    waiting: tuple[int, ...] = ()  # scanned pages OCR has not read yet

    def page_starts(self) -> list[tuple[int, int]]:
        """(offset in `text`, page) wherever the page changes, in text order."""
        starts: list[tuple[int, int]] = []
        for block in self.blocks:
            later = ((block.start + offset, page) for offset, page in block.breaks)
            for at, page in ((block.start, block.page), *later):
                if page and (not starts or starts[-1][1] != page):
                    starts.append((at, page))
        return starts

    def page_label(self, page: int) -> str:
        """The printed label of a 1-based physical page ("" when unpaged)."""
        if 1 <= page <= len(self.page_labels):
            return self.page_labels[page - 1]
        return str(page) if page else ""


@dataclass(frozen=True)
class Passage:
    """The unit of search: a paragraph, or a window of a long one."""

    doc: str
    ordinal: int
    title: str
    section: str
    text: str
    start: int
    end: int
    page: int = 0  # the physical page the passage starts on; 0 when unpaged
    page_label: str = ""  # that page's printed label ("82", "xii")
    # Later pages the passage runs onto: (offset in `text` where each begins, page, label).
    pages: tuple[tuple[int, int, str], ...] = ()
    ocr: bool = False  # some of its text was read by OCR (expect misread words)

    @property
    def id(self) -> str:
        return f"{self.doc}#p{self.ordinal}"


PageMap = tuple[tuple[int, int, str], ...]  # (offset in a passage, page from there on, label)


def page_at(page: int, label: str, pages: PageMap, offset: int) -> tuple[int, str]:
    """The page (and its label) of the character at `offset` of a passage that starts
    on `page` and runs onto `pages`."""
    for at, later, later_label in pages:
        if at > offset:
            break
        page, label = later, later_label
    return page, label


def pages_text(pages: PageMap) -> str:
    """A passage's later pages as stored: "412:4 980:5:xii" (a label only when it
    is not the page's number)."""
    items = []
    for at, page, label in pages:
        own = "" if label == str(page) else ":" + quote(label, safe="")
        items.append(f"{at}:{page}{own}")
    return " ".join(items)


def pages_from_text(text: str | None) -> PageMap:
    """The stored form back: "412:4 980:5:xii" -> ((412, 4, "4"), (980, 5, "xii"))."""
    out = []
    for item in (text or "").split():
        at, page, *label = item.split(":", 2)
        out.append((int(at), int(page), unquote(label[0]) if label else page))
    return tuple(out)


@dataclass(frozen=True)
class Split:
    """A document's passages and how many paragraphs were dropped as captions
    or collapsed as pull quotes."""

    passages: tuple[Passage, ...]
    captions: int = 0
    duplicates: int = 0
    not_prose: int = 0  # paragraphs left out as data (base64, minified code)


@dataclass(frozen=True)
class Filters:
    """Where to search: folders, formats, years and languages, each OR-ed within,
    AND-ed across. Languages filter passages; the others, documents."""

    folders: tuple[str, ...] = ()  # "reports/2014": the folder and everything below it
    formats: tuple[str, ...] = ()  # "pdf", "md" ...
    years: tuple[tuple[int, int], ...] = ()  # inclusive ranges; (2014, 2014) is one year
    langs: tuple[str, ...] = ()  # "ru", "de" ...: passages in these languages

    def __bool__(self) -> bool:
        return bool(self.folders or self.formats or self.years or self.langs)

    def covers(self, field: str, value: str) -> bool:
        """Whether the facet value `value` of `field` ("folder", "format", "year",
        "lang") is chosen."""
        if field == "folder":
            return value in self.folders
        if field == "format":
            return value in self.formats
        if field == "lang":
            return value in self.langs
        return value.isdigit() and any(a <= int(value) <= b for a, b in self.years)


@dataclass(frozen=True)
class Query:
    """What a reader asked for."""

    text: str
    page: int = 1
    per_page: int = 10  # passages, or documents when grouped
    per_doc: int | None = None  # cap of passages per document, when several match
    exact: bool = False  # never fall back to the spelling-corrected query
    filters: Filters = Filters()  # added to any in:/type:/year: typed in `text`
    by_document: bool = False  # one entry per document, documents paged
    by_date: bool = False  # newest first instead of most relevant first
    facets: bool = False  # count matching documents per folder, format and year


@dataclass(frozen=True)
class Hit:
    """One result: exactly the fields of the JSON contract."""

    id: str
    doc: str
    title: str
    section: str
    ordinal: int
    score: float
    snippet: str
    text: str
    url: str
    page: int | None = None  # the page of the first matched word (paged formats)
    page_label: str | None = None  # that page's printed label ("82", "xii")
    ocr: bool = False  # the passage's text was read by OCR from a scan
    lang: str = ""  # the passage's language (ISO 639-1)

    def to_json(self) -> dict:
        # Its fields are plain values: no need for asdict's deep copy of each.
        return dict(vars(self))


@dataclass(frozen=True)
class DocumentHit:
    """One document of grouped results: its best passages, best first."""

    doc: str
    title: str
    url: str  # the document, its matches marked
    score: float  # by relevance: its best passage and its whole text together
    matches: int  # its matching passages
    folder: str  # "" at the top of the source folder
    format: str
    date: str  # YYYY-MM-DD, YYYY-MM or YYYY
    pages: int  # 0 when unpaged
    passages: tuple[Hit, ...]
    lang: str = ""  # the document's language (most of its text's)

    def to_json(self) -> dict:
        return {**vars(self), "passages": [h.to_json() for h in self.passages]}


@dataclass(frozen=True)
class FacetValue:
    """One folder, format, year or language, and how many matching documents it holds
    (for a language: documents with a matching passage in it)."""

    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class FacetCounts:
    """Matching documents per value; each facet counted as if its own filter were off."""

    folder: tuple[FacetValue, ...] = ()
    format: tuple[FacetValue, ...] = ()
    year: tuple[FacetValue, ...] = ()
    lang: tuple[FacetValue, ...] = ()

    def to_json(self) -> dict:
        return {name: [asdict(v) for v in values] for name, values in vars(self).items()}


@dataclass(frozen=True)
class SearchResult:
    """A page of hits plus what the page needs to explain them."""

    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    suggestion: str | None
    corrected: bool
    hits: tuple[Hit, ...]
    # Not part of the JSON contract: shown by the web page.
    searched: str = ""  # the query actually run (the suggestion when corrected)
    partial: bool = False  # no passage holds every word; hits hold some of them
    notes: tuple[str, ...] = ()  # e.g. a wildcard narrowed to its commonest words
    dropped: tuple[str, ...] = ()  # words of a long query that were not searched
    more_in_doc: dict[str, int] = field(default_factory=dict)  # doc -> hidden hits
    # Grouped results: `total` counts documents, `passages` their matching passages.
    documents: tuple[DocumentHit, ...] | None = None
    passages: int = 0
    facets: FacetCounts | None = None

    def timed(self, took_ms: float) -> SearchResult:
        """This result again, as answered in `took_ms` (a cached result served anew)."""
        # A field-for-field copy: dataclasses.replace would run __init__ over every
        # field, 12 µs of a cached answer's 130.
        again = object.__new__(SearchResult)
        again.__dict__.update(self.__dict__, took_ms=took_ms)
        return again

    def to_json(self) -> dict:
        """The `seedsearch search --json` / `/api/search` shape."""
        out = {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": self.took_ms,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "notes": list(self.notes),
            "dropped": list(self.dropped),
        }
        if self.documents is None:
            out["results"] = [h.to_json() for h in self.hits]
        else:
            out["passages"] = self.passages
            out["documents"] = [d.to_json() for d in self.documents]
        if self.facets is not None:
            out["facets"] = self.facets.to_json()
        return out


@dataclass(frozen=True)
class DocumentStats:
    doc: str
    title: str
    passages: int


@dataclass(frozen=True)
class FormatCount:
    """Files of one format: how many were read and skipped, and why."""

    format: str
    read: int = 0
    skipped: int = 0
    pages: int = 0  # physical pages of the files read
    blank_pages: int = 0  # of which without a text layer (scans)
    reasons: tuple[tuple[str, int], ...] = ()  # (why skipped, files), commonest first

    def plus(self, other: FormatCount) -> FormatCount:
        """The counts of both."""
        reasons = dict(self.reasons)
        for reason, n in other.reasons:
            reasons[reason] = reasons.get(reason, 0) + n
        return FormatCount(
            self.format,
            self.read + other.read,
            self.skipped + other.skipped,
            self.pages + other.pages,
            self.blank_pages + other.blank_pages,
            tuple(sorted(reasons.items(), key=lambda r: (-r[1], r[0]))),
        )

    def line(self) -> str:
        """`pdf: 12 read (340 pages, 3 without text), 2 skipped (1 encrypted, 1 damaged)`"""
        out = f"{self.format}: {self.read} read"
        if self.pages:
            blank = f", {self.blank_pages} without text" if self.blank_pages else ""
            out += f" ({self.pages} pages{blank})"
        if self.skipped:
            why = ", ".join(f"{n} {reason}" for reason, n in self.reasons)
            out += f", {self.skipped} skipped ({why})"
        return out


def count_formats(counts: list[FormatCount]) -> tuple[FormatCount, ...]:
    """One FormatCount per format, by format name."""
    merged: dict[str, FormatCount] = {}
    for count in counts:
        merged[count.format] = merged[count.format].plus(count) if count.format in merged else count
    return tuple(merged[f] for f in sorted(merged))


@dataclass(frozen=True)
class IndexStats:
    """What `seedsearch stats` reports."""

    path: str
    generation: int
    built_at: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    per_document: tuple[DocumentStats, ...]
    formats: tuple[FormatCount, ...] = ()  # documents and skipped files per format
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why it is not indexed

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BuildReport:
    """The one-line summary of a build."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0  # files read and left out, each named in a warning
    passages: int = 0
    duplicates: int = 0
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    generation: int = 0
    moved: int = 0  # renamed or moved files: same content under a new document id
    formats: tuple[FormatCount, ...] = ()  # files read and skipped per format, this build
    full: bool = False  # rebuilt from scratch rather than updated
    ocr_pages: int = 0  # scanned pages OCR read in this build
    ocr_waiting: int = 0  # scanned pages still waiting for OCR when it ended
    ocr_problem: str = ""  # why OCR could not run (Tesseract or a language missing)
    cluster: str = ""  # the Dask scheduler whose workers read the files; "" for this machine
    kept_failures: int = 0  # of `skipped`, files that failed before and were not read again

    def summary(self) -> str:
        moved = f"{self.moved} moved, " if self.moved else ""
        ocr = f", {self.ocr_pages} pages read by OCR" if self.ocr_pages else ""
        return (
            f"{self.added} added, {self.updated} updated, {moved}{self.removed} removed, "
            f"{self.unchanged} unchanged, {self.skipped} skipped; {self.passages} passages"
            f"{ocr}, {self.duplicates} collapsed duplicates, {len(self.warnings)} warnings; "
            f"{self.seconds:.2f}s"
        )

    def format_lines(self) -> list[str]:
        """One line per format the build read or skipped."""
        return [count.line() for count in self.formats]


def passage_url(doc: str, ordinal: int, q: str = "") -> str:
    """Where the web app shows a passage in its document."""
    # A page of hits repeats one query and few documents: each is quoted once
    # (quoting took 4 µs a hit, a fortieth of a search).
    return f"{_document_url(doc)}{_query_string(q)}#p{ordinal}"


@lru_cache(maxsize=4096)
def _document_url(doc: str) -> str:
    return DOCUMENT_PATH + quote(doc)


@lru_cache(maxsize=256)
def _query_string(q: str) -> str:
    return "?" + urlencode({"q": q}) if q else ""
