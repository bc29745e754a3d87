"""Scores, tables and the relevance section of bench/RESULTS.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ir_measures
from ir_measures import AP, P, R, nDCG
from relevance_engine import SeedCheck

from indexer import ranking

# Shown name -> ir-measures measure. AP averages over the topics into MAP.
MEASURES = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@100": R @ 100}
OURS = "seedsearch"
START, END = "<!-- relevance:start -->", "<!-- relevance:end -->"
VSTART, VEND = "<!-- relevance-variants:start -->", "<!-- relevance-variants:end -->"
BASELINE_NOTES = {
    "bm25s": "bm25s BM25 (k1 1.2, b 0.75, Lucene idf), English stop words, Snowball stems",
    "SQLite FTS5": "SQLite FTS5 `bm25()`, porter tokenizer, question words quoted and OR-ed",
}


@dataclass(frozen=True)
class VariantRow:
    group: str
    label: str
    scores: dict[str, float]


@dataclass(frozen=True)
class Report:
    table: dict[str, dict[str, float]]  # system -> measure -> mean
    variants: list[VariantRow]
    refused: tuple[str, ...]
    passages: int
    documents: int
    topics: int
    judged: int
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


def best_baseline(table: dict[str, dict[str, float]]) -> dict[str, tuple[str, float]]:
    """For each measure, the best system other than ours and its score."""
    others = {k: v for k, v in table.items() if k != OURS}
    return {m: max(((s, t[m]) for s, t in others.items()), key=lambda x: x[1]) for m in MEASURES}


def render(
    report: Report,
    *,
    when: str,
    machine: str,
    command: str,
    seconds: float,
    gain_note: str,
    collection: str,
) -> str:
    """The relevance section as Markdown."""
    best = best_baseline(report.table)
    lines = [
        "## Ranking quality (Cranfield)",
        "",
        f"Measured {when} on {machine}, with `{command}` ({seconds:.0f} s in all: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
        + ").",
        "",
        f"Collection `{collection}`: {report.documents} documents with text "
        f"({report.passages} passages), {report.topics} topics, {report.judged} judgements; "
        f"graded nDCG with {gain_note}. Title and text are indexed. seedsearch runs every "
        "topic through `Engine.search` with 1000 passages per page and keeps each "
        "document's first passage.",
        "",
        "| system | " + " | ".join(MEASURES) + " |",
        "|---|" + "---:|" * len(MEASURES),
    ]
    for system, scores in report.table.items():
        name = f"**{system}** (defaults)" if system == OURS else BASELINE_NOTES.get(system, system)
        lines.append(f"| {name} | " + " | ".join(f"{scores[m]:.4f}" for m in MEASURES) + " |")
    ratios = [report.table[OURS][m] / best[m][1] if best[m][1] else 0.0 for m in MEASURES]
    lines.append(
        "| seedsearch ÷ best baseline | "
        + " | ".join(f"{r:.3f} ({(r - 1) * 100:+.1f}%)" for r in ratios)
        + " |"
    )
    if report.refused:
        lines += ["", f"Topics the engine refused: {', '.join(report.refused)}."]
    lines += ["", _defaults_paragraph()]
    if report.seed is not None:
        lines += ["", _seed_paragraph(report.seed)]
    if report.variants:
        lines += ["", *_variant_lines(report, when, command)]
    return "\n".join(lines)


def _defaults_paragraph() -> str:
    r = ranking
    fields = ", ".join(f"{k} ×{v:g}" for k, v in r.FIELD_BOOSTS.items())
    return (
        f"The defaults (`indexer/ranking.py`): BM25F with k1 {r.K1:g}, b {r.B:g} and the "
        f"Robertson/Spärck Jones idf; each word's field scores add up ({fields}); stop words "
        f"×{r.STOP_BOOST:g}; passages holding every non-stop word first, then the rest. "
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
        f"passage first; {seed.known} are recorded there as known failures."
    )
    if seed.failures:
        text += " Not first: " + "; ".join(f"`{q}`" for q in seed.failures) + "."
    return text


HISTORY = (
    "Before issue 4 the engine scored with Whoosh's own matchers and measured MAP 0.2092, "
    "nDCG@10 0.2591 here (2026-11-24, same harness). Whoosh's `DisjunctionMaxMatcher.score()` "
    "takes the larger of its sub-matchers' scores without checking that both sit on the same "
    "passage, so passages borrowed other passages' title scores. The vector evaluation "
    "(`indexer/vectors.py`) scores each passage on its own, which is why the first row below, "
    "the old knobs, already scores higher."
)


def _variant_lines(report: Report, when: str, command: str) -> list[str]:
    defaults = next((r for r in report.variants if "new defaults" in r.label), None)
    lines = [
        VSTART,
        "### What each ranking choice contributes",
        "",
        f"Measured {when} with `{command}`. Each row runs the topics through the "
        "same `query.parse` and `ranking.rank` as `Engine.search` (without highlighting), "
        "with one knob changed in the benchmark's process.",
    ]
    if defaults is not None:
        ours = report.table[OURS]
        same = all(abs(defaults.scores[m] - ours[m]) < 5e-5 for m in ("MAP", "nDCG@10"))
        lines.append(
            "The defaults row matches the `Engine.search` table above."
            if same
            else "**The defaults row differs from the `Engine.search` table above.**"
        )
    lines += ["", HISTORY]
    group = None
    for row in report.variants:
        if row.group != group:
            group = row.group
            lines += ["", f"**{group}**", "", "| variant | MAP | nDCG@10 | ΔMAP | ΔnDCG@10 |"]
            lines.append("|---|---:|---:|---:|---:|")
        lines.append(f"| {row.label} | " + " | ".join(_cells(row, defaults)) + " |")
    lines.append(VEND)
    return lines


def _cells(row: VariantRow, defaults: VariantRow | None) -> list[str]:
    cells = [f"{row.scores['MAP']:.4f}", f"{row.scores['nDCG@10']:.4f}"]
    for m in ("MAP", "nDCG@10"):
        if defaults is None or not defaults.scores[m]:
            cells.append("")
        else:
            cells.append(f"{(row.scores[m] / defaults.scores[m] - 1) * 100:+.1f}%")
    return cells


def write_section(path: Path, text: str, keep_variants: bool) -> None:
    """Replace the text between the relevance markers (or add it at the end),
    keeping the previous variants table when this run did not measure one."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    found = pattern.search(old)
    if keep_variants and VSTART not in text and found:
        previous = re.search(re.escape(VSTART) + r".*?" + re.escape(VEND), found.group(), re.S)
        if previous:
            text = text + "\n\n" + previous.group()
    section = f"{START}\n{text}\n{END}"
    if found:
        new = old[: found.start()] + section + old[found.end() :]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(new, encoding="utf-8")
