"""The text analysis pipeline shared by indexing, querying and highlighting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import Stemmer
from whoosh.analysis import Filter, Token, Tokenizer

# Bump when tokens change: an index built with another version must be rebuilt.
ANALYZER_VERSION = 2
# A longer "word" is data (base64, a hash, minified code), not a word: never a term.
MAX_TOKEN_CHARS = 64

# A word is letters/digits joined by apostrophes (we've, O'Brien) or by hyphens
# (counter-insurgency); hyphenated words are split into parts below.
WORD_RE = re.compile(r"\w+(?:['’‘ʼ′][\w]+)*(?:[-‐‑][\w]+(?:['’‘ʼ′][\w]+)*)*")
_HYPHENS = re.compile(r"[-‐‑]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'"})

# Kept in the index (phrases stay exact) but weighed low at query time.
STOP_WORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "must",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    }
)

_fold_cache: dict[str, str] = {}


def fold(word: str) -> str:
    """NFKC, straight apostrophes, no accents, lower case."""
    if word.isascii():
        return word.lower()
    folded = _fold_cache.get(word)
    if folded is None:
        text = unicodedata.normalize("NFKC", word).translate(_APOSTROPHES)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        folded = unicodedata.normalize("NFC", text).lower()
        if len(_fold_cache) < 200_000:
            _fold_cache[word] = folded
    return folded


class WordTokenizer(Tokenizer):
    """Words folded to one form; a hyphenated compound yields its parts and, at
    index time, also the joined word at the first part's position."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        if not tokenize:
            # A wildcard or fuzzy pattern: folded but never stemmed.
            t.raw = True
            t.original = t.text = fold(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        querying = mode == "query"
        for match in WORD_RE.finditer(value):
            if match.end() - match.start() > MAX_TOKEN_CHARS and _all_too_long(match.group()):
                pos += 1  # a gap, so a phrase cannot bridge the dropped run
                continue
            word = fold(match.group())
            if keeporiginal:
                t.original = match.group()
            if "-" not in word and "‐" not in word and "‑" not in word:
                t.text = word
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + match.start()
                    t.endchar = start_char + match.end()
                pos += 1
                yield t
                continue
            # Index time adds the joined word at the first part's position; a
            # query asks for the parts, which keeps phrases around it exact.
            parts = _HYPHENS.split(word)
            offset = start_char + match.start()
            first = pos
            for part in parts:
                if len(part) > MAX_TOKEN_CHARS:
                    offset += len(part) + 1
                    pos += 1
                    continue
                t.text = part
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar, t.endchar = offset, offset + len(part)
                offset += len(part) + 1
                pos += 1
                yield t
            joined = "".join(parts)
            if querying or len(joined) > MAX_TOKEN_CHARS:
                continue
            t.text = joined
            if positions:
                t.pos = first
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


def _all_too_long(word: str) -> bool:
    """Whether a match (or, for a compound, each of its parts) is over the cap."""
    return all(len(part) > MAX_TOKEN_CHARS for part in _HYPHENS.split(word))


_stemmer = Stemmer.Stemmer("english")
_stem_cache: dict[str, str] = {}


def stem(word: str) -> str:
    """Snowball English stem, cached: most words repeat."""
    stemmed = _stem_cache.get(word)
    if stemmed is None:
        stemmed = _stemmer.stemWord(word)
        if len(_stem_cache) < 500_000:
            _stem_cache[word] = stemmed
    return stemmed


class SnowballFilter(Filter):
    """Snowball English stemming through PyStemmer."""

    is_morph = True

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        cache = _stem_cache
        for t in tokens:
            if t.__dict__.get("raw"):
                yield t
                continue
            text = t.text
            stemmed = cache.get(text)
            t.text = stemmed if stemmed is not None else stem(text)
            yield t


def build_analyzer():
    """The analyzer for every text field: fold, split, stem."""
    return WordTokenizer() | SnowballFilter()


def analyze(text: str, mode: str = "index") -> list[str]:
    """The terms the index holds (or a query asks for) for ``text``."""
    return [t.text for t in ANALYZER(text, mode=mode)]


ANALYZER = build_analyzer()


def index_terms(text: str) -> tuple[list[str], list[int]]:
    """The terms ANALYZER indexes for `text` and their positions, without Whoosh's
    Token objects: the bulk writer's fast path (tests hold the two equal)."""
    words: list[str] = []
    positions: list[int] = []
    cache = _term_cache
    pos = 0
    for raw in WORD_RE.findall(text):
        term = cache.get(raw)
        if term is None:
            term = _term_of(raw)
        if type(term) is str:
            words.append(term)
            positions.append(pos)
            pos += 1
            continue
        # A compound: its parts, then the joined word at the first part's position.
        first = pos
        for part in term[:-1]:
            words.append(part)
            positions.append(pos)
            pos += 1
        words.append(term[-1])
        positions.append(first)
    return words, positions


_term_cache: dict[str, str | tuple[str, ...]] = {}


def _term_of(raw: str) -> str | tuple[str, ...]:
    """A word as typed -> its stem, or a compound's part stems plus the joined stem."""
    word = fold(raw)
    if "-" not in word and "‐" not in word and "‑" not in word:
        term: str | tuple[str, ...] = stem(word)
    else:
        parts = _HYPHENS.split(word)
        term = (*(stem(p) for p in parts), stem("".join(parts)))
    if len(_term_cache) < 500_000:
        _term_cache[raw] = term
    return term


def index_spans(text: str) -> list[tuple[str, int, int, int]]:
    """(term, position, start char, end char) of what ANALYZER indexes for `text`:
    highlighting's fast path (tests hold it equal to the analyser's tokens)."""
    out: list[tuple[str, int, int, int]] = []
    cache = _term_cache
    pos = 0
    for match in WORD_RE.finditer(text):
        raw = match.group()
        term = cache.get(raw)
        if term is None:
            term = _term_of(raw)
        start, end = match.span()
        if type(term) is str:
            out.append((term, pos, start, end))
            pos += 1
            continue
        first, offset = pos, start
        for part, length in zip(term[:-1], _part_lengths(raw), strict=True):
            out.append((part, pos, offset, offset + length))
            offset += length + 1
            pos += 1
        out.append((term[-1], first, start, end))
    return out


def _part_lengths(raw: str) -> list[int]:
    """The lengths of a compound's folded parts, as the tokenizer counts them."""
    return [len(part) for part in _HYPHENS.split(fold(raw))]
