"""The layout's rules (setup.cfg's import-linter contracts): the build side and
the search side never import each other, each layer imports only those below
it, the web app is above the indexer, and no package has an import cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}  # this tree's packages, not the installed ones
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "setup.cfg")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layout_holds():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        (
            "indexer/build/plan.py",
            "from ..search import engine",
            "The build side and the search side never import each other BROKEN",
        ),
        (
            "indexer/search/highlight.py",
            "from ..build import passages",
            "The build side and the search side never import each other BROKEN",
        ),
        (
            "indexer/search/weights.py",
            "from . import rank",
            "No import cycles between the modules of a package BROKEN",
        ),
        (
            "indexer/index/meta.py",
            "from ..watching import loop",
            "indexer's layers: each imports only those below it BROKEN",
        ),
        (
            "indexer/models.py",
            "import webapp",
            "The web app uses the indexer, never the reverse BROKEN",
        ),
    ],
)
def test_a_wrong_edge_breaks_a_contract(tmp_path, module, line, broken):
    for package in ("indexer", "webapp"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    target = tmp_path / module
    target.write_text(target.read_text("utf-8") + f"\n{line}\n", "utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    assert broken in done.stdout, done.stdout
