"""Take the README's screenshots: `seedsearch serve` on the demo archive (docs/demo)
in Debian's Chromium. Run after `./run.sh test` set the project up:

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.build.run import build_index  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.live_server import live_server  # noqa: E402

DEMO = ROOT / "docs" / "demo"
VIEWPORT = {"width": 1280, "height": 860}
# (file, address, colour scheme)
SHOTS = [
    ("screenshot.png", "/?q=flood+bridge", "light"),
    ("screenshot-filtered.png", "/?q=bridge&in=reports&sort=date", "dark"),
]


def demo_copy(folder: Path) -> Path:
    """The demo archive, its plain-text minutes dated by their names (a text file
    has no date of its own, and a checkout's dates say nothing)."""
    source = folder / "demo"
    shutil.copytree(DEMO, source)
    for path in source.rglob("*.txt"):
        year, month = path.stem.split("-")[:2]
        stamp = datetime(int(year), int(month), 28, 12).timestamp()
        os.utime(path, (stamp, stamp))
    return source


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="seedsearch-shots-") as tmp:
        index = Path(tmp) / "index"
        build_index(demo_copy(Path(tmp)), index, full=True)
        with live_server(index, workers=1) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, path, scheme in SHOTS:
                context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
                page = context.new_page()
                page.goto(server.url + path)  # once to warm the index's caches
                page.goto(server.url + path)
                page.locator("#q").blur()  # no focus ring across the picture
                page.screenshot(path=str(ROOT / "docs" / name))
                context.close()
                print(f"docs/{name}: {path} ({scheme})")
            browser.close()


if __name__ == "__main__":
    main()
