"""Read the SMART-format test collections (Cranfield, CISI, MEDLINE, ADI):
documents, topics and judgements, each collection by its own file names and
judgement scale."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Cleverdon's codes run 1 (complete answer) .. 4 (minimal interest); -1 is not a
# judgement. nDCG needs "higher is better", so the gain is 5 - code (4 .. 1).
CRANFIELD_GAIN = {1: 4, 2: 3, 3: 2, 4: 1}

_FIELD = re.compile(r"^\.([A-Z])(?:\s+(\S+))?\s*$")


@dataclass(frozen=True)
class CranDoc:
    id: str
    title: str
    text: str
    authors: str = ""  # one line, names separated by "; "

    @property
    def plain(self) -> str:
        """Title, authors and text as one field, as the baselines index it."""
        return "\n".join(part for part in (self.title, self.authors, self.text) if part)

    def markdown(self) -> str:
        """The record as a Markdown file: the title as its heading, then the
        authors line and the text, each its own paragraph."""
        parts = [f"# {self.title}"] if self.title else []
        return "\n\n".join(p for p in (*parts, self.authors, self.text) if p) + "\n"


@dataclass(frozen=True)
class Collection:
    name: str
    docs: tuple[CranDoc, ...]
    topics: dict[str, str]  # judged topics only: query number -> question
    qrels: dict[str, dict[str, int]]  # query -> doc -> gain
    gain_note: str


def _records(path: Path) -> list[dict[str, str]]:
    """The .I records of a SMART-format file, each as field letter -> text."""
    records: list[dict[str, str]] = []
    field = None
    for line in path.read_text(encoding="latin-1").splitlines():
        m = _FIELD.match(line)
        if m:
            field = m.group(1)
            if field == "I":
                records.append({"I": m.group(2) or ""})
            else:
                records[-1].setdefault(field, "")
            continue
        if records and field and field != "I":
            records[-1][field] += line + "\n"
    return records


def _clean(text: str) -> str:
    return " ".join(text.split())


def _docs(path: Path) -> tuple[CranDoc, ...]:
    # Title (.T), authors (.A) and text (.W); sources and references are left out.
    return tuple(
        CranDoc(
            id=r["I"],
            title=_clean(r.get("T", "")),
            text=r.get("W", "").strip(),
            authors="; ".join(_clean(a) for a in r.get("A", "").splitlines() if a.strip()),
        )
        for r in _records(path)
    )


def _cranfield(folder: Path) -> Collection:
    # cran.qry numbers its topics 001..365 with gaps; cranqrel counts 1..225.
    topics = {
        str(n): _clean(r.get("W", "")) for n, r in enumerate(_records(folder / "cran.qry"), 1)
    }
    qrels = _qrels(folder / "cranqrel", lambda code: CRANFIELD_GAIN.get(int(code)))
    return _judged(
        "cranfield",
        _docs(folder / "cran.all.1400"),
        topics,
        qrels,
        "gain = 5 - code (code 1 → 4 … code 4 → 1); code -1 lines ignored",
    )


def _cisi(folder: Path) -> Collection:
    topics = {r["I"]: _clean(r.get("W", "")) for r in _records(folder / "CISI.QRY")}
    qrels = _qrels(folder / "CISI.REL", lambda _: 1)
    return _judged("cisi", _docs(folder / "CISI.ALL"), topics, qrels, "binary judgements")


def _medline(folder: Path) -> Collection:
    topics = {r["I"]: _clean(r.get("W", "")) for r in _records(folder / "MED.QRY")}
    qrels = _qrels(folder / "MED.REL", lambda _: 1)
    return _judged("medline", _docs(folder / "MED.ALL"), topics, qrels, "binary judgements")


def _adi(folder: Path) -> Collection:
    topics = {r["I"]: _clean(r.get("W", "")) for r in _records(folder / "ADI.QRY")}
    qrels = _qrels(folder / "ADI.REL", lambda _: 1)
    return _judged("adi", _docs(folder / "ADI.ALL"), topics, qrels, "binary judgements")


def _qrels(path: Path, gain: Callable[[str], int | None]) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        value = gain(parts[2])
        if value:
            qrels.setdefault(parts[0], {})[parts[1]] = value
    return qrels


def _judged(name, docs, topics, qrels, note) -> Collection:
    """Only the topics with judgements: the others count in no measure."""
    judged = {q: text for q, text in topics.items() if q in qrels}
    return Collection(name, docs, judged, {q: qrels[q] for q in judged}, note)


READERS: dict[tuple[str, ...], Callable[[Path], Collection]] = {
    ("cran.all.1400", "cran.qry", "cranqrel"): _cranfield,
    ("CISI.ALL", "CISI.QRY", "CISI.REL"): _cisi,
    ("MED.ALL", "MED.QRY", "MED.REL"): _medline,
    ("ADI.ALL", "ADI.QRY", "ADI.REL"): _adi,
}


def collections_root(project: Path) -> Path:
    """Where the test collections are: $SEEDSEARCH_COLLECTIONS, or ../shared/testcollections
    beside the project."""
    found = os.environ.get("SEEDSEARCH_COLLECTIONS")
    return Path(found) if found else project.parent / "shared" / "testcollections"


def is_collection(folder: Path) -> bool:
    return any(all((folder / n).is_file() for n in names) for names in READERS)


def read_collection(folder: Path) -> Collection:
    """The collection in `folder`, in whichever of the known layouts it has."""
    for names, reader in READERS.items():
        if all((folder / n).is_file() for n in names):
            return reader(folder)
    raise ValueError(f"No known test collection in {folder}")


def collections_in(root: Path) -> list[Path]:
    """Every collection folder under `root`, by name."""
    return sorted(p for p in root.iterdir() if p.is_dir() and is_collection(p))
