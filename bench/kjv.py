"""The benchmark corpus: the King James Bible (Debian's bible-kjv) as 66 Markdown books,
plus copies of it in subfolders for scale. Generated into bench/work/, never committed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The abbreviations `bible -f` prints, in canonical order, and the books' names.
BOOKS = (
    ("Ge", "Genesis"),
    ("Exo", "Exodus"),
    ("Lev", "Leviticus"),
    ("Num", "Numbers"),
    ("Deu", "Deuteronomy"),
    ("Josh", "Joshua"),
    ("Jdgs", "Judges"),
    ("Ruth", "Ruth"),
    ("1Sm", "1 Samuel"),
    ("2Sm", "2 Samuel"),
    ("1Ki", "1 Kings"),
    ("2Ki", "2 Kings"),
    ("1Chr", "1 Chronicles"),
    ("2Chr", "2 Chronicles"),
    ("Ezra", "Ezra"),
    ("Neh", "Nehemiah"),
    ("Est", "Esther"),
    ("Job", "Job"),
    ("Psa", "Psalms"),
    ("Prv", "Proverbs"),
    ("Eccl", "Ecclesiastes"),
    ("SSol", "Song of Solomon"),
    ("Isa", "Isaiah"),
    ("Jer", "Jeremiah"),
    ("Lam", "Lamentations"),
    ("Eze", "Ezekiel"),
    ("Dan", "Daniel"),
    ("Hos", "Hosea"),
    ("Joel", "Joel"),
    ("Amos", "Amos"),
    ("Obad", "Obadiah"),
    ("Jonah", "Jonah"),
    ("Mic", "Micah"),
    ("Nahum", "Nahum"),
    ("Hab", "Habakkuk"),
    ("Zep", "Zephaniah"),
    ("Hag", "Haggai"),
    ("Zec", "Zechariah"),
    ("Mal", "Malachi"),
    ("Mat", "Matthew"),
    ("Mark", "Mark"),
    ("Luke", "Luke"),
    ("John", "John"),
    ("Acts", "Acts"),
    ("Rom", "Romans"),
    ("1Cor", "1 Corinthians"),
    ("2Cor", "2 Corinthians"),
    ("Gal", "Galatians"),
    ("Eph", "Ephesians"),
    ("Phi", "Philippians"),
    ("Col", "Colossians"),
    ("1Th", "1 Thessalonians"),
    ("2Th", "2 Thessalonians"),
    ("1Tim", "1 Timothy"),
    ("2Tim", "2 Timothy"),
    ("Titus", "Titus"),
    ("Phmn", "Philemon"),
    ("Heb", "Hebrews"),
    ("Jas", "James"),
    ("1Pet", "1 Peter"),
    ("2Pet", "2 Peter"),
    ("1Jn", "1 John"),
    ("2Jn", "2 John"),
    ("3Jn", "3 John"),
    ("Jude", "Jude"),
    ("Rev", "Revelation"),
)
VERSES = 31_102
_LINE = re.compile(r"^([0-9]?[A-Za-z]+)(\d+):(\d+) (.*)$")


@dataclass(frozen=True)
class Verse:
    book: str  # full name
    chapter: int
    verse: int
    text: str


@dataclass(frozen=True)
class Corpus:
    """A generated folder of Markdown books and what it holds."""

    path: Path
    copies: int
    files: int
    verses: int
    bytes: int


def read_bible() -> list[Verse]:
    """All 31,102 verses from `bible -f`; RuntimeError if bible-kjv is missing or changed."""
    if shutil.which("bible") is None:
        raise RuntimeError("`bible` not found: apt-get install -y bible-kjv")
    # Not a tty, so `bible` prints one verse per line without wrapping.
    out = subprocess.run(
        ["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True
    ).stdout
    names = dict(BOOKS)
    verses = []
    for line in out.splitlines():
        match = _LINE.match(line)
        if match is None:
            raise RuntimeError(f"unexpected line from `bible`: {line[:80]!r}")
        abbr, chapter, verse, text = match.groups()
        verses.append(Verse(names[abbr], int(chapter), int(verse), text.strip()))
    if len(verses) != VERSES:
        raise RuntimeError(f"`bible` printed {len(verses)} verses, expected {VERSES}")
    return verses


def book_markdown(name: str, verses: list[Verse]) -> str:
    """One book: `# Book`, `## Chapter N`, one paragraph per verse."""
    out, chapter = [f"# {name}\n"], 0
    for v in verses:
        if v.chapter != chapter:
            chapter = v.chapter
            out.append(f"\n## Chapter {chapter}\n")
        out.append(f"\n{v.text}\n")
    return "".join(out)


def write_books(folder: Path, verses: list[Verse]) -> None:
    """66 files, named with their canonical number so they sort in order."""
    folder.mkdir(parents=True, exist_ok=True)
    order = {name: n for n, (_, name) in enumerate(BOOKS, 1)}
    by_book: dict[str, list[Verse]] = {}
    for v in verses:
        by_book.setdefault(v.book, []).append(v)
    for name, book in by_book.items():
        slug = name.lower().replace(" ", "-")
        (folder / f"{order[name]:02d}-{slug}.md").write_text(book_markdown(name, book), "utf-8")


def corpus(work: Path, copies: int) -> Corpus:
    """The corpus of `copies` Bibles under work/, generated once and reused."""
    base = work / "corpus" / "x1"
    if not _complete(base):
        tmp = base.with_name("x1.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        write_books(tmp, read_bible())
        (tmp / ".complete").write_text("ok")
        shutil.rmtree(base, ignore_errors=True)
        tmp.rename(base)
    if copies == 1:
        return _describe(base, 1)
    path = work / "corpus" / f"x{copies}"
    if not _complete(path):
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        books = sorted(base.glob("*.md"))
        for n in range(1, copies + 1):
            sub = tmp / f"copy-{n:02d}"
            sub.mkdir(parents=True)
            for book in books:
                # Hard links: 32 Bibles cost one Bible of disk.
                os.link(book, sub / book.name)
        (tmp / ".complete").write_text("ok")
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
    return _describe(path, copies)


def paragraphs(folder: Path):
    """(doc, book, chapter, text) of every verse paragraph under folder, in file order;
    what the naive and FTS5 builds index."""
    for md in sorted(folder.rglob("*.md")):
        doc = md.relative_to(folder).as_posix()
        book, chapter = "", ""
        for block in md.read_text("utf-8").split("\n\n"):
            block = block.strip()
            if block.startswith("## "):
                chapter = block[3:]
            elif block.startswith("# "):
                book = block[2:]
            elif block:
                yield doc, book, chapter, block


def _complete(path: Path) -> bool:
    return (path / ".complete").exists()


def _describe(path: Path, copies: int) -> Corpus:
    files = sorted(path.rglob("*.md"))
    return Corpus(
        path=path,
        copies=copies,
        files=len(files),
        verses=VERSES * copies,
        bytes=sum(f.stat().st_size for f in files),
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    for n in map(int, sys.argv[1:] or ["1"]):
        print(corpus(Path(__file__).parent / "work", n))
