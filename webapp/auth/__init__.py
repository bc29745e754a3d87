"""Access control, off until the first user is added: users and API tokens in a file
beside the index, a login page with server-side sessions, and one gate (guard.py)
in front of every route.

Parts: users.py (the users file), store.py (sessions and failed logins, shared by
the workers), sessions.py (the cookie), guard.py (the gate), views.py (login and
logout), commands.py (`seedsearch user` and `seedsearch token`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g

from . import guard, sessions, views
from .state import auth, init_state

DEFAULTS: dict[str, Any] = {
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,  # seconds a login lasts
    "SESSION_COOKIE_NAME": sessions.COOKIE_NAME,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "LOGIN_WINDOW": 15 * 60,  # seconds failed logins are remembered
    "LOGIN_FAILURES_PER_USER": 5,  # within the window, then refused until it passes
    "LOGIN_FAILURES_PER_CLIENT": 20,
}

__all__ = ["DEFAULTS", "auth", "init_app"]


def init_app(app: Flask, index: Path) -> None:
    """Put the gate, the login views and the session cookie on `app`."""
    init_state(app, index)
    app.session_interface = sessions.CookieSessions()
    app.register_blueprint(views.bp)
    # First of all before_request functions: nothing runs for a refused request.
    app.before_request_funcs.setdefault(None, []).insert(0, guard.guard)
    app.after_request(guard.private)
    app.add_template_global(sessions.csrf_token)
    app.add_template_global(lambda: g.get("user"), "current_user")
