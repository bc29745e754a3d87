"""Split a Document into Passages: paragraphs, windows of long ones, merged
runs of tiny ones, a byline kept with the text it opens; captions dropped, pull
quotes collapsed, data (base64, minified code) left out with a warning. A
document yields at least one passage, or the reason it yields none."""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis import MAX_TOKEN_CHARS
from ..models import Block, Document, Passage, Split
from ..readers.base import Unreadable
from ..sentences import sentence_spans

MAX_WORDS = 200  # paragraphs longer than this are split ...
MIN_WORDS = 80  # ... into windows of at least this many words where possible
TINY_WORDS = 8  # runs of paragraphs this short (list items, verse lines) merge
TINY_RUN = 3
MERGED_WORDS = 80
CAPTION_WORDS = 15
QUOTE_WORDS = 60
MAX_CHARS = 2000  # a passage longer than this (text without spaces) is cut by characters
DATA_RUN = 200  # a run of this many ASCII characters without a space is data, not words
DATA_SHARE = 0.5  # a paragraph mostly made of such runs is not prose

_WORD = re.compile(r"\w+")
_NONSPACE = re.compile(r"\S+")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_CREDIT = re.compile(
    r"©|/|\b(?:rights reserved|photos?|photograph|credit|courtesy|image|getty|reuters"
    r"|afp|flickr|shutterstock|wikimedia|unsplash|illustration)\b",
    re.I,
)


# Long runs of printable ASCII (minified code), or runs of the base64 alphabet
# longer than any term (wrapped base64): no word is that long.
_DATA_RUN = re.compile(rf"[\x21-\x7e]{{{DATA_RUN},}}|[A-Za-z0-9+/=]{{{MAX_TOKEN_CHARS + 1},}}")
_SAFE_CUT = re.compile(r"[\s。！？；，、.!?;,]")


@dataclass(frozen=True)
class _Para:
    start: int
    end: int
    section: str
    item: bool
    page: int = 0


def passages_of(document: Document) -> Split:
    """The document's passages, or Unreadable naming the file and why it has none."""
    split = split_document(document)
    if split.passages:
        return split
    reason, why = _why_empty(document)
    raise Unreadable(f"{document.doc}: {why}", reason)


def data_note(document: Document, split: Split) -> str:
    """The warning for paragraphs left out as data, or "" when none were."""
    if not split.not_prose:
        return ""
    many = "s" if split.not_prose > 1 else ""
    return (
        f"{document.doc}: {split.not_prose} paragraph{many} of data (no spaces: base64, "
        "minified code ...) left out"
    )


def split_document(document: Document) -> Split:
    """The passages of one document, in order, numbered from 1."""
    paras, captions, not_prose = _paragraphs(document)
    kept, duplicates = _drop_pull_quotes(document.text, paras)
    spans = []
    for para in _join_openers(document.text, _merge_tiny(document.text, kept)):
        for s, e in _windows(document.text, para.start, para.end):
            spans.extend((para, cs, ce) for cs, ce in _cut_long(document.text, s, e))
    starts = document.page_starts()
    ocr_blocks = [b for b in document.blocks if b.ocr]  # in text order, never overlapping
    ocr_ends = [b.end for b in ocr_blocks]
    passages = []
    for n, (para, start, end) in enumerate(spans, 1):
        page, later = _pages_of(starts, start, end)
        labelled = tuple((at, n, document.page_label(n)) for at, n in later)
        passages.append(
            Passage(
                doc=document.doc,
                ordinal=n,
                title=document.title,
                section=para.section,
                text=document.text[start:end],
                start=start,
                end=end,
                page=page,
                page_label=document.page_label(page),
                pages=labelled,
                ocr=_overlaps(ocr_blocks, ocr_ends, start, end),
            )
        )
    passages = tuple(passages)
    return Split(passages=passages, captions=captions, duplicates=duplicates, not_prose=not_prose)


def is_data(text: str) -> bool:
    """Mostly long runs of ASCII without spaces: base64, hex, minified code."""
    if len(text) < MAX_TOKEN_CHARS:
        return False
    runs = sum(m.end() - m.start() for m in _DATA_RUN.finditer(text))
    return runs >= DATA_SHARE * len(text)


def _why_empty(document: Document) -> tuple[str, str]:
    """Why a document has no passage: (a few words, the sentence for the warning)."""
    paragraphs = [b for b in document.blocks if not b.level]
    data = [b for b in paragraphs if is_data(b.text)]
    if paragraphs and len(data) == len(paragraphs):
        size = sum(len(b.text) for b in data)
        if len(data) > 1:
            return (
                "no prose found",
                f"no prose found: {len(data)} paragraphs of data ({size:,} characters)",
            )
        if " " not in data[0].text:
            line = f"one {size:,}-character line without spaces"
            return "no prose found", f"no prose found: {line} (base64 or other data?)"
        return "no prose found", f"no prose found: {size:,} characters of data (base64, hashes?)"
    if paragraphs and all(is_caption(b) or is_data(b.text) for b in paragraphs):
        many = len(paragraphs) > 1
        return "only captions", f"only {len(paragraphs)} captions" if many else "only a caption"
    return "no text", "no text to index"


def _pages_of(
    starts: list[tuple[int, int]], start: int, end: int
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The page a span starts on, and where in it later pages begin (offsets
    from its start): `starts` is the document's (offset, page) page changes."""
    at = bisect.bisect_right(starts, (start, math.inf)) - 1
    page = starts[at][1] if at >= 0 else 0
    later = []
    for offset, next_page in starts[at + 1 :]:
        if offset >= end:
            break
        later.append((offset - start, next_page))
    return page, tuple(later)


def _overlaps(blocks: list[Block], ends: list[int], start: int, end: int) -> bool:
    """Whether any of `blocks` (in order, `ends` their ends) overlaps [start, end)."""
    at = bisect.bisect_right(ends, start)
    return at < len(blocks) and blocks[at].start < end


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_CHARS at a space or punctuation, else anywhere
    but inside a combining sequence."""
    spans = []
    while end - start > MAX_CHARS:
        limit = start + MAX_CHARS
        cut = None
        for match in _SAFE_CUT.finditer(text, start + MAX_CHARS // 2, limit):
            cut = match.end()
        if cut is None:
            cut = limit
            while cut > start + 1 and _combining(text[cut]):
                cut -= 1
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        spans.append((start, piece_end))
        start = _skip_space(text, cut, end)
    if start < end:
        spans.append((start, end))
    return spans


def _combining(char: str) -> bool:
    return unicodedata.combining(char) != 0 or char in "\u200d\ufe0f"


def is_caption(block: Block) -> bool:
    """An image credit or caption: short, unpunctuated, with a credit marker."""
    return (
        block.level == 0
        and not block.item
        and len(block.text.split()) <= CAPTION_WORDS
        and not _TERMINAL.search(block.text)
        and bool(_CREDIT.search(block.text))
    )


def _paragraphs(document: Document) -> tuple[list[_Para], int, int]:
    paras, captions, not_prose, section = [], 0, 0, ""
    title_seen = False
    for block in document.blocks:
        if block.level:
            if not title_seen and block.text == document.title:
                title_seen = True
            else:
                section = block.text
        elif is_data(block.text):  # before captions: base64 has slashes, as credits do
            not_prose += 1
        elif is_caption(block):
            captions += 1
        else:
            paras.append(_Para(block.start, block.end, section, block.item, block.page))
    if not any(not b.level for b in document.blocks):
        # A record of headings alone (a catalogue entry, a stub page) is its headings.
        paras = [
            _Para(b.start, b.end, "" if b.text == document.title else b.text, True, b.page)
            for b in document.blocks
        ]
    return paras, captions, not_prose


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _drop_pull_quotes(text: str, paras: list[_Para]) -> tuple[list[_Para], int]:
    """Drop short paragraphs that mostly repeat a longer one of the document.

    A pull quote repeats at least one whole sentence of its source verbatim and
    most of its words; looking candidates up by sentence keeps this linear.
    """
    words: dict[int, list[str]] = {}

    def words_of(i: int) -> list[str]:
        if i not in words:
            words[i] = _words(text[paras[i].start : paras[i].end])
        return words[i]

    by_sentence: dict[str, set[int]] = {}
    for i, p in enumerate(paras):
        for s, e in sentence_spans(text, p.start, p.end):
            if e - s > QUOTE_WORDS * 12:  # longer than any quote's sentence
                continue
            by_sentence.setdefault(" ".join(_words(text[s:e])), set()).add(i)
    # A pull quote stands out as short among the document's paragraphs; in a
    # text of short paragraphs (verses, list-like prose) repeats are content.
    sizes = sorted(len(text[p.start : p.end].split()) for p in paras)
    limit = min(QUOTE_WORDS, sizes[len(sizes) // 2] // 2) if sizes else 0
    dropped = set()
    for i, p in enumerate(paras):
        if p.item or p.end - p.start > QUOTE_WORDS * 12 or len(words_of(i)) > limit:
            continue
        candidates = set()
        for s, e in sentence_spans(text, p.start, p.end):
            key = " ".join(_words(text[s:e]))
            if key.count(" ") >= 3:
                candidates |= by_sentence.get(key, set())
        for j in candidates:
            if len(words_of(j)) >= len(words[i]) + 5 and _is_quote(words[i], words[j]):
                dropped.add(i)
                break
    return [p for i, p in enumerate(paras) if i not in dropped], len(dropped)


def _is_quote(quote: list[str], source: list[str]) -> bool:
    """Most of the quote's words are the source's, half of them in runs of three
    (a refrain sharing one sentence with a different verse is not a quote)."""
    vocabulary = set(source)
    shared = sum(1 for w in quote if w in vocabulary) / max(len(quote), 1)
    return shared >= 0.75 and _coverage(quote, source) >= 0.5


def _coverage(quote: list[str], source: list[str]) -> float:
    """The share of quote's words inside a word trigram that source also has."""
    grams = {tuple(source[k : k + 3]) for k in range(len(source) - 2)}
    covered = [False] * len(quote)
    for k in range(len(quote) - 2):
        if tuple(quote[k : k + 3]) in grams:
            covered[k] = covered[k + 1] = covered[k + 2] = True
    return sum(covered) / max(len(quote), 1)


def _merge_tiny(text: str, paras: list[_Para]) -> list[_Para]:
    """Merge runs of tiny paragraphs of one section into passages of a sensible size."""
    out: list[_Para] = []
    run: list[_Para] = []

    def close_run() -> None:
        if len(run) < TINY_RUN:
            out.extend(run)
        else:
            group, count = [], 0
            for p in run:
                n = len(text[p.start : p.end].split())
                if group and count + n > MERGED_WORDS:
                    out.append(_merged(group))
                    group, count = [], 0
                group.append(p)
                count += n
            out.append(_merged(group))
        run.clear()

    for p in paras:
        tiny = len(text[p.start : p.end].split()) <= TINY_WORDS
        if not tiny or (run and run[-1].section != p.section):
            close_run()
        if tiny:
            run.append(p)
        else:
            out.append(p)
    close_run()
    return out


def _join_openers(text: str, paras: list[_Para]) -> list[_Para]:
    """A few tiny paragraphs opening a section (a byline, an authors line, a
    dateline) join the paragraph they open: alone they are no passage a reader
    wants, and the record they head stays whole."""
    out: list[_Para] = []
    openers: list[_Para] = []
    for p in paras:
        opens = not out or out[-1].section != p.section
        if openers and openers[-1].section != p.section:
            out.extend(openers)  # a section of tiny paragraphs alone keeps them
            openers, opens = [], True
        if (opens or openers) and _is_tiny(text, p):
            openers.append(p)
        elif openers:
            out.append(_merged([*openers, p]))
            openers = []
        else:
            out.append(p)
    return out + openers


def _is_tiny(text: str, p: _Para) -> bool:
    return len(text[p.start : p.end].split()) <= TINY_WORDS


def _merged(group: list[_Para]) -> _Para:
    return _Para(group[0].start, group[-1].end, group[0].section, False, group[0].page)


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a long paragraph at sentence boundaries into windows of 80-200 words."""
    total = len(text[start:end].split())
    if total <= MAX_WORDS:
        return [(start, end)]
    target = total / math.ceil(total / MAX_WORDS)
    windows, w_start, w_end, count = [], start, start, 0
    for s, e, n in _units(text, start, end):
        if count and count + n > MAX_WORDS and count >= MIN_WORDS:
            windows.append((w_start, w_end))
            w_start, count = s, 0
        w_end, count = e, count + n
        if count >= target:
            windows.append((w_start, w_end))
            w_start, count = e, 0
    if count:
        windows.append((w_start, w_end))
    return [(_skip_space(text, s, e), e) for s, e in windows]


def _units(text: str, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """Sentences, with over-long ones cut into pieces of at most MAX_WORDS words."""
    for s, e in sentence_spans(text, start, end):
        first = last = None
        count = 0
        for match in _NONSPACE.finditer(text, s, e):
            if first is None:
                first = match.start()
            last, count = match.end(), count + 1
            if count == MAX_WORDS:
                yield first, last, count
                first, count = None, 0
        if count:
            yield first, last, count


def _skip_space(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start
