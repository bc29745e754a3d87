"""Pages per second of the PDF reader on a real manual.

The manual is the Python Library Reference (Debian's python3-doc): chapters read
by our HTML reader, written as an OpenDocument text with headings, typeset by
LibreOffice into a PDF with bookmarks (the way most PDF reports are made). Three
readings of it run side by side, round-robin, and the medians are reported:
PDFium's text alone, our PDF reader (PDFium plus running heads, hyphenation,
paragraphs, outline), and that reader plus passage splitting.

    apt-get install python3-doc libreoffice-writer-nogui
    .venv/bin/python -m bench.perf_pdf [--pages 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from indexer.build.passages import passages_of
from indexer.readers import parse_document
from indexer.readers.html import parse_html
from tests.makers.office import make_odt

ROOT = Path(__file__).resolve().parent.parent

DOCS = Path("/usr/share/doc/python3/html/library")
CACHE = Path(tempfile.gettempdir()) / "seedsearch-bench-pdf"


def manual(pages: int) -> Path:
    """A LibreOffice PDF of at least `pages` pages of the Library Reference (cached)."""
    pdf = CACHE / f"library-{pages}.pdf"
    if pdf.exists():
        return pdf
    if not DOCS.is_dir() or not shutil.which("soffice"):
        sys.exit(
            "needs python3-doc and LibreOffice: "
            "apt-get install python3-doc libreoffice-writer-nogui"
        )
    CACHE.mkdir(exist_ok=True)
    body, words = [], 0
    for page in sorted(DOCS.glob("*.html")):
        parsed = parse_html(page.read_text("utf-8", "replace"))
        for part in parsed.parts:
            body.append((f"h{min(part.level, 3)}" if part.level else "p", part.text))
            words += len(part.text.split())
        if words > pages * 450:  # about 450 words to a page of 11-point Liberation Serif
            break
    odt = CACHE / f"library-{pages}.odt"
    odt.write_bytes(make_odt(body, title="The Python Library Reference"))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(CACHE), str(odt)],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    return pdf


def pdfium_text(data: bytes) -> int:
    """PDFium's text of every page, nothing else: the floor."""
    pdf = pdfium.PdfDocument(data)
    for i in range(len(pdf)):
        page = pdf[i]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    pdf.close()
    return 0


def reader(data: bytes) -> int:
    return len(parse_document("manual.pdf", ".pdf", data).blocks)


def reader_and_passages(data: bytes) -> int:
    return len(passages_of(parse_document("manual.pdf", ".pdf", data)).passages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = manual(args.pages)
    data = path.read_bytes()
    pages = len(pdfium.PdfDocument(data))
    document = parse_document("manual.pdf", ".pdf", data)
    runs = {
        "PDFium text only": pdfium_text,
        "PDF reader": reader,
        "reader + passages": reader_and_passages,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run(data)
            times[name].append(time.perf_counter() - started)
    print(
        f"# {path.name}: {pages} pages, {len(data) / 1e6:.1f} MB, {len(document.text):,} characters"
    )
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, pypdfium2 {pdfium.PYPDFIUM_INFO}, "
        f"{time.strftime('%Y-%m-%d')}, {args.rounds} rounds"
    )
    floor = statistics.median(times["PDFium text only"])
    print("| reading | median s | pages/s | × PDFium text |")
    print("|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} | {pages / median:,.0f} | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
