"""What access control keeps per app: the users file (re-read when it changes) and
the login store, both beside the index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from .store import STORE_FILE, AuthStore
from .users import UsersCache, users_path

KEY = "seedsearch.auth"


@dataclass(frozen=True)
class Auth:
    index: Path
    users: UsersCache
    store: AuthStore


def init_state(app: Flask, index: Path) -> None:
    app.extensions[KEY] = Auth(index, UsersCache(users_path(index)), AuthStore(index / STORE_FILE))


def auth(app: Flask | None = None) -> Auth:
    """The app's access-control state (the current app's by default)."""
    return (app or current_app).extensions[KEY]
