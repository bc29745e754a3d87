"""The fixed query mix: generated from the corpus vocabulary with a fixed seed, rendered
in each system's own syntax."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from bench.kjv import paragraphs

SEED = 5
WARMUP_SEED = 55
# kind: how many of the mix
MIX = {
    "rare": 35,  # one word found in 2-5 verses
    "common": 35,  # one of the few hundred commonest content words
    "words": 70,  # 2-5 content words of one verse
    "scattered": 30,  # 2-4 unrelated mid-frequency words (rarely all in one verse)
    "phrase": 45,  # 2-4 consecutive words of a verse, quoted
    "prefix": 30,  # 3-5 letters and *
    "exclude": 30,  # a word, minus a word that shares verses with it
    "typo": 25,  # one edit away from a known word
}
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class MixQuery:
    kind: str
    words: tuple[str, ...]  # for "exclude": (kept, excluded)

    def seedsearch(self) -> str:
        """What a reader types into seedsearch (Whoosh syntax plus +/-)."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "prefix":
            return self.words[0] + "*"
        if self.kind == "exclude":
            return f"{self.words[0]} -{self.words[1]}"
        return " ".join(self.words)

    def whoosh(self) -> str:
        """The same in Whoosh's default parser syntax (AND of words, NOT)."""
        if self.kind == "exclude":
            return f"{self.words[0]} NOT {self.words[1]}"
        return self.seedsearch()

    def fts5(self) -> str:
        """The same as an FTS5 MATCH expression, every word quoted."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "prefix":
            return f'"{self.words[0]}"*'
        if self.kind == "exclude":
            return f'"{self.words[0]}" NOT "{self.words[1]}"'
        return " ".join(f'"{w}"' for w in self.words)


@dataclass(frozen=True)
class _Vocab:
    verses: list[list[str]]
    df: Counter
    common: list[str]
    mid: list[str]
    rare: list[str]


def _vocab(source: Path) -> _Vocab:
    verses = [_WORD.findall(text.lower()) for _, _, _, text in paragraphs(source)]
    df: Counter = Counter()
    for words in verses:
        df.update(set(words))
    content = sorted(
        (w for w in df if w not in STOP_WORDS and len(w) >= 3), key=lambda w: (-df[w], w)
    )
    return _Vocab(
        verses=verses,
        df=df,
        common=content[20:400],
        mid=[w for w in content if 20 <= df[w] <= 2000],
        rare=[w for w in content if 2 <= df[w] <= 5],
    )


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOP_WORDS and len(w) >= 3]


def _typo(word: str, rnd: random.Random, known: Counter) -> str | None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(20):
        i = rnd.randrange(1, len(word))  # keep the first letter, as most typos do
        edit = rnd.choice(("sub", "del", "swap", "ins"))
        if edit == "sub":
            out = word[:i] + rnd.choice(letters) + word[i + 1 :]
        elif edit == "del":
            out = word[:i] + word[i + 1 :]
        elif edit == "swap" and i < len(word) - 1:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            out = word[:i] + rnd.choice(letters) + word[i:]
        if out not in known:
            return out
    return None


def _one(kind: str, v: _Vocab, rnd: random.Random) -> MixQuery | None:
    if kind == "rare":
        return MixQuery(kind, (rnd.choice(v.rare),))
    if kind == "common":
        return MixQuery(kind, (rnd.choice(v.common),))
    if kind == "words":
        words = list(dict.fromkeys(_content(rnd.choice(v.verses))))
        if len(words) < 2:
            return None
        k = rnd.randint(2, min(5, len(words)))
        start = rnd.randrange(len(words) - k + 1)
        return MixQuery(kind, tuple(words[start : start + k]))
    if kind == "scattered":
        return MixQuery(kind, tuple(rnd.sample(v.mid, rnd.randint(2, 4))))
    if kind == "phrase":
        verse = rnd.choice(v.verses)
        k = rnd.randint(2, 4)
        if len(verse) < k:
            return None
        start = rnd.randrange(len(verse) - k + 1)
        run = verse[start : start + k]
        # At least one content word, or the phrase is all stop words.
        return MixQuery(kind, tuple(run)) if _content(run) else None
    if kind == "prefix":
        word = rnd.choice([w for w in v.mid if len(w) >= 6])
        return MixQuery(kind, (word[: rnd.randint(3, 5)],))
    if kind == "exclude":
        word = rnd.choice(v.common)
        with_it = [w for w in v.verses if word in w]
        others = [w for w in _content(rnd.choice(with_it)) if w != word]
        return MixQuery(kind, (word, rnd.choice(others))) if others else None
    if kind == "typo":
        typo = _typo(rnd.choice([w for w in v.mid if len(w) >= 5]), rnd, v.df)
        return MixQuery(kind, (typo,)) if typo else None
    raise ValueError(kind)


def query_mix(source: Path, seed: int = SEED, scale: float = 1.0) -> list[MixQuery]:
    """The mix, in a fixed shuffled order; distinct within and across kinds."""
    v = _vocab(source)
    rnd = random.Random(seed)
    out: dict[str, MixQuery] = {}
    for kind, count in MIX.items():
        want, made = max(1, round(count * scale)), 0
        for _ in range(want * 50):  # bounded: a small pool may run out of new queries
            q = _one(kind, v, rnd)
            if q is not None and q.seedsearch() not in out:
                out[q.seedsearch()] = q
                made += 1
                if made == want:
                    break
    mix = list(out.values())
    rnd.shuffle(mix)
    return mix


def warmup_mix(source: Path, exclude: list[MixQuery]) -> list[MixQuery]:
    """Queries to warm a system up with, none of them in the measured mix."""
    taken = {q.seedsearch() for q in exclude}
    return [q for q in query_mix(source, WARMUP_SEED, 0.1) if q.seedsearch() not in taken]
