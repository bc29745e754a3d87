"""The `seedsearch` command line, run through click's runner on real indexes."""

from __future__ import annotations

import json

import pytest

from indexer.cli import cli
from indexer.models import Query
from indexer.search.engine import Engine
from tests.conftest import SEED_DOC, SEEDS


def test_index_prints_a_one_line_summary(runner, tmp_path):
    result = runner.invoke(cli, ["index", "--source", str(SEEDS), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    summary, *formats = result.output.strip().splitlines()
    assert summary == (
        "1 added, 0 updated, 0 removed, 0 unchanged, 0 skipped; 10 passages, "
        f"2 collapsed duplicates, 0 warnings; {summary.split('; ')[-1]}"
    )
    assert formats == ["  txt: 1 read"]
    again = runner.invoke(cli, ["index", "--source", str(SEEDS), "--index", str(tmp_path / "ix")])
    assert again.output.startswith(
        "0 added, 0 updated, 0 removed, 1 unchanged, 0 skipped; 10 passages"
    )


def test_index_reads_environment_defaults(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SEEDSEARCH_SOURCE", str(SEEDS))
    monkeypatch.setenv("SEEDSEARCH_INDEX", str(tmp_path / "env-ix"))
    assert runner.invoke(cli, ["index", "--quiet"]).exit_code == 0
    result = runner.invoke(cli, ["stats", "--json"])
    assert json.loads(result.output)["passages"] == 10


def test_quiet_warnings_and_strict(runner, corpus, tmp_path):
    src = corpus({"ok.txt": "Fine\n\nWords here.", "blank.md": "   "})
    index = str(tmp_path / "ix")
    quiet = runner.invoke(cli, ["index", "--source", str(src), "--index", index, "-q"])
    assert quiet.exit_code == 0
    assert quiet.stdout == "" and "warning: blank.md: empty file" in quiet.stderr
    strict = runner.invoke(cli, ["index", "--source", str(src), "--index", index, "--strict"])
    assert strict.exit_code == 1 and "blank.md" in strict.stderr
    assert strict.exception is None or isinstance(strict.exception, SystemExit)


def test_missing_source_and_missing_index_exit_1(runner, tmp_path):
    result = runner.invoke(cli, ["index", "--source", str(tmp_path / "no"), "--index", "x"])
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = runner.invoke(cli, ["search", "war", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and "seedsearch index" in result.stderr


def test_search_json_is_the_engine_json(runner, seed_index):
    result = runner.invoke(cli, ["search", "Chechnya war", "--index", str(seed_index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    with Engine(seed_index) as engine:
        expected = engine.search(Query("Chechnya war")).to_json()
    data.pop("took_ms"), expected.pop("took_ms")
    assert data == expected
    assert data["results"][0]["id"] == f"{SEED_DOC}#p5"


def test_search_text_output(runner, seed_index):
    result = runner.invoke(cli, ["search", "donors", "--index", str(seed_index)])
    assert result.exit_code == 0
    assert result.output.startswith("1 passages (")
    assert f"1. {SEED_DOC}#p4" in result.output and "donor community" in result.output


def test_search_pages_and_limits(runner, seed_index):
    args = ["search", "Russia", "--index", str(seed_index), "--json", "--limit", "3", "--page", "2"]
    data = json.loads(runner.invoke(cli, args).output)
    assert (data["page"], data["per_page"], len(data["results"])) == (2, 3, 3)
    ok = runner.invoke(cli, ["search", "Russia", "--index", str(seed_index), "--limit", "1000"])
    assert ok.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [["*"], ["x" * 10_001], [""], ["Russia", "--limit", "1001"], ["Russia", "--page", "0"]],
)
def test_bad_queries_exit_2_with_a_message(runner, seed_index, args):
    result = runner.invoke(cli, ["search", *args, "--index", str(seed_index)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output


def test_stats(runner, seed_index):
    data = json.loads(runner.invoke(cli, ["stats", "--index", str(seed_index), "--json"]).output)
    assert (data["documents"], data["passages"], data["generation"]) == (1, 10, 1)
    assert data["terms"] > 300 and data["size_bytes"] > 0
    assert data["per_document"] == [
        {"doc": SEED_DOC, "title": data["per_document"][0]["title"], "passages": 10}
    ]
    text = runner.invoke(cli, ["stats", "--index", str(seed_index)]).output
    assert "passages    10" in text and SEED_DOC in text


# -- grouping, filters, order ---------------------------------------------------------


def test_search_by_document_with_filters(runner, demo_index, demo_engine):
    args = ["search", "flood", "--index", str(demo_index), "--group", "doc"]
    args += ["--in", "reports", "--type", "md", "--type", "html", "--year", "2014..2016"]
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    expected = demo_engine.search(
        Query("flood in:reports type:md type:html year:2014..2016", by_document=True)
    ).to_json()
    for payload in (data, expected):
        payload.pop("took_ms"), payload.pop("query")
    assert data == expected and data["total"] > 1 and "results" not in data
    text = runner.invoke(cli, args).output
    assert text.startswith(f"{data['total']} documents, {data['passages']} passages (")
    for n, document in enumerate(data["documents"], 1):
        assert f"\n{n}. {document['title']}  [{document['doc']} · " in text
        for hit in document["passages"]:
            assert f"   #p{hit['ordinal']}: " in text


def test_search_newest_first(runner, demo_index, demo_engine):
    args = ["search", "bridge", "--index", str(demo_index), "--sort", "date", "--json"]
    data = json.loads(runner.invoke(cli, args).output)
    expected = demo_engine.search(Query("bridge", by_date=True))
    assert [r["id"] for r in data["results"]] == [h.id for h in expected.hits]
    assert expected.hits != demo_engine.search(Query("bridge")).hits


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--year", "20x4"], "year:"),
        (["--type", "zzz"], "type:"),
        (["--in", ".."], "in:"),
        (["--group", "page"], "--group"),
        (["--sort", "size"], "--sort"),
    ],
)
def test_bad_filters_exit_2_naming_them(runner, demo_index, args, named):
    result = runner.invoke(cli, ["search", "flood", "--index", str(demo_index), *args])
    assert result.exit_code == 2
    assert named in result.stderr and "Traceback" not in result.output
