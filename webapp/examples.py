"""Example queries for the landing page, taken from the served index itself and
checked to find passages, so they work on whatever corpus is indexed."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from indexer.analysis import STOP_WORDS
from indexer.errors import BadQuery
from indexer.models import Query
from indexer.search.engine import Engine

MAX_TITLES = 2000  # enough titles to see which words recur
CANDIDATES = 5  # title words (and pairs) tried for each example
MAX_PROBES = 14  # searches spent checking candidates, once per generation
PROBE_HITS = 20  # hits a probe looks at
_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class Example:
    """A query to show, and what it demonstrates."""

    query: str
    label: str


class ExampleCache:
    """Examples for the current generation, computed on first use after each build."""

    def __init__(self) -> None:
        self._generation: int | None = None
        self._examples: tuple[Example, ...] = ()
        self._lock = threading.Lock()

    def get(self, engine: Engine, generation: int) -> tuple[Example, ...]:
        with self._lock:
            if generation != self._generation:
                self._examples = find_examples(engine)
                self._generation = generation
            return self._examples


def find_examples(engine: Engine) -> tuple[Example, ...]:
    """A word, a phrase and a prefix from the documents' titles that find passages."""
    titles = [d.title for d in engine.stats().per_document]
    step = max(1, len(titles) // MAX_TITLES)
    titles = titles[::step]
    words = _title_words(titles)
    probes = _Prober(engine)
    examples: list[Example] = []
    # Of a few distinctive title words, the one most passages' text holds.
    word = probes.best(words[:CANDIDATES])
    if word:
        examples.append(Example(word, "a word (all its forms match)"))
    phrase = probes.best([f'"{p}"' for p in _title_pairs(titles, words)[:CANDIDATES]])
    if phrase:
        examples.append(Example(phrase, "an exact phrase"))
    long_words = sorted((w for w in words if len(w) >= 8 and w != word), key=len)
    prefix = next((f"{w[:6]}*" for w in long_words if probes.in_text(f"{w[:6]}*")), None)
    if prefix:
        examples.append(Example(prefix, "words starting with these letters"))
    return tuple(examples)


def _title_words(titles: list[str]) -> list[str]:
    """Title words that are not stop words: the most widespread, then longest, first."""
    counts: Counter[str] = Counter()
    for title in titles:
        counts.update(dict.fromkeys((w.lower() for w in _WORD.findall(title)), 1))
    words = [w for w in counts if w not in STOP_WORDS]
    # A longer word is usually a more distinctive one; ties keep title order.
    return sorted(words, key=lambda w: (-counts[w], -len(w)))


def _title_pairs(titles: list[str], words: list[str]) -> list[str]:
    """Two adjacent title words, neither a stop word, the most widespread first."""
    useful = set(words)
    counts: Counter[str] = Counter()
    for title in titles:
        found = [w.lower() for w in re.findall(r"[^\W_]+", title)]
        pairs = zip(found, found[1:], strict=False)
        counts.update(
            dict.fromkeys((f"{a} {b}" for a, b in pairs if a in useful and b in useful), 1)
        )
    return [p for p, _ in counts.most_common()]


class _Prober:
    """Runs candidate queries, within a budget, to keep only those that find passages."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.left = MAX_PROBES

    def best(self, candidates: list[str]) -> str | None:
        """The candidate found in the text of most passages, if any."""
        counts = {c: self.in_text(c) for c in candidates}
        found = max(counts, key=lambda c: counts[c], default=None)
        return found if found and counts[found] else None

    def in_text(self, text: str) -> int:
        """How many of the first PROBE_HITS hits of `text`, searched as typed, mark
        words in their passage: every passage matches its document's title, which
        says nothing of its text."""
        if self.left <= 0:
            return 0
        self.left -= 1
        try:
            result = self.engine.search(Query(text=text, per_page=PROBE_HITS))
        except BadQuery:
            return 0
        if result.corrected or result.notes:
            return 0
        return sum("<mark>" in hit.snippet for hit in result.hits)
