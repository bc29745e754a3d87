"""The text analysis pipeline shared by indexing, querying and highlighting.

A passage is analysed in its own language (indexer/languages.py): words are split
out, normalised (NFKC, one apostrophe, lower case, ё→е), stemmed by the language's
Snowball stemmer, and folded (accents off, so `vis-à-vis` finds `vis-a-vis`; the
text itself keeps them, so highlights show what was written). Runs of Chinese,
Japanese and Korean characters become overlapping bigrams (with each character on
its own at index time, so a single character is found too), in every language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import Stemmer
from whoosh.analysis import Filter, Token, Tokenizer

from .languages import DEFAULT, ENGLISH_STOP_WORDS, language

# Bump when tokens change: an index built with another version must be rebuilt.
# 3: terms per passage language, CJK bigrams, accents of non-Latin scripts kept.
ANALYZER_VERSION = 3
# A longer "word" is data (base64, a hash, minified code), not a word: never a term.
# Runs of CJK characters are exempt: a sentence is written without spaces.
MAX_TOKEN_CHARS = 64

# A word is letters/digits joined by apostrophes (we've, O'Brien) or by hyphens
# (counter-insurgency); hyphenated words are split into parts below.
WORD_RE = re.compile(r"\w+(?:['’‘ʼ′][\w]+)*(?:[-‐‑][\w]+(?:['’‘ʼ′][\w]+)*)*")
_HYPHENS = re.compile(r"[-‐‑]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'", "ё": "е", "Ё": "Е"})
# Han (with its extensions and compatibility forms), kana (half width too), Hangul,
# and the iteration marks: what Lucene's CJK bigram filter pairs up.
CJK_RE = re.compile(
    "[\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\uff66-\uff9f\U00020000-\U0002fa1f]+"
)
STOP_WORDS = ENGLISH_STOP_WORDS  # English's, as before languages were told apart

_normal_cache: dict[str, str] = {}
_fold_cache: dict[str, str] = {}


def normalize(word: str) -> str:
    """NFKC, straight apostrophes, ё as е, lower case; accents kept (for stemmers)."""
    if word.isascii():
        return word.lower()
    found = _normal_cache.get(word)
    if found is None:
        found = unicodedata.normalize("NFKC", word).translate(_APOSTROPHES).lower()
        if len(_normal_cache) < 200_000:
            _normal_cache[word] = found
    return found


def _strips_marks(base: str) -> bool:
    """Whether accents on this letter are folded: Latin, Greek, Hebrew and Arabic
    ones are; Cyrillic й and ї, Japanese voicing marks and Indic vowel signs are
    letters of their own and stay."""
    code = ord(base)
    return code < 0x250 or 0x370 <= code < 0x400 or 0x590 <= code < 0x700 or 0x1E00 <= code < 0x2000


def strip_accents(word: str) -> str:
    """Accents off the letters whose accents are folded (see _strips_marks)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    out: list[str] = []
    base = " "
    for c in decomposed:
        if unicodedata.combining(c):
            if _strips_marks(base):
                continue
        else:
            base = c
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def fold(word: str) -> str:
    """NFKC, straight apostrophes, no accents, lower case: a word as matched."""
    if word.isascii():
        return word.lower()
    folded = _fold_cache.get(word)
    if folded is None:
        folded = strip_accents(normalize(word))
        if len(_fold_cache) < 200_000:
            _fold_cache[word] = folded
    return folded


_stemmers: dict[str, Stemmer.Stemmer] = {}
_stem_cache: dict[str, str] = {}


def _stemmer(name: str) -> Stemmer.Stemmer:
    found = _stemmers.get(name)
    if found is None:
        found = _stemmers[name] = Stemmer.Stemmer(name)
    return found


def stem(word: str) -> str:
    """Snowball English stem of a folded word, cached: most words repeat."""
    stemmed = _stem_cache.get(word)
    if stemmed is None:
        stemmed = _stemmer("english").stemWord(word)
        if len(_stem_cache) < 500_000:
            _stem_cache[word] = stemmed
    return stemmed


def word_term(word: str, lang: str = DEFAULT) -> str:
    """The term one normalised word (no hyphen, no CJK) is indexed as in `lang`."""
    spec = language(lang)
    if spec.fold_first:
        folded = strip_accents(word)
        return stem(folded) if spec.stemmer == "english" else folded
    if spec.elisions and "'" in word:
        head, _, tail = word.partition("'")
        if head in spec.elisions and tail:
            word = tail
    if spec.stemmer:
        word = _stemmer(spec.stemmer).stemWord(word)
    return strip_accents(word)


# A word's plan: its one term (the common case), or (positions it takes, its terms
# as (term, position offset, start, end) relative to the word).
Plan = str | tuple[int, tuple[tuple[str, int, int, int], ...]]
_plans: dict[tuple[str, bool], dict[str, Plan]] = {}
_NOTHING: Plan = (1, ())  # an over-long word: a gap, so a phrase cannot bridge it


def plan_of(raw: str, lang: str = DEFAULT, query: bool = False) -> Plan:
    """What a word as written (a WORD_RE match) is indexed (or searched) as."""
    cache = _plans.get((lang, query))
    if cache is None:
        cache = _plans[(lang, query)] = {}
    found = cache.get(raw)
    if found is None:
        found = _make_plan(raw, lang, query)
        if len(cache) < 500_000:
            cache[raw] = found
    return found


def _make_plan(raw: str, lang: str, query: bool) -> Plan:
    if CJK_RE.search(raw) is None:
        return _word_plan(raw, lang, query)
    items: list[tuple[str, int, int, int]] = []
    pos = 0
    cursor = 0
    for run in CJK_RE.finditer(raw):
        pos = _add_words(raw, cursor, run.start(), lang, query, pos, items)
        advance, terms = _cjk_plan(run.group(), query)
        items += [(t, pos + p, run.start() + s, run.start() + e) for t, p, s, e in terms]
        pos += advance
        cursor = run.end()
    pos = _add_words(raw, cursor, len(raw), lang, query, pos, items)
    return (pos, tuple(items))


def _add_words(raw: str, start: int, end: int, lang: str, query: bool, pos: int, items) -> int:
    """The plans of the words in raw[start:end] (beside a CJK run) added at `pos`."""
    for match in WORD_RE.finditer(raw, start, end):
        plan = _word_plan(match.group(), lang, query)
        if type(plan) is str:
            items.append((plan, pos, match.start(), match.end()))
            pos += 1
            continue
        advance, terms = plan
        items += [(t, pos + p, match.start() + s, match.start() + e) for t, p, s, e in terms]
        pos += advance
    return pos


def _word_plan(raw: str, lang: str, query: bool) -> Plan:
    """A word of letters and digits, or a compound of them joined by hyphens:
    the parts, and at index time also the joined word at the first part's position."""
    word = normalize(raw)
    if "-" not in word and "‐" not in word and "‑" not in word:
        return word_term(word, lang) if len(raw) <= MAX_TOKEN_CHARS else _NOTHING
    parts = _HYPHENS.split(word)
    if all(len(p) > MAX_TOKEN_CHARS for p in parts):
        return _NOTHING
    items = []
    offset = 0
    for n, (part, written) in enumerate(zip(parts, _HYPHENS.split(raw), strict=True)):
        if len(part) <= MAX_TOKEN_CHARS:
            items.append((word_term(part, lang), n, offset, offset + len(written)))
        offset += len(written) + 1
    joined = "".join(parts)
    # A query asks for the parts, which keeps phrases around it exact.
    if not query and len(joined) <= MAX_TOKEN_CHARS:
        items.append((word_term(joined, lang), 0, 0, len(raw)))
    return (len(parts), tuple(items))


def _cjk_plan(run: str, query: bool) -> tuple[int, tuple[tuple[str, int, int, int], ...]]:
    """Overlapping bigrams of a run of CJK characters (one term for a lone character),
    and at index time each character too, at its bigram's position (the last at the
    last bigram's), so a one-character query finds it and bigram phrases stay exact."""
    chars = [_cjk_char(c) for c in run]
    if len(chars) == 1:
        return 1, ((chars[0], 0, 0, 1),)
    items = []
    for i in range(len(chars) - 1):
        items.append((chars[i] + chars[i + 1], i, i, i + 2))
        if not query:
            items.append((chars[i], i, i, i + 1))
    if not query:
        items.append((chars[-1], len(chars) - 2, len(chars) - 1, len(chars)))
    return len(chars) - 1, tuple(items)


def _cjk_char(c: str) -> str:
    """A CJK character as matched: NFKC (half-width kana to full), one character."""
    folded = unicodedata.normalize("NFKC", c)
    return folded if len(folded) == 1 else c


def is_cjk(word: str) -> bool:
    """Whether a word is (or holds) a run of Chinese, Japanese or Korean characters."""
    return CJK_RE.search(word) is not None


class WordTokenizer(Tokenizer):
    """The whole pipeline for Whoosh: each word's terms in the language given as
    `lang=` (the passage's), per plan_of."""

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
        lang: str = DEFAULT,
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
            plan = plan_of(match.group(), lang, querying)
            if keeporiginal:
                t.original = match.group()
            if type(plan) is str:
                t.text = plan
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + match.start()
                    t.endchar = start_char + match.end()
                pos += 1
                yield t
                continue
            advance, items = plan
            for term, offset, start, end in items:
                t.text = term
                if positions:
                    t.pos = pos + offset
                if chars:
                    t.startchar = start_char + match.start() + start
                    t.endchar = start_char + match.start() + end
                yield t
            pos += advance


class SnowballFilter(Filter):
    """Passes tokens through: stemming now happens per language in WordTokenizer.
    Kept by name so that an index pickled by an earlier version still unpickles (and
    is then refused for its analyzer version, with the way to rebuild it)."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        return tokens


class SurfaceTokenizer(Tokenizer):
    """What the query parser reads: normalised words (accents kept, no stemming),
    compounds as their parts, each run of CJK characters as one word. The query
    side then analyses each word in every language the index holds."""

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
            t.original = t.text = fold(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        for word, start, end in surface_spans(value):
            t.text = word
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            pos += 1
            yield t


def surface_spans(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word of `text` as the query parser reads it."""
    out = []
    for match in WORD_RE.finditer(text):
        raw = match.group()
        pieces = [(raw, 0)]
        if CJK_RE.search(raw):
            pieces = _split_cjk(raw)
        for piece, offset in pieces:
            at = match.start() + offset
            if CJK_RE.fullmatch(piece):
                out.append(("".join(_cjk_char(c) for c in piece), at, at + len(piece)))
                continue
            for part in _HYPHENS.split(piece):
                if part and len(part) <= MAX_TOKEN_CHARS:
                    out.append((normalize(part), at, at + len(part)))
                at += len(part) + 1
    return out


def surface_words(text: str) -> list[str]:
    """The words of `text` as the query parser reads them."""
    return [word for word, _start, _end in surface_spans(text)]


def _split_cjk(raw: str) -> list[tuple[str, int]]:
    """A word cut into its CJK runs and the words between them, with their offsets."""
    out, cursor = [], 0
    for run in CJK_RE.finditer(raw):
        out += [(m.group(), m.start()) for m in WORD_RE.finditer(raw, cursor, run.start())]
        out.append((run.group(), run.start()))
        cursor = run.end()
    out += [(m.group(), m.start()) for m in WORD_RE.finditer(raw, cursor)]
    return out


def query_terms(word: str, lang: str = DEFAULT) -> tuple[str, ...]:
    """The terms a word of the query (as SurfaceTokenizer gives it) stands for in
    `lang`: its one term, or a CJK run's bigrams (a phrase of them)."""
    if CJK_RE.fullmatch(word):
        return tuple(t for t, *_ in _cjk_plan(word, query=True)[1])
    return (word_term(word, lang),)


def build_analyzer():
    """The analyzer for every text field: words, each in the passage's language."""
    return WordTokenizer()


def build_surface_analyzer():
    """The analyzer the query parser reads words with (see SurfaceTokenizer)."""
    return SurfaceTokenizer()


def analyze(text: str, mode: str = "index", lang: str = DEFAULT) -> list[str]:
    """The terms the index holds (or a query asks for) for ``text`` in `lang`."""
    return [t.text for t in ANALYZER(text, mode=mode, lang=lang)]


ANALYZER = build_analyzer()


def index_terms(text: str, lang: str = DEFAULT) -> tuple[list[str], list[int]]:
    """The terms ANALYZER indexes for `text` in `lang` and their positions, without
    Whoosh's Token objects: the bulk writer's fast path (tests hold the two equal)."""
    words: list[str] = []
    positions: list[int] = []
    cache = _plans.get((lang, False))
    if cache is None:
        cache = _plans[(lang, False)] = {}
    pos = 0
    for raw in WORD_RE.findall(text):
        plan = cache.get(raw)
        if plan is None:
            plan = plan_of(raw, lang)
        if type(plan) is str:
            words.append(plan)
            positions.append(pos)
            pos += 1
            continue
        advance, items = plan
        for term, offset, _, _ in items:
            words.append(term)
            positions.append(pos + offset)
        pos += advance
    return words, positions


def index_spans(text: str, lang: str = DEFAULT) -> list[tuple[str, int, int, int]]:
    """(term, position, start char, end char) of what ANALYZER indexes for `text`:
    highlighting's fast path (tests hold it equal to the analyser's tokens)."""
    out: list[tuple[str, int, int, int]] = []
    cache = _plans.get((lang, False))
    if cache is None:
        cache = _plans[(lang, False)] = {}
    pos = 0
    for match in WORD_RE.finditer(text):
        raw = match.group()
        plan = cache.get(raw)
        if plan is None:
            plan = plan_of(raw, lang)
        start = match.start()
        if type(plan) is str:
            out.append((plan, pos, start, match.end()))
            pos += 1
            continue
        advance, items = plan
        out += [(term, pos + p, start + s, start + e) for term, p, s, e in items]
        pos += advance
    return out


_stop_terms: dict[str, frozenset[str]] = {}


def stop_terms(lang: str = DEFAULT) -> frozenset[str]:
    """The terms of `lang`'s stop words."""
    found = _stop_terms.get(lang)
    if found is None:
        words = language(lang).stop_words
        found = _stop_terms[lang] = frozenset(word_term(normalize(w), lang) for w in words)
    return found
