"""`python -m indexer`: the indexer's commands (the watcher `seedsearch serve` starts)."""

from .cli import cli

cli()
