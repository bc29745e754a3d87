"""What OCR read, kept in the index folder outside any generation (`ocr.sqlite`):
each scanned page's text by its file's content hash, its page and the languages
it was read in. A full rebuild, a renamed or moved file, a restart or the
watcher find the page here and never read it twice."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..readers import ScanTexts
from ..readers.ocr import OcrSettings, PageText

CACHE_FILE = "ocr.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    sha TEXT NOT NULL,          -- the file's content hash
    page INTEGER NOT NULL,      -- 1-based
    langs TEXT NOT NULL,        -- Tesseract's languages: eng+rus
    text TEXT,                  -- NULL when OCR could not read the page
    seconds REAL NOT NULL,      -- what reading it cost
    failure TEXT NOT NULL DEFAULT '',
    timeout REAL NOT NULL DEFAULT 0,  -- the time limit it ran under
    PRIMARY KEY (sha, page, langs)
) WITHOUT ROWID
"""


class OcrCache:
    """The OCR texts of one index folder, for the languages of `settings`.

    Connections are opened per use: build workers are forked, and a SQLite
    connection must not cross a fork."""

    def __init__(self, root: Path, settings: OcrSettings) -> None:
        self.path = Path(root) / CACHE_FILE
        self.settings = settings

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            db.execute(_SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def pages(self, sha: str) -> dict[int, PageText]:
        """The pages of file `sha` already read (or failed for good), by page."""
        with self._db() as db:
            rows = db.execute(
                "SELECT page, text, seconds, failure, timeout FROM pages WHERE sha=? AND langs=?",
                (sha, self.settings.langs),
            ).fetchall()
        found = {}
        for page, text, seconds, failure, timeout in rows:
            if text is None and timeout and timeout < self.settings.timeout:
                continue  # timed out under a shorter limit: the longer one may do
            found[page] = PageText(text, seconds, failure, timeout)
        return found

    def texts(self, sha: str) -> ScanTexts:
        """Page -> text lookup of one file, as readers take it; the cache is asked
        only if the file turns out to have scanned pages."""
        found: dict[int, PageText] | None = None

        def lookup(page: int) -> PageText | None:
            nonlocal found
            if found is None:
                found = self.pages(sha)
            return found.get(page)

        return lookup

    def put(self, sha: str, page: int, result: PageText) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sha,
                    page,
                    self.settings.langs,
                    result.text,
                    result.seconds,
                    result.failure,
                    result.timeout,
                ),
            )

    def seconds_per_page(self) -> float:
        """The mean cost of the pages read so far (0 before any)."""
        with self._db() as db:
            (mean,) = db.execute("SELECT AVG(seconds) FROM pages WHERE text IS NOT NULL").fetchone()
        return float(mean or 0.0)

    def prune(self, keep: Iterable[str]) -> int:
        """Forget the pages of files no longer indexed (content hashes not in `keep`)."""
        if not self.path.exists():
            return 0
        with self._db() as db:
            db.execute("CREATE TEMP TABLE keep (sha TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((sha,) for sha in keep))
            gone = db.execute("DELETE FROM pages WHERE sha NOT IN (SELECT sha FROM keep)")
            return gone.rowcount
