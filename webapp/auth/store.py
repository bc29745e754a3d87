"""Login state shared by every worker process: sessions and recent failed logins,
in one SQLite file beside the index (`auth.sqlite`, mode 0600).

A signed cookie alone could not be ended by logging out, and per-process counters
would give an attacker one allowance per worker; SQLite is in the standard library,
and a login or a session lookup is one indexed query."""

from __future__ import annotations

import functools
import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from indexer.errors import SeedsearchError

from .files import create_private

STORE_FILE = "auth.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,  -- SHA-256 of the session id: the file never holds one
    user TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
"""


class LoginStoreUnavailable(SeedsearchError):
    """The login store cannot be read or written: nobody is let in (fail closed)."""

    status = 503
    code = "login_store_unavailable"


def _reported(method):
    """Turn SQLite's and the OS's errors into one clear LoginStoreUnavailable."""

    @functools.wraps(method)
    def wrapper(self: AuthStore, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise LoginStoreUnavailable(
                f"The login store {self.path} cannot be used ({exc}); the server needs to "
                "read and write it, and its folder."
            ) from None

    return wrapper


class AuthStore:
    """Sessions and failed logins; one connection per thread, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            create_private(self.path)  # SQLite would create it world-readable
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.executescript(SCHEMA)
            self._local.db = db
        return db

    @_reported
    def create(self) -> None:
        """Create the file and its tables now (the CLI does, so a server need not)."""
        self._db()

    # -- sessions -----------------------------------------------------------------------

    @_reported
    def start_session(self, user: str, lifetime: float) -> str:
        """A new session id for `user`, valid for `lifetime` seconds."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        db = self._db()
        with _transaction(db):
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_digest(sid), user, now, now + lifetime),
            )
        return sid

    @_reported
    def session_user(self, sid: str) -> str | None:
        """The user of a live session, or None (unknown, ended or expired)."""
        row = (
            self._db()
            .execute(
                "SELECT user FROM sessions WHERE digest = ? AND expires > ?",
                (_digest(sid), time.time()),
            )
            .fetchone()
        )
        return row[0] if row else None

    @_reported
    def end_session(self, sid: str) -> None:
        self._db().execute("DELETE FROM sessions WHERE digest = ?", (_digest(sid),))

    @_reported
    def end_sessions_of(self, user: str) -> int:
        """End every session of `user` (password changed, user removed)."""
        return self._db().execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount

    # -- failed logins ------------------------------------------------------------------

    @_reported
    def failures(self, key: str, window: float) -> list[float]:
        """When `key` failed to log in within the last `window` seconds, oldest first."""
        rows = self._db().execute(
            "SELECT at FROM failures WHERE key = ? AND at > ? ORDER BY at",
            (key, time.time() - window),
        )
        return [at for (at,) in rows]

    @_reported
    def record_failure(self, keys: list[str], window: float) -> None:
        now = time.time()
        db = self._db()
        with _transaction(db):
            db.execute("DELETE FROM failures WHERE at <= ?", (now - window,))
            db.executemany("INSERT INTO failures VALUES (?, ?)", [(k, now) for k in keys])

    @_reported
    def forget_failures(self, key: str) -> None:
        self._db().execute("DELETE FROM failures WHERE key = ?", (key,))


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *rest) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()
