"""The login page and logout: CSRF-checked forms, failed logins throttled per user
and per client across every worker."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from .sessions import csrf_ok, log_in, log_out
from .state import auth
from .users import verify_password

bp = Blueprint("auth", __name__)

MAX_NAME = 64
EXPIRED = "This form has expired; please try again."
WRONG = "Wrong user name or password."


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a right name and password start a session and go on to `next`."""
    target = safe_next(request.values.get("next"))
    users = auth().users.get()
    if not users.enabled or g.user:
        return redirect(target, 303)
    if request.method == "GET":
        return login_page(target)
    name = request.form.get("name", "")
    if not csrf_ok(request.form.get("csrf")):
        return login_page(target, EXPIRED, 400, name)
    # A name longer than any user's still counts, but is not stored at any length.
    keys = [f"user:{name[:MAX_NAME]}", f"client:{request.remote_addr}"]
    wait = retry_after(keys)
    if wait:
        minutes = math.ceil(wait / 60)
        message = f"Too many failed logins; try again in {minutes} minute{'s' * (minutes > 1)}."
        response = login_page(target, message, 429, name)
        response.headers["Retry-After"] = str(wait)
        return response
    if not verify_password(users, name, request.form.get("password", "")):
        auth().store.record_failure(keys, current_app.config["LOGIN_WINDOW"])
        known = "a known" if users.user(name) else "an unknown"
        current_app.logger.warning(
            "Failed login from %s for %s user name", request.remote_addr, known
        )
        response = login_page(target, WRONG, 401, name)
        response.headers["WWW-Authenticate"] = 'Bearer realm="seedsearch"'
        return response
    auth().store.forget_failures(keys[0])
    log_in(name)
    return redirect(target, 303)


@bp.post("/logout")
def logout():
    """End this session (the form carries its CSRF token) and go to the login page."""
    if g.user and not csrf_ok(request.form.get("csrf")):
        page = render_template("error.html", status=400, title=EXPIRED, message="", q="")
        return Response(page, status=400, mimetype="text/html")
    log_out()
    return redirect(url_for("auth.login"), 303)


def login_page(target: str, problem: str = "", status: int = 200, name: str = "") -> Response:
    page = render_template("login.html", next=target, problem=problem, name=name, q="")
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def retry_after(keys: list[str]) -> int:
    """Seconds until every key is under its limit of failures again; 0 if it is now."""
    config = current_app.config
    window = config["LOGIN_WINDOW"]
    limits = [config["LOGIN_FAILURES_PER_USER"], config["LOGIN_FAILURES_PER_CLIENT"]]
    wait = 0.0
    for key, limit in zip(keys, limits, strict=True):
        failures = auth().store.failures(key, window)
        if len(failures) >= limit:
            wait = max(wait, failures[-limit] + window - time.time())
    return math.ceil(wait)


def safe_next(target: str | None) -> str:
    """A path on this site to go to after logging in; anything else becomes "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    if parts.path in (url_for("auth.login"), url_for("auth.logout")):
        return "/"
    return target
