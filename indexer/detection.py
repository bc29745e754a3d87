"""The language of each passage of a document, and of the document as a whole.

py3langid's naive Bayes model (it ships its own, trained on 97 languages) scores each
passage, restricted to the languages of indexer/languages.py; a passage whose text is
mostly Chinese, Japanese or Korean characters is told by its script instead (kana
is Japanese, Hangul Korean). A passage too short to tell, or whose best language
beats the document's by less than MARGIN, takes the document's language: a one-line
heading or a list item is in the language around it, while a Russian report's
English summary gets its own. bench/langdetect.py measured the choices.

The model reads a sample of a document's passages to tell the document's language;
after that a passage whose stop words are plainly the document language's (most are)
takes it without asking the model, and the rest are scored in one batch: py3langid
walks each text's bytes through its automaton, and their scores are one array sum
instead of one small matrix product per passage.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import zipfile
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import CJK_RE
from .languages import CJK, DEFAULT, LANGUAGES

MIN_LETTERS = 20  # fewer letters: the document's language
MARGIN = 16.0  # log-likelihood a passage's own language must beat the document's by
FOREIGN_MARGIN = 48.0  # ... when that language has no stop words to confirm it
SAMPLE_BYTES = 1000  # a passage's first bytes tell its language well enough
SAMPLE_PASSAGES = 8  # passages, spread over a document, that tell its language
MIN_STOPS = 2  # stop words of the document's language that vouch for a passage
NAMES_LOWER = 5  # a passage with under a fifth of its cased words in lower case is names
# A CJK character says about as much as a short word: a Chinese sentence holding
# `apt-get install` is Chinese, though it has more Latin letters than Han.
CJK_WEIGHT = 3
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_WORDS = re.compile(r"\w+")


_STOP_SETS = {code: lang.stop_words for code, lang in LANGUAGES.items() if lang.stop_words}


def _neighbours(code: str) -> tuple[str, ...]:
    """The languages whose stop words are a tenth or more the same as `code`'s (Danish
    and Norwegian, Spanish and Portuguese): a passage must beat them too."""
    mine = _STOP_SETS[code]
    return tuple(
        other
        for other, theirs in _STOP_SETS.items()
        if other != code and len(mine & theirs) * 10 >= min(len(mine), len(theirs))
    )


_NEIGHBOURS = {code: _neighbours(code) for code in _STOP_SETS}


@dataclass(frozen=True)
class Detected:
    """A document's language and each of its passages' (in order)."""

    document: str
    passages: tuple[str, ...]


class _Model:
    """py3langid's model, restricted to the registry's languages, loaded once."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

        cached = _cached_model()
        if cached is not None:
            ptc, pc, classes, nextmove, row, output = cached
            ident = LanguageIdentifier(ptc, pc, classes, nextmove, output, tk_row=row)
        else:
            ident = LanguageIdentifier.from_model_file(MODEL_FILE)
            ident.set_languages(sorted((set(LANGUAGES) - CJK) & set(ident.labels)))
            _save_model(ident)
        self._ident = ident
        self._visits = visit_counts
        self.classes = tuple(ident.nb_classes)
        self.table = ident.nb_ptc
        self.prior = np.asarray(ident.nb_pc, dtype=np.float32)

    def scores(self, texts: list[str]) -> np.ndarray:
        """Log-likelihood per text and language (a row of zeros: no features)."""
        ident = self._ident
        idx, weights, starts, rows = [], [], [], []
        for n, text in enumerate(texts):
            data = ident._encode(text)[:SAMPLE_BYTES]
            visits = self._visits(ident.tk_nextmove, ident._rowbase, ident.tk_output, data)
            if not visits:
                continue
            starts.append(len(idx))
            rows.append(n)
            idx.extend(visits.keys())
            weights.extend(visits.values())
        out = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        if rows:
            counts = np.log1p(np.asarray(weights, dtype=np.float32))
            parts = self.table[np.asarray(idx, dtype=np.intp)].astype(np.float32)
            parts *= counts[:, None]
            out[rows] = np.add.reduceat(parts, np.asarray(starts), axis=0) + self.prior
        return out


def _cache_file() -> Path:
    """Where the restricted model is kept unpacked: the shipped one is xz-compressed,
    and unpacking it costs every build half a second."""
    from py3langid import __version__

    base = os.environ.get("SEEDSEARCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "seedsearch"
    )
    langs = ",".join(sorted(LANGUAGES))
    key = hashlib.sha1(f"{__version__}:{langs}".encode()).hexdigest()[:12]
    return Path(base) / f"py3langid-{__version__}-{key}.npz"


def _cached_model():
    """The restricted model's arrays from the cache, or None."""
    try:
        with np.load(_cache_file(), allow_pickle=False) as data:
            return (
                data["ptc"],
                data["pc"],
                data["classes"].tolist(),
                array(str(data["nextmove_type"]), data["nextmove"].tobytes()),
                array(str(data["row_type"]), data["row"].tobytes()),
                data["output"].tolist(),
            )
    except (OSError, ValueError, KeyError, ImportError, EOFError, zipfile.BadZipFile):
        return None  # none yet, or damaged: the shipped model is read instead


def _save_model(ident) -> None:
    """Keep the restricted model unpacked for the next process (best effort)."""
    try:
        path = _cache_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            ptc=ident.nb_ptc,
            pc=ident.nb_pc,
            classes=np.asarray(ident.nb_classes),
            nextmove=np.frombuffer(ident.tk_nextmove.tobytes(), dtype=np.uint8),
            nextmove_type=np.asarray(ident.tk_nextmove.typecode),
            row=np.frombuffer(ident.tk_row.tobytes(), dtype=np.uint8),
            row_type=np.asarray(ident.tk_row.typecode),
            output=np.asarray(ident.tk_output, dtype=np.int32),
        )
        os.replace(tmp, path)
    except (OSError, ImportError, ValueError, TypeError, OverflowError):
        pass


_model: _Model | None = None
_lock = threading.Lock()


def _the_model() -> _Model:
    global _model
    with _lock:
        if _model is None:
            _model = _Model()
        return _model


def preload() -> None:
    """Load the model now (before a build forks its workers, which then share it)."""
    _the_model()


@dataclass(frozen=True)
class _Script:
    letters: int
    cjk: int  # of which Han, kana or Hangul
    kana: int
    hangul: int
    words: tuple[str, ...] = ()  # lower case, for the stop-word screen


def _script(text: str) -> _Script:
    words = _WORDS.findall(text.lower())
    if text.isascii() or CJK_RE.search(text) is None:  # isascii: C speed, most passages
        # Letters and digits: near enough for MIN_LETTERS, and cheap.
        return _Script(sum(map(len, words)), 0, 0, 0, tuple(words))
    letters = len(_NOT_LETTERS.sub("", text))
    cjk = sum(len(run) for run in CJK_RE.findall(text))
    kana, hangul = len(_KANA.findall(text)), len(_HANGUL.findall(text))
    return _Script(letters, cjk, kana, hangul, tuple(words))


def _by_script(script: _Script) -> str:
    """ja, ko or zh for text written mostly in CJK characters, else ""."""
    if not script.cjk or script.cjk * (CJK_WEIGHT + 1) < script.letters:
        return ""
    if script.kana * 10 >= script.cjk:
        return "ja"
    if script.hangul * 2 >= script.cjk:
        return "ko"
    return "zh"


def detect(texts: list[str]) -> Detected:
    """The language of a document whose passages are `texts`, and of each passage."""
    if not texts:
        return Detected(DEFAULT, ())
    scripts = [_script(t) for t in texts]
    by_script = [_by_script(s) for s in scripts]
    document = _document_language(texts, scripts, by_script)
    found = [document] * len(texts)
    model = _the_model()
    doc_column = model.classes.index(document) if document in model.classes else -1
    asked = [
        n
        for n, script in enumerate(scripts)
        if not by_script[n] and script.letters >= MIN_LETTERS and not _reads_as(script, document)
    ]
    if asked:
        scores = model.scores([texts[n] for n in asked])
        for row, n in enumerate(asked):
            own = int(scores[row].argmax())
            gap = scores[row, own] - scores[row, doc_column] if doc_column >= 0 else np.inf
            if _leaves(scripts[n], model.classes[own], gap) and not _names(texts[n]):
                found[n] = model.classes[own]
    for n, lang in enumerate(by_script):
        if lang:
            # Kanji alone read as Chinese, in a Japanese document, is Japanese.
            found[n] = "ja" if lang == "zh" and document == "ja" else lang
    return Detected(document, tuple(found))


def _leaves(script: _Script, lang: str, gap: float) -> bool:
    """Whether a passage leaves its document's language for `lang`, which beats it by
    `gap`: by MARGIN when its words are plainly `lang`'s stop words, by FOREIGN_MARGIN
    for a language without a stop list to tell (a verse of the King James Bible
    scored as Albanian stays English)."""
    if lang in _STOP_SETS:
        return gap >= MARGIN and _reads_as(script, lang)
    return gap >= FOREIGN_MARGIN


def _names(text: str) -> bool:
    """Whether nearly every word of a passage is capitalised: a list of names or titles
    ("Bunni, Azgad, Bebai, Adonijah" in the King James Bible, scored as Indonesian),
    which says nothing of a language and stays in its document's. Words of scripts
    without case count neither way."""
    upper = lower = 0
    for word in _WORDS.findall(text):
        upper += word[0].isupper()
        lower += word[0].islower()
    return upper > 0 and lower * NAMES_LOWER < upper + lower


def _reads_as(script: _Script, lang: str) -> bool:
    """Whether a passage's words are a fifth or more stop words of `lang` (at least
    MIN_STOPS), and more of them than of the languages whose stop words are like
    `lang`'s: then it is in the document's language and the model need not be asked.
    An English report's passages almost all pass; its French quotation does not."""
    stops = _STOP_SETS.get(lang)
    if stops is None:
        return False
    words = script.words
    mine = sum(map(stops.__contains__, words))
    if mine < MIN_STOPS or mine * 5 < len(words):
        return False
    return all(sum(map(_STOP_SETS[o].__contains__, words)) < mine for o in _NEIGHBOURS[lang])


def _document_language(texts: list[str], scripts: list[_Script], by_script: list[str]) -> str:
    """The script's language for a document written mostly in CJK characters, else the
    model's for a sample of its passages read together."""
    letters = sum(s.letters for s in scripts)
    cjk = sum(s.cjk for s in scripts)
    if cjk and cjk * (CJK_WEIGHT + 1) >= letters:
        kana = sum(s.kana for s in scripts)
        hangul = sum(s.hangul for s in scripts)
        return _by_script(_Script(letters, cjk, kana, hangul)) or "zh"
    scored = [n for n, s in enumerate(scripts) if not by_script[n] and s.letters]
    if sum(scripts[n].letters for n in scored) < MIN_LETTERS:
        return DEFAULT  # a note of a few words: too short to tell, as for a passage
    step = max(1, len(scored) // SAMPLE_PASSAGES)
    model = _the_model()
    scores = model.scores([texts[n] for n in scored[::step][:SAMPLE_PASSAGES]])
    # Each passage's scores less the prior it adds once: the sample's words together.
    total = (scores - model.prior).sum(axis=0) + model.prior
    return model.classes[int(total.argmax())]


def detect_text(text: str) -> str:
    """The language of one piece of text (a document's title, a query)."""
    return detect([text]).document
