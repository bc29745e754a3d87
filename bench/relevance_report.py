"""Scores, tables and the relevance section of bench/RESULTS.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ir_measures
import numpy as np
from ir_measures import AP, P, R, nDCG

from bench.relevance_engine import SeedCheck
from indexer.search import parse as query
from indexer.search import weights

# Shown name -> ir-measures measure. AP averages over the topics into MAP.
MEASURES = {"MAP": AP, "nDCG@10": nDCG @ 10, "P@10": P @ 10, "R@100": R @ 100}
OURS = "seedsearch"  # the grouped view: one entry per document
PASSAGES = "seedsearch passages"  # the passage view, each document at its first passage
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
    knob: str = ""


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
    intervals: dict[str, tuple[float, float]]  # measure -> 95% interval of seedsearch ÷ bm25s


@dataclass(frozen=True)
class Report:
    collections: list[CollectionReport]
    variants: list[VariantRow]
    timings: dict[str, float]
    seed: SeedCheck | None = None
    held_out: dict[str, dict[str, float]] | None = None  # collection -> its leave-one-out scores


def per_topic(qrels: dict[str, dict[str, int]], run: dict, measure: str) -> dict[str, float]:
    """One measure of every judged topic (0 where the run found nothing)."""
    answered = {q: docs for q, docs in run.items() if docs}
    found = {
        v.query_id: v.value for v in ir_measures.iter_calc([MEASURES[measure]], qrels, answered)
    }
    return {q: found.get(q, 0.0) for q in qrels}


def ratio_interval(qrels, ours: dict, base: dict, measure: str, rounds: int = 2000):
    """The 95% paired-bootstrap interval of ours ÷ base in one measure: the
    topics resampled with replacement, so a collection of few topics shows how
    little its ratio alone can tell."""
    a, b = per_topic(qrels, ours, measure), per_topic(qrels, base, measure)
    x, y = np.array([a[q] for q in qrels]), np.array([b[q] for q in qrels])
    picks = np.random.default_rng(0).integers(0, len(x), (rounds, len(x)))
    ratios = x[picks].mean(axis=1) / np.maximum(y[picks].mean(axis=1), 1e-12)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


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
        "Each collection is indexed through the normal build, each record a Markdown file "
        "(its title as the heading, then its authors line and its text as paragraphs). "
        "seedsearch runs every judged topic, as written, through `Engine.search` twice: as the "
        "grouped view (**seedsearch**, one entry per document, 1000 documents; the page's "
        "default) and as passages (**seedsearch passages**, 1000 passages, each document at "
        "its first passage). The baselines index title, authors and text as one field. One "
        "run, the same defaults for every collection.",
        "",
        "| collection | system | " + " | ".join(MEASURES) + " |",
        "|---|---|" + "---:|" * len(MEASURES),
    ]
    for c in report.collections:
        for system, scores in c.table.items():
            name = (
                f"**{system}**"
                if system in (OURS, PASSAGES)
                else BASELINE_NOTES.get(system, system)
            )
            cells = " | ".join(f"{scores[m]:.4f}" for m in MEASURES)
            lines.append(f"| {c.name} | {name} | {cells} |")
        bm25 = c.table["bm25s"]
        for system in (OURS, PASSAGES):
            ours = c.table[system]
            ratios = " | ".join(
                (f"**{ours[m] / bm25[m]:.3f}**" if system == OURS else f"{ours[m] / bm25[m]:.3f}")
                if bm25[m]
                else ""
                for m in MEASURES
            )
            lines.append(f"| {c.name} | {system} ÷ bm25s | {ratios} |")
    lines.append("")
    for c in report.collections:
        text = (
            f"- `{c.name}`: {c.documents} documents ({c.passages} passages), {c.topics} judged "
            f"topics, {c.judged} judgements; {c.gain_note}. "
            + (f"Refused: {', '.join(c.refused)}. " if c.refused else "No topic refused. ")
            + f"The CI check's numpy BM25 (`bench/relevance_plain.py`) scores MAP "
            f"{c.plain_bm25['MAP']:.4f}, nDCG@10 {c.plain_bm25['nDCG@10']:.4f} here. "
            + "seedsearch ÷ bm25s, 95% paired-bootstrap interval over the topics: "
            + ", ".join(f"{m} {lo:.3f}–{hi:.3f}" for m, (lo, hi) in c.intervals.items())
            + "."
        )
        lines.append(text)
    lines += ["", _defaults_paragraph()]
    if report.seed is not None:
        lines += ["", _seed_paragraph(report.seed)]
    if report.variants:
        lines += ["", *_variant_lines(report, when, command)]
    return "\n".join(lines)


def _defaults_paragraph() -> str:
    r, q, d = weights, query, weights
    fields = ", ".join(f"{k} ×{v:g}" for k, v in r.FIELD_BOOSTS.items())
    tier = {
        "document": "documents holding every",
        "passage": "documents with a passage holding every",
    }
    first = tier.get(d.EVERY_WORD_IN)
    return (
        "The defaults (`indexer/search/weights.py`): "
        f"BM25F with k1 {r.K1:g}, b {r.B:g} and the Robertson/Spärck Jones idf; each word's "
        f"field scores add up ({fields}); stop words ×{r.STOP_BOOST:g}; a word typed n times "
        + (
            f"weighs (k3 + 1) n / (k3 + n), k3 {r.QUERY_K3:g}"
            if r.QUERY_K3 is not None
            else "weighs n"
        )
        + ". A document scores "
        f"{1 - d.DOCUMENT_SHARE:g} × its best passage + {d.DOCUMENT_SHARE:g} × the whole "
        "document's BM25 (its passages, title and headings as one text, document-level idf); "
        + (f"{first} non-stop word first, then the rest" if first else "no every-word tier")
        + "; passages holding every non-stop word first in the passage view. A query of more "
        f"than {q.MAX_TERMS} distinct words keeps its {q.MAX_TERMS} most informative (highest "
        f"idf). Questions of at least {r.FEEDBACK_MIN_CLAUSES} words that match at least "
        f"{r.FEEDBACK_MIN_MATCHES} passages get RM3 feedback: the {r.FEEDBACK_TERMS} heaviest "
        f"words of the first {r.FEEDBACK_PASSAGES} documents ("
        + ("their best passages" if d.FEEDBACK_TEXT == "passage" else "their whole text")
        + f"; of the first {r.FEEDBACK_PASSAGES} passages in the passage view; λ "
        f"{r.FEEDBACK_WEIGHT:g}) rescore the first {r.FEEDBACK_DEPTH}, each tier in its place; "
        "they never add a result and are never highlighted."
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
    from bench.relevance_loco import folds
    from bench.relevance_loco import render as render_folds

    names = [c.name for c in report.collections]
    defaults = next(r for r in report.variants if r.label == "defaults")
    lines = [
        VSTART,
        "### What each choice does, on each collection",
        "",
        f"Measured {when} with `{command}`. Each row changes one thing from the defaults "
        "in the benchmark's process and runs every collection's topics through the same "
        "`parse.parse` and `group.group` as `Engine.search` in the grouped view (without "
        "highlighting); each cell is MAP / nDCG@10 (change against the defaults row). "
        "**agree** when the change moves MAP the same way on every collection (or by under "
        "0.5% on each).",
        "",
        "| variant | knob | " + " | ".join(names) + " | carries over |",
        "|---|---|" + "---:|" * len(names) + ":---:|",
    ]
    group = None
    for row in report.variants:
        if row.group != group:
            group = row.group
            lines.append(f"| **{group}** | |" + " |" * (len(names) + 1))
        cells = []
        for n in names:
            s, d = row.scores[n], defaults.scores[n]
            cell = f"{s['MAP']:.4f} / {s['nDCG@10']:.4f}"
            if row is not defaults:
                cell += f" ({_delta(s, d, 'MAP')} / {_delta(s, d, 'nDCG@10')})"
            cells.append(cell)
        verdict = "" if row is defaults else _verdict(row, defaults, names)
        lines.append(f"| {row.label} | {row.knob} | " + " | ".join(cells) + f" | {verdict} |")
    found = folds(report.variants, names)
    lines += [
        "",
        "### Leave one collection out",
        "",
        "Every knob's setting chosen on all collections but one, and what that choice does on "
        "the one left out (`bench/relevance_loco.py`): a setting displaces the defaults when "
        "its mean gain on the other collections (the geometric mean of its MAP and nDCG@10 "
        "over the defaults') is at least 0.5%; it **holds** when it gains 0.5% on the "
        "collection left out as well. The defaults are kept when no choice holds: every "
        "collection left out either keeps them or is served worse by what the others chose.",
        "",
        *render_folds(found, names),
        "",
    ]
    if report.held_out:
        lines += [*_held_out_lines(report, names), ""]
    return [*lines, VEND]


def _held_out_lines(report: Report, names: list[str]) -> list[str]:
    """Each collection with every knob set as the others chose, against bm25s."""
    lines = [
        "Each collection scored with every knob set as the other collections chose it "
        "(the index-time byline choice aside), against the defaults and bm25s:",
        "",
        "| collection | left out: MAP / nDCG@10 | ÷ bm25s | defaults: MAP / nDCG@10 | ÷ bm25s |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in report.collections:
        held, ours, bm25 = report.held_out[c.name], c.table[OURS], c.table["bm25s"]
        lines.append(
            f"| {c.name} | {held['MAP']:.4f} / {held['nDCG@10']:.4f} | "
            f"{_ratio(held, bm25, 'MAP')} / {_ratio(held, bm25, 'nDCG@10')} | "
            f"{ours['MAP']:.4f} / {ours['nDCG@10']:.4f} | "
            f"{_ratio(ours, bm25, 'MAP')} / {_ratio(ours, bm25, 'nDCG@10')} |"
        )
    return lines


def _ratio(s: dict, d: dict, m: str) -> str:
    return f"{s[m] / d[m]:.3f}" if d[m] else ""


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
