"""Scores, tables and the relevance section of bench/RESULTS.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ir_measures
from ir_measures import AP, P, R, nDCG
from relevance_engine import SeedCheck

from indexer.search import parse as query
from indexer.search import weights as ranking

# Shown name -> ir-measures measure. AP averages over the topics into MAP.
MEASURES = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@100": R @ 100}
OURS = "seedsearch"
START, END = "<!-- relevance:start -->", "<!-- relevance:end -->"
VSTART, VEND = "<!-- relevance-variants:start -->", "<!-- relevance-variants:end -->"
LSTART, LEND = "<!-- long-queries:start -->", "<!-- long-queries:end -->"
BASELINE_NOTES = {
    "bm25s": "bm25s BM25 (k1 1.2, b 0.75, Lucene idf), English stop words, Snowball stems",
    "SQLite FTS5": "SQLite FTS5 `bm25()`, porter tokenizer, question words quoted and OR-ed",
}


@dataclass(frozen=True)
class VariantRow:
    group: str
    label: str
    scores: dict[str, dict[str, float]]  # collection -> measure -> mean


@dataclass(frozen=True)
class CollectionReport:
    name: str
    table: dict[str, dict[str, float]]  # system -> measure -> mean
    refused: tuple[str, ...]
    passages: int
    documents: int
    topics: int
    judged: int
    gain_note: str
    plain_bm25: dict[str, float]  # the CI test's numpy BM25, scored by ir-measures


@dataclass(frozen=True)
class Report:
    collections: list[CollectionReport]
    variants: list[VariantRow]
    timings: dict[str, float]
    seed: SeedCheck | None = None


def evaluate(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict:
    """Each measure averaged over every judged topic; a topic with no results
    counts as 0 (trec_eval would silently leave it out)."""
    by_name = {str(m): name for name, m in MEASURES.items()}
    sums = dict.fromkeys(MEASURES, 0.0)
    answered = {q: docs for q, docs in run.items() if docs}
    for value in ir_measures.iter_calc(list(MEASURES.values()), qrels, answered):
        sums[by_name[str(value.measure)]] += value.value
    return {name: total / len(qrels) for name, total in sums.items()}


def render(report: Report, *, when: str, machine: str, command: str, seconds: float) -> str:
    """The relevance section as Markdown."""
    lines = [
        "## Ranking quality (every collection in ../shared/testcollections)",
        "",
        f"Measured {when} on {machine}, with `{command}` ({seconds:.0f} s in all: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
        + ").",
        "",
        "Each collection is indexed through the normal build (title as the heading, then the "
        "text). seedsearch runs every judged topic, as written, through `Engine.search` with "
        "1000 passages per page and keeps each document's first passage; the baselines index "
        "title and text as one field. One run, the same defaults for every collection.",
        "",
        "| collection | system | " + " | ".join(MEASURES) + " |",
        "|---|---|" + "---:|" * len(MEASURES),
    ]
    for c in report.collections:
        for system, scores in c.table.items():
            name = f"**{system}**" if system == OURS else BASELINE_NOTES.get(system, system)
            cells = " | ".join(f"{scores[m]:.4f}" for m in MEASURES)
            lines.append(f"| {c.name} | {name} | {cells} |")
        ours, bm25 = c.table[OURS], c.table["bm25s"]
        ratios = " | ".join(f"**{ours[m] / bm25[m]:.3f}**" if bm25[m] else "" for m in MEASURES)
        lines.append(f"| {c.name} | seedsearch ÷ bm25s | {ratios} |")
    lines.append("")
    for c in report.collections:
        text = (
            f"- `{c.name}`: {c.documents} documents ({c.passages} passages), {c.topics} judged "
            f"topics, {c.judged} judgements; {c.gain_note}. "
            + (f"Refused: {', '.join(c.refused)}. " if c.refused else "No topic refused. ")
            + f"The CI check's numpy BM25 (`bench/relevance_plain.py`) scores MAP "
            f"{c.plain_bm25['MAP']:.4f}, nDCG@10 {c.plain_bm25['nDCG@10']:.4f} here."
        )
        lines.append(text)
    lines += ["", _defaults_paragraph()]
    if report.seed is not None:
        lines += ["", _seed_paragraph(report.seed)]
    if report.variants:
        lines += ["", *_variant_lines(report, when, command)]
    return "\n".join(lines)


def _defaults_paragraph() -> str:
    r, q = ranking, query
    fields = ", ".join(f"{k} ×{v:g}" for k, v in r.FIELD_BOOSTS.items())
    return (
        f"The defaults (`indexer/search/weights.py`): BM25F with k1 {r.K1:g}, "
        f"b {r.B:g} and the Robertson/Spärck Jones idf; each word's field scores add up "
        f"({fields}); stop words ×{r.STOP_BOOST:g}; a word typed n times weighs n; passages "
        "holding every non-stop word first, then the rest. A query of more than "
        f"{q.MAX_TERMS} distinct words keeps its {q.MAX_TERMS} most informative (highest idf). "
        f"Questions of at least {r.FEEDBACK_MIN_CLAUSES} words that match at least "
        f"{r.FEEDBACK_MIN_MATCHES} passages get RM3 feedback: the {r.FEEDBACK_TERMS} heaviest "
        f"words of the first {r.FEEDBACK_PASSAGES} passages (λ {r.FEEDBACK_WEIGHT:g}) rescore "
        f"the first {r.FEEDBACK_DEPTH}, each tier in its place; they never add a passage and "
        "are never highlighted."
    )


def _seed_paragraph(seed: SeedCheck) -> str:
    text = (
        f"The seed essay's judged queries (`tests/seed_queries.json`, run in CI by "
        f"`tests/test_relevance_seed.py`): {seed.passed} of {seed.judged} return a judged "
        f"passage first; {seed.known} "
        + ("is" if seed.known == 1 else "are")
        + " recorded there as known failures."
    )
    if seed.failures:
        text += " Not first: " + "; ".join(f"`{q}`" for q in seed.failures) + "."
    return text


def _variant_lines(report: Report, when: str, command: str) -> list[str]:
    names = [c.name for c in report.collections]
    defaults = next(r for r in report.variants if r.label == "defaults")
    lines = [
        VSTART,
        "### What each choice does, on each collection",
        "",
        f"Measured {when} with `{command}`. Each row changes one thing from the defaults "
        "in the benchmark's process and runs every collection's topics through the same "
        "`query.parse` and `ranking.rank` as `Engine.search` (without highlighting). Δ is "
        "against the defaults row; **agree** when the change moves MAP the same way on "
        "every collection (or by under 0.5% on each).",
        "",
        "| variant | "
        + " | ".join(f"{n} MAP | {n} nDCG@10 | {n} ΔMAP | {n} ΔnDCG@10" for n in names)
        + " | carries over |",
        "|---|" + "---:|" * (4 * len(names)) + ":---:|",
    ]
    group = None
    for row in report.variants:
        if row.group != group:
            group = row.group
            lines.append(f"| **{group}** |" + " |" * (4 * len(names) + 1))
        cells = []
        for n in names:
            s, d = row.scores[n], defaults.scores[n]
            cells += [f"{s['MAP']:.4f}", f"{s['nDCG@10']:.4f}", _delta(s, d, "MAP")]
            cells.append(_delta(s, d, "nDCG@10"))
        verdict = "" if row is defaults else _verdict(row, defaults, names)
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {verdict} |")
    lines += ["", *_directions(report, names, defaults), VEND]
    return lines


def _delta(s: dict, d: dict, m: str) -> str:
    return f"{(s[m] / d[m] - 1) * 100:+.1f}%" if d[m] else ""


def _change(row: VariantRow, defaults: VariantRow, name: str) -> float:
    return row.scores[name]["MAP"] / defaults.scores[name]["MAP"] - 1


def _verdict(row: VariantRow, defaults: VariantRow, names: list[str]) -> str:
    changes = [_change(row, defaults, n) for n in names]
    if all(abs(c) < 0.005 for c in changes):
        return "agree (no effect)"
    signs = {(c > 0) - (c < 0) for c in changes if abs(c) >= 0.005}
    return "agree" if len(signs) == 1 else "**no**"


def _directions(report: Report, names: list[str], defaults: VariantRow) -> list[str]:
    """Tuned on one collection, checked on the other: the changes one collection
    alone would adopt (each raising its MAP by 0.5% or more), and what they do on
    the others."""
    lines = [
        "**Both directions.** What tuning on one collection alone would change, and "
        "what each of those changes does on the other:",
        "",
    ]
    candidates = [r for r in report.variants if r is not defaults]
    for tuned in names:
        others = [n for n in names if n != tuned]
        chosen = [r for r in candidates if _change(r, defaults, tuned) >= 0.005]
        if not chosen:
            lines.append(f"- Tuned on {tuned}: no single change raises its MAP by 0.5%.")
            continue
        parts = []
        for r in sorted(chosen, key=lambda r: -_change(r, defaults, tuned)):
            there = ", ".join(f"{n} {_change(r, defaults, n) * 100:+.1f}%" for n in others)
            parts.append(f"{r.label} ({tuned} {_change(r, defaults, tuned) * 100:+.1f}%; {there})")
        lines.append(f"- Tuned on {tuned} it would adopt: " + "; ".join(parts) + ".")
    return lines + [""]


def write_section(path: Path, text: str, keep_variants: bool) -> None:
    """Replace the text between the relevance markers (or add it at the end),
    keeping the previous variants table when this run did not measure one, and
    the long-query table (bench/relevance_long.py writes it)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    found = pattern.search(old)
    kept = [(LSTART, LEND)] + ([(VSTART, VEND)] if keep_variants else [])
    for start, end in kept:
        if found and start not in text:
            previous = re.search(re.escape(start) + r".*?" + re.escape(end), found.group(), re.S)
            if previous:
                text = text + "\n\n" + previous.group()
    section = f"{START}\n{text}\n{END}"
    if found:
        new = old[: found.start()] + section + old[found.end() :]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(new, encoding="utf-8")
