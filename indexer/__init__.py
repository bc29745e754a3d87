"""seedsearch's indexer: read documents, split passages, build and search the index.

The build side is `indexer.build`, the search side `indexer.search`; importing
this package loads neither (only Whoosh's bug fixes, before anything runs).
"""

from . import patches  # noqa: F401
