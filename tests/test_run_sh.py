"""`./run.sh serve` as a newcomer runs it on a fresh clone: a quiet install (pip's
output in a log), then the index summary and the URL, and nothing from setuptools.

The clone is the project's files as git sees them (tracked and new, not ignored);
pip installs from its cache, so this takes seconds, not a download."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from functools import partial
from pathlib import Path

from indexer.processes import die_with_parent
from tests.conftest import ROOT
from tests.live_server import HOST, free_port, stop

SETUP_TIMEOUT = 240.0  # seconds: venv, pip, indexing seeds/ and gunicorn's start
GUNICORN_LINE = re.compile(r"^\[[^\]]+\] \[\d+\] \[INFO\] ")


def fresh_clone(dest: Path) -> Path:
    """Copy the files a clone of the current work tree would hold into `dest`."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listing.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # not a file deleted in the work tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def run_serve_until_it_answers(clone: Path, port: int) -> tuple[str, str]:
    """Start `./run.sh serve` in `clone`; once it answers, stop it. (output, setup log)"""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.pop("SEEDSEARCH_INDEX", None)
    env.pop("SEEDSEARCH_SOURCE", None)
    out_path = clone / "run.out"
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            ["./run.sh", "serve", "--port", str(port), "--workers", "1"],
            cwd=clone,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=partial(die_with_parent, signal.SIGTERM, os.getpid()),
        )
    try:
        deadline = time.monotonic() + SETUP_TIMEOUT
        while not answers(port) and time.monotonic() < deadline:
            assert process.poll() is None, out_path.read_text("utf-8", errors="replace")
            time.sleep(0.25)
        assert answers(port), out_path.read_text("utf-8", errors="replace")
    finally:
        stop(process)
    log = clone / ".venv" / "setup.log"
    return out_path.read_text("utf-8"), log.read_text("utf-8", errors="replace")


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_fresh_clone_serves_after_a_quiet_install(tmp_path):
    port = free_port()
    output, setup_log = run_serve_until_it_answers(fresh_clone(tmp_path / "clone"), port)
    lines = output.splitlines()
    # The first screen: one line for the install, the index summary, the URL.
    assert lines[0] == "Installing seedsearch into .venv (log: .venv/setup.log) ...", output
    assert lines[1] == "No index at index yet; indexing seeds ...", output
    assert re.fullmatch(r"1 added, .* 10 passages, .* 0 warnings; [\d.]+s", lines[2]), output
    assert lines[3].startswith(f"Serving index at http://{HOST}:{port}/ "), output
    # Then gunicorn's own start-up lines, and nothing else (no pip, no setuptools).
    assert all(GUNICORN_LINE.match(line) for line in lines[4:]), output
    # The packaging itself is clean: the build emitted no Python warning at all.
    assert re.findall(r"\b\w*Warning\b", setup_log) == [], setup_log
    assert "Successfully installed" in setup_log
