"""OCR: scanned pages read per second, on one core and on two, and what the second
full build of a folder of scans costs once OCR has read them.

The scans are real text: CISI's abstracts (../shared/testcollections, or
$SEEDSEARCH_COLLECTIONS) typeset by PDFium in 11-point DejaVu Sans, 40 lines a
page, then rendered at 300 dpi in grey and saved as image-only PDFs of 4 pages
(tests/makers/scans.py), as a copier makes them. The same pages as born-digital
PDFs (a text layer, no OCR) are the floor of the second build. Side by side in
one run, round-robin, medians reported:

- the OCR of every page of a fresh index with 1 worker and with 2 (a build that
  published the text first, `ocr_budget=0`, then `build_index` reading the scans);
- `index --full` of the scans with every page in the OCR cache (Tesseract is run
  zero times), against `index --full` of the born-digital PDFs.

    .venv/bin/python -m bench.perf_ocr [--pages 12] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

from bench.relevance_collection import collections_root, read_collection
from indexer.build.run import build_index
from indexer.readers.ocr import OcrSettings
from tests.makers.scans import scan_pdf, text_pdf

ROOT = Path(__file__).resolve().parent.parent

LINES = 40  # to a page of 11-point text
PAGES_PER_FILE = 4
WORK = Path(tempfile.gettempdir()) / "seedsearch-bench-ocr"


def pages_of_text(count: int) -> list[list[str]]:
    """`count` pages of CISI's abstracts, 85 characters a line."""
    cisi = read_collection(collections_root(ROOT) / "cisi")
    lines: list[str] = []
    for doc in cisi.docs:
        lines += textwrap.wrap(doc.text, 85) + [""]
        if len(lines) >= count * LINES:
            break
    return [lines[n * LINES : (n + 1) * LINES] for n in range(count)]


def make_folders(pages: int) -> tuple[Path, Path]:
    """(scans, born-digital): the same pages, image-only and with a text layer."""
    scans, digital = WORK / f"scans-{pages}", WORK / f"digital-{pages}"
    files = -(-pages // PAGES_PER_FILE)
    if len(list(scans.glob("*.pdf"))) == len(list(digital.glob("*.pdf"))) == files:
        return scans, digital  # made by an earlier run
    shutil.rmtree(WORK, ignore_errors=True)
    scans.mkdir(parents=True)
    digital.mkdir()
    text = pages_of_text(pages)
    for n in range(0, pages, PAGES_PER_FILE):
        pdf = text_pdf(text[n : n + PAGES_PER_FILE], size=11)
        (digital / f"report-{n:04d}.pdf").write_bytes(pdf)
        (scans / f"report-{n:04d}.pdf").write_bytes(scan_pdf(pdf, dpi=300))
    return scans, digital


def ocr_seconds(scans: Path, procs: int) -> tuple[float, float]:
    """Seconds to read every page of `scans` by OCR into a fresh index, and the CPU
    seconds its workers and their Tesseracts spent (what a busy machine does not skew)."""
    index = WORK / f"index-ocr-{procs}"
    shutil.rmtree(index, ignore_errors=True)
    build_index(scans, index, full=True, procs=procs, ocr_budget=0)  # the text first
    cpu = _children_cpu()
    started = time.perf_counter()
    report = build_index(scans, index, procs=procs)
    seconds = time.perf_counter() - started
    assert report.ocr_waiting == 0 and report.ocr_pages > 0, report
    return seconds, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers, and their Tesseracts
    return usage.ru_utime + usage.ru_stime


def full_build_seconds(folder: Path, index: Path) -> float:
    started = time.perf_counter()
    report = build_index(folder, index, full=True, procs=2)
    seconds = time.perf_counter() - started
    assert report.ocr_pages == 0 and report.ocr_waiting == 0, report
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    scans, digital = make_folders(args.pages)
    ocr: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for procs in ocr:
            seconds, spent = ocr_seconds(scans, procs)
            ocr[procs].append(seconds)
            cpu[procs].append(spent)
    cached_index = WORK / "index-ocr-2"  # every page of the scans is in its OCR cache
    digital_index = WORK / "index-digital"
    second: dict[str, list[float]] = {"scans, OCR cached": [], "born-digital PDFs": []}
    for _ in range(max(5, args.rounds)):
        second["scans, OCR cached"].append(full_build_seconds(scans, cached_index))
        second["born-digital PDFs"].append(full_build_seconds(digital, digital_index))
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    print(
        f"# {args.pages} scanned pages (300 dpi, 40 lines of 11-point text each) in "
        f"{args.pages // PAGES_PER_FILE} PDFs; {OcrSettings().langs}"
    )
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {tesseract.stdout.splitlines()[0]}, "
        f"{time.strftime('%Y-%m-%d')}, {args.rounds} rounds, load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print("\n| OCR workers | median s | pages/s | s/page | × 1 worker | CPU s/page |")
    print("|---|---|---|---|---|---|")
    one = statistics.median(ocr[1])
    for procs, times in ocr.items():
        median = statistics.median(times)
        spent = statistics.median(cpu[procs]) / args.pages
        print(
            f"| {procs} | {median:.1f} | {args.pages / median:.2f} | {median / args.pages:.2f} "
            f"| {one / median:.2f} | {spent:.2f} |"
        )
    print("\n| `index --full` of | median s | × born-digital |")
    print("|---|---|---|")
    floor = statistics.median(second["born-digital PDFs"])
    for name, times in second.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
