"""Shared fixtures: the seed essay's index (built once), temporary corpora and
the CLI runner. Everything runs against real indexes on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, sync_playwright

from indexer.build.run import build_index
from indexer.search.engine import Engine
from tests.live_server import LiveServer, live_server

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_DOC = "hrw-local-collaborations-in-russia.txt"
DEMO = ROOT / "docs" / "demo"  # a small archive: folders, three formats, dated documents


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the repository's seeds/, built once per run; do not modify."""
    root = tmp_path_factory.mktemp("seed-index")
    build_index(SEEDS, root, full=True)
    return root


@pytest.fixture(scope="session")
def seed_engine(seed_index: Path) -> Engine:
    engine = Engine(seed_index)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of docs/demo, built once per run; do not modify."""
    root = tmp_path_factory.mktemp("demo-index")
    build_index(DEMO, root, full=True)
    return root


@pytest.fixture(scope="session")
def demo_engine(demo_index: Path) -> Engine:
    engine = Engine(demo_index)
    yield engine
    engine.close()


DEMO_PER_PAGE = 4  # documents per page, so the demo's nine span three pages


@pytest.fixture(scope="session")
def demo_server(demo_index: Path) -> Iterator[LiveServer]:
    """`seedsearch serve` on the demo archive, for the browser tests."""
    env = {"SEEDSEARCH_PER_PAGE": str(DEMO_PER_PAGE)}
    with live_server(demo_index, workers=2, env=env) as server:
        yield server


@pytest.fixture
def corpus(tmp_path: Path):
    """Write files into a fresh source folder: corpus({"a.txt": "text"}) -> Path."""
    source = tmp_path / "source"
    source.mkdir()

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = source / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return source

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test (Playwright's sync API allows
    one instance per process)."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: `./run.sh test` installs it with apt"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
