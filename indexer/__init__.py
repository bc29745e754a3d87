"""seedsearch's indexer: read documents, split passages, build and search the index."""

from . import patches  # noqa: F401  (Whoosh bug fixes, before anything runs)
from .errors import SeedsearchError
from .models import Hit, Passage, Query, SearchResult
from .search import Engine

__all__ = ["Engine", "Hit", "Passage", "Query", "SearchResult", "SeedsearchError"]
