"""Turn the benchmark's measurements into the performance section of bench/RESULTS.md
and the latency plot."""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path

START = "<!-- performance:start -->"
END = "<!-- performance:end -->"
SYSTEMS = ("seedsearch", "naive", "fts5")
LABELS = {
    "seedsearch": "seedsearch",
    "naive": "naive Whoosh",
    "fts5": "SQLite FTS5",
    "hello": "hello (ceiling)",
}
KINDS = ("rare", "common", "words", "scattered", "phrase", "prefix", "exclude", "typo")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_summary(runs: list[dict]) -> dict:
    """Per-run percentiles of query latency, then the median of each over the runs.
    Queries a run did not finish in its time budget count as infinitely slow."""
    keys = {"p50": 50, "p95": 95, "p99": 99}
    per_run = []
    for r in runs:
        ms = r["ms"] + [math.inf] * (r["queries"] - r["done"])
        per_run.append({**{k: percentile(ms, p) for k, p in keys.items()}, "max": max(ms)})
        per_run[-1]["mean"] = statistics.fmean(ms)
    out = {k: statistics.median(x[k] for x in per_run) for k in (*keys, "mean", "max")}
    first = runs[0]
    out["runs"] = len(runs)
    out["queries"] = first["queries"]
    out["unfinished"] = max(r["queries"] - r["done"] for r in runs)
    out["errors"] = first["errors"]
    out["zero_hits"] = sum(1 for t in first["totals"] if t == 0)
    out["rss_mb"] = statistics.median(r["rss_mb"] for r in runs)
    by_kind: dict[str, list[float]] = {}
    for r in runs:
        for kind, ms in zip(r["kinds"], r["ms"], strict=True):
            by_kind.setdefault(kind, []).append(ms)
    out["kinds"] = {
        k: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for k, v in by_kind.items()
    }
    ranked = sorted(zip(first["ms"], first["kinds"], first["qs"], strict=True), reverse=True)
    out["slowest"] = [{"ms": ms, "kind": k, "q": q} for ms, k, q in ranked[:8]]
    return out


def _ms(x: float) -> str:
    if math.isinf(x):
        return "timed out"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _table(head: list[str], rows: list[list[str]], align: str) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def build_table(builds: list[dict]) -> list[str]:
    naive = {b["copies"]: b["seconds"] for b in builds if b["system"] == "naive"}
    rows = []
    for b in sorted(builds, key=lambda b: (b["copies"], SYSTEMS.index(b["system"]))):
        rows.append(
            [
                LABELS[b["system"]],
                f"×{b['copies']}",
                f"{b['passages']:,}",
                f"{b['seconds']:.1f}" + (f" ({b['runs']} runs)" if b.get("runs", 1) > 1 else ""),
                f"{b['passages'] / b['seconds']:,.0f}",
                f"{b['source_bytes'] / 1e6 / b['seconds']:.2f}",
                f"{b['cpu_seconds']:.1f}",
                f"{b['peak_rss_mb']:.0f}",
                str(b["peak_procs"]),
                f"{b['size_mb']:.0f}",
                _ratio(naive.get(b["copies"]), b["seconds"]),
            ]
        )
    head = ["system", "corpus", "passages", "wall s", "passages/s", "MB/s", "CPU s"]
    head += ["peak RSS MB (tree)", "processes", "index MB", "speed vs naive"]
    return _table(head, rows, ["---", "---:", *["---:"] * 9])


def query_table(queries: dict) -> list[str]:
    rows = []
    for copies in sorted(queries, key=int):
        base = queries[copies].get("seedsearch")
        for system in SYSTEMS:
            s = queries[copies].get(system)
            if s is None:
                continue
            rows.append(
                [
                    LABELS[system],
                    f"×{copies}",
                    _ms(s["p50"]),
                    _ms(s["p95"]),
                    _ms(s["p99"]),
                    _ms(s["mean"]),
                    _ms(s["max"]),
                    str(s["zero_hits"]),
                    f"{s['rss_mb']:.0f}",
                    _ratio(s["p50"], base["p50"]) if base and system != "seedsearch" else "",
                ]
            )
    head = ["system", "corpus", "p50 ms", "p95 ms", "p99 ms", "mean ms", "max ms"]
    head += ["0-hit queries", "process RSS MB", "p50 vs seedsearch"]
    return _table(head, rows, ["---", "---:", *["---:"] * 8])


def kinds_table(queries: dict) -> list[str]:
    scales = sorted((c for c in queries if "seedsearch" in queries[c]), key=int)
    rows = []
    for kind in KINDS:
        row = [kind]
        for copies in scales:
            k = queries[copies]["seedsearch"]["kinds"].get(kind)
            row.append(f"{_ms(k['p50'])} / {_ms(k['p99'])}" if k else "–")
        rows.append(row)
    head = ["kind", *[f"×{c} p50 / p99 ms" for c in scales]]
    return _table(head, rows, ["---", *["---:"] * len(scales)])


def slowest(queries: dict) -> list[str]:
    """The slowest seedsearch queries at the largest scale: where to look first."""
    scales = sorted((c for c in queries if "seedsearch" in queries[c]), key=int)
    if not scales:
        return []
    s = queries[scales[-1]]["seedsearch"]
    out = [f"Slowest seedsearch queries at ×{scales[-1]} (first run):", ""]
    out += [f"- {_ms(x['ms'])} ms, {x['kind']}: `{x['q']}`" for x in s["slowest"]]
    if s["unfinished"]:
        out.append(f"- {s['unfinished']} queries not finished within the run's time budget")
    return out


def http_table(http: list[dict]) -> list[str]:
    def key(h: dict) -> tuple:
        return (h["system"], h["copies"], h["route"])

    by = {key(h): h for h in http}
    rows = []
    order = {"seedsearch": 0, "naive": 1, "hello": 2}
    for h in sorted(http, key=lambda h: (h["copies"], h["route"], order[h["system"]])):
        naive = by.get(("naive", h["copies"], h["route"]))
        hello = by.get(("hello", 1, "api"))
        odd = {c: n for c, n in h.get("statuses", {}).items() if not c.startswith("2")}
        errors = ", ".join(f"{n}× {c}" for c, n in sorted(odd.items()))
        if h["socket_errors"]:
            errors += (", " if errors else "") + f"{h['socket_errors']} socket"
        errors = errors or str(h["status_errors"])
        rows.append(
            [
                LABELS[h["system"]],
                f"×{h['copies']}",
                "/api/search" if h["route"] == "api" else "/?q= (HTML)",
                f"{h['rps']:,.0f}" + (f" ({h['runs']} runs)" if h.get("runs", 1) > 1 else ""),
                _ms(h["p50_ms"]),
                _ms(h["p95_ms"]),
                _ms(h["p99_ms"]),
                f"{h['requests']:,}"
                + ("" if h.get("requests_all_runs") or h.get("runs", 1) == 1 else " (run 1)"),
                errors,
                _ratio(h["rps"], naive["rps"]) if naive and h["system"] == "seedsearch" else "",
                _ratio(h["rps"], hello["rps"]) if hello and h["system"] != "hello" else "",
                " / ".join(f"{x:.0f}" for x in h.get("worker_rss_mb", [])),
                " / ".join(f"{x:.0f}" for x in h.get("worker_pss_mb", [])) or "–",
            ]
        )
    head = [
        "server",
        "corpus",
        "route",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "requests (all runs)",
    ]
    head += ["non-2xx / errors", "vs naive", "vs hello", "worker RSS MB", "worker PSS MB"]
    return _table(head, rows, ["---", "---:", "---", *["---:"] * 10])


# The index on disk before the pack codec (Whoosh 3's own), from the run of 2026-11-25.
W3_INDEX_MB = {1: 24, 10: 217, 32: 681}


def targets(results: dict) -> list[str]:
    """Each target of issue 10 (columnar postings) with the measured value and whether
    it holds."""
    builds = {(b["system"], b["copies"]): b for b in results["builds"]}
    q = results["queries"]
    http = {(h["system"], h["copies"], h["route"]): h for h in results["http"]}
    rows = []

    def add(name: str, value: float | None, ok: bool | None, fmt: str) -> None:
        shown = "not measured" if value is None else fmt.format(value)
        mark = "–" if ok is None else ("yes" if ok else "**no**")
        rows.append([name, shown, mark])

    s, n = builds.get(("seedsearch", 10)), builds.get(("naive", 10))
    ratio = _throughput(s) / _throughput(n) if s and n else None
    add("full build ×10 ≥ 3× naive Whoosh's throughput", ratio, ratio and ratio >= 3, "{:.2f}×")
    big = builds.get(("seedsearch", 32))
    minutes = big["seconds"] / 60 if big else None
    add("×32 (≈1M passages) build < 2 min", minutes, minutes and minutes < 2, "{:.2f} min")
    peak = big["peak_rss_mb"] if big else None
    add("×32 build peak memory < 1.5 GB", peak, peak and peak < 1500, "{:.0f} MB")
    update = results.get("update")
    value = update["seconds"] if update else None
    add("update of one changed book in ×10 < 3 s", value, value and value < 3, "{:.2f} s")
    s = q.get("10", {}).get("seedsearch")
    for key, limit in (("p50", 5), ("p99", 30)):
        value = s[key] if s else None
        add(f"engine {key} ≤ {limit} ms at ×10", value, value and value <= limit, "{:.2f} ms")
    cold = results.get("cold", {}).get("10")
    ratio = cold["first_s"] / cold["second_s"] if cold else None
    add(
        "first pass after a fresh start within 20% of the second, ×10",
        ratio,
        ratio and ratio <= 1.2,
        "{:.2f}×",
    )
    s = http.get(("seedsearch", 10, "api"))
    value = s["rps"] if s else None
    add("HTTP /api/search ≥ 300 req/s at ×10", value, value and value >= 300, "{:.0f} req/s")
    value = s["p99_ms"] if s else None
    add("HTTP /api/search p99 ≤ 100 ms at ×10", value, value and value <= 100, "{:.0f} ms")
    s, h = http.get(("seedsearch", 1, "api")), http.get(("hello", 1, "api"))
    ratio = s["rps"] / h["rps"] if s and h else None
    add("HTTP /api/search ≥ 30% of hello at ×1", ratio, ratio and ratio >= 0.3, "{:.0%}")
    for copies in (1, 10, 32):
        b = builds.get(("seedsearch", copies))
        value = b["size_mb"] if b else None
        before = W3_INDEX_MB[copies]
        add(
            f"index ×{copies} no larger than before ({before} MB)",
            value,
            value and value <= before,
            "{:.0f} MB",
        )
    return _table(["target", "measured", "holds"], rows, ["---", "---:", ":---:"])


def _throughput(build: dict) -> float:
    return build["passages"] / build["seconds"]


def cold_table(cold: dict) -> list[str]:
    """First and second pass over the mix in a freshly started process."""
    rows = []
    for copies in sorted(cold, key=int):
        c = cold[copies]
        rows.append(
            [
                f"×{copies}",
                "yes" if c["dropped"] else "no",
                f"{c['first_s']:.2f}",
                f"{c['second_s']:.2f}",
                f"{c['first_s'] / c['second_s']:.2f}×",
                f"{_ms(c['first']['p50'])} / {_ms(c['first']['p99'])}",
                f"{_ms(c['second']['p50'])} / {_ms(c['second']['p99'])}",
            ]
        )
    head = ["corpus", "page cache dropped", "pass 1 s", "pass 2 s", "ratio"]
    head += ["pass 1 p50 / p99 ms", "pass 2 p50 / p99 ms"]
    return _table(head, rows, ["---:", ":---:", *["---:"] * 5])


def section(results: dict, profiles: list[str]) -> str:
    m = results["machine"]
    lines = [
        START,
        "## Performance",
        "",
        f"Measured {results['date']} on {m['cpu']} ({m['cores']} cores), {m['ram_gb']:.0f} GB RAM, "
        f"{m['os']}; Python {m['python']}, Whoosh-Reloaded {m['whoosh']}, SQLite {m['sqlite']}, "
        f"wrk {m['wrk']}. The machine is shared with other work, so numbers are noisy: "
        "figures with several runs are medians"
        + (
            " (1-minute load average {:.1f} at the start, {:.1f} at the end).".format(
                *results["load"]
            )
            if "load" in results
            else "."
        ),
        "",
        f"Code: commit {results.get('code', '?')}. "
        f"Reproduce: `{results['command']}` ({results['mode']} mode, took "
        f"{results['elapsed_s'] / 60:.1f} min). Corpus: the King James Bible from Debian's "
        "`bible-kjv` as 66 Markdown books (one paragraph per verse, 31,102 verses, "
        f"{results['corpus_mb']:.1f} MB); ×N is N copies in subfolders. "
        f"Queries: a fixed mix of {results['mix_size']} distinct queries drawn from the "
        "corpus vocabulary (seed 5): rare and common single words, 2–5 words of a verse, "
        "unrelated words, quoted phrases, prefixes, exclusions, typos.",
        "",
        "### Targets (issue 10: columnar postings)",
        "",
        *targets(results),
        "",
        "### Build",
        "",
        "`seedsearch index --full` (the real CLI, fresh folder) against a naive Whoosh build of "
        "the same verse paragraphs (default `StemmingAnalyzer`, one process, one default "
        "writer; `bench/perf_naive.py`) and SQLite FTS5 with the porter tokenizer "
        "(`bench/perf_fts5.py`). Peak RSS is summed over the process tree (build worker "
        "processes included); CPU s is user+system of the tree.",
        "",
        *build_table(results["builds"]),
        "",
        *update_lines(results.get("update")),
        "### Query latency (engine side, including highlighting the 10 hits)",
        "",
        "seedsearch: one warm `Engine.search(Query(q))` (parse, rank, spelling suggestion, "
        "highlighted snippets). Naive: index opened per query, default `QueryParser` (AND), "
        "`hit.highlights('body')` for 10 hits. FTS5: `ORDER BY rank LIMIT 10` with `snippet()` "
        "plus a `count(*)` for the total. Each system runs in its own process, warmed on "
        "queries outside the mix; every query is timed once per run.",
        "",
        *query_table(results["queries"]),
        "",
        "seedsearch by kind of query:",
        "",
        *kinds_table(results["queries"]),
        "",
        *slowest(results["queries"]),
        "",
        *cold_lines(results.get("cold")),
        "![query latency percentiles vs corpus size](latency.png)",
        "",
        "### HTTP",
        "",
        f"2 gunicorn workers of 16 threads on 127.0.0.1; `wrk -t2 -c8 "
        f"-d{results['http_seconds']}s --latency` in another process, cycling through "
        f"{results['http_mix']} distinct query URLs (each thread from its own offset). "
        "seedsearch is `seedsearch serve --workers 2`; the naive app "
        "(`bench/naive_app.py`) and the hello route (`bench/hello_app.py`) run under "
        "`gunicorn -w 2 -k gthread --threads 16`. Worker RSS and PSS (memory-mapped index "
        "pages shared between the workers count once) are read after the load.",
        "",
        *(http_table(results["http"]) if results["http"] else ["HTTP not measured."]),
        "",
    ]
    for note in results.get("notes", []):
        lines += [f"Note: {note}", ""]
    if profiles:
        lines += [
            "### Profiles (py-spy)",
            "",
            "Sampled at 100 Hz (raw stacks in bench/work/profile/). A stage's share counts "
            "the samples in which its function is on the stack (itself and what it calls); "
            "*self* counts samples in the function's own code. Build workers are child "
            "processes.",
            "",
        ]
        for table in profiles:
            lines += [table, ""]
    lines.append(END)
    return "\n".join(lines)


def update_lines(update: dict | None) -> list[str]:
    if not update:
        return []
    return [
        f"Incremental update: one book of the ×10 corpus changed (`{update['book']}`), then "
        f"`seedsearch index` on a copy of the ×10 index: {update['seconds']:.2f} s "
        f"(median of {update['runs']}: " + ", ".join(f"{x:.2f}" for x in update["all"]) + " s).",
        "",
    ]


def cold_lines(cold: dict | None) -> list[str]:
    if not cold:
        return []
    return [
        "Cold as warm: the mix timed twice in a freshly started process, with no warm-up "
        "and the result cache emptied between the passes (page cache dropped first where "
        "the benchmark runs as root); a pass is the sum of its queries' times.",
        "",
        *cold_table(cold),
        "",
    ]


def write_section(path: Path, text: str) -> None:
    """Replace only the performance section of RESULTS.md (or add it)."""
    old = path.read_text("utf-8") if path.exists() else "# seedsearch benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _: text, old)
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, "utf-8")


def plot(queries: dict, out: Path) -> None:
    """p50/p95/p99 query latency against corpus size, one colour per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    colours = {"seedsearch": "tab:blue", "naive": "tab:orange", "fts5": "tab:green"}
    styles = {"p50": "-", "p95": "--", "p99": ":"}
    for system in SYSTEMS:
        scales = sorted(int(c) for c in queries if system in queries[c])
        if not scales:
            continue
        xs = [31_102 * c for c in scales]
        for key, style in styles.items():
            ys = [queries[str(c)][system][key] for c in scales]
            ax.plot(xs, ys, style, marker="o", color=colours[system], label=f"{system} {key}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    scales = sorted({int(c) for c in queries})
    ax.set_xticks([31_102 * c for c in scales], [f"×{c}\n{31_102 * c:,}" for c in scales])
    ax.minorticks_off()
    ax.set_xlabel("verses in the corpus")
    ax.set_ylabel("query + highlight latency, ms")
    ax.set_title("Engine-side query latency vs corpus size (issue 10 targets in grey)")
    for target in (5, 30):
        ax.axhline(target, color="grey", lw=0.6)
        ax.annotate(
            f"{target} ms",
            (0.005, target),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            color="grey",
            va="bottom",
        )
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
