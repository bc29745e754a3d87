"""Read the Cranfield test collection (documents, topics, graded judgements)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Cleverdon's codes run 1 (complete answer) .. 4 (minimal interest); -1 is not a
# judgement. nDCG needs "higher is better", so the gain is 5 - code (4 .. 1).
GAIN = {1: 4, 2: 3, 3: 2, 4: 1}
GAIN_NOTE = "gain = 5 - code (code 1 → 4 … code 4 → 1); code -1 lines ignored"

_FIELD = re.compile(r"^\.([ITABW])(?:\s+(\S+))?\s*$")


@dataclass(frozen=True)
class CranDoc:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Collection:
    docs: tuple[CranDoc, ...]
    topics: dict[str, str]  # qrel query number ("1".."225") -> question
    qrels: dict[str, dict[str, int]]  # query -> doc -> gain


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


def read_collection(folder: Path) -> Collection:
    """Documents, topics renumbered 1..N in file order (as cranqrel numbers
    them), and graded judgements."""
    docs = tuple(
        CranDoc(id=r["I"], title=_clean(r.get("T", "")), text=r.get("W", "").strip())
        for r in _records(folder / "cran.all.1400")
    )
    # cran.qry numbers its topics 001..365 with gaps; cranqrel counts 1..225.
    topics = {
        str(n): _clean(r.get("W", "")) for n, r in enumerate(_records(folder / "cran.qry"), 1)
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "cranqrel").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) < 3 or int(parts[2]) not in GAIN:
            continue
        qrels.setdefault(parts[0], {})[parts[1]] = GAIN[int(parts[2])]
    return Collection(docs=docs, topics=topics, qrels=qrels)


def is_collection(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("cran.all.1400", "cran.qry", "cranqrel"))
