"""Leave one collection out: each knob's setting chosen on all collections but
one, then measured on the one left out.

A knob's settings are the defaults and the variants that turn it
(relevance_variants.Variant.knob). Left out one collection, a knob takes the
setting with the best mean gain on the others, where a setting's gain on a
collection is the geometric mean of its MAP and nDCG@10 over the defaults';
a setting must gain 0.5% to displace the defaults. The held-out effect is what
that choice does on the collection left out. A setting chosen on the others
holds when it gains there too (0.5% as well): then it should be the default. A
default stays when every fold keeps it or chooses a setting that does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

from bench.relevance_report import VariantRow

MARGIN = 0.005  # a setting must gain this much on the others to displace the defaults
DEFAULT = "defaults"


@dataclass(frozen=True)
class Fold:
    """One knob, one collection left out: what the others chose, and its effect there."""

    knob: str
    held_out: str
    chosen: str  # a variant's label, or DEFAULT
    trained_gain: float  # the chosen setting's mean gain on the other collections
    map_change: float  # on the collection left out, relative to the defaults
    ndcg_change: float


def gain(row: VariantRow, defaults: VariantRow, name: str) -> float:
    """The geometric mean of MAP and nDCG@10 over the defaults', on one collection."""
    s, d = row.scores[name], defaults.scores[name]
    if not d["MAP"] or not d["nDCG@10"]:
        return 1.0
    return sqrt(s["MAP"] / d["MAP"] * s["nDCG@10"] / d["nDCG@10"])


def knobs_of(rows: list[VariantRow]) -> dict[str, list[VariantRow]]:
    """Each knob's variants, in the order of the table."""
    found: dict[str, list[VariantRow]] = {}
    for row in rows:
        if row.knob:
            found.setdefault(row.knob, []).append(row)
    return found


def folds(rows: list[VariantRow], names: list[str]) -> list[Fold]:
    """For every knob and every collection left out, the setting the other collections choose."""
    defaults = next(r for r in rows if r.label == DEFAULT)
    out = []
    for knob, settings in knobs_of(rows).items():
        for held in names:
            others = [n for n in names if n != held]
            best, best_gain = None, 1.0 + MARGIN
            for row in settings:
                mean = sum(gain(row, defaults, n) for n in others) / len(others)
                if mean > best_gain:
                    best, best_gain = row, mean
            if best is None:
                out.append(Fold(knob, held, DEFAULT, 1.0, 0.0, 0.0))
                continue
            s, d = best.scores[held], defaults.scores[held]
            out.append(
                Fold(
                    knob,
                    held,
                    best.label,
                    best_gain,
                    s["MAP"] / d["MAP"] - 1 if d["MAP"] else 0.0,
                    s["nDCG@10"] / d["nDCG@10"] - 1 if d["nDCG@10"] else 0.0,
                )
            )
    return out


def chosen_without(found: list[Fold], held: str) -> list[str]:
    """The labels of every non-default setting chosen with `held` left out."""
    return [f.chosen for f in found if f.held_out == held and f.chosen != DEFAULT]


def holds(fold: Fold) -> bool:
    """Whether a fold's choice also gains on the collection left out."""
    if fold.chosen == DEFAULT:
        return False
    return sqrt((1 + fold.map_change) * (1 + fold.ndcg_change)) >= 1 + MARGIN


def render(found: list[Fold], names: list[str]) -> list[str]:
    """The leave-one-out table: per knob, what each fold chose and did where left out."""
    lines = [
        "| knob | "
        + " | ".join(f"{n} left out: chosen (ΔMAP / ΔnDCG@10 on {n})" for n in names)
        + " | verdict |",
        "|---|" + "---|" * len(names) + "---|",
    ]
    for knob in dict.fromkeys(f.knob for f in found):
        cells, held = [], []
        for name in names:
            fold = next(f for f in found if f.knob == knob and f.held_out == name)
            if fold.chosen == DEFAULT:
                cells.append("defaults")
                continue
            mark = " **holds**" if holds(fold) else ""
            cells.append(
                f"{fold.chosen} ({fold.map_change * 100:+.1f}% / {fold.ndcg_change * 100:+.1f}%)"
                + mark
            )
            if holds(fold):
                held.append(fold.chosen)
        verdict = "defaults kept" if not held else "**" + "; ".join(dict.fromkeys(held)) + "**"
        lines.append(f"| {knob} | " + " | ".join(cells) + f" | {verdict} |")
    return lines
