"""The small immutable values passed between seedsearch's modules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Block:
    """A heading (level 1-6) or a paragraph (level 0) of a document's text."""

    text: str
    start: int
    end: int
    level: int = 0
    item: bool = False  # a list item: short by nature, never a caption


@dataclass(frozen=True)
class Document:
    """A source file read into plain text, split into blocks."""

    doc: str
    title: str
    text: str
    sha: str
    blocks: tuple[Block, ...]


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

    @property
    def id(self) -> str:
        return f"{self.doc}#p{self.ordinal}"


@dataclass(frozen=True)
class Split:
    """A document's passages and how many paragraphs were dropped as captions
    or collapsed as pull quotes."""

    passages: tuple[Passage, ...]
    captions: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class Query:
    """What a reader asked for."""

    text: str
    page: int = 1
    per_page: int = 10
    per_doc: int | None = None  # cap of passages per document, when several match
    exact: bool = False  # never fall back to the spelling-corrected query


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

    def to_json(self) -> dict:
        """The `seedsearch search --json` / `/api/search` shape."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": self.took_ms,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "notes": list(self.notes),
            "dropped": list(self.dropped),
            "results": [asdict(h) for h in self.hits],
        }


@dataclass(frozen=True)
class DocumentStats:
    doc: str
    title: str
    passages: int


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

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BuildReport:
    """The one-line summary of a build."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    passages: int = 0
    duplicates: int = 0
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    generation: int = 0

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.passages} passages, "
            f"{self.duplicates} collapsed duplicates, {len(self.warnings)} warnings; "
            f"{self.seconds:.2f}s"
        )
