"""The ceiling for Flask under gunicorn on this machine: a route that answers a
small JSON object and does nothing else (query string ignored)."""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
@app.get("/api/search")
def hello():
    return jsonify({"hello": "world"})
