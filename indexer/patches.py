"""Fixes for two bugs of Whoosh-Reloaded 2.7.5, applied when `indexer` is imported.

1. W3PerDocReader._cached_reader re-checks on disk, once per posting written,
   whether a field without a length column (ID fields) has one: 6% of a build
   went to os.path.exists. The negative answer is now cached too.
2. AndNotMatcher skips a leading excluded passage only when it is the first
   match itself, so `war NOT chechnya` kept a passage with both words when
   "chechnya" first appeared earlier. The vector evaluator does not use Whoosh
   matchers for ranking, but Whoosh's own paths (docs_for_query) still do.
"""

from __future__ import annotations

from whoosh.codec import whoosh3
from whoosh.matching import binary

_MISSING = object()


def _cached_reader(self, fieldname, column):
    found = self._readers.get(fieldname, _MISSING)
    if found is _MISSING:
        found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = found
    return found


def _find_first(self):
    if self.a.is_active() and self.b.is_active():
        self._find_next()


whoosh3.W3PerDocReader._cached_reader = _cached_reader
binary.AndNotMatcher._find_first = _find_first
