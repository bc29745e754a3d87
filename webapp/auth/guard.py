"""The one gate in front of every route: when users exist, a request needs a live
session or an API token, except for the few endpoints listed in PUBLIC. A route
added later is therefore closed until someone opens it here, on purpose."""

from __future__ import annotations

from flask import Response, g, jsonify, redirect, request, url_for

from indexer.errors import SeedsearchError

from ..engine import engine
from ..errors import wants_json
from .sessions import session_user
from .state import auth
from .users import verify_token

# Static files are the site's own code (style, script, icon), never the archive's.
# /healthz answers anonymously, but only "ok" or "unavailable" (see bare_health).
PUBLIC = frozenset({"static", "auth.login", "auth.logout", "api.healthz"})
REALM = 'Bearer realm="seedsearch"'


def guard() -> Response | None:
    """before_request: let the request through, or answer it with a refusal."""
    g.user = None
    users = auth().users.get()  # a damaged users file raises: nobody gets in
    if not users.enabled:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        g.user = verify_token(users, token.strip())
        return None if g.user else refuse(invalid_token=True)
    name = session_user()
    if name and users.user(name):
        g.user = name
        return None
    if request.endpoint == "api.healthz":
        return bare_health()
    if request.endpoint in PUBLIC:
        return None
    return refuse()


def refuse(invalid_token: bool = False) -> Response:
    """401 with a JSON error for the API (and bad tokens); the login page for people."""
    if invalid_token or wants_json():
        message = (
            "This API token is not valid (revoked, mistyped or of a removed user)."
            if invalid_token
            else "Log in first, or send an API token: Authorization: Bearer TOKEN."
        )
        code = "invalid_token" if invalid_token else "unauthorized"
        response = jsonify({"error": {"code": code, "message": message}})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = REALM + (
            ', error="invalid_token"' if invalid_token else ""
        )
        return response
    target = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else "/"
    return redirect(url_for("auth.login", next=target))


def bare_health() -> Response:
    """/healthz for anonymous callers: whether the server serves, nothing about what."""
    try:
        engine().health()
        response = jsonify({"status": "ok"})
    except SeedsearchError:
        response = jsonify({"status": "unavailable"})
        response.status_code = 503
    response.headers["Cache-Control"] = "no-store"
    return response


def private(response: Response) -> Response:
    """after_request: what a logged-in user sees is theirs, not a shared cache's."""
    if g.get("user"):
        response.headers.setdefault("Cache-Control", "private")
        response.vary.add("Authorization")
        response.vary.add("Cookie")
    return response
