"""Known-item search in seven languages: each page of Debian's installation guide
(tests/corpora.py) is sought by the words of its own title, each word put in another
inflected form the guide uses (same Snowball stem, other spelling: `оборудование` →
`оборудования`), in one run against

- seedsearch: one index of every language's pages together, queries untouched, and the
  same with the page's language as a filter (`lang:ru`), as the monolingual baselines have;
- bm25s with that language's analysis: an index of that language's passages only, its
  Snowball stemmer and stop words, CJK text as overlapping character bigrams;
- bm25s with English analysis: the same, words stemmed as English and runs of CJK
  characters as single tokens (what seedsearch did before languages);
- for Chinese, bm25s with jieba's dictionary segmentation (search mode for the passages,
  as jieba recommends for search engines): does a segmenter beat bigrams here?

A page is found at the rank of its best passage. Chinese and Japanese titles are sought
twice: whole, and with the first character of each run of three or more cut off (a
word inside a run, which whole-run tokens never match). Prints a Markdown table.

    .venv/bin/python -m bench.languages
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import bm25s
import Stemmer
from whoosh.lang.stopwords import stoplists

from indexer.build.passages import passages_of
from indexer.build.run import build_index
from indexer.languages import ENGLISH_STOP_WORDS, language
from indexer.models import Filters, Query
from indexer.readers import parse_document
from indexer.search.engine import Engine
from tests import corpora

LANGS = ("en", "ru", "de", "fr", "es", "zh", "ja")
DEPTH = 10  # ranks counted
_WORD = re.compile(r"\w+")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]+")
# Numbering and the words every appendix and chapter title shares.
_NUMBERING = re.compile(r"^[\s\w]{0,12}?[\dA-Z]+(\.\d+)*\.?\s+")


@dataclass(frozen=True)
class Page:
    lang: str
    doc: str  # the page's id in seedsearch's index: "ru/ch02s01.html"
    title: str
    passages: tuple[str, ...]


@dataclass(frozen=True)
class KnownItem:
    lang: str
    doc: str
    query: str
    inflected: bool  # at least one word put in another form
    inside: bool = False  # CJK runs cut: the query is inside the title's runs


def read_pages(source: Path) -> list[Page]:
    out = []
    for lang in LANGS:
        for path in sorted((source / lang).glob("*.html")):
            doc = parse_document(f"{lang}/{path.name}", ".html", path.read_bytes(), path.parent)
            texts = tuple(p.text for p in passages_of(doc).passages)
            out.append(Page(lang, doc.doc, doc.title, texts))
    return out


def _stemmer(lang: str):
    name = language(lang).stemmer
    return Stemmer.Stemmer(name) if name else None


def _stops(lang: str) -> frozenset[str]:
    return ENGLISH_STOP_WORDS if lang == "en" else frozenset(stoplists.get(lang, ()))


def known_items(pages: list[Page]) -> list[KnownItem]:
    """One query per page with a distinctive title: its content words, inflected."""
    titles = Counter((p.lang, p.title) for p in pages)
    forms: dict[str, dict[str, Counter]] = {}
    for lang in LANGS:
        stemmer, vocab = _stemmer(lang), defaultdict(Counter)
        if stemmer is not None:
            for page in pages:
                if page.lang == lang:
                    for text in page.passages:
                        for w in _WORD.findall(text.lower()):
                            vocab[stemmer.stemWord(w)][w] += 1
        forms[lang] = vocab
    out = []
    for page in pages:
        title = _NUMBERING.sub("", page.title).strip()
        if titles[(page.lang, page.title)] > 1 or not title:
            continue
        if _CJK.search(title):
            out.append(KnownItem(page.lang, page.doc, title, False))
            inside = _CJK.sub(lambda m: m.group()[1:] if len(m.group()) > 2 else m.group(), title)
            if inside != title:
                out.append(KnownItem(page.lang, page.doc, inside, False, inside=True))
            continue
        words = [w for w in _WORD.findall(title) if not w.isdigit()]
        words = [w for w in words if w.lower() not in _stops(page.lang)]
        if not words:
            continue
        stemmer, changed, query = _stemmer(page.lang), False, []
        for w in words:
            stem = stemmer.stemWord(w.lower()) if stemmer else w.lower()
            others = forms[page.lang].get(stem, Counter())
            other = next((f for f, _ in others.most_common() if f != w.lower()), None)
            query.append(other or w)
            changed |= other is not None
        out.append(KnownItem(page.lang, page.doc, " ".join(query), changed))
    return out


def jieba_words(text: str, query: bool) -> list[str]:
    """jieba's words of `text` (its search mode, which adds a long word's parts, for
    passages), Latin words as bm25s's other analyses have them."""
    import jieba

    cut = jieba.lcut(text) if query else jieba.lcut_for_search(text)
    return [w.lower() for w in cut if _WORD.fullmatch(w)]


class Jieba:
    """Chinese passages in bm25s, as jieba's words."""

    def __init__(self, pages: list[Page]) -> None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.docs, corpus = [], []
        for page in pages:
            if page.lang == "zh":
                for text in page.passages:
                    self.docs.append(page.doc)
                    corpus.append(jieba_words(f"{page.title} {text}", False) or ["∅"])
        self.vocab = {t for tokens in corpus for t in tokens}
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)

    def rank(self, query: str) -> list[str]:
        tokens = [t for t in jieba_words(query, True) if t in self.vocab]
        if not tokens:
            return []
        ids, _ = self.model.retrieve([tokens], k=min(1000, len(self.docs)), show_progress=False)
        return list(dict.fromkeys(self.docs[i] for i in ids[0]))


def analyse(text: str, lang: str, english: bool) -> list[str]:
    """bm25s's tokens: the language's stems and CJK bigrams, or English stems."""
    stemmer = _stemmer("en" if english else lang)
    stops = _stops("en" if english else lang)
    out = []
    for w in _WORD.findall(text.lower()):
        runs = [] if english else _CJK.findall(w)
        if runs:
            for run in runs:
                out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            w = _CJK.sub(" ", w).strip()
            if not w:
                continue
        if w not in stops:
            out.append(stemmer.stemWord(w) if stemmer else w)
    return out


class Bm25:
    """One language's passages in bm25s; pages ranked by their best passage."""

    def __init__(self, pages: list[Page], lang: str, english: bool) -> None:
        self.lang, self.english = lang, english
        self.docs, corpus = [], []
        for page in pages:
            if page.lang == lang:
                for text in page.passages:
                    self.docs.append(page.doc)
                    corpus.append(analyse(f"{page.title} {text}", lang, english) or ["∅"])
        self.vocab = {t for tokens in corpus for t in tokens}
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)

    def rank(self, query: str) -> list[str]:
        tokens = [t for t in analyse(query, self.lang, self.english) if t in self.vocab]
        if not tokens:
            return []
        k = min(1000, len(self.docs))
        ids, _ = self.model.retrieve([tokens], k=k, show_progress=False)
        return list(dict.fromkeys(self.docs[i] for i in ids[0]))


def seedsearch_rank(engine: Engine, query: str, lang: str = "") -> list[str]:
    where = Filters(langs=(lang,)) if lang else Filters()
    try:
        result = engine.search(Query(query, per_page=DEPTH, by_document=True, filters=where))
    except Exception:  # a query with nothing left to search
        return []
    return [d.doc for d in result.documents]


def scores(found: list[list[str]], wanted: list[str]) -> tuple[float, float, float]:
    """success@1, success@10 and MRR@10."""
    ranks = [
        f[:DEPTH].index(w) + 1 if w in f[:DEPTH] else 0 for f, w in zip(found, wanted, strict=True)
    ]
    return (
        sum(r == 1 for r in ranks) / len(ranks),
        sum(r > 0 for r in ranks) / len(ranks),
        sum(1 / r for r in ranks if r) / len(ranks),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "guide"
        for lang in LANGS:
            corpora.copy_guide(source, (lang,), tuple(p.stem for p in corpora.guide_pages(lang)))
        started = time.perf_counter()
        report = build_index(source, Path(tmp) / "index", full=True)
        built = time.perf_counter() - started
        pages = read_pages(source)
        items = known_items(pages)
        rows = []
        with Engine(Path(tmp) / "index") as engine:
            for lang, inside in [(lang, False) for lang in LANGS] + [("zh", True), ("ja", True)]:
                mine = [i for i in items if i.lang == lang and i.inside == inside]
                wanted = [i.doc for i in mine]
                systems = {
                    "seedsearch": lambda q: seedsearch_rank(engine, q),
                    f"seedsearch, lang:{lang}": lambda q, lang=lang: seedsearch_rank(
                        engine, q, lang
                    ),
                    "bm25s, its language": Bm25(pages, lang, english=False).rank,
                    "bm25s, English analysis": Bm25(pages, lang, english=True).rank,
                }
                if lang == "zh":
                    systems["bm25s, jieba words"] = Jieba(pages).rank
                label = f"{lang}, inside runs" if inside else lang
                for name, rank in systems.items():
                    took = []
                    found = []
                    for item in mine:
                        t = time.perf_counter()
                        found.append(rank(item.query))
                        took.append((time.perf_counter() - t) * 1000)
                    s1, s10, mrr = scores(found, wanted)
                    inflected = sum(i.inflected for i in mine)
                    rows.append((label, name, len(mine), inflected, s1, s10, mrr, took))
    print(
        f"{len(pages)} pages in {len(LANGS)} languages; seedsearch's index of all of them: "
        f"{report.passages:,} passages, built in {built:.1f} s\n"
    )
    print("| language | system | queries (inflected) | success@1 | success@10 | MRR@10 | ms p50 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for lang, name, n, inflected, s1, s10, mrr, took in rows:
        print(
            f"| {lang} | {name} | {n} ({inflected}) | {s1:.3f} | {s10:.3f} | {mrr:.3f} | "
            f"{statistics.median(took):.2f} |"
        )
    for item in items[:: max(1, len(items) // 12)]:
        print(f"\n- {item.lang}: `{item.query}` → {item.doc}", end="")
    print()


if __name__ == "__main__":
    main()
