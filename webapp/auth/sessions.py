"""The login session: Flask's signed cookie carries a random session id (and the
CSRF token); the session itself lives in the AuthStore, so logging out ends it."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Request, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from .files import create_private_once
from .state import auth
from .users import UsersFileBroken

SECRET_KEY_FILE = "secret.key"
COOKIE_NAME = "seedsearch_session"


def secret_key(app: Flask) -> bytes:
    """The key signing session cookies: made once, kept beside the index (0600) so
    that every worker, and the server after a restart, signs with the same one."""
    return create_private_once(auth(app).index / SECRET_KEY_FILE, new_secret()).strip()


def new_secret() -> bytes:
    return secrets.token_hex(32).encode("ascii")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions, signed with the key beside the index (loaded when
    users first exist) and Secure whenever the request came over HTTPS."""

    def open_session(self, app: Flask, request: Request):
        if app.secret_key is None and _users_exist(app):
            app.secret_key = secret_key(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        # Behind a TLS proxy the scheme comes from X-Forwarded-Proto (gunicorn trusts
        # it from 127.0.0.1; see PROXIES in the README for proxies elsewhere).
        return request.is_secure or super().get_cookie_secure(app)


def _users_exist(app: Flask) -> bool:
    try:
        return auth(app).users.get().enabled
    except UsersFileBroken:
        return False  # the gate answers 503 for it, where errors are handled


def log_in(user: str) -> None:
    """Start a new session for `user`: a new id and CSRF token (none from before the
    login survives, so a session id planted beforehand is worthless)."""
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    sid = auth().store.start_session(user, lifetime)
    session.clear()
    session.permanent = True  # the cookie expires with the session
    session["sid"] = sid
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    sid = session.get("sid")
    if isinstance(sid, str):
        auth().store.end_session(sid)
    session.clear()


def session_user() -> str | None:
    """The user logged in with this request's cookie, if the session is live."""
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    return auth().store.session_user(sid)


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str):
        return False
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("ascii"))
