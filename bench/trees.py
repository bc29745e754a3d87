"""Another commit's code unpacked beside this checkout, to run the two side by side."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def short(rev: str) -> str:
    """The abbreviated commit `rev` names."""
    return git("rev-parse", "--short", rev).decode().strip()


def unpack(rev: str, into: Path, parts: tuple[str, ...] = ("indexer",)) -> Path:
    """The folders `parts` as of `rev`, unpacked in a folder under `into`: put it first
    on sys.path (PYTHONPATH, or run from it) to run that commit's code."""
    tree = into / f"tree-{short(rev)}"
    tree.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=git("archive", rev, *parts), check=True)
    return tree


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], capture_output=True, cwd=ROOT, check=True).stdout
