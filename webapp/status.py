"""/status for the operator and /api/status for scripts: what the index holds by
folder and format, the last build, the watcher, and every file skipped."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template

from indexer.index.status import collect

bp = Blueprint("status", __name__)


def _status():
    return collect(Path(str(current_app.config["INDEX"])))


@bp.get("/status")
def page():
    """The status page; it answers 200 even when no index is served, and says why."""
    response = current_app.make_response(render_template("status.html", q="", status=_status()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/status")
def api():
    """The same as JSON (`seedsearch status --json`)."""
    response = jsonify(_status().to_json())
    response.headers["Cache-Control"] = "no-store"
    return response
