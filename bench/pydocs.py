"""The HTML benchmark corpus: the Python 3.11 documentation (Debian's python3.11-doc, a
Sphinx site), its first 500 pages in path order, fetched once into the user's cache
folder (never into the repository)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "python3.11-doc"
HTML = Path("usr/share/doc/python3.11/html")  # inside the package
PAGES = 500


@dataclass(frozen=True)
class Site:
    """A folder of HTML pages ready to index, and where it came from."""

    path: Path
    package: str  # the .deb's file name, with its version
    pages: int
    bytes: int


def cache_dir() -> Path:
    """~/.cache/seedsearch (or under $XDG_CACHE_HOME)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seedsearch"


def site(pages: int = PAGES) -> Site:
    """The first `pages` HTML files of the documentation, sorted by path, in their
    folders (the chrome learner reads a page's neighbours); built once."""
    deb = _package()
    path = cache_dir() / f"{deb.stem}-{pages}"
    if not (path / ".complete").exists():
        extracted = _extract(deb)
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for name in sorted(p.relative_to(extracted).as_posix() for p in extracted.rglob("*.html"))[
            :pages
        ]:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(extracted / name, tmp / name)
        (tmp / ".complete").write_text("ok")
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
    files = sorted(path.rglob("*.html"))
    return Site(path, deb.name, len(files), sum(f.stat().st_size for f in files))


def _package() -> Path:
    """The .deb, fetched with `apt-get download` unless one is cached."""
    debs = cache_dir() / "debs"
    found = sorted(debs.glob(f"{PACKAGE}_*.deb"))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"needs apt-get to fetch {PACKAGE}, or its .deb in {debs}")
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", PACKAGE], cwd=debs, check=True, capture_output=True)
    return sorted(debs.glob(f"{PACKAGE}_*.deb"))[-1]


def _extract(deb: Path) -> Path:
    target = cache_dir() / deb.stem
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
        (target / ".complete").write_text("ok")
    return target / HTML


if __name__ == "__main__":  # pragma: no cover - manual use
    print(site())
