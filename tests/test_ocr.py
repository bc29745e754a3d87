"""Scanned pages and images read by the real Tesseract: found by their words at
their page, marked as OCR'd, read once (a second full build runs Tesseract zero
times), a page over its time limit skipped alone, and a missing engine or
language named with its Debian package. The scans are real text PDF pages
rendered to images (tests/makers/scans.py); a `tesseract` earlier on PATH
logs each call and runs the real one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build.ocr_cache import CACHE_FILE
from indexer.build.run import build_index
from indexer.cli import cli
from indexer.index.meta import read_meta
from indexer.index.status import collect
from indexer.models import Query
from indexer.readers.ocr import OcrSettings
from indexer.search.engine import Engine
from tests.makers.scans import scan_image, scan_pdf, text_pdf
from webapp import create_app

REAL = shutil.which("tesseract")
pytestmark = pytest.mark.skipif(REAL is None, reason="./run.sh test installs Tesseract")

LETTER = text_pdf(
    [
        ["Minutes of the harbour committee.", "The committee met on the fifth of May."],
        ["The old stone bridge collapsed in April.", "Seventeen witnesses saw the flood."],
    ]
)
MIXED = scan_pdf(
    text_pdf(
        [
            [
                "The orchard survey began in spring with a count",
                "of every apple tree on the slope.",
            ],
            ["Beekeepers counted eleven hives near the orchard", "and noted the honey of each."],
            ["The report ends with a list of sources and the", "names of the people who helped."],
        ]
    ),
    scanned={1},  # the middle page only
)
RUSSIAN = text_pdf(
    [["Протокол заседания комиссии."], ["Свидетели описали наводнение и разрушенный мост."]]
)
NOTE = text_pdf([["A note about the lighthouse keeper and his lamp."]])
SCANNED_PAGES = 2 + 1 + 2 + 1  # letter, the mixed PDF's middle page, the TIFF, the PNG


def tesseract_on_path(folder: Path, slow_page: int = 0) -> Path:
    """Put a `tesseract` first on PATH that logs each call, then runs the real one
    (its `slow_page`-th page read sleeps instead); the log's path."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    log.touch()
    slow = (
        f'[ "$1" = stdin ] && [ "$(grep -c "^stdin" {log})" = {slow_page} ] && exec sleep 60\n'
        if slow_page
        else ""
    )
    script = folder / "tesseract"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{slow}exec {REAL} "$@"\n')
    script.chmod(0o755)
    return log


def page_reads(log: Path) -> int:
    """How many pages Tesseract was given (not counting --list-langs)."""
    return sum(1 for line in log.read_text().splitlines() if line.startswith("stdin"))


def logged_path(log: Path) -> str:
    """PATH with the logging `tesseract` of `log` first."""
    return f"{log.parent}:{Path(REAL).parent}"


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(source, index, Tesseract's call log) of a folder of scans, indexed once."""
    root = tmp_path_factory.mktemp("scans")
    source = root / "source"
    (source / "letters").mkdir(parents=True)
    (source / "letters" / "harbour.pdf").write_bytes(scan_pdf(LETTER))
    (source / "orchard.pdf").write_bytes(MIXED)
    (source / "protocol.tiff").write_bytes(scan_image(RUSSIAN, "TIFF"))
    (source / "note.png").write_bytes(scan_image(NOTE, "PNG"))
    (source / "budget.pdf").write_bytes(text_pdf([["The budget was approved in March."]]))
    index = root / "index"
    log = tesseract_on_path(root / "bin")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", logged_path(log))
        patch.delenv("SEEDSEARCH_OCR_LANG", raising=False)
        result = CliRunner().invoke(cli, ["index", "--source", str(source), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert f"{SCANNED_PAGES} pages read by OCR" in result.output, result.output
    return source, index, log


@pytest.mark.parametrize(
    ("query", "doc", "page", "ocr"),
    [
        ("committee", "letters/harbour.pdf", 1, True),
        ("bridge collapsed", "letters/harbour.pdf", 2, True),
        ("orchard survey", "orchard.pdf", 1, False),
        ("beekeepers hives", "orchard.pdf", 2, True),
        ("sources", "orchard.pdf", 3, False),
        ("комиссии", "protocol.tiff", 1, True),
        ("наводнение", "protocol.tiff", 2, True),  # Russian stems: наводнением finds it too
        ("lighthouse keeper", "note.png", 1, True),
        ("budget", "budget.pdf", 1, False),
    ],
)
def test_scans_are_found_by_their_words_at_their_page(scans, query, doc, page, ocr):
    _source, index, _log = scans
    with Engine(index) as engine:
        [hit, *_] = engine.search(Query(query)).hits
    assert (hit.doc, hit.page, hit.ocr) == (doc, page, ocr)


def test_each_scanned_page_is_read_once_and_only_scanned_pages_are(scans):
    source, index, log = scans
    assert page_reads(log) == SCANNED_PAGES  # the mixed PDF's text pages never went to OCR
    documents = read_meta(index / "current").documents
    orchard = documents["orchard.pdf"]
    assert (orchard.pages, orchard.blank_pages, orchard.ocr_pages, orchard.waiting) == (3, 1, 1, ())
    assert documents["protocol.tiff"].format == "image"
    assert (index / CACHE_FILE).exists()


def test_the_second_full_build_runs_tesseract_zero_times(scans, runner, monkeypatch):
    source, index, log = scans
    monkeypatch.setenv("PATH", logged_path(log))
    before = log.read_text()
    result = runner.invoke(cli, ["index", "--full", "--source", str(source), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert log.read_text() == before  # not even --list-langs: nothing was waiting
    with Engine(index) as engine:
        [hit] = engine.search(Query("beekeepers")).hits
    assert (hit.doc, hit.page, hit.ocr) == ("orchard.pdf", 2, True)


def test_ocr_is_marked_in_the_json_and_on_the_page(scans, runner):
    _source, index, _log = scans
    result = runner.invoke(cli, ["search", "наводнение", "--json", "--index", str(index)])
    [hit] = json.loads(result.output)["results"]
    assert (hit["doc"], hit["page"], hit["page_label"], hit["ocr"]) == (
        "protocol.tiff",
        2,
        "2",
        True,
    )
    client = create_app({"INDEX": str(index), "TESTING": True}).test_client()
    page = client.get("/?q=lighthouse&group=passage").get_data(as_text=True)
    assert '<span class="scanned"' in page
    assert '<span class="scanned"' not in client.get("/?q=budget").get_data(as_text=True)
    status = client.get("/api/status").get_json()["ocr"]
    assert (status["pages_read"], status["pages_waiting"], status["langs"]) == (6, 0, "eng+rus")
    assert "6 pages read by OCR (eng+rus)." in client.get("/status").get_data(as_text=True)
    result = runner.invoke(cli, ["status", "--index", str(index)])
    assert "\nocr         6 pages read; eng+rus\n" in result.output


def test_born_digital_text_is_published_before_the_scans(scans, tmp_path):
    """A build that leaves OCR for later (as `serve` does) publishes the text now;
    the status says how many pages are to go, and about how long they will take."""
    source, index, _log = scans
    source, index = shutil.copytree(source, tmp_path / "source"), tmp_path / "index"
    shutil.copytree(scans[1], index, symlinks=True)
    (source / "late.pdf").write_bytes(
        scan_pdf(text_pdf([["Ferry timetable for the winter."], ["Text on page two."]]), {0})
    )
    report = build_index(source, index, ocr_budget=0)
    assert (report.added, report.ocr_pages, report.ocr_waiting) == (1, 0, 1)
    with Engine(index) as engine:
        assert engine.search(Query('"text on page two"')).hits[0].doc == "late.pdf"
        assert engine.search(Query("timetable")).total == 0
    ocr = collect(index).ocr
    assert (ocr.pages_read, ocr.pages_waiting, ocr.files_waiting) == (6, 1, 1)
    assert ocr.seconds_left > 0 and ocr.estimate()
    status = CliRunner().invoke(cli, ["status", "--index", str(index)]).output
    assert f"\nocr         6 pages read, 1 to go in 1 file ({ocr.estimate()}); eng+rus\n" in status
    report = build_index(source, index)  # the next build reads it
    assert (report.ocr_pages, report.ocr_waiting) == (1, 0)
    with Engine(index) as engine:
        [hit] = engine.search(Query("timetable")).hits
    assert (hit.doc, hit.page, hit.ocr) == ("late.pdf", 1, True)


def test_a_page_over_its_time_limit_is_skipped_with_a_warning(tmp_path, monkeypatch):
    source = tmp_path / "source"
    source.mkdir()
    (source / "slow.pdf").write_bytes(scan_pdf(LETTER))
    log = tesseract_on_path(tmp_path / "bin", slow_page=2)
    monkeypatch.setenv("PATH", logged_path(log))
    settings = OcrSettings(langs="eng", timeout=5)
    report = build_index(source, tmp_path / "index", procs=1, ocr=settings)
    assert "slow.pdf: page 2 skipped: OCR timed out after 5 s" in report.warnings
    assert (report.added, report.skipped, report.ocr_waiting) == (1, 0, 0)
    with Engine(tmp_path / "index") as engine:
        assert engine.search(Query("committee")).hits[0].page == 1  # the rest of the file
        assert engine.search(Query("bridge")).total == 0
    assert page_reads(log) == 2
    build_index(source, tmp_path / "index", procs=1, ocr=settings, full=True)
    assert page_reads(log) == 2  # the failure is remembered at this limit


@pytest.mark.parametrize(
    ("path", "lang", "message"),
    [
        (
            "tesseract",
            "eng+xyz",
            "OCR language is not installed: xyz; apt-get install "
            "tesseract-ocr-xyz (or choose others with --ocr-lang)",
        ),
        (
            "",
            "eng+rus",
            "Tesseract is not installed: apt-get install tesseract-ocr "
            "tesseract-ocr-eng tesseract-ocr-rus (or index with --no-ocr)",
        ),
    ],
)
def test_a_missing_engine_or_language_is_named_with_its_package(
    tmp_path, runner, monkeypatch, path, lang, message
):
    source = tmp_path / "source"
    source.mkdir()
    (source / "note.png").write_bytes(scan_image(NOTE))
    (source / "budget.pdf").write_bytes(text_pdf([["The budget was approved in March."]]))
    monkeypatch.setenv("PATH", str(Path(REAL).parent) if path else str(tmp_path))
    index = tmp_path / "index"
    args = ["index", "--source", str(source), "--index", str(index), "--ocr-lang", lang]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"warning: OCR: {message}" in result.output
    assert "1 scanned page not read: " + message in result.output
    ocr = collect(index).ocr
    assert (ocr.pages_waiting, ocr.problem, ocr.seconds_left) == (1, message, None)
    with Engine(index) as engine:  # the text is served all the same
        assert engine.search(Query("budget")).total == 1


def test_ocr_languages_and_time_limit_are_checked_before_building(tmp_path, runner, monkeypatch):
    where = ["--source", str(tmp_path), "--index", str(tmp_path / "index")]
    result = runner.invoke(cli, ["index", *where, "--ocr-lang", "eng rus"])
    assert result.exit_code == 2
    assert "OCR languages 'eng rus' are not Tesseract language codes joined by '+'" in result.output
    monkeypatch.setenv("SEEDSEARCH_OCR_TIMEOUT", "soon")
    result = runner.invoke(cli, ["index", *where])
    assert result.exit_code == 2
    assert "SEEDSEARCH_OCR_TIMEOUT='soon' is not a number of seconds." in result.output
    assert not (tmp_path / "index").exists()
