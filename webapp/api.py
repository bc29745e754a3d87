"""The JSON API: /api/search (the `seedsearch search --json` shape), its OpenAPI
description, and /healthz."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request

from . import openapi
from .engine import engine
from .params import posted_args, query_from_args

bp = Blueprint("api", __name__)


@bp.route("/api/search", methods=["GET", "POST"])
def search():
    """One page of results as JSON; a POST carries the same parameters in its body,
    for queries too long for an address."""
    args = posted_args(request) if request.method == "POST" else request.args
    query = query_from_args(args, per_page=current_app.config["PER_PAGE"])
    return jsonify(engine().search(query).to_json())


@bp.get("/api/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document(request.host_url.rstrip("/")))


@bp.get("/healthz")
def healthz():
    """What the server is serving; 503 (as JSON) when the index is missing or broken."""
    response = jsonify({"status": "ok", **asdict(engine().health())})
    response.headers["Cache-Control"] = "no-store"
    return response
