"""HTML reading, side by side: the reader before lxml (BeautifulSoup; by default the
commit before indexer/readers/maintext.py was added) against this checkout's, on the
Python 3.11 documentation (500 Sphinx pages, Debian's python3.11-doc, fetched once
into ~/.cache/seedsearch by bench/pydocs.py).

    .venv/bin/python -m bench.perf_html [--old REV] [--rounds 3] [--out FILE.json]

Each round, old then new: the reader alone in one process (every page read, with
the chrome of its folder learned; CPU seconds), then `python -m indexer index --full`
of each tree (wall and CPU seconds of the process tree). Prints Markdown: medians,
new ÷ old, and every difference between the two readers' passages and titles.
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import perf_build, pydocs, trees
from bench.perf import PYTHON, ROOT, WORK, log, machine

READING = Path(__file__).resolve().parent / "html_reading.py"
FIRST_LXML = "indexer/readers/maintext.py"  # the lxml reader's first file


def default_old() -> str:
    """The commit before the lxml reader was added."""
    added = trees.git("log", "-1", "--diff-filter=A", "--format=%H", "HEAD", "--", FIRST_LXML)
    added = added.decode().strip()
    if not added:
        sys.exit(f"{FIRST_LXML} is not in this checkout's history: pass --old REV")
    return added + "^"


def read_all(tree: Path, source: Path, out: Path) -> dict:
    """The reader of `tree` over every page, in its own process."""
    subprocess.run([str(PYTHON), str(READING), str(tree), str(source), str(out)], check=True)
    return json.loads(out.read_text())


def build(tree: Path, source: Path, index: Path) -> dict:
    """`python -m indexer index --full` run from `tree`, so `tree`'s own code builds."""
    argv = [str(PYTHON), "-m", "indexer", "index", "--full", "--source", str(source)]
    w = perf_build.watch([*argv, "--index", str(index)], cwd=tree)
    subprocess.run(["rm", "-rf", str(index)], check=True)
    return {"seconds": w.seconds, "cpu_seconds": w.cpu, "peak_rss_mb": w.peak_rss / 1e6}


def passage_count(reading: dict) -> int:
    return sum(len(d["passages"]) for d in reading["docs"].values())


def differences(old: dict, new: dict) -> dict:
    """Documents whose title or passages differ between two readings, with the diff."""
    titles, passages = [], []
    for doc in sorted(set(old["docs"]) | set(new["docs"])):
        a, b = old["docs"].get(doc), new["docs"].get(doc)
        if a is None or b is None:
            passages.append({"doc": doc, "diff": [f"only read by {'new' if a is None else 'old'}"]})
            continue
        if a["title"] != b["title"]:
            titles.append({"doc": doc, "old": a["title"], "new": b["title"]})
        if a["passages"] != b["passages"]:
            diff = difflib.unified_diff(a["passages"], b["passages"], lineterm="", n=0)
            lines = [x for x in diff if x[:1] in "+-" and x[:3] not in ("---", "+++")]
            passages.append({"doc": doc, "diff": lines})
    skipped = {"old": old["skipped"], "new": new["skipped"]}
    return {"titles": titles, "passages": passages, "skipped": skipped}


def measure(args: argparse.Namespace) -> dict:
    site = pydocs.site()
    log(f"corpus: {site.pages} pages, {site.bytes / 1e6:.1f} MB, from {site.package}")
    with tempfile.TemporaryDirectory(prefix="perf-html-") as tmp:
        old_tree, old_sha = trees.unpack(args.old, Path(tmp)), trees.short(args.old)
        sources = {"old": old_tree, "new": ROOT}
        runs: dict[str, list[dict]] = {"old": [], "new": []}
        readings: dict[str, dict] = {}
        for n in range(args.rounds):
            for name, tree in sources.items():
                log(f"{name} (round {n + 1}/{args.rounds}): reading ...")
                reading = read_all(tree, site.path, Path(tmp) / f"{name}.json")
                log(f"{name}: building ...")
                run = build(tree, site.path, Path(tmp) / f"index-{name}")
                run["read_cpu_s"] = reading["read_cpu_s"]
                runs[name].append(run)
                log(
                    f"  read {run['read_cpu_s']:.1f} CPU-s; build {run['seconds']:.1f} s, "
                    f"{run['cpu_seconds']:.1f} CPU-s"
                )
                if readings.setdefault(name, reading)["docs"] != reading["docs"]:
                    sys.exit(f"{name}: two readings of the same pages differ")
    return {
        "machine": machine(),
        "old": old_sha,
        "new": trees.short("HEAD"),
        "corpus": {"pages": site.pages, "bytes": site.bytes, "package": site.package},
        "passages": {name: passage_count(r) for name, r in readings.items()},
        "runs": runs,
        "differences": differences(readings["old"], readings["new"]),
    }


def report(result: dict) -> str:
    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in result["runs"][name])

    m, c = result["machine"], result["corpus"]
    lines = [
        f"{m['cpu']} ({m['cores']} cores), Python {m['python']}; old reader: commit "
        f"{result['old']}, new: {result['new']}. Corpus: {c['pages']} pages, "
        f"{c['bytes'] / 1e6:.1f} MB ({c['package']}). "
        f"{len(result['runs']['old'])} rounds, medians.",
        "",
        "| | old (BeautifulSoup) | new (lxml) | old ÷ new |",
        "|---|---:|---:|---:|",
    ]
    rows = [
        ("reader alone, one process (CPU s)", "read_cpu_s", ".1f"),
        ("`index --full`, wall s", "seconds", ".1f"),
        ("`index --full`, CPU s (all processes)", "cpu_seconds", ".1f"),
        ("`index --full`, peak RSS MB", "peak_rss_mb", ".0f"),
    ]
    for label, key, fmt in rows:
        old, new = med("old", key), med("new", key)
        lines.append(f"| {label} | {old:{fmt}} | {new:{fmt}} | {old / new:.2f}× |")
    p = result["passages"]
    lines.append(f"| passages | {p['old']:,} | {p['new']:,} | |")
    d = result["differences"]
    lines += ["", f"Documents whose passages differ: {len(d['passages'])}."]
    for item in d["passages"]:
        lines.append(f"- `{item['doc']}`")
        lines += [f"  - `{x[:160]}`" for x in item["diff"][:20]]
    lines += ["", f"Titles that differ: {len(d['titles'])}."]
    lines += [f"- `{t['doc']}`: {t['old']!r} → {t['new']!r}" for t in d["titles"]]
    if d["skipped"]["old"] != d["skipped"]["new"]:
        lines += ["", f"Skipped files differ: {json.dumps(d['skipped'], ensure_ascii=False)}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", help="the commit of the reader to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=WORK / "perf-html.json")
    args = parser.parse_args()
    if not PYTHON.exists():
        sys.exit("run ./run.sh test first (it makes .venv)")
    args.old = args.old or default_old()
    result = measure(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(report(result))


if __name__ == "__main__":
    main()
