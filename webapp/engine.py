"""The app's one search Engine, shared by every request of a worker, and the
landing page's example queries, worked out once per index generation."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from indexer.search.engine import Engine

from .examples import Example, ExampleCache

KEY = "seedsearch"
EXAMPLES_KEY = "seedsearch.examples"


def init_app(app: Flask, index: Path) -> None:
    """Give the app an Engine on `index`; it opens the index on first use."""
    app.extensions[KEY] = Engine(index)
    app.extensions[EXAMPLES_KEY] = ExampleCache()


def engine() -> Engine:
    """The current app's Engine."""
    return current_app.extensions[KEY]


def examples(generation: int) -> tuple[Example, ...]:
    """Example queries that work on the served generation of the index."""
    return current_app.extensions[EXAMPLES_KEY].get(engine(), generation)
