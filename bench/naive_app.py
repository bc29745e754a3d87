"""The naive Flask + Whoosh app the HTTP benchmark compares against: the index is
opened on every request, parsed by Whoosh's default parser, highlighted by Whoosh.

    NAIVE_INDEX=$PWD/bench/work/index/naive-x1 \
        gunicorn -w 2 -k gthread --threads 16 --chdir bench naive_app:app
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, render_template_string, request

from bench import perf_naive

app = Flask(__name__)
INDEX = Path(os.environ.get("NAIVE_INDEX", "work/index/naive-x1"))

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ q }} - search</title></head>
<body>
<form action="/"><input name="q" value="{{ q }}"><button>Search</button></form>
<p>{{ result.total }} passages</p>
<ol>
{% for hit in result.results %}
  <li><a href="/doc/{{ hit.doc }}">{{ hit.section }}</a><p>{{ hit.snippet | safe }}</p></li>
{% endfor %}
</ol>
</body></html>
"""


@app.get("/api/search")
def api_search():
    return jsonify(perf_naive.search(INDEX, request.args.get("q", "")))


@app.get("/")
def page():
    q = request.args.get("q", "")
    return render_template_string(PAGE, q=q, result=perf_naive.search(INDEX, q))
