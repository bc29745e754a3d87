"""seedsearch's web app: the search page, the passage-in-context view and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from indexer.languages import name_of
from indexer.settings import DEFAULT_INDEX, DEFAULT_SOURCE, ENV_PREFIX

from . import api, auth, engine, errors, headers, status, ui

DEFAULTS: dict[str, Any] = {
    "INDEX": DEFAULT_INDEX,  # index folder, as `seedsearch index --index`
    "SOURCE": DEFAULT_SOURCE,  # documents folder, as `seedsearch index --source`
    "PER_PAGE": 10,  # results per page on the search page
    "PER_DOC": 3,  # passages of one document per page when several documents match
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,  # static files: one hour
    "MAX_CONTENT_LENGTH": 2**20,  # request bodies (a posted query, a login form): 1 MiB
    "PROXIES": 0,  # reverse proxies in front whose X-Forwarded-* headers are trusted
    **auth.DEFAULTS,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then SEEDSEARCH_* environment variables, then `config`."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX.rstrip("_"))
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # keep the JSON contract's field order
    app.url_map.strict_slashes = False
    if app.config["PROXIES"]:
        hops = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    index = Path(str(app.config["INDEX"]))
    # Engine() touches no file until the first request, so gunicorn can fork safely.
    engine.init_app(app, index)
    auth.init_app(app, index)
    app.jinja_env.globals["language_name"] = name_of  # "ru" -> "Russian"
    app.register_blueprint(ui.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(status.bp)
    errors.register_error_handlers(app)
    headers.register(app)
    return app
