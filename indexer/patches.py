"""Fixes for bugs of Whoosh-Reloaded 2.7.5, applied when `indexer` is imported.

1. W3PerDocReader._cached_reader re-checks on disk, once per posting written,
   whether a field without a length column (ID fields) has one: 6% of a build
   went to os.path.exists. The negative answer is now cached too.
2. AndNotMatcher skips a leading excluded passage only when it is the first
   match itself, so `war NOT chechnya` kept a passage with both words when
   "chechnya" first appeared earlier. The vector evaluator does not use Whoosh
   matchers for ranking, but Whoosh's own paths (docs_for_query) still do.
3. MultiReader.terms_within (an index of several segments) compared the word with
   every term sharing its prefix in Python, where each segment's reader walks its
   sorted terms with a Levenshtein automaton: 40 ms per misspelt word at 310k
   passages. It now asks each segment and merges the answers.
"""

from __future__ import annotations

from whoosh import reading
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


def _terms_within(self, fieldname, text, maxdist, prefix=0):
    found = set()
    for reader in self.readers:
        found.update(reader.terms_within(fieldname, text, maxdist, prefix))
    return iter(sorted(found))


whoosh3.W3PerDocReader._cached_reader = _cached_reader
reading.MultiReader.terms_within = _terms_within
binary.AndNotMatcher._find_first = _find_first
