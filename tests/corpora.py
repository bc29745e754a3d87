"""Real multilingual text that no one here wrote, for the language tests and benches:
Debian's installation guide, which ships the same HTML guide translated into many
languages. Fetched once with `apt-get download`, unpacked with `dpkg-deb -x` into a
cache outside the repository (SEEDSEARCH_CACHE, else ~/.cache/seedsearch), reused."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

GUIDE_PACKAGE = "installation-guide-amd64"
# Our language codes -> the guide's folder of that translation.
GUIDE_FOLDERS = {
    "en": "en",
    "ru": "ru",
    "de": "de",
    "fr": "fr",
    "es": "es",
    "it": "it",
    "pt": "pt",
    "nl": "nl",
    "sv": "sv",
    "da": "da",
    "cs": "cs",
    "ro": "ro",
    "ca": "ca",
    "el": "el",
    "id": "id",
    "vi": "vi",
    "ja": "ja",
    "zh": "zh_CN",
    "ko": "ko",
}
# The pages the tests index: the guide's opening sections, prose in every translation.
TEST_PAGES = ("ch01s01", "ch01s02", "ch01s03")


class Unavailable(RuntimeError):
    """A package could not be fetched (no network, no apt)."""


def cache_dir() -> Path:
    """Where fetched packages live: SEEDSEARCH_CACHE, else the user's cache folder."""
    if os.environ.get("SEEDSEARCH_CACHE"):
        return Path(os.environ["SEEDSEARCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seedsearch"


def package(name: str) -> Path:
    """The unpacked files of Debian package `name`, fetched on first use."""
    root = cache_dir() / "debian"
    done = root / name
    if (done / ".complete").exists():
        return done
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once fetch it once
        if not (done / ".complete").exists():
            _fetch(name, root, done)
    return done


def _fetch(name: str, root: Path, done: Path) -> None:
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        _download(name, Path(tmp))
        debs = sorted(Path(tmp).glob(f"{name}_*.deb"))
        if not debs:
            raise Unavailable(f"apt-get download {name} wrote no .deb")
        unpacked = Path(tmp) / "files"
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True)
        (unpacked / ".complete").write_text(debs[-1].name)
        shutil.rmtree(done, ignore_errors=True)
        unpacked.rename(done)


def _download(name: str, folder: Path) -> None:
    """apt-get download, after an `apt-get update` when the package lists lack it."""
    for attempt in range(2):
        run = subprocess.run(
            ["apt-get", "download", name], cwd=folder, capture_output=True, text=True
        )
        if run.returncode == 0:
            return
        if attempt == 0 and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
    raise Unavailable(f"apt-get download {name} failed: {run.stderr.strip()[-300:]}")


def guide(lang: str) -> Path:
    """The folder of the installation guide's HTML pages in language `lang`."""
    return package(GUIDE_PACKAGE) / "usr/share/doc" / GUIDE_PACKAGE / GUIDE_FOLDERS[lang]


def guide_pages(lang: str, pages: tuple[str, ...] | None = None) -> list[Path]:
    """The guide's pages in `lang` (all, or the ones named, as `ch01s01`)."""
    folder = guide(lang)
    if pages is None:
        return sorted(p for p in folder.glob("*.html") if p.name != "index.html")
    return [folder / f"{page}.html" for page in pages]


def copy_guide(dest: Path, languages: tuple[str, ...], pages=TEST_PAGES) -> Path:
    """`dest/<lang>/<page>.html` for each language and page: a folder to index."""
    for lang in languages:
        (dest / lang).mkdir(parents=True, exist_ok=True)
        for page in guide_pages(lang, pages):
            shutil.copyfile(page, dest / lang / page.name)
    return dest


if __name__ == "__main__":  # pragma: no cover - manual use: fetch ahead of time
    print(guide("en").parent)
