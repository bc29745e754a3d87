"""Language detection for passages: py3langid against lingua-language-detector on
real text (Debian's installation guide in 19 languages, split into passages by
seedsearch itself), by passage length, and the time each takes per passage; and
seedsearch's own use of py3langid (indexer/detection.py: batched per document,
restricted to the languages it knows, short passages taking the document's).

    .venv/bin/python -m bench.langdetect            # prints a Markdown table

A passage of a translation also found word for word in the English guide (a command,
an untranslated paragraph) is left out: its label would be wrong.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from indexer import detection
from indexer.build.passages import passages_of
from indexer.readers import parse_document
from tests import corpora

BUCKETS = ((0, 40), (40, 120), (120, 400), (400, 10**9))  # characters of a passage


@dataclass(frozen=True)
class Page:
    lang: str
    passages: tuple[str, ...]
    kept: tuple[bool, ...]  # whether each passage is counted (see the module's note)


@dataclass(frozen=True)
class Detector:
    name: str
    detect_page: Callable[[list[str]], list[str]]


def pages() -> list[Page]:
    """Every page of the guide in every language, as seedsearch splits it."""
    read = {
        lang: [(p, _passages(p)) for p in corpora.guide_pages(lang)]
        for lang in corpora.GUIDE_FOLDERS
    }
    english = {t for _, texts in read["en"] for t in texts}
    out = []
    for lang, found in read.items():
        for _, texts in found:
            kept = tuple(
                lang == "en" or (t not in english and sum(c.isalpha() for c in t) >= 3)
                for t in texts
            )
            out.append(Page(lang, tuple(texts), kept))
    return out


def _passages(path) -> list[str]:
    doc = parse_document(path.name, ".html", path.read_bytes(), path.parent)
    return [p.text for p in passages_of(doc).passages]


def detectors() -> list[Detector]:
    import py3langid
    from lingua import LanguageDetectorBuilder

    def per_passage(detect: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
        return lambda texts: [detect(t) for t in texts]

    def lingua_code(detector) -> Callable[[str], str]:
        def detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else ""

        return detect

    low = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
    high = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
    return [
        Detector("py3langid", per_passage(lambda t: py3langid.classify(t)[0])),
        Detector("lingua, low accuracy mode", per_passage(lingua_code(low))),
        Detector("lingua, high accuracy", per_passage(lingua_code(high))),
        Detector(
            "seedsearch (py3langid per document)", lambda t: list(detection.detect(t).passages)
        ),
    ]


def _seedsearch(texts: list[str]) -> list[str]:
    return list(detection.detect(texts).passages)


def accuracy(detector: Detector, data: list[Page]) -> dict:
    right: dict = defaultdict(int)
    seen: dict = defaultdict(int)
    for page in data:
        found = detector.detect_page(list(page.passages))
        for text, kept, lang in zip(page.passages, page.kept, found, strict=True):
            if not kept:
                continue
            bucket = next(b for b in BUCKETS if b[0] <= len(text) < b[1])
            for key in (("all",), ("lang", page.lang), ("len", bucket)):
                seen[key] += 1
                right[key] += lang == page.lang
    return {k: right[k] / seen[k] for k in seen} | {("n", k): seen[k] for k in seen}


def speed(detector: Detector, documents: list[list[str]], rounds: int = 3) -> float:
    """Median over rounds of microseconds per passage."""
    detector.detect_page(documents[0])  # load models before timing
    count = sum(len(d) for d in documents)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for doc in documents:
            detector.detect_page(doc)
        times.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(times)


def kjv_chapters(n: int) -> list[list[str]]:
    """The first n verses of the King James Bible, a chapter to a document."""
    from bench import kjv

    chapters: dict = {}
    for v in kjv.read_bible()[:n]:
        chapters.setdefault((v.book, v.chapter), []).append(v.text)
    return list(chapters.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verses", type=int, default=3000)
    args = parser.parse_args()
    data = pages()
    found = detectors()
    english = kjv_chapters(args.verses)
    results = {d.name: accuracy(d, data) for d in found}
    guide = [list(p.passages) for p in data[:: max(1, len(data) // 150)]]
    timing = {d.name: (speed(d, guide), speed(d, english)) for d in found}
    names = [d.name for d in found]
    counted = results[names[0]][("n", ("all",))]
    print(f"{counted} passages of {len(data)} pages, {len(corpora.GUIDE_FOLDERS)} languages\n")
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print("| accuracy, all | " + " | ".join(f"{results[n][('all',)]:.1%}" for n in names) + " |")
    for low, high in BUCKETS:
        key = ("len", (low, high))
        label = f"{low}–{high} chars" if high < 10**9 else f"{low}+ chars"
        count = results[names[0]][("n", key)]
        cells = " | ".join(f"{results[n][key]:.1%}" for n in names)
        print(f"| accuracy, {label} ({count}) | {cells} |")
    for lang in corpora.GUIDE_FOLDERS:
        key = ("lang", lang)
        print(f"| accuracy, {lang} | " + " | ".join(f"{results[n][key]:.1%}" for n in names) + " |")
    print("| µs per guide passage | " + " | ".join(f"{timing[n][0]:.0f}" for n in names) + " |")
    print("| µs per KJV verse | " + " | ".join(f"{timing[n][1]:.0f}" for n in names) + " |")


if __name__ == "__main__":
    main()
